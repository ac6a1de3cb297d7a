package redact

import (
	"context"
	"fmt"
	"os"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"
)

// TestRedisValueMaskingTable: with MaskValues every argument is masked but
// the command name, the subcommand, the keys the key specs name, the key
// count before them and the command's syntax tokens; every argument of an
// unknown command is masked.
func TestRedisValueMaskingTable(t *testing.T) {
	tests := []struct {
		args []any
		want string
	}{
		// The commands issue 14 found unmasked.
		{[]any{"smove", "src", "dst", "member-v"}, "SMOVE src dst ?"},
		{[]any{"zincrby", "z", 2.5, "member-v"}, "ZINCRBY z ? ?"},
		{[]any{"zrem", "z", "m1-v", "m2-v"}, "ZREM z ? ?"},
		{[]any{"lpos", "l", "elem-v", "RANK", 1, "COUNT", 2, "MAXLEN", 0}, "LPOS l ? RANK ? COUNT ? MAXLEN ?"},
		// Tokens stay, their values go; case does not matter.
		{[]any{"set", "k", "v", "px", 10, "nx", "get"}, "SET k ? px ? nx get"},
		{[]any{"SET", "k", []byte("v"), []byte("EX"), 1}, "SET k ? EX ?"},
		{[]any{"zadd", "z", "NX", "CH", 1.5, "m"}, "ZADD z NX CH ? ?"},
		{[]any{"zrangebyscore", "z", "-inf", "+inf", "WITHSCORES", "LIMIT", 0, 10}, "ZRANGEBYSCORE z ? ? WITHSCORES LIMIT ? ?"},
		// Several key specs, keyword searches, key counts.
		{[]any{"mset", "k1", "v1", "k2", "v2"}, "MSET k1 ? k2 ?"},
		{[]any{"del", "a", "b", "c"}, "DEL a b c"},
		{[]any{"eval", "return 1", 2, "k1", "k2", "a1"}, "EVAL ? 2 k1 k2 ?"},
		{[]any{"eval", "return 1", "x", "k1"}, "EVAL ? ? ?"}, // no valid key count: nothing is a key
		{[]any{"eval", "return 1", 5, "k1"}, "EVAL ? 5 k1"},  // more keys counted than given
		{[]any{"xread", "COUNT", 5, "STREAMS", "s1", "s2", "0-1", "0-2"}, "XREAD COUNT ? STREAMS s1 s2 ? ?"},
		{[]any{"xread", "COUNT", 5, "s1", "0-1"}, "XREAD COUNT ? ? ?"}, // no STREAMS keyword
		{[]any{"zunionstore", "dst", 2, "a", "b", "WEIGHTS", 1, 2}, "ZUNIONSTORE dst 2 a b WEIGHTS ? ?"},
		{[]any{"migrate", "h", 6379, "", 0, 5000, "AUTH", "pw", "KEYS", "k1", "k2"}, `MIGRATE ? ? "" ? ? AUTH REDACTED KEYS k1 k2`},
		{[]any{"bitop", "AND", "dst", "a", "b"}, "BITOP ? dst a b"}, // the docs give the operation no token
		// Subcommands.
		{[]any{"xgroup", "create", "s", "g", "0-0", "MKSTREAM"}, "XGROUP CREATE s ? ? MKSTREAM"},
		{[]any{"xgroup", "create", "s", "g", "$"}, "XGROUP CREATE s ? $"}, // $ is a token of the docs,
		{[]any{"config", "set", "maxmemory", "1gb"}, "CONFIG SET ? ?"},
		{[]any{"config", "set", "masterauth", "pw"}, "CONFIG SET ? REDACTED"},
		{[]any{"object", "encoding", "k"}, "OBJECT ENCODING k"},
		{[]any{"client", "nosuchsub", "x"}, "CLIENT ? ?"},
		// Unknown commands: everything after the name.
		{[]any{"json.set", "doc", "$", `{"a":1}`}, "JSON.SET ? ? ?"},
		{[]any{"fail", "s3cr3t"}, "FAIL ?"},
		{[]any{"get", "k"}, "GET k"},
		{[]any{"ping"}, "PING"},
		{[]any{42, "x"}, "42 ?"},
	}
	for _, tt := range tests {
		got := RedisCommand(tt.args, RedisOptions{MaskValues: true})
		if got != tt.want {
			t.Errorf("RedisCommand(%v) = %q, want %q", tt.args, got, tt.want)
		}
	}
}

func TestRedisKeySpecEdges(t *testing.T) {
	// A keyword searched backwards, keys in steps, a limit.
	spec := RedisCommandSpec{Keys: []RedisKeySpec{
		{Keyword: "K", StartFrom: -1, LastKey: -1, KeyStep: 2},
		{Index: 1, LastKey: -1, KeyStep: 1, Limit: 2},
	}}
	args := []any{"cmd", "a", "b", "c", "d", "K", "x", "y", "z"}
	r, n := spec.resolve(args)
	if n != 2 {
		t.Fatalf("resolved %d ranges, want 2", n)
	}
	if r[0] != (redisKeyRange{first: 6, last: 8, step: 2}) {
		t.Errorf("keyword range = %+v", r[0])
	}
	// (argc-first)/limit + lastkey = (9-1)/2 - 1 = 3 after first.
	if r[1] != (redisKeyRange{first: 1, last: 4, step: 1}) {
		t.Errorf("limit range = %+v", r[1])
	}
	// More key specs than the bound: the rest are ignored, nothing panics.
	many := RedisCommandSpec{}
	for range redisMaxKeySpecs + 3 {
		many.Keys = append(many.Keys, RedisKeySpec{Index: 1, KeyStep: 1})
	}
	if _, n := many.resolve([]any{"cmd", "k"}); n != redisMaxKeySpecs {
		t.Errorf("resolved %d ranges, want the bound %d", n, redisMaxKeySpecs)
	}
	// A key spec past the arguments yields no key beyond them.
	far := RedisCommandSpec{Keys: []RedisKeySpec{{Index: 5, LastKey: 3, KeyStep: 1}}}
	v := redisValues{known: true, from: 1, spec: far}
	v.ranges, v.n = far.resolve([]any{"cmd", "a"})
	if !v.masks([]any{"cmd", "a"}, 1) {
		t.Error("argument before the key spec's index is not masked")
	}
	// A name too long for the lookup buffer is an unknown command.
	long := strings.Repeat("x", 100)
	if _, known, _ := redisLookup(builtinRedisCommands, []any{long}); known {
		t.Error("a 100-byte name was found")
	}
	if got := RedisCommand([]any{[]byte("GET"), "k"}, RedisOptions{MaskValues: true}); got != "GET k" {
		t.Errorf("[]byte name: %q", got)
	}
}

func TestScrubRedisErrorByTable(t *testing.T) {
	msg := "ERR member-secret not in src"
	if got := ScrubRedisError(msg, []any{"smove", "src", "dst", "member-secret"}, RedisOptions{MaskValues: true}); got != "ERR ? not in src" {
		t.Errorf("ScrubRedisError = %q", got)
	}
}

func TestParseRedisCommandTableShapes(t *testing.T) {
	// RESP2: flat lists for maps; a nil entry for an unknown name.
	info := []any{
		[]any{"get", int64(2), []any{"readonly"}, int64(1), int64(1), int64(1), []any{}, []any{},
			[]any{[]any{"flags", []any{"RO"}, "begin_search", []any{"type", "index", "spec", []any{"index", int64(1)}},
				"find_keys", []any{"type", "range", "spec", []any{"lastkey", int64(0), "keystep", int64(1), "limit", int64(0)}}}},
			[]any{}},
		nil,
		[]any{"odd", int64(2), []any{}, int64(0), int64(0), int64(0), []any{}, []any{},
			[]any{[]any{"begin_search", []any{"type", "unknown", "spec", []any{}}, "find_keys", []any{"type", "unknown"}}}, []any{}},
	}
	docs := []any{"get", []any{"arguments", []any{[]any{"name", "key", "type", "key"}}},
		"odd", []any{"arguments", []any{[]any{"name", "x", "type", "pure-token", "token", "withx"}}}}
	tab, err := ParseRedisCommandTable(info, docs)
	if err != nil {
		t.Fatal(err)
	}
	want := RedisCommandTable{
		"get": {Keys: []RedisKeySpec{{Index: 1, KeyStep: 1}}},
		"odd": {Tokens: []string{"WITHX"}},
	}
	if !reflect.DeepEqual(tab, want) {
		t.Errorf("table = %#v, want %#v", tab, want)
	}
	for _, bad := range [][]any{{"not an array"}, {[]any{}}, {[]any{int64(1)}}} {
		if _, err := ParseRedisCommandTable(bad, nil); err == nil {
			t.Errorf("ParseRedisCommandTable(%v) returned no error", bad)
		}
	}
	if s := want["get"].GoString(); s != "{Keys: []RedisKeySpec{{Index: 1, KeyStep: 1}}}" {
		t.Errorf("GoString = %s", s)
	}
}

// serverTable reads the command table of the Redis server that
// OTELKIT_TEST_REDIS_ADDR names, with the raw docs.
func serverTable(t *testing.T, protocol int) (RedisCommandTable, []any, map[string]any) {
	t.Helper()
	addr := os.Getenv("OTELKIT_TEST_REDIS_ADDR")
	if addr == "" {
		t.Skip("set OTELKIT_TEST_REDIS_ADDR (host:port of a Redis server) to test against its command table")
	}
	ctx := context.Background()
	rdb := redis.NewClient(&redis.Options{Addr: addr, Protocol: protocol})
	defer rdb.Close()
	info, err := rdb.Do(ctx, "COMMAND", "INFO").Slice()
	if err != nil {
		t.Fatalf("COMMAND INFO: %v", err)
	}
	docs, err := rdb.Do(ctx, "COMMAND", "DOCS").Result()
	if err != nil {
		t.Fatalf("COMMAND DOCS: %v", err)
	}
	tab, err := ParseRedisCommandTable(info, docs)
	if err != nil {
		t.Fatal(err)
	}
	return tab, info, respPairs(docs)
}

// TestBuiltinTableMatchesServer: the generated table is what redisgen reads
// from the server, under RESP2 and RESP3 (when the server is the release
// the table was generated from; a newer one only logs the difference).
func TestBuiltinTableMatchesServer(t *testing.T) {
	t2, _, _ := serverTable(t, 2)
	t3, _, _ := serverTable(t, 3)
	if !reflect.DeepEqual(t2, t3) {
		t.Errorf("RESP2 and RESP3 replies give different tables")
	}
	if !reflect.DeepEqual(t3, builtinRedisCommands) {
		var diff []string
		for n, s := range t3 {
			if b, ok := builtinRedisCommands[n]; !ok || !reflect.DeepEqual(b, s) {
				diff = append(diff, n)
			}
		}
		sort.Strings(diff)
		t.Logf("the server's table differs from the generated one (Redis %s) for %d commands: %v; run redisgen", redisTableVersion, len(diff), diff)
	}
}

// TestEveryWriteCommandMasked is the rule on the server's own table: every
// command flagged "write", with arguments built from its COMMAND DOCS and
// each value a planted marker, shows no marker once masked, and shows every
// key its key specs name.
func TestEveryWriteCommandMasked(t *testing.T) {
	tab, info, docs := serverTable(t, 3)
	n := 0
	for _, name := range writeCommands(info) {
		doc := fields(docs[name])
		if strings.Contains(name, "|") {
			parent, _, _ := strings.Cut(name, "|")
			doc = fields(respPairs(fields(docs[parent])["subcommands"])[name])
		}
		args, keys, specs := BuildRedisArgs(name, doc["arguments"])
		if len(tab[name].Keys) < specs {
			// A key spec of kind "unknown" (SORT ... STORE key): its
			// keys are masked as values, the safe way round.
			t.Logf("%s: %d of %d key specs readable; keys of the others are masked", name, len(tab[name].Keys), specs)
			keys = nil
		}
		got := RedisCommand(args, RedisOptions{MaskValues: true})
		if strings.Contains(got, RedisMarkerValue) {
			t.Errorf("%s: value shown: %s (args %v)", name, got, args)
		}
		for _, k := range keys {
			if !strings.Contains(got, k) {
				t.Errorf("%s: key %s masked: %s (args %v)", name, k, got, args)
			}
		}
		if _, ok := tab[name]; !ok {
			t.Errorf("%s not in the parsed table", name)
		}
		n++
	}
	if n < 50 {
		t.Fatalf("only %d write commands in the server's table", n)
	}
	t.Logf("%d write commands checked", n)
}

// writeCommands lists the commands and subcommands COMMAND INFO flags write.
func writeCommands(info []any) []string {
	var out []string
	var walk func([]any)
	walk = func(entries []any) {
		for _, e := range entries {
			a, _ := e.([]any)
			if len(a) < 3 {
				continue
			}
			name, _ := a[0].(string)
			for _, f := range list(a[2]) {
				if f == "write" {
					out = append(out, strings.ToLower(name))
				}
			}
			if len(a) > 9 {
				walk(list(a[9]))
			}
		}
	}
	walk(info)
	sort.Strings(out)
	return out
}

func ExampleRedisCommand_masking() {
	fmt.Println(RedisCommand([]any{"smove", "src", "dst", "member"}, RedisOptions{MaskValues: true}))
	// Output: SMOVE src dst ?
}

// FuzzRedisValueMasking plants a marker in one argument of a command of the
// table (or of an unknown one) among fuzzed arguments. The rules: nothing
// panics; the marker is shown only when it is a key by the command's key
// specs (a marker is never a token nor a key count), never for an unknown
// command; and the error text of the same command never shows a marker
// that the command text masks.
func FuzzRedisValueMasking(f *testing.F) {
	f.Add(uint16(0), "k", "2", "x", uint8(1))
	f.Add(uint16(17), "STREAMS", "-1", "9223372036854775807", uint8(3))
	f.Add(uint16(200), "", "KEYS", "AUTH", uint8(0))
	names := make([]string, 0, len(builtinRedisCommands))
	for n := range builtinRedisCommands {
		names = append(names, n)
	}
	sort.Strings(names)
	const marker = "zqxMARKzqx"
	f.Fuzz(func(t *testing.T, which uint16, a, b, c string, at uint8) {
		var args []any
		known := int(which) < len(names)
		if known {
			for _, part := range strings.Split(names[which], "|") {
				args = append(args, part)
			}
		} else {
			args = append(args, "nosuchcommand")
		}
		first := len(args) // the first argument after the name (and subcommand)
		args = append(args, a, b, c, a, b)
		p := first + int(at)%(len(args)-first)
		args[p] = marker
		got := RedisCommand(args, RedisOptions{MaskValues: true})
		shown := strings.Contains(got, marker)
		if shown && !known {
			t.Fatalf("unknown command shows the marker: %q", got)
		}
		if shown {
			v := newRedisValues(builtinRedisCommands, args)
			isKey := false
			for _, r := range v.ranges[:v.n] {
				isKey = isKey || (p >= r.first && p <= r.last && (p-r.first)%r.step == 0)
			}
			if !isKey {
				t.Fatalf("marker at %d shown though no key spec names it: %q", p, got)
			}
		}
		msg := ScrubRedisError("ERR bad "+marker, args, RedisOptions{MaskValues: true})
		if !shown && strings.Contains(msg, marker) {
			t.Fatalf("command text %q masks the marker, error text %q shows it", got, msg)
		}
	})
}
