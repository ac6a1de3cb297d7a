package app

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"reflect"
	"strings"
	"unicode/utf8"
)

// maxBody bounds every request body; larger ones get 413.
const maxBody = 16 << 10

// errorBody is every error response: {"error": "..."}.
type errorBody struct {
	Error string `json:"error"`
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, errorBody{Error: msg})
}

// internalError logs err (with the request's trace id, through the
// context) and answers 500 without details.
func (a *App) internalError(w http.ResponseWriter, r *http.Request, err error) {
	if r.Context().Err() != nil && errors.Is(err, r.Context().Err()) {
		// The client went away; nobody reads the answer and it is not a
		// server error. 499 is nginx's "client closed request".
		slog.InfoContext(r.Context(), "client closed the request", "route", r.Pattern)
		writeError(w, 499, "client closed request")
		return
	}
	slog.ErrorContext(r.Context(), "request failed", "route", r.Pattern, "error", err)
	writeError(w, http.StatusInternalServerError, "internal error")
}

// httpError is a client error found while reading a request.
type httpError struct {
	status int
	msg    string
}

func (e *httpError) Error() string { return e.msg }

func badRequest(format string, args ...any) *httpError {
	return &httpError{http.StatusBadRequest, fmt.Sprintf(format, args...)}
}

// decodeJSON reads one JSON object into dst: a body of at most maxBody bytes,
// valid UTF-8, no unknown fields, no trailing data, and the right types.
// The Content-Type is not checked, so that `curl -d '{...}'` works.
//
// It is strict where encoding/json is lenient: field names must match the
// struct's json names exactly (encoding/json also takes "PASSWORD" for
// "password"), and no key may appear twice in an object (encoding/json keeps
// the last). A Content-Length over maxBody is refused with 413 before the
// body is read, so a client that sent "Expect: 100-continue" gets no
// "100 Continue" and sends nothing.
func decodeJSON(w http.ResponseWriter, r *http.Request, dst any) *httpError {
	if r.ContentLength > maxBody {
		return &httpError{http.StatusRequestEntityTooLarge, fmt.Sprintf("body larger than %d bytes", maxBody)}
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return &httpError{http.StatusRequestEntityTooLarge, fmt.Sprintf("body larger than %d bytes", maxBody)}
		}
		return badRequest("could not read body")
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return badRequest("empty body; a JSON object is required")
	}
	if !utf8.Valid(body) {
		return badRequest("body is not valid UTF-8")
	}
	if e := checkStrict(body, jsonFieldNames(dst)); e != nil {
		return e
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &se):
			return badRequest("malformed JSON at offset %d", se.Offset)
		case errors.As(err, &te):
			if te.Field != "" {
				return badRequest("field %q must be a JSON %s", te.Field, jsonType(te.Type.Kind().String()))
			}
			return badRequest("body must be a JSON object")
		case errors.Is(err, io.ErrUnexpectedEOF):
			return badRequest("malformed JSON: unexpected end")
		default:
			// DisallowUnknownFields reports `json: unknown field "x"`.
			return badRequest("invalid JSON: %s", trimJSONPrefix(err.Error()))
		}
	}
	if dec.More() {
		return badRequest("body must hold a single JSON object")
	}
	if _, err := dec.Token(); err != io.EOF {
		return badRequest("body must hold a single JSON object")
	}
	return nil
}

// jsonType names the JSON type a Go kind is decoded from.
func jsonType(goKind string) string {
	switch goKind {
	case "string":
		return "string"
	case "bool":
		return "boolean"
	case "slice", "array":
		return "array"
	case "struct", "map":
		return "object"
	default:
		return "number"
	}
}

func trimJSONPrefix(s string) string {
	const p = "json: "
	if len(s) > len(p) && s[:len(p)] == p {
		return s[len(p):]
	}
	return s
}

// jsonFieldNames returns the JSON names of the fields of the struct dst
// points to (the tag's name, else the Go name), or nil when dst is not a
// pointer to a struct.
func jsonFieldNames(dst any) map[string]bool {
	t := reflect.TypeOf(dst)
	if t == nil || t.Kind() != reflect.Pointer || t.Elem().Kind() != reflect.Struct {
		return nil
	}
	t = t.Elem()
	names := make(map[string]bool, t.NumField())
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		switch name {
		case "-":
			continue
		case "":
			name = f.Name
		}
		names[name] = true
	}
	return names
}

// checkStrict walks body's tokens: a top-level object whose keys are exactly
// among fields (when fields is not nil), and no duplicate key in any object.
// Syntax errors are left to the decoder that follows, which reports them
// with their offset.
func checkStrict(body []byte, fields map[string]bool) *httpError {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil {
		return nil
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil // the decoder says "must be a JSON object"
	}
	if e := walkObject(dec, fields, 0); e != errSyntax {
		return e
	}
	return nil
}

// errSyntax stops the walk at a syntax error, which the decoder reports.
var errSyntax = &httpError{http.StatusBadRequest, "syntax"}

// maxJSONDepth bounds the nesting checkStrict follows (the decoder's own
// limit is far higher, but no request body of the service nests at all).
const maxJSONDepth = 32

// walkObject reads the rest of an object whose '{' was read.
func walkObject(dec *json.Decoder, fields map[string]bool, depth int) *httpError {
	if depth > maxJSONDepth {
		return badRequest("JSON nested deeper than %d levels", maxJSONDepth)
	}
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return errSyntax
		}
		key, _ := tok.(string)
		if seen[key] {
			return badRequest("duplicate field %q", key)
		}
		seen[key] = true
		if fields != nil && !fields[key] {
			return badRequest("unknown field %q (field names are case-sensitive)", key)
		}
		if e := walkValue(dec, depth); e != nil {
			return e
		}
	}
	if _, err := dec.Token(); err != nil { // '}'
		return errSyntax
	}
	return nil
}

// walkValue reads one value, checking the objects inside it.
func walkValue(dec *json.Decoder, depth int) *httpError {
	tok, err := dec.Token()
	if err != nil {
		return errSyntax
	}
	d, ok := tok.(json.Delim)
	if !ok {
		return nil
	}
	switch d {
	case '{':
		return walkObject(dec, nil, depth+1)
	case '[':
		if depth+1 > maxJSONDepth {
			return badRequest("JSON nested deeper than %d levels", maxJSONDepth)
		}
		for dec.More() {
			if e := walkValue(dec, depth+1); e != nil {
				return e
			}
		}
		if _, err := dec.Token(); err != nil { // ']'
			return errSyntax
		}
	}
	return nil
}
