package redact

import "strings"

// The rule that says whether a parameter name carries a secret
// (IsSensitiveName). It is one rule for every place that redacts a URL or a
// name=value list: httpx's http.url and url.full, otelboot's messages, the
// demo's start-up lines, and the DSN parameters.
//
// A name is first normalised:
//
//  1. percent-decoded, up to three times (password%5B%5D, pass%2577ord);
//     an invalid escape is kept as it is;
//  2. split into words: every byte that is not an ASCII letter or digit
//     separates words (_ - . [ ] + ; space, non-ASCII bytes), and so do a
//     change from lower to upper case (accessToken: access, token), the
//     last capital of a run of capitals followed by a lower-case letter
//     (APIKey: api, key) and a change between letters and digits
//     (oauth2token: oauth, 2, token); array suffixes ([], [0]) and nesting
//     (user[password]) fall out of this;
//  3. lower-cased;
//  4. a word that is several known words run together (every word of the
//     tables below is known) is read as them, in the fewest pieces:
//     awsaccesskeyid is aws access key id, pagetoken is page token.
//
// The name is then sensitive when one of its words is, by these tables:
//
//   - a word with fAlways is sensitive wherever it stands: password,
//     passwd, passphrase, passcode, secret(s), authorization,
//     credential(s), cred(s), apikey, sessid, sessionid, signature, totp,
//     verifier, privatekey, accesskey, secretkey;
//   - short words that also name settings are sensitive as the last word
//     of the name, or before a word of tails (id, hash, value, ...): pwd,
//     pw, pass, auth, authn, jwt, session, sig, cookie(s), hmac, otp,
//     bearer, csrf, xsrf; so x-auth, basic_auth, session_id and _csrf
//     are, auth_type, _auth_user, session_timeout and pass_through are not;
//   - token(s) and key(s) are sensitive unless the word before them makes
//     them an identifier (pageToken, next_token, sortKey, primary_key,
//     publicKey: harmlessBefore) or the word after them says the value
//     describes the secret (token_type, key_name, token_uri: harmlessAfter);
//   - code is sensitive alone (OAuth's ?code=) or after a word of
//     codeQualifiers (auth_code, reset-code, pin_code), not in country_code;
//     pin and sid only alone;
//   - a word that is not made of known words is sensitive when it ends
//     with password, passwd, passphrase, passcode, credential(s), apikey,
//     secret(s), signature, authorization, privatekey, accesskey, secretkey
//     or a session id word (dbpassword, topsecret), when it starts with one
//     of the first six (passwordconfirm), or when it ends with two or more
//     known words that are sensitive after an unknown one
//     (fooaccesstoken). Hence monkey, turkey, keyword, keyboard,
//     tokenizer, secretary, bypass, compass and passenger stay visible.
//
// Everything else is not sensitive: page, sort, q, limit, id, user, email,
// author, state, scope, redirect_uri, client_id, X-Amz-Date, ... A false
// positive only hides a harmless value; where in doubt the tables lean
// that way.

// Flags of a word.
const (
	fAlways    = 1 << iota // sensitive as a word
	fAnyHead               // sensitive at the end of a run-together word, after anything
	fAnyTail               // sensitive at the start of a run-together word, before anything
	fTokenLike             // sensitive unless after a word of harmlessBefore["token"]
	fKeyLike               // sensitive unless after a word of harmlessBefore["key"]
	fCode                  // sensitive alone or after a word of codeQualifiers
	fAlone                 // sensitive only as the whole name
	fLast                  // sensitive as the last word, or before a word of tails
)

var words = map[string]uint8{
	// The longest and least ambiguous: anywhere.
	"password": fAlways | fAnyHead | fAnyTail, "passwd": fAlways | fAnyHead | fAnyTail,
	"passphrase": fAlways | fAnyHead | fAnyTail, "passcode": fAlways | fAnyHead | fAnyTail,
	"credential": fAlways | fAnyHead | fAnyTail, "credentials": fAlways | fAnyHead | fAnyTail,
	"apikey": fAlways | fAnyHead | fAnyTail, "apikeys": fAlways | fAnyHead | fAnyTail,
	"secret": fAlways | fAnyHead, "secrets": fAlways | fAnyHead,
	"signature": fAlways | fAnyHead, "authorization": fAlways | fAnyHead,
	"privatekey": fAlways | fAnyHead, "accesskey": fAlways | fAnyHead, "secretkey": fAlways | fAnyHead,
	"sessionid": fAlways | fAnyHead, "jsessionid": fAlways | fAnyHead, "phpsessid": fAlways | fAnyHead,
	"creds": fAlways, "cred": fAlways, "verifier": fAlways, "totp": fAlways, "sessid": fAlways,
	// Short words that also name settings (auth_type, session_timeout,
	// cookie_policy, pass_through): the secret is the last word, or is
	// followed by what it is (session_id).
	"pwd": fLast, "pw": fLast, "pass": fLast, "auth": fLast, "authn": fLast, "jwt": fLast,
	"session": fLast, "sig": fLast, "cookie": fLast, "cookies": fLast, "hmac": fLast,
	"otp": fLast, "bearer": fLast, "csrf": fLast, "xsrf": fLast,
	"token": fTokenLike, "tokens": fTokenLike,
	"key": fKeyLike, "keys": fKeyLike,
	"code": fCode,
	"pin":  fAlone, "sid": fAlone,
}

// harmlessBefore lists, for token and key, the words before them that make
// them an identifier rather than a secret.
var harmlessBefore = map[uint8]map[string]bool{
	fTokenLike: {"page": true, "next": true, "continuation": true, "cursor": true, "sync": true, "resume": true},
	fKeyLike: {
		"sort": true, "primary": true, "partition": true, "foreign": true, "cache": true,
		"lookup": true, "group": true, "public": true, "pub": true, "idempotency": true,
		"range": true, "row": true, "shard": true, "object": true, "index": true, "order": true,
		"unique": true, "composite": true, "hash": true, "map": true, "dedup": true, "route": true,
	},
}

// harmlessAfter lists the words after token or key that make them describe
// the secret rather than hold it (token_type=bearer, key_name, token_uri).
var harmlessAfter = map[string]bool{
	"type": true, "types": true, "count": true, "length": true, "size": true, "ttl": true,
	"expiry": true, "expires": true, "expiration": true, "name": true, "uri": true, "url": true,
	"endpoint": true, "format": true,
}

// codeQualifiers are the words before "code" that make it a secret.
var codeQualifiers = map[string]bool{
	"auth": true, "authorization": true, "verification": true, "verify": true, "reset": true,
	"activation": true, "activate": true, "confirm": true, "confirmation": true, "otp": true,
	"sms": true, "mfa": true, "recovery": true, "access": true, "device": true, "security": true,
	"login": true, "pin": true, "invite": true, "secret": true, "one": true,
}

// qualifiers are the heads of a run-together word whose tail is a
// sensitive word: accesstoken, clientsecret, mypassword.
var qualifiers = map[string]bool{
	"api": true, "access": true, "auth": true, "private": true, "secret": true, "client": true,
	"refresh": true, "id": true, "session": true, "bearer": true, "app": true, "application": true,
	"account": true, "master": true, "signing": true, "encryption": true, "enc": true, "user": true,
	"db": true, "admin": true, "root": true, "shared": true, "security": true, "oauth": true,
	"csrf": true, "xsrf": true, "subscription": true, "storage": true, "service": true,
	"license": true, "consumer": true, "webhook": true, "new": true, "old": true, "current": true,
	"confirm": true, "my": true, "login": true, "aws": true, "amz": true, "goog": true,
	"google": true, "azure": true, "gcp": true, "sas": true, "personal": true, "device": true,
	"github": true, "gitlab": true, "slack": true, "stripe": true, "temp": true, "tmp": true,
	"ssh": true, "ldap": true, "smtp": true, "proxy": true, "x": true, "xapi": true,
	"mysql": true, "postgres": true, "redis": true, "mongo": true, "jwt": true, "otp": true,
}

// tails are the endings of a run-together word whose head is a sensitive
// word: sessionid, tokenhash, passwordconfirm.
var tails = map[string]bool{
	"id": true, "ids": true, "hash": true, "confirm": true, "confirmation": true, "value": true,
	"digest": true, "str": true, "string": true, "enc": true, "encrypted": true, "b64": true,
}

// IsSensitiveName reports whether a parameter, header or attribute name
// commonly carries a secret, by the rule documented in this file. It
// allocates nothing for names up to 128 bytes.
func IsSensitiveName(name string) bool {
	var buf [128]byte
	b := append(buf[:0], name...)
	for range 3 {
		n := unescapeInPlace(b)
		if len(n) == len(b) {
			break
		}
		b = n
	}
	return sensitiveWords(b)
}

// unescapeInPlace decodes the valid %XX escapes of b in place and returns
// the decoded prefix of b.
func unescapeInPlace(b []byte) []byte {
	j := 0
	for i := 0; i < len(b); i++ {
		if b[i] == '%' && i+2 < len(b) && isHex(b[i+1]) && isHex(b[i+2]) {
			b[j] = unhex(b[i+1])<<4 | unhex(b[i+2])
			i += 2
		} else {
			b[j] = b[i]
		}
		j++
	}
	return b[:j]
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c >= 'a':
		return c - 'a' + 10
	}
	return c - 'A' + 10
}

// Classes of a byte for splitting a name into words.
const (
	cSep = iota
	cLower
	cUpper
	cDigit
)

func class(c byte) int {
	switch {
	case 'a' <= c && c <= 'z':
		return cLower
	case 'A' <= c && c <= 'Z':
		return cUpper
	case '0' <= c && c <= '9':
		return cDigit
	}
	return cSep
}

// known holds every word of the tables: a run-together word is read as
// known words when it splits into them.
var known, maxKnown = func() (map[string]bool, int) {
	m := map[string]bool{}
	add := func(w string) { m[w] = true }
	for w := range words {
		add(w)
	}
	for _, set := range []map[string]bool{harmlessBefore[fTokenLike], harmlessBefore[fKeyLike],
		harmlessAfter, codeQualifiers, qualifiers, tails} {
		for w := range set {
			add(w)
		}
	}
	n := 0
	for w := range m {
		n = max(n, len(w))
	}
	return m, n
}()

// maxSegment is the longest run-together word that is split into known
// words; longer ones are only searched for the longest words.
const maxSegment = 64

// wordSeq is a sequence of words of a name, as offsets into its bytes, so
// that reading a name allocates nothing.
type wordSeq struct {
	lo, hi [32]int
	n      int
	hit    bool // a sequence read before a reset was sensitive
}

// push appends b[lo:hi], unless it is a number (password[0], oauth2token:
// numbers say nothing about a name). A full sequence is read and restarted from its
// last word, so that a name of any length is read whole.
func (s *wordSeq) push(b []byte, lo, hi int) {
	if class(b[lo]) == cDigit {
		return
	}
	if s.n == len(s.lo) {
		if s.sensitive(b) {
			s.hit = true
		}
		s.lo[0], s.hi[0], s.n = s.lo[s.n-1], s.hi[s.n-1], 1
	}
	s.lo[s.n], s.hi[s.n] = lo, hi
	s.n++
}

func (s *wordSeq) word(b []byte, i int) []byte {
	if i < 0 || i >= s.n {
		return nil
	}
	return b[s.lo[i]:s.hi[i]]
}

// sensitiveWords splits b into words (lower-casing it in place) and applies
// the rule.
func sensitiveWords(b []byte) bool {
	var raw wordSeq
	start := -1
	pc := cSep // the class of b[i-1] before it was lower-cased
	for i := 0; i < len(b); i++ {
		c := class(b[i])
		if c == cSep {
			if start >= 0 {
				raw.push(b, start, i)
				start = -1
			}
			pc = c
			continue
		}
		if start >= 0 {
			boundary := pc == cLower && c == cUpper ||
				pc == cUpper && c == cUpper && i+1 < len(b) && class(b[i+1]) == cLower ||
				(pc == cDigit) != (c == cDigit)
			if boundary {
				raw.push(b, start, i)
				start = -1
			}
		}
		if start < 0 {
			start = i
		}
		pc = c
		if c == cUpper {
			b[i] += 'a' - 'A'
		}
	}
	if start >= 0 {
		raw.push(b, start, len(b))
	}
	if raw.n == 1 && !raw.hit && words[string(raw.word(b, 0))]&(fAlone|fCode) != 0 {
		return true
	}
	// Read run-together words as the known words they split into.
	var exp wordSeq
	exp.hit = raw.hit
	for i := 0; i < raw.n; i++ {
		lo, hi := raw.lo[i], raw.hi[i]
		w := b[lo:hi]
		if known[string(w)] || len(w) < 4 || !segment(b, lo, hi, &exp) {
			if !known[string(w)] && len(w) >= 4 && unknownSensitive(b, lo, hi) {
				return true
			}
			exp.push(b, lo, hi)
		}
	}
	return exp.hit || exp.sensitive(b)
}

// sensitive applies the rule to the sequence, each word with the one
// before and after it.
func (s *wordSeq) sensitive(b []byte) bool {
	for i := 0; i < s.n; i++ {
		f := words[string(s.word(b, i))]
		if f == 0 {
			continue
		}
		prev, next := s.word(b, i-1), s.word(b, i+1)
		switch {
		case f&fAlways != 0:
			return true
		case f&fLast != 0:
			if next == nil || tails[string(next)] {
				return true
			}
		case f&(fTokenLike|fKeyLike) != 0:
			if !harmlessBefore[f&(fTokenLike|fKeyLike)][string(prev)] && !harmlessAfter[string(next)] {
				return true
			}
		case f&fCode != 0:
			if codeQualifiers[string(prev)] {
				return true
			}
		}
	}
	return false
}

// segment splits b[lo:hi] into the fewest known words and pushes them to
// dst. It reports false, and pushes nothing, when b[lo:hi] does not split
// into known words.
func segment(b []byte, lo, hi int, dst *wordSeq) bool {
	n := hi - lo
	if n > maxSegment || n <= 0 {
		return false
	}
	// cost[i]: fewest known words that make b[lo+i:hi], -1 if none; step[i]:
	// the length of the first of them.
	var costB, stepB [maxSegment + 1]int8
	cost, step := costB[:n+1], stepB[:n+1]
	cost[n] = 0
	for i := n - 1; i >= 0; i-- {
		cost[i] = -1
		for l := 1; l <= maxKnown && i+l <= n; l++ {
			c := cost[i+l]
			if c < 0 || !known[string(b[lo+i:lo+i+l])] {
				continue
			}
			if cost[i] < 0 || c+1 < cost[i] {
				cost[i], step[i] = c+1, int8(l)
			}
		}
	}
	if cost[0] < 0 {
		return false
	}
	for i := 0; i < n; i += int(step[i]) {
		dst.push(b, lo+i, lo+i+int(step[i]))
	}
	return true
}

// unknownSensitive applies the rule to a word that does not split into
// known words: it is sensitive when it holds one of the longest words
// (fAnyHead at its end, fAnyTail at its start), or when it ends with two or
// more known words that are sensitive after an unknown one
// (fooaccesstoken, but not monkey).
func unknownSensitive(b []byte, lo, hi int) bool {
	w := b[lo:hi]
	for i := 1; i < len(w); i++ {
		if words[string(w[i:])]&fAnyHead != 0 || words[string(w[:i])]&fAnyTail != 0 {
			return true
		}
	}
	if len(w) > maxSegment {
		// Too long to split: search it for the longest words only.
		for k, f := range words {
			if f&(fAnyHead|fAnyTail) != 0 && strings.Contains(string(w), k) {
				return true
			}
		}
		return false
	}
	for i := 1; i+4 <= len(w); i++ {
		var seq wordSeq
		seq.push(b, lo, lo+i)
		if segment(b, lo+i, hi, &seq) && seq.n >= 3 && seq.sensitive(b) {
			return true
		}
	}
	return false
}
