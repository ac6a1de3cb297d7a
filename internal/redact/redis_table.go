package redact

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// RedisCommandTable describes Redis commands by their lower-case name
// ("set"), subcommands by "container|subcommand" ("config|set"), as a
// server's COMMAND INFO and COMMAND DOCS describe them. It is what value
// masking reads: the arguments of a command that are neither keys (by its
// key specs) nor syntax tokens (by its docs) are values.
type RedisCommandTable map[string]RedisCommandSpec

// RedisCommandSpec is one command of a RedisCommandTable.
type RedisCommandSpec struct {
	// Keys are the command's key specs.
	Keys []RedisKeySpec
	// Tokens are the syntax tokens its docs list (NX, EX, WITHSCORES,
	// LIMIT...), in upper case and sorted.
	Tokens []string
	// Container is true for a command with subcommands (CONFIG, CLIENT,
	// XGROUP...): args[1] names the subcommand.
	Container bool
}

// RedisKeySpec is one key spec of COMMAND INFO: where the search for keys
// begins (an argument index, or the argument after a keyword) and how the
// keys are found from there (a range or a count argument). Positions count
// the command name as 0.
type RedisKeySpec struct {
	// Index is begin_search "index": the position of the first key. Zero
	// when Keyword is set.
	Index int
	// Keyword and StartFrom are begin_search "keyword": keys begin after
	// the first argument equal to Keyword, searched from StartFrom
	// (backwards from the end when negative).
	Keyword   string
	StartFrom int
	// KeyNum selects find_keys "keynum" (KeyNumIdx, FirstKey, KeyStep);
	// otherwise find_keys is "range" (LastKey, KeyStep, Limit).
	KeyNum    bool
	LastKey   int
	KeyStep   int
	Limit     int
	KeyNumIdx int
	FirstKey  int
}

// GoString returns s as a Go literal inside package redact (for redisgen).
func (s RedisCommandSpec) GoString() string {
	var b strings.Builder
	b.WriteString("{")
	if len(s.Keys) > 0 {
		b.WriteString("Keys: []RedisKeySpec{")
		for i, k := range s.Keys {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(k.goString())
		}
		b.WriteString("}, ")
	}
	if len(s.Tokens) > 0 {
		b.WriteString("Tokens: []string{")
		for i, t := range s.Tokens {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(strconv.Quote(t))
		}
		b.WriteString("}, ")
	}
	if s.Container {
		b.WriteString("Container: true")
	}
	return strings.TrimSuffix(b.String(), ", ") + "}"
}

func (k RedisKeySpec) goString() string {
	var f []string
	add := func(name string, v int) {
		if v != 0 {
			f = append(f, name+": "+strconv.Itoa(v))
		}
	}
	add("Index", k.Index)
	if k.Keyword != "" {
		f = append(f, "Keyword: "+strconv.Quote(k.Keyword))
	}
	add("StartFrom", k.StartFrom)
	if k.KeyNum {
		f = append(f, "KeyNum: true")
	}
	add("LastKey", k.LastKey)
	add("KeyStep", k.KeyStep)
	add("Limit", k.Limit)
	add("KeyNumIdx", k.KeyNumIdx)
	add("FirstKey", k.FirstKey)
	return "{" + strings.Join(f, ", ") + "}"
}

// ParseRedisCommandTable builds a table from the replies to COMMAND INFO
// (info: one entry per command, as go-redis returns it under RESP2 or
// RESP3) and COMMAND DOCS (docs: a map or a flat list of name, doc). A key
// spec of a kind it does not know (begin_search or find_keys "unknown") is
// left out: its keys are masked as values, the safe way round.
func ParseRedisCommandTable(info []any, docs any) (RedisCommandTable, error) {
	t := RedisCommandTable{}
	for _, e := range info {
		if err := t.addInfo(e); err != nil {
			return nil, err
		}
	}
	for name, doc := range respPairs(docs) {
		t.addDocs(strings.ToLower(name), doc)
	}
	return t, nil
}

func (t RedisCommandTable) addInfo(e any) error {
	a, ok := e.([]any)
	if !ok {
		if e == nil {
			return nil // a name COMMAND INFO does not know
		}
		return fmt.Errorf("redact: COMMAND INFO entry is %T, want an array", e)
	}
	if len(a) < 1 {
		return fmt.Errorf("redact: empty COMMAND INFO entry")
	}
	name, _ := a[0].(string)
	if name == "" {
		return fmt.Errorf("redact: COMMAND INFO entry without a name: %v", a)
	}
	name = strings.ToLower(name)
	spec := t[name]
	if len(a) > 8 {
		for _, ks := range list(a[8]) {
			if k, ok := parseKeySpec(ks); ok {
				spec.Keys = append(spec.Keys, k)
			}
		}
	}
	if len(a) > 9 {
		subs := list(a[9])
		spec.Container = len(subs) > 0
		for _, s := range subs {
			if err := t.addInfo(s); err != nil {
				return err
			}
		}
	}
	t[name] = spec
	return nil
}

func parseKeySpec(v any) (RedisKeySpec, bool) {
	m := fields(v)
	bs, fk := fields(m["begin_search"]), fields(m["find_keys"])
	bspec, fspec := fields(bs["spec"]), fields(fk["spec"])
	var k RedisKeySpec
	switch bs["type"] {
	case "index":
		k.Index = num(bspec["index"])
		if k.Index < 1 {
			return k, false
		}
	case "keyword":
		k.Keyword, _ = bspec["keyword"].(string)
		k.StartFrom = num(bspec["startfrom"])
		if k.Keyword == "" || k.StartFrom == 0 {
			return k, false
		}
	default:
		return k, false
	}
	switch fk["type"] {
	case "range":
		k.LastKey, k.KeyStep, k.Limit = num(fspec["lastkey"]), num(fspec["keystep"]), num(fspec["limit"])
	case "keynum":
		k.KeyNum = true
		k.KeyNumIdx, k.FirstKey, k.KeyStep = num(fspec["keynumidx"]), num(fspec["firstkey"]), num(fspec["keystep"])
	default:
		return k, false
	}
	if k.KeyStep < 1 {
		return k, false
	}
	return k, true
}

func (t RedisCommandTable) addDocs(name string, doc any) {
	m := fields(doc)
	spec := t[name]
	tokens := map[string]bool{}
	for _, tok := range spec.Tokens {
		tokens[tok] = true
	}
	collectTokens(m["arguments"], tokens)
	spec.Tokens = spec.Tokens[:0]
	for tok := range tokens {
		spec.Tokens = append(spec.Tokens, tok)
	}
	sort.Strings(spec.Tokens)
	if len(spec.Tokens) == 0 {
		spec.Tokens = nil
	}
	t[name] = spec
	for sub, sdoc := range respPairs(m["subcommands"]) {
		t.addDocs(strings.ToLower(sub), sdoc)
	}
}

func collectTokens(args any, into map[string]bool) {
	for _, a := range list(args) {
		m := fields(a)
		if tok, ok := m["token"].(string); ok && tok != "" {
			into[strings.ToUpper(tok)] = true
		}
		collectTokens(m["arguments"], into)
	}
}

// fields reads a RESP3 map or a RESP2 flat list of name, value.
func fields(v any) map[string]any {
	out := map[string]any{}
	for k, v := range respPairs(v) {
		out[k] = v
	}
	return out
}

func respPairs(v any) map[string]any {
	out := map[string]any{}
	switch v := v.(type) {
	case map[any]any:
		for k, e := range v {
			if s, ok := k.(string); ok {
				out[s] = e
			}
		}
	case map[string]any:
		return v
	case []any:
		for i := 0; i+1 < len(v); i += 2 {
			if s, ok := v[i].(string); ok {
				out[s] = v[i+1]
			}
		}
	}
	return out
}

func list(v any) []any {
	switch v := v.(type) {
	case []any:
		return v
	case map[any]any: // a RESP3 set
		out := make([]any, 0, len(v))
		for k := range v {
			out = append(out, k)
		}
		return out
	}
	return nil
}

func num(v any) int {
	switch v := v.(type) {
	case int64:
		return int(v)
	case int:
		return v
	case string:
		n, _ := strconv.Atoi(v)
		return n
	}
	return 0
}

// redisMaxKeySpecs bounds the key specs a command is read with; Redis's
// commands have at most a few.
const redisMaxKeySpecs = 8

// redisKeyRange is a run of key positions first, first+step, ... <= last,
// resolved for one command's arguments; count is the position of the
// argument that gave the number of keys (keynum), or 0.
type redisKeyRange struct{ first, last, step, count int }

// resolve returns the key ranges of args by the key specs of s, the way
// Redis reads them (getKeysUsingKeySpecs): at most redisMaxKeySpecs, in a
// fixed array so that nothing is allocated.
func (s *RedisCommandSpec) resolve(args []any) (out [redisMaxKeySpecs]redisKeyRange, n int) {
	argc := len(args)
	for _, k := range s.Keys {
		if n == len(out) {
			break
		}
		first := k.Index
		if k.Keyword != "" {
			first = -1
			start, end, step := k.StartFrom, argc-1, 1
			if k.StartFrom < 0 {
				start, end, step = argc+k.StartFrom, 1, -1
			}
			for i := start; i >= 1 && i < argc; i += step {
				if isArg(args, i, k.Keyword) {
					first = i + 1
					break
				}
				if i == end {
					break
				}
			}
			if first < 0 {
				continue
			}
		}
		r := redisKeyRange{step: k.KeyStep}
		if k.KeyNum {
			idx := first + k.KeyNumIdx
			nk, ok := argInt(args, idx)
			if !ok || nk < 0 {
				continue
			}
			r.count = idx
			r.first = first + k.FirstKey
			r.last = r.first + (nk-1)*k.KeyStep
		} else {
			r.first = first
			switch {
			case k.LastKey >= 0:
				r.last = first + k.LastKey
			case k.Limit <= 1:
				r.last = argc + k.LastKey
			default:
				r.last = first + (argc-first)/k.Limit + k.LastKey
			}
		}
		if r.last >= argc {
			r.last = argc - 1
		}
		out[n] = r
		n++
	}
	return out, n
}

// redisLookup returns the spec of the command args names, and of its
// subcommand when it is a container and args[1] is one of its subcommands
// (sub is then true). The lookup allocates nothing.
func redisLookup(t RedisCommandTable, args []any) (spec RedisCommandSpec, known, sub bool) {
	var buf [48]byte
	name := lowerInto(buf[:0], args, 0)
	if name == nil {
		return spec, false, false
	}
	s, ok := t[string(name)]
	if !ok {
		return spec, false, false
	}
	if s.Container && len(args) > 1 {
		full := lowerInto(append(name, '|'), args, 1)
		if full != nil {
			if ss, ok := t[string(full)]; ok {
				return ss, true, true
			}
		}
	}
	return s, true, false
}

// lowerInto appends args[i] in lower case to b, or returns nil when it is
// not a string, is empty or does not fit in b's capacity.
func lowerInto(b []byte, args []any, i int) []byte {
	var s string
	switch v := args[i].(type) {
	case string:
		s = v
	case []byte:
		if len(v) > cap(b)-len(b) {
			return nil
		}
		for _, c := range v {
			b = append(b, lowerByte(c))
		}
		return b
	default:
		return nil
	}
	if s == "" || len(s) > cap(b)-len(b) {
		return nil
	}
	for i := 0; i < len(s); i++ {
		b = append(b, lowerByte(s[i]))
	}
	return b
}

func lowerByte(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// redisValues tells, for one command, which arguments are values.
type redisValues struct {
	known  bool // the command is in the table
	from   int  // arguments before from are the name (and subcommand)
	spec   RedisCommandSpec
	ranges [redisMaxKeySpecs]redisKeyRange
	n      int
}

func newRedisValues(t RedisCommandTable, args []any) redisValues {
	var v redisValues
	spec, known, sub := redisLookup(t, args)
	v.init(spec, known, sub, args)
	return v
}

// init sets v for args, the command whose lookup gave spec, known and sub.
func (v *redisValues) init(spec RedisCommandSpec, known, sub bool, args []any) {
	v.known, v.from, v.spec, v.n = known, 1, spec, 0
	if !known {
		return
	}
	if sub {
		v.from = 2
	}
	v.ranges, v.n = v.spec.resolve(args)
}

// masks reports whether args[i] is a value: not the command name or
// subcommand, not a key, not the argument that counts the keys, not a
// syntax token of the command. Every argument of a command the table does
// not know is a value.
func (v *redisValues) masks(args []any, i int) bool {
	if i < v.from {
		return false
	}
	if !v.known {
		return true
	}
	for _, r := range v.ranges[:v.n] {
		if i == r.count {
			return false
		}
		if i >= r.first && i <= r.last && (i-r.first)%r.step == 0 {
			return false
		}
	}
	return !v.spec.isToken(args[i])
}

func (s *RedisCommandSpec) isToken(arg any) bool {
	var a string
	switch v := arg.(type) {
	case string:
		a = v
	case []byte:
		for _, t := range s.Tokens {
			if strings.EqualFold(t, string(v)) {
				return true
			}
		}
		return false
	default:
		return false
	}
	for _, t := range s.Tokens {
		if strings.EqualFold(t, a) {
			return true
		}
	}
	return false
}

// RedisMarkerValue is planted in every value argument BuildRedisArgs makes.
const RedisMarkerValue = "VALMARK"

// BuildRedisArgs is for tests: it returns arguments for the command name ("set",
// "xgroup|create") from its COMMAND DOCS arguments: each key "KEYMARKn",
// each value a RedisMarkerValue string, every optional argument present,
// every repeated one twice, the first choice of each oneof, and a key count
// that matches the keys that follow it. keys lists the key arguments.
// specs is the number of distinct key specs the keys refer to.
func BuildRedisArgs(name string, docArgs any) (args []any, keys []string, specs int) {
	seen := map[int]bool{}
	for _, part := range strings.Split(name, "|") {
		args = append(args, part)
	}
	var build func(specs []any)
	build = func(specs []any) {
		for i, s := range specs {
			m := fields(s)
			times, tokenEach := 1, false
			for _, f := range list(m["flags"]) {
				switch f {
				case "multiple":
					times = 2
				case "multiple_token":
					tokenEach = true
				}
			}
			for j := range times {
				if tok, ok := m["token"].(string); ok && tok != "" && (j == 0 || tokenEach) {
					args = append(args, tok)
				}
				switch m["type"] {
				case "pure-token":
				case "key":
					seen[num(m["key_spec_index"])] = true
					k := "KEYMARK" + strconv.Itoa(len(keys))
					keys = append(keys, k)
					args = append(args, k)
				case "oneof":
					if sub := list(m["arguments"]); len(sub) > 0 {
						build(sub[:1])
					}
				case "block":
					build(list(m["arguments"]))
				case "integer":
					if n, _ := m["name"].(string); strings.Contains(n, "numkeys") || n == "count" && nextIsKey(specs, i) {
						args = append(args, 2)
						continue
					}
					args = append(args, RedisMarkerValue+strconv.Itoa(len(args)))
				default:
					args = append(args, RedisMarkerValue+strconv.Itoa(len(args)))
				}
			}
		}
	}
	build(list(docArgs))
	return args, keys, len(seen)
}

func nextIsKey(specs []any, i int) bool {
	if i+1 >= len(specs) {
		return false
	}
	return fields(specs[i+1])["type"] == "key"
}
