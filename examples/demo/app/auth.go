package app

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
	"golang.org/x/crypto/bcrypt"
)

const (
	sessionCookie = "session"
	sessionTTL    = 24 * time.Hour
)

// session is what a token stands for; it is kept in Redis under the
// token's SHA-256 so that a dump of Redis holds no usable token.
type session struct {
	UserID   int64  `json:"uid"`
	Username string `json:"u"`
	Admin    bool   `json:"a"`
}

func sessionRedisKey(token string) string {
	sum := sha256.Sum256([]byte(token))
	return "session:" + hex.EncodeToString(sum[:])
}

func newToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	return base64.RawURLEncoding.EncodeToString(b)
}

func (a *App) createSession(ctx context.Context, u user) (string, error) {
	token := newToken()
	v, _ := json.Marshal(session{UserID: u.ID, Username: u.Username, Admin: u.IsAdmin})
	if err := a.rdb.Set(ctx, sessionRedisKey(token), v, sessionTTL).Err(); err != nil {
		return "", err
	}
	return token, nil
}

// requestToken returns the bearer token or the session cookie.
func requestToken(r *http.Request) string {
	if h := r.Header.Get("Authorization"); h != "" {
		scheme, tok, ok := strings.Cut(h, " ")
		if ok && strings.EqualFold(scheme, "Bearer") {
			return strings.TrimSpace(tok)
		}
		return ""
	}
	if c, err := r.Cookie(sessionCookie); err == nil {
		return c.Value
	}
	return ""
}

// errUnauthenticated: no, unknown or expired credentials.
var errUnauthenticated = errors.New("authentication required")

func (a *App) lookupSession(ctx context.Context, token string) (session, error) {
	if token == "" || len(token) > 256 {
		return session{}, errUnauthenticated
	}
	v, err := a.rdb.Get(ctx, sessionRedisKey(token)).Bytes()
	if errors.Is(err, redis.Nil) {
		return session{}, errUnauthenticated
	}
	if err != nil {
		return session{}, fmt.Errorf("session store: %w", err)
	}
	var s session
	if err := json.Unmarshal(v, &s); err != nil {
		return session{}, errUnauthenticated
	}
	return s, nil
}

// authed wraps h so that it runs only with a valid session (401 otherwise),
// and, with admin, only for an admin (403 otherwise).
func (a *App) authed(admin bool, h func(http.ResponseWriter, *http.Request, session)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s, err := a.lookupSession(r.Context(), requestToken(r))
		switch {
		case errors.Is(err, errUnauthenticated):
			w.Header().Set("WWW-Authenticate", `Bearer realm="hyunwoo"`)
			writeError(w, http.StatusUnauthorized, "authentication required")
			return
		case err != nil:
			a.internalError(w, r, err)
			return
		case admin && !s.Admin:
			writeError(w, http.StatusForbidden, "admin only")
			return
		}
		h(w, r, s)
	}
}

func (a *App) hashPassword(pw string) (string, error) {
	cost := a.cfg.BcryptCost
	if cost == 0 {
		cost = bcrypt.DefaultCost
	}
	h, err := bcrypt.GenerateFromPassword([]byte(pw), cost)
	return string(h), err
}

// adminCredentials returns the admin account's name and password, and the
// password again as generated when none was configured.
func (a *App) adminCredentials() (name, pw, generated string) {
	name, pw = a.cfg.AdminUser, a.cfg.AdminPassword
	if name == "" {
		name, pw = "admin", newToken()[:20]
		generated = pw
	}
	return name, pw, generated
}

// ensureAdmin creates or updates the admin account at start.
func (a *App) ensureAdmin(ctx context.Context, name, pw string) error {
	hash, err := a.hashPassword(pw)
	if err != nil {
		return err
	}
	st := store{a.db}
	if _, err := st.createUser(ctx, name, hash, true); err == nil {
		return nil
	} else if !errors.Is(err, errDuplicate) {
		return err
	}
	if _, err := st.setAdmin(ctx, name, hash); err != nil {
		return err
	}
	return nil
}
