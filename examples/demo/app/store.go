package app

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

type dialect int

const (
	dialectSQLite dialect = iota
	dialectMySQL
)

// The schema differs only in its DDL; every query below runs on both.
var schema = map[dialect][]string{
	dialectSQLite: {
		`CREATE TABLE IF NOT EXISTS users (
			id INTEGER PRIMARY KEY AUTOINCREMENT,
			username TEXT NOT NULL UNIQUE,
			password_hash TEXT NOT NULL,
			is_admin INTEGER NOT NULL DEFAULT 0,
			created_at INTEGER NOT NULL
		)`,
		`CREATE TABLE IF NOT EXISTS messages (
			id INTEGER PRIMARY KEY AUTOINCREMENT,
			user_id INTEGER NOT NULL REFERENCES users(id),
			content TEXT NOT NULL,
			created_at INTEGER NOT NULL
		)`,
		`CREATE INDEX IF NOT EXISTS messages_user_created ON messages (user_id, created_at)`,
	},
	dialectMySQL: {
		`CREATE TABLE IF NOT EXISTS users (
			id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
			username VARCHAR(32) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL UNIQUE,
			password_hash VARCHAR(255) NOT NULL,
			is_admin BOOLEAN NOT NULL DEFAULT FALSE,
			created_at BIGINT NOT NULL
		) DEFAULT CHARSET=utf8mb4`,
		`CREATE TABLE IF NOT EXISTS messages (
			id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
			user_id BIGINT NOT NULL,
			content TEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
			created_at BIGINT NOT NULL,
			INDEX messages_user_created (user_id, created_at),
			FOREIGN KEY (user_id) REFERENCES users(id)
		) DEFAULT CHARSET=utf8mb4`,
	},
}

func createSchema(ctx context.Context, db *sql.DB, d dialect) error {
	for _, stmt := range schema[d] {
		if _, err := db.ExecContext(ctx, stmt); err != nil {
			return err
		}
	}
	return nil
}

// errDuplicate reports a unique-key violation.
var errDuplicate = errors.New("duplicate")

func isDuplicate(err error) bool {
	var me *mysql.MySQLError
	if errors.As(err, &me) {
		return me.Number == 1062
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		return se.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || se.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
	}
	return false
}

type user struct {
	ID           int64
	Username     string
	PasswordHash string
	IsAdmin      bool
}

// Message is one stored message.
type Message struct {
	ID        int64     `json:"id"`
	Username  string    `json:"username"`
	Content   string    `json:"content"`
	CreatedAt time.Time `json:"created_at"`
}

// UserSummary is one row of GET /admin/users.
type UserSummary struct {
	Username     string    `json:"username"`
	IsAdmin      bool      `json:"is_admin"`
	MessageCount int64     `json:"message_count"`
	CreatedAt    time.Time `json:"created_at"`
}

type store struct{ db *sql.DB }

func (s store) createUser(ctx context.Context, username, hash string, admin bool) (int64, error) {
	res, err := s.db.ExecContext(ctx,
		`INSERT INTO users (username, password_hash, is_admin, created_at) VALUES (?, ?, ?, ?)`,
		username, hash, admin, time.Now().UnixMicro())
	if err != nil {
		if isDuplicate(err) {
			return 0, errDuplicate
		}
		return 0, err
	}
	return res.LastInsertId()
}

// setAdmin makes an existing account an admin with the given password hash.
func (s store) setAdmin(ctx context.Context, username, hash string) (bool, error) {
	res, err := s.db.ExecContext(ctx,
		`UPDATE users SET password_hash = ?, is_admin = ? WHERE username = ?`, hash, true, username)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n > 0, err
}

// userByName returns sql.ErrNoRows for an unknown user.
func (s store) userByName(ctx context.Context, username string) (user, error) {
	var u user
	err := s.db.QueryRowContext(ctx,
		`SELECT id, username, password_hash, is_admin FROM users WHERE username = ?`, username).
		Scan(&u.ID, &u.Username, &u.PasswordHash, &u.IsAdmin)
	return u, err
}

func (s store) addMessage(ctx context.Context, u user, content string) (Message, error) {
	now := time.Now().UTC()
	res, err := s.db.ExecContext(ctx,
		`INSERT INTO messages (user_id, content, created_at) VALUES (?, ?, ?)`,
		u.ID, content, now.UnixMicro())
	if err != nil {
		return Message{}, err
	}
	id, err := res.LastInsertId()
	if err != nil {
		return Message{}, err
	}
	return Message{ID: id, Username: u.Username, Content: content, CreatedAt: now.Truncate(time.Microsecond)}, nil
}

// messages returns u's messages, newest first; a non-empty contains keeps
// only those containing it (LIKE metacharacters match literally).
func (s store) messages(ctx context.Context, userID int64, contains string, limit int) ([]Message, error) {
	q := `SELECT m.id, u.username, m.content, m.created_at FROM messages m JOIN users u ON u.id = m.user_id WHERE m.user_id = ?`
	args := []any{userID}
	if contains != "" {
		q += ` AND m.content LIKE ? ESCAPE '!'`
		args = append(args, "%"+escapeLike(contains)+"%")
	}
	q += ` ORDER BY m.created_at DESC, m.id DESC LIMIT ?`
	args = append(args, limit)
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Message{}
	for rows.Next() {
		var m Message
		var created int64
		if err := rows.Scan(&m.ID, &m.Username, &m.Content, &created); err != nil {
			return nil, err
		}
		m.CreatedAt = time.UnixMicro(created).UTC()
		out = append(out, m)
	}
	return out, rows.Err()
}

func (s store) users(ctx context.Context) ([]UserSummary, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT u.username, u.is_admin, u.created_at, COUNT(m.id)
		FROM users u LEFT JOIN messages m ON m.user_id = u.id
		GROUP BY u.id, u.username, u.is_admin, u.created_at ORDER BY u.username`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []UserSummary{}
	for rows.Next() {
		var us UserSummary
		var created int64
		if err := rows.Scan(&us.Username, &us.IsAdmin, &created, &us.MessageCount); err != nil {
			return nil, err
		}
		us.CreatedAt = time.UnixMicro(created).UTC()
		out = append(out, us)
	}
	return out, rows.Err()
}

// usersOneByOne answers what users does, with the N+1 shape: the users
// first, then one COUNT(*) per user, each its own statement and span.
func (s store) usersOneByOne(ctx context.Context) ([]UserSummary, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, username, is_admin, created_at FROM users ORDER BY username`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []UserSummary{}
	var ids []int64
	for rows.Next() {
		var us UserSummary
		var id, created int64
		if err := rows.Scan(&id, &us.Username, &us.IsAdmin, &created); err != nil {
			return nil, err
		}
		us.CreatedAt = time.UnixMicro(created).UTC()
		out = append(out, us)
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows.Close() // the connection goes back to the pool before the counts
	for i, id := range ids {
		if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM messages WHERE user_id = ?`, id).Scan(&out[i].MessageCount); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// escapeLike escapes LIKE's wildcards with the '!' escape character, which
// means the same on SQLite and MySQL (a backslash would not).
func escapeLike(s string) string {
	return strings.NewReplacer("!", "!!", "%", "!%", "_", "!_").Replace(s)
}

func (s store) ping(ctx context.Context) error {
	if err := s.db.PingContext(ctx); err != nil {
		return fmt.Errorf("database: %w", err)
	}
	return nil
}
