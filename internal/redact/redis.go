package redact

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// RedisValueMask replaces a value that RedisOptions.MaskValues hides. It is
// the placeholder the OpenTelemetry conventions suggest for Redis query text
// ("HMSET myhash field1 ?"); secrets are replaced by Mask instead.
const RedisValueMask = "?"

// RedisTruncated marks an argument or a command text that was cut.
const RedisTruncated = "..."

// RedisOptions says how AppendRedisCommand formats a command. The zero value
// masks secrets only and cuts nothing.
type RedisOptions struct {
	// MaskValues replaces the values that data commands write (SET, HSET,
	// RPUSH, SADD, ZADD, PUBLISH, XADD, ...) by RedisValueMask. Keys,
	// options and read commands are kept.
	MaskValues bool
	// MaxArgLen cuts each argument after that many bytes and appends
	// RedisTruncated. Zero or less: no limit.
	MaxArgLen int
	// MaxLen cuts the text of the whole command after about that many bytes
	// and appends RedisTruncated. Zero or less: no limit.
	MaxLen int
}

// RedisCommand returns the command args (as go-redis holds them: name first)
// in the syntax of redis-cli: the command name in upper case, arguments
// separated by spaces, quoted when empty or when they hold spaces, quotes or
// unprintable bytes. Credentials are always replaced by Mask: the password
// of AUTH, HELLO ... AUTH, MIGRATE ... AUTH/AUTH2, the values of CONFIG SET
// requirepass/masterauth/tls-*-pass, SENTINEL SET auth-pass and the
// >pass, <pass, #hash and !hash rules of ACL SETUSER.
func RedisCommand(args []any, o RedisOptions) string {
	if len(args) == 0 {
		return ""
	}
	return string(AppendRedisCommand(make([]byte, 0, 64), args, o))
}

// AppendRedisCommand appends the text RedisCommand returns to b.
func AppendRedisCommand(b []byte, args []any, o RedisOptions) []byte {
	if len(args) == 0 {
		return b
	}
	start := len(b)
	secret := redisSecrets(args)
	var values valueRule
	if o.MaskValues {
		values = redisValueRule(args)
	}
	for i, arg := range args {
		if o.MaxLen > 0 && len(b)-start > o.MaxLen {
			break
		}
		if i > 0 {
			b = append(b, ' ')
		}
		switch {
		case secret != nil && secret[i]:
			b = append(b, Mask...)
		case i > 0 && o.MaskValues && values.masks(args, i):
			b = append(b, RedisValueMask...)
		case i == 0 || (i == 1 && hasSubcommand(args)):
			b = appendUpper(b, argString(args, i), arg, o.MaxArgLen)
		default:
			b = appendRedisArg(b, arg, o.MaxArgLen)
		}
	}
	if o.MaxLen > 0 && len(b)-start > o.MaxLen {
		b = append(cutUTF8(b, start+o.MaxLen), RedisTruncated...)
	}
	return b
}

// AppendRedisName appends the name of the command args (args[0]) in upper
// case ("LRANGE"), quoted as RedisCommand would if it needs quoting.
func AppendRedisName(b []byte, args []any) []byte {
	if len(args) == 0 {
		return b
	}
	return appendUpper(b, argString(args, 0), args[0], 0)
}

// hasSubcommand reports whether args[1] of the command is a subcommand
// (CONFIG SET, CLIENT SETNAME, ACL SETUSER...), written in upper case too.
func hasSubcommand(args []any) bool {
	if len(args) < 2 {
		return false
	}
	switch strings.ToLower(argString(args, 0)) {
	case "acl", "client", "cluster", "command", "config", "debug", "function",
		"latency", "memory", "module", "object", "pubsub", "script",
		"sentinel", "slowlog", "xgroup", "xinfo":
		return true
	}
	return false
}

func appendUpper(b []byte, s string, arg any, maxArg int) []byte {
	if s == "" || needsQuote(s) {
		return appendRedisArg(b, arg, maxArg)
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'a' <= c && c <= 'z' {
			c -= 'a' - 'A'
		}
		b = append(b, c)
	}
	return b
}

// redisSecretConfig lists the CONFIG SET parameters whose value is a
// credential.
var redisSecretConfig = []string{
	"requirepass", "masterauth", "masteruser-password", "sentinel-pass",
	"tls-key-file-pass", "tls-client-key-file-pass",
}

// redisSecrets marks the positions of args that hold a credential, or
// returns nil when there are none (the common case, without allocation).
func redisSecrets(args []any) []bool {
	if len(args) < 2 {
		return nil
	}
	var marks []bool
	mark := func(i int) {
		if i < 1 || i >= len(args) {
			return
		}
		if marks == nil {
			marks = make([]bool, len(args))
		}
		marks[i] = true
	}
	switch {
	case isArg(args, 0, "auth"):
		// AUTH password | AUTH username password
		mark(len(args) - 1)
	case isArg(args, 0, "hello"):
		// HELLO [protover [AUTH username password] [SETNAME clientname]]
		for i := 1; i < len(args); i++ {
			if isArg(args, i, "auth") {
				mark(i + 2)
				i += 2
			}
		}
	case isArg(args, 0, "config") && isArg(args, 1, "set"):
		// CONFIG SET parameter value [parameter value ...]
		for i := 2; i+1 < len(args); i += 2 {
			for _, p := range redisSecretConfig {
				if isArg(args, i, p) {
					mark(i + 1)
				}
			}
		}
	case isArg(args, 0, "acl") && isArg(args, 1, "setuser"):
		// ACL SETUSER username [rule ...]; >pass <pass #hash !hash carry
		// the credential inside the rule.
		for i := 3; i < len(args); i++ {
			if r := argString(args, i); len(r) > 1 && strings.ContainsRune("><#!", rune(r[0])) {
				mark(i)
			}
		}
	case isArg(args, 0, "migrate"):
		// MIGRATE host port key|"" db timeout [COPY] [REPLACE]
		//   [AUTH password | AUTH2 username password] [KEYS key ...]
		for i := 6; i < len(args); i++ {
			switch {
			case isArg(args, i, "keys"):
				i = len(args)
			case isArg(args, i, "auth"):
				mark(i + 1)
				i++
			case isArg(args, i, "auth2"):
				mark(i + 2)
				i += 2
			}
		}
	case isArg(args, 0, "sentinel") && isArg(args, 1, "set"):
		// SENTINEL SET master option value [option value ...]
		for i := 3; i+1 < len(args); i += 2 {
			if isArg(args, i, "rename-command") {
				i++
				continue
			}
			if isArg(args, i, "auth-pass") {
				mark(i + 1)
			}
		}
	case isArg(args, 0, "sentinel") && isArg(args, 1, "config") && isArg(args, 2, "set"):
		// SENTINEL CONFIG SET name value [name value ...]
		for i := 3; i+1 < len(args); i += 2 {
			if isArg(args, i, "sentinel-pass") {
				mark(i + 1)
			}
		}
	}
	return marks
}

// valueRule describes which arguments of a data command are values: from
// index from up to index to (exclusive; 0: to the end), every step-th one
// (step 0: none). With words, the option keywords of isOptionWord stay
// visible.
type valueRule struct {
	from, step, to int
	words          bool
}

func (r valueRule) masks(args []any, i int) bool {
	if r.step == 0 || i < r.from || (r.to > 0 && i >= r.to) {
		return false
	}
	if r.words && isOptionWord(argString(args, i)) {
		return false
	}
	return (i-r.from)%r.step == 0
}

// isOptionWord reports whether s is one of the option keywords of the data
// commands whose arguments are masked wholesale (ZADD, XADD, SET...).
func isOptionWord(s string) bool {
	switch strings.ToUpper(s) {
	case "NX", "XX", "GT", "LT", "CH", "INCR", "EX", "PX", "EXAT", "PXAT",
		"KEEPTTL", "GET", "IFEQ", "IFNE", "NOMKSTREAM", "MAXLEN", "MINID", "LIMIT",
		"=", "~", "*", "BEFORE", "AFTER", "FIELDS", "FNX", "FXX":
		return true
	}
	return false
}

// redisValueRule returns the positions of the values a data command
// writes.
func redisValueRule(args []any) valueRule {
	switch strings.ToLower(argString(args, 0)) {
	case "set":
		return valueRule{from: 2, step: 1, to: 3}
	case "setnx", "getset", "append", "lpushx", "rpushx", "lpush", "rpush",
		"sadd", "srem", "sismember", "smismember", "pfadd", "publish",
		"spublish":
		return valueRule{from: 2, step: 1}
	case "setex", "psetex", "setrange", "lset", "restore", "json.set",
		"json.arrappend", "hsetnx", "lrem":
		return valueRule{from: 3, step: 1, to: 4}
	case "linsert":
		return valueRule{from: 3, step: 1, words: true}
	case "mset", "msetnx":
		return valueRule{from: 2, step: 2}
	case "hset", "hmset":
		return valueRule{from: 3, step: 2}
	case "zadd", "xadd", "geoadd", "hsetex":
		return valueRule{from: 2, step: 1, words: true}
	case "eval", "eval_ro", "evalsha", "evalsha_ro", "fcall", "fcall_ro":
		// script|sha numkeys key... arg...: the arguments after the keys.
		if n, ok := argInt(args, 2); ok && n >= 0 {
			return valueRule{from: 3 + n, step: 1}
		}
	}
	return valueRule{}
}

// argInt returns args[i] as an int when it is one or a decimal string.
func argInt(args []any, i int) (int, bool) {
	if i >= len(args) {
		return 0, false
	}
	switch v := args[i].(type) {
	case int:
		return v, true
	case int64:
		return int(v), true
	}
	n, err := strconv.Atoi(argString(args, i))
	return n, err == nil
}

func isArg(args []any, i int, want string) bool {
	return strings.EqualFold(argString(args, i), want)
}

func argString(args []any, i int) string {
	if i < 0 || i >= len(args) {
		return ""
	}
	switch v := args[i].(type) {
	case string:
		return v
	case []byte:
		return string(v)
	}
	return ""
}

// appendRedisArg formats one argument the way go-redis writes it on the wire
// (rediscmd's conventions for numbers, booleans and times) and quotes the
// strings that redis-cli would quote.
func appendRedisArg(b []byte, v any, maxArg int) []byte {
	switch v := v.(type) {
	case nil:
		return append(b, `""`...)
	case string:
		return appendRedisString(b, v, maxArg)
	case []byte:
		return appendRedisString(b, v, maxArg)
	case int:
		return strconv.AppendInt(b, int64(v), 10)
	case int8:
		return strconv.AppendInt(b, int64(v), 10)
	case int16:
		return strconv.AppendInt(b, int64(v), 10)
	case int32:
		return strconv.AppendInt(b, int64(v), 10)
	case int64:
		return strconv.AppendInt(b, v, 10)
	case uint:
		return strconv.AppendUint(b, uint64(v), 10)
	case uint8:
		return strconv.AppendUint(b, uint64(v), 10)
	case uint16:
		return strconv.AppendUint(b, uint64(v), 10)
	case uint32:
		return strconv.AppendUint(b, uint64(v), 10)
	case uint64:
		return strconv.AppendUint(b, v, 10)
	case float32:
		return strconv.AppendFloat(b, float64(v), 'f', -1, 64)
	case float64:
		return strconv.AppendFloat(b, v, 'f', -1, 64)
	case bool:
		if v {
			return append(b, '1')
		}
		return append(b, '0')
	case time.Time:
		return v.AppendFormat(b, time.RFC3339Nano)
	case time.Duration:
		return strconv.AppendInt(b, int64(v), 10)
	default:
		return appendRedisString(b, fmt.Sprint(v), maxArg)
	}
}

func appendRedisString[S string | []byte](b []byte, s S, maxArg int) []byte {
	cut := false
	if maxArg > 0 && len(s) > maxArg {
		n := maxArg
		for n > 0 && !utf8.RuneStart(s[n]) {
			n--
		}
		s, cut = s[:n], true
	}
	if len(s) == 0 || needsQuote(s) {
		b = strconv.AppendQuote(b, string(s))
	} else {
		b = append(b, s...)
	}
	if cut {
		b = append(b, RedisTruncated...)
	}
	return b
}

// needsQuote reports whether redis-cli would quote s: it holds a space, a
// quote, a backslash or a byte that is not printable ASCII or valid UTF-8.
func needsQuote[S string | []byte](s S) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c == '"' || c == '\'' || c == '\\' || c == 0x7f {
			return true
		}
		if c >= utf8.RuneSelf {
			for _, r := range string(s[i:]) {
				if r == utf8.RuneError || !strconv.IsPrint(r) {
					return true
				}
			}
			return false
		}
	}
	return false
}

// cutUTF8 returns b[:n], moved back so that it does not end inside a UTF-8
// sequence.
func cutUTF8(b []byte, n int) []byte {
	if n >= len(b) {
		return b
	}
	for n > 0 && !utf8.RuneStart(b[n]) {
		n--
	}
	return b[:n]
}

// ScrubRedisError returns msg, an error message a Redis server or go-redis
// returned for the command args, with every argument that AppendRedisCommand
// would mask replaced by Mask (or RedisValueMask): servers echo the
// arguments of commands they reject ("unknown command 'CONFIG', with args
// beginning with: 'SET' 'masterauth' 'secret'").
func ScrubRedisError(msg string, args []any, o RedisOptions) string {
	if len(args) < 2 || msg == "" {
		return msg
	}
	secret := redisSecrets(args)
	var values valueRule
	if o.MaskValues {
		values = redisValueRule(args)
	}
	for i := 1; i < len(args); i++ {
		var mask string
		switch {
		case secret != nil && secret[i]:
			mask = Mask
		case o.MaskValues && values.masks(args, i):
			mask = RedisValueMask
		default:
			continue
		}
		s := argString(args, i)
		if s == "" {
			s = string(appendRedisArg(nil, args[i], 0))
		}
		if s != "" && s != `""` {
			msg = strings.ReplaceAll(msg, s, mask)
		}
	}
	return msg
}
