package app

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
	"golang.org/x/crypto/bcrypt"

	"github.com/otelkit/otelkit/internal/redact"
)

var usernameRE = regexp.MustCompile(`^[A-Za-z0-9_.-]{3,32}$`)

// Password limits. bcrypt reads at most 72 bytes and refuses longer
// passwords, so the upper limit counts UTF-8 bytes, as bcrypt does; the
// lower one counts characters, as the person typing it does.
const (
	minPasswordChars = 8
	maxPasswordBytes = 72
)

func validateCredentials(username, password string) error {
	if !usernameRE.MatchString(username) {
		return errors.New("username must be 3-32 characters of A-Z a-z 0-9 _ . -")
	}
	if !utf8.ValidString(password) {
		return errors.New("password is not valid UTF-8")
	}
	if n := utf8.RuneCountInString(password); n < minPasswordChars {
		return fmt.Errorf("password must be at least %d characters (this one has %d)", minPasswordChars, n)
	}
	if n := len(password); n > maxPasswordBytes {
		return fmt.Errorf("password must be at most %d bytes in UTF-8, as bcrypt uses (this one has %d)", maxPasswordBytes, n)
	}
	return nil
}

// routes registers every endpoint of the spec's table. The second column is
// the endpoint name, like a Flask view's (the spec's flask.endpoint).
func (a *App) routes(mux *http.ServeMux) {
	a.handle(mux, "POST /register", "register", a.register)
	a.handle(mux, "POST /login", "login", a.login)
	a.handle(mux, "POST /logout", "logout", a.authed(false, a.logout))
	a.handle(mux, "POST /db/message", "post_message", a.authed(false, a.postMessage))
	a.handle(mux, "GET /db/messages", "get_messages", a.authed(false, a.listMessages))
	a.handle(mux, "GET /db/messages/search", "search_messages", a.authed(false, a.searchMessages))
	a.handle(mux, "GET /logs/redis", "get_redis_logs", a.authed(false, a.redisLogs))
	a.handle(mux, "GET /logs/kafka", "get_kafka_logs", a.authed(false, a.kafkaLogs))
	a.handle(mux, "GET /admin/users", "get_users", a.authed(true, a.adminUsers))
	a.handle(mux, "GET /admin/users/{username}/messages", "get_user_messages", a.authed(true, a.adminUserMessages))
	a.handle(mux, "GET /external/data", "get_external_data", a.authed(false, a.externalData))
	a.handle(mux, "GET /healthz", "healthz", a.healthz)
}

type credentials struct {
	Username string `json:"username"`
	Password string `json:"password"`
}

func (a *App) register(w http.ResponseWriter, r *http.Request) {
	var c credentials
	if e := decodeJSON(w, r, &c); e != nil {
		writeError(w, e.status, e.msg)
		return
	}
	if err := validateCredentials(c.Username, c.Password); err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	hash, err := a.hashPassword(c.Password)
	if err != nil {
		a.internalError(w, r, err)
		return
	}
	if _, err := (store{a.db}).createUser(r.Context(), c.Username, hash, false); errors.Is(err, errDuplicate) {
		writeError(w, http.StatusConflict, "username already taken")
		return
	} else if err != nil {
		a.internalError(w, r, err)
		return
	}
	slog.InfoContext(r.Context(), "user registered", "username", c.Username)
	writeJSON(w, http.StatusCreated, map[string]string{"username": c.Username})
}

// dummyHash is compared against when the user does not exist, so that an
// unknown user and a wrong password take the same time.
var dummyHash, _ = bcrypt.GenerateFromPassword([]byte("not a real password"), bcrypt.DefaultCost)

func (a *App) login(w http.ResponseWriter, r *http.Request) {
	var c credentials
	if e := decodeJSON(w, r, &c); e != nil {
		writeError(w, e.status, e.msg)
		return
	}
	if c.Username == "" || c.Password == "" {
		writeError(w, http.StatusBadRequest, "username and password are required")
		return
	}
	u, err := store{a.db}.userByName(r.Context(), c.Username)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		_ = bcrypt.CompareHashAndPassword(dummyHash, []byte(c.Password))
		slog.WarnContext(r.Context(), "login failed", "username", c.Username)
		writeError(w, http.StatusUnauthorized, "invalid username or password")
		return
	case err != nil:
		a.internalError(w, r, err)
		return
	}
	if bcrypt.CompareHashAndPassword([]byte(u.PasswordHash), []byte(c.Password)) != nil {
		slog.WarnContext(r.Context(), "login failed", "username", c.Username)
		writeError(w, http.StatusUnauthorized, "invalid username or password")
		return
	}
	token, err := a.createSession(r.Context(), u)
	if err != nil {
		a.internalError(w, r, err)
		return
	}
	http.SetCookie(w, &http.Cookie{
		Name: sessionCookie, Value: token, Path: "/", MaxAge: int(sessionTTL / time.Second),
		HttpOnly: true, Secure: r.TLS != nil, SameSite: http.SameSiteLaxMode,
	})
	slog.InfoContext(r.Context(), "user logged in", "username", u.Username, "admin", u.IsAdmin)
	writeJSON(w, http.StatusOK, map[string]string{"token": token})
}

func (a *App) logout(w http.ResponseWriter, r *http.Request, _ session) {
	if err := a.rdb.Del(r.Context(), sessionRedisKey(requestToken(r))).Err(); err != nil {
		a.internalError(w, r, err)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true})
	w.WriteHeader(http.StatusNoContent)
}

func (a *App) postMessage(w http.ResponseWriter, r *http.Request, s session) {
	var body struct {
		Content string `json:"content"`
	}
	if e := decodeJSON(w, r, &body); e != nil {
		writeError(w, e.status, e.msg)
		return
	}
	if n := utf8.RuneCountInString(body.Content); n < 1 || n > 1000 {
		writeError(w, http.StatusBadRequest, "content must be 1-1000 characters")
		return
	}
	m, err := store{a.db}.addMessage(r.Context(), user{ID: s.UserID, Username: s.Username}, body.Content)
	if err != nil {
		a.internalError(w, r, err)
		return
	}
	slog.InfoContext(r.Context(), "message stored", "id", m.ID, "username", m.Username)
	writeJSON(w, http.StatusCreated, m)
}

// queryLimit reads ?limit= (default def, at most max).
func queryLimit(r *http.Request, def, max int) (int, *httpError) {
	s := r.URL.Query().Get("limit")
	if s == "" {
		return def, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 {
		return 0, badRequest("limit must be a positive integer")
	}
	return min(n, max), nil
}

func (a *App) listMessages(w http.ResponseWriter, r *http.Request, s session) {
	limit, e := queryLimit(r, 50, 200)
	if e != nil {
		writeError(w, e.status, e.msg)
		return
	}
	ms, err := store{a.db}.messages(r.Context(), s.UserID, "", limit)
	if err != nil {
		a.internalError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"messages": ms})
}

func (a *App) searchMessages(w http.ResponseWriter, r *http.Request, s session) {
	q := r.URL.Query().Get("q")
	switch n := utf8.RuneCountInString(q); {
	case !utf8.ValidString(q):
		writeError(w, http.StatusBadRequest, "q is not valid UTF-8")
		return
	case n < 1 || n > 100:
		writeError(w, http.StatusBadRequest, "q must be 1-100 characters")
		return
	}
	limit, e := queryLimit(r, 50, 200)
	if e != nil {
		writeError(w, e.status, e.msg)
		return
	}
	ms, err := store{a.db}.messages(r.Context(), s.UserID, q, limit)
	if err != nil {
		a.internalError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"query": q, "messages": ms})
}

// redisEntries reads the whole capped list (LRANGE api_logs 0 -1).
func (a *App) redisEntries(ctx context.Context) ([]LogEntry, error) {
	raw, err := a.rdb.LRange(ctx, RedisLogKey, 0, -1).Result()
	if err != nil {
		return nil, err
	}
	out := make([]LogEntry, 0, len(raw))
	for _, s := range raw {
		var e LogEntry
		if json.Unmarshal([]byte(s), &e) == nil {
			out = append(out, e)
		}
	}
	return out, nil
}

func (a *App) redisLogs(w http.ResponseWriter, r *http.Request, _ session) {
	es, err := a.redisEntries(r.Context())
	if err != nil {
		a.internalError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"source": "redis", "key": RedisLogKey, "count": len(es), "entries": es})
}

// kafkaLogs reads the newest entries back from the topic and says how many
// of them are also in the Redis copy.
func (a *App) kafkaLogs(w http.ResponseWriter, r *http.Request, _ session) {
	limit, e := queryLimit(r, 20, 200)
	if e != nil {
		writeError(w, e.status, e.msg)
		return
	}
	es, err := a.readKafka(r.Context(), int64(limit))
	if err != nil {
		a.internalError(w, r, err)
		return
	}
	inRedis, err := a.redisEntries(r.Context())
	if err != nil {
		a.internalError(w, r, err)
		return
	}
	seen := make(map[LogEntry]bool, len(inRedis))
	for _, e := range inRedis {
		seen[e] = true
	}
	both := 0
	for _, e := range es {
		if seen[e] {
			both++
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"source": "kafka", "topic": KafkaTopic, "count": len(es), "also_in_redis": both, "entries": es,
	})
}

// readKafka consumes up to limit of the newest records of each partition
// with a short-lived consumer, waiting at most cfg.KafkaReadWait.
func (a *App) readKafka(ctx context.Context, limit int64) ([]LogEntry, error) {
	wait := a.cfg.KafkaReadWait
	if wait == 0 {
		wait = 2 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	starts, err := a.kadm.ListStartOffsets(ctx, KafkaTopic)
	if err != nil {
		return nil, fmt.Errorf("kafka start offsets: %w", err)
	}
	ends, err := a.kadm.ListEndOffsets(ctx, KafkaTopic)
	if err != nil {
		return nil, fmt.Errorf("kafka end offsets: %w", err)
	}
	from := map[int32]kgo.Offset{}
	until := map[int32]int64{}
	var ferr error
	ends.Each(func(o kadm.ListedOffset) {
		if o.Err != nil {
			ferr = o.Err
			return
		}
		start := o.Offset - limit
		if s, ok := starts.Lookup(KafkaTopic, o.Partition); ok && s.Offset > start {
			start = s.Offset
		}
		if start < o.Offset {
			from[o.Partition] = kgo.NewOffset().At(start)
			until[o.Partition] = o.Offset
		}
	})
	if ferr != nil {
		return nil, fmt.Errorf("kafka offsets: %w", ferr)
	}
	out := []LogEntry{}
	if len(from) == 0 {
		return out, nil
	}
	cl, err := kgo.NewClient(append([]kgo.Opt{
		kgo.SeedBrokers(a.brokers...),
		kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{KafkaTopic: from}),
	}, kafkaOpts()...)...)
	if err != nil {
		return nil, fmt.Errorf("kafka consumer: %w", err)
	}
	defer cl.Close()
	for len(until) > 0 {
		fs := pollFetches(ctx, cl)
		if ctx.Err() != nil {
			break // bounded wait: answer with what arrived
		}
		var perr error
		fs.EachError(func(_ string, _ int32, err error) { perr = err })
		if perr != nil {
			return nil, fmt.Errorf("kafka fetch: %w", perr)
		}
		fs.EachRecord(func(rec *kgo.Record) {
			end, ok := until[rec.Partition]
			if !ok || rec.Offset >= end {
				return
			}
			var e LogEntry
			if json.Unmarshal(rec.Value, &e) == nil {
				out = append(out, e)
			}
			if rec.Offset+1 >= end {
				delete(until, rec.Partition)
			}
		})
	}
	slices.Reverse(out) // newest first, like the Redis list
	return out, nil
}

// adminUsers lists every user with their message count: one query that
// joins and counts. ?n_plus_one=true answers the same with the classic N+1
// shape instead (one query for the users, then one COUNT per user), so that
// the live view's N+1 finding can be seen on the demo; it is off by default.
func (a *App) adminUsers(w http.ResponseWriter, r *http.Request, _ session) {
	nPlusOne := false
	if s := r.URL.Query().Get("n_plus_one"); s != "" {
		b, err := strconv.ParseBool(s)
		if err != nil {
			writeError(w, http.StatusBadRequest, "n_plus_one must be true or false")
			return
		}
		nPlusOne = b
	}
	users := store{a.db}.users
	if nPlusOne {
		users = store{a.db}.usersOneByOne
	}
	us, err := users(r.Context())
	if err != nil {
		a.internalError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"users": us})
}

func (a *App) adminUserMessages(w http.ResponseWriter, r *http.Request, _ session) {
	name := r.PathValue("username")
	limit, e := queryLimit(r, 50, 200)
	if e != nil {
		writeError(w, e.status, e.msg)
		return
	}
	if !usernameRE.MatchString(name) {
		writeError(w, http.StatusNotFound, "unknown user")
		return
	}
	st := store{a.db}
	u, err := st.userByName(r.Context(), name)
	if errors.Is(err, sql.ErrNoRows) {
		writeError(w, http.StatusNotFound, "unknown user")
		return
	} else if err != nil {
		a.internalError(w, r, err)
		return
	}
	ms, err := st.messages(r.Context(), u.ID, "", limit)
	if err != nil {
		a.internalError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"username": u.Username, "messages": ms})
}

// externalData calls the external API with the traced client.
func (a *App) externalData(w http.ResponseWriter, r *http.Request, _ session) {
	req, err := http.NewRequestWithContext(r.Context(), http.MethodGet, a.externalURL, nil)
	if err != nil {
		a.internalError(w, r, err)
		return
	}
	resp, err := a.client.Do(req)
	if err != nil {
		msg := "external API unreachable"
		if errors.Is(err, context.DeadlineExceeded) || isTimeout(err) {
			msg = "external API timed out"
		}
		slog.WarnContext(r.Context(), msg, "error", redactURLError(err))
		writeError(w, http.StatusBadGateway, msg)
		return
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		writeError(w, http.StatusBadGateway, "external API: could not read the answer")
		return
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		slog.WarnContext(r.Context(), "external API failed", "status", resp.StatusCode)
		writeError(w, http.StatusBadGateway, fmt.Sprintf("external API answered %d", resp.StatusCode))
		return
	}
	if !json.Valid(body) {
		writeError(w, http.StatusBadGateway, "external API answered something that is not JSON")
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"source": "external", "data": json.RawMessage(body)})
}

// redactURLError returns err with the URL of a *url.Error redacted (its
// password and the values of sensitive query parameters such as api_key):
// net/http's errors quote the whole URL, EXTERNAL_API_URL's secrets included.
func redactURLError(err error) error {
	var ue *url.Error
	if !errors.As(err, &ue) {
		return err
	}
	c := *ue
	c.URL = redact.URLString(ue.URL)
	return &c
}

func isTimeout(err error) bool {
	var t interface{ Timeout() bool }
	return errors.As(err, &t) && t.Timeout()
}

// healthz answers 200 when the database, Redis and Kafka answer, else 503
// naming the ones that don't.
func (a *App) healthz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	var failing []string
	if (store{a.db}).ping(ctx) != nil {
		failing = append(failing, "database")
	}
	if a.rdb.Ping(ctx).Err() != nil {
		failing = append(failing, "redis")
	}
	if a.kafka.Ping(ctx) != nil {
		failing = append(failing, "kafka")
	}
	if len(failing) > 0 {
		slog.WarnContext(r.Context(), "health check failed", "failing", failing)
		writeJSON(w, http.StatusServiceUnavailable, map[string]any{
			"error": "unavailable: " + strings.Join(failing, ", "), "failing": failing,
		})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}
