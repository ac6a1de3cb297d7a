package redact

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/extra/rediscmd/v9"
	"github.com/redis/go-redis/v9"
)

const pw = "s3cr3t-pw"

func TestRedisCommandSecrets(t *testing.T) {
	tests := []struct {
		args []any
		want string
	}{
		{[]any{"auth", pw}, "AUTH REDACTED"},
		{[]any{"AUTH", "alice", pw}, "AUTH alice REDACTED"},
		{[]any{"hello", 3, "auth", "default", pw, "setname", "app"}, "HELLO 3 auth default REDACTED setname app"},
		{[]any{"hello", 3}, "HELLO 3"},
		{[]any{"migrate", "h", 6379, "", 0, 5000, "auth", pw, "keys", "a", "b"}, `MIGRATE h 6379 "" 0 5000 auth REDACTED keys a b`},
		{[]any{"migrate", "h", 6379, "k", 0, 5000, "COPY", "AUTH2", "bob", pw}, "MIGRATE h 6379 k 0 5000 COPY AUTH2 bob REDACTED"},
		// A password that is itself a keyword must not shift the masking.
		{[]any{"migrate", "h", 6379, "k", 0, 5000, "auth", "auth2", "keys", "x"}, "MIGRATE h 6379 k 0 5000 auth REDACTED keys x"},
		{[]any{"config", "set", "requirepass", pw}, "CONFIG SET requirepass REDACTED"},
		{[]any{"config", "set", "maxmemory", "1gb", "masterauth", pw}, "CONFIG SET maxmemory 1gb masterauth REDACTED"},
		{[]any{"config", "get", "requirepass"}, "CONFIG GET requirepass"},
		{[]any{"acl", "setuser", "alice", "on", ">" + pw, "~*", "+@all"}, "ACL SETUSER alice on REDACTED ~* +@all"},
		{[]any{"acl", "setuser", "alice", "#" + strings.Repeat("a", 64), "<" + pw}, "ACL SETUSER alice REDACTED REDACTED"},
		{[]any{"sentinel", "set", "mymaster", "auth-pass", pw, "quorum", 2}, "SENTINEL SET mymaster auth-pass REDACTED quorum 2"},
		{[]any{"sentinel", "config", "set", "sentinel-pass", pw}, "SENTINEL CONFIG set sentinel-pass REDACTED"},
	}
	for _, tt := range tests {
		for _, o := range []RedisOptions{{}, {MaskValues: true, MaxArgLen: 4, MaxLen: 1000}} {
			got := RedisCommand(tt.args, o)
			if o == (RedisOptions{}) && got != tt.want {
				t.Errorf("RedisCommand(%v) = %q, want %q", tt.args, got, tt.want)
			}
			if strings.Contains(got, pw) || strings.Contains(got, "aaaa") {
				t.Errorf("RedisCommand(%v, %+v) = %q leaks the secret", tt.args, o, got)
			}
		}
	}
}

// TestRedisSecretsCoverRediscmd checks that every argument go-redis's own
// formatter (rediscmd, used by redisotel) redacts is masked here too.
func TestRedisSecretsCoverRediscmd(t *testing.T) {
	ctx := context.Background()
	cmds := [][]any{
		{"auth", pw}, {"auth", "u", pw},
		{"hello", 3, "auth", "u", pw},
		{"config", "set", "requirepass", pw, "tls-key-file-pass", pw},
		{"acl", "setuser", "u", ">" + pw, "!" + pw},
		{"migrate", "h", 1, "k", 0, 1, "auth", pw},
		{"migrate", "h", 1, "k", 0, 1, "auth2", "u", pw},
		{"sentinel", "set", "m", "auth-pass", pw},
	}
	for _, args := range cmds {
		ref := strings.Fields(rediscmd.CmdString(redis.NewCmd(ctx, args...)))
		ours := strings.Fields(RedisCommand(args, RedisOptions{}))
		if len(ref) != len(ours) {
			t.Fatalf("%v: %q vs %q", args, ref, ours)
		}
		for i := range ref {
			if ref[i] == "<redacted>" && ours[i] != Mask {
				t.Errorf("%v: argument %d redacted by rediscmd but shown here: %q", args, i, ours)
			}
		}
	}
}

func TestRedisCommandFormat(t *testing.T) {
	ts := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	tests := []struct {
		args []any
		o    RedisOptions
		want string
	}{
		{[]any{"lrange", "api_logs", 0, -1}, RedisOptions{}, "LRANGE api_logs 0 -1"},
		{[]any{"LRANGE", "api_logs", int64(0), int64(-1)}, RedisOptions{MaskValues: true, MaxArgLen: 128}, "LRANGE api_logs ? ?"},
		{[]any{"set", "k", "hello world", "ex", 10}, RedisOptions{}, `SET k "hello world" ex 10`},
		{[]any{"set", "k", []byte("v"), "ex", 10}, RedisOptions{MaskValues: true}, "SET k ? ex ?"},
		{[]any{"rpush", "api_logs", "a", "b"}, RedisOptions{MaskValues: true}, "RPUSH api_logs ? ?"},
		{[]any{"hset", "h", "f1", "v1", "f2", "v2"}, RedisOptions{MaskValues: true}, "HSET h ? ? ? ?"},
		{[]any{"mset", "k1", "v1", "k2", "v2"}, RedisOptions{MaskValues: true}, "MSET k1 ? k2 ?"},
		{[]any{"setex", "k", 10, "v"}, RedisOptions{MaskValues: true}, "SETEX k ? ?"},
		{[]any{"zadd", "z", "NX", 1.5, "m"}, RedisOptions{MaskValues: true}, "ZADD z NX ? ?"},
		{[]any{"eval", "return 1", 1, "k", "a1"}, RedisOptions{MaskValues: true}, "EVAL ? 1 k ?"},
		{[]any{"get", "k"}, RedisOptions{MaskValues: true}, "GET k"},
		{[]any{"client", "setname", "x"}, RedisOptions{}, "CLIENT SETNAME x"},
		{[]any{"set", "k", "é-ok", "tab\there", ""}, RedisOptions{}, `SET k é-ok "tab\there" ""`},
		{[]any{"set", "k", []byte{0xff, 0x00}}, RedisOptions{}, `SET k "\xff\x00"`},
		{[]any{"set", "k", true, ts, nil, 2 * time.Second}, RedisOptions{}, `SET k 1 2026-01-02T03:04:05Z "" 2000000000`},
		{[]any{"set", "k", strings.Repeat("x", 20)}, RedisOptions{MaxArgLen: 8}, "SET k xxxxxxxx..."},
		{[]any{"set", "k", "ééééé"}, RedisOptions{MaxArgLen: 5}, "SET k éé..."},
		{[]any{"del", "k1", "k2", "k3", "k4"}, RedisOptions{MaxLen: 10}, "DEL k1 k2 ..."},
		{nil, RedisOptions{}, ""},
	}
	for _, tt := range tests {
		if got := RedisCommand(tt.args, tt.o); got != tt.want {
			t.Errorf("RedisCommand(%v, %+v) = %q, want %q", tt.args, tt.o, got, tt.want)
		}
	}
}

func TestAppendRedisName(t *testing.T) {
	if got := string(AppendRedisName([]byte("x:"), []any{"lrange", "k"})); got != "x:LRANGE" {
		t.Errorf("got %q", got)
	}
	if got := AppendRedisName(nil, nil); len(got) != 0 {
		t.Errorf("got %q", got)
	}
}

func TestRedisCommandAllocs(t *testing.T) {
	args := []any{"lrange", "api_logs", 0, -1}
	buf := make([]byte, 0, 64)
	n := testing.AllocsPerRun(100, func() {
		buf = AppendRedisCommand(buf[:0], args, RedisOptions{MaskValues: true, MaxArgLen: 128, MaxLen: 1024})
	})
	if n != 0 {
		t.Errorf("AppendRedisCommand allocates %v times, want 0", n)
	}
}

func TestScrubRedisError(t *testing.T) {
	msg := "ERR unknown command `CONFIG`, with args beginning with: `SET`, `masterauth`, `" + pw + "`, "
	got := ScrubRedisError(msg, []any{"config", "set", "masterauth", pw}, RedisOptions{})
	if strings.Contains(got, pw) || !strings.Contains(got, "`masterauth`, `REDACTED`") {
		t.Errorf("ScrubRedisError = %q", got)
	}
	msg = "ERR something with `private value`"
	if got := ScrubRedisError(msg, []any{"set", "k", "private value"}, RedisOptions{}); got != msg {
		t.Errorf("values scrubbed without MaskValues: %q", got)
	}
	if got := ScrubRedisError(msg, []any{"set", "k", "private value"}, RedisOptions{MaskValues: true}); got != "ERR something with `?`" {
		t.Errorf("ScrubRedisError with MaskValues = %q", got)
	}
	if got := ScrubRedisError("ERR x", []any{"get", "x"}, RedisOptions{MaskValues: true}); got != "ERR x" {
		t.Errorf("key scrubbed: %q", got)
	}
}
