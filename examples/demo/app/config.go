package app

import (
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"time"
)

// Config holds everything the service reads from its environment. The zero
// value runs the service on embedded backends.
type Config struct {
	// Addr is the listen address ("127.0.0.1:5000" when empty).
	Addr string

	// MySQLDSN selects MySQL/MariaDB; empty means an embedded SQLite database.
	MySQLDSN string
	// SQLitePath is the embedded database file; empty means a file in a
	// fresh temporary directory, removed at Close.
	SQLitePath string

	// RedisAddr selects a Redis server; empty means an in-process one.
	RedisAddr     string
	RedisPassword string
	RedisDB       int

	// KafkaBrokers selects a Kafka cluster; empty means an in-process one.
	KafkaBrokers []string

	// ExternalAPIURL is the base URL of the external API; empty means a
	// stand-in on a loopback port.
	ExternalAPIURL string
	// ExternalDelay is the stand-in's answer delay (about 250ms when zero).
	ExternalDelay time.Duration
	// ExternalTimeout bounds a call to the external API (5s when zero).
	ExternalTimeout time.Duration

	// AdminUser and AdminPassword name the admin account. With both empty,
	// an "admin" account gets a random password printed once to Out.
	AdminUser     string
	AdminPassword string

	// BcryptCost is the password hashing cost (bcrypt.DefaultCost when zero).
	BcryptCost int
	// APILogCap caps the Redis list api_logs (1000 when zero).
	APILogCap int
	// KafkaReadWait bounds how long /logs/kafka waits for records (2s when zero).
	KafkaReadWait time.Duration

	// Out receives the start-up lines (os.Stdout when nil).
	Out io.Writer
}

// ConfigFromEnv reads the service's environment variables: HOST (127.0.0.1
// when unset), PORT (5000), MYSQL_DSN,
// REDIS_ADDR, REDIS_PASSWORD, REDIS_DB, KAFKA_BROKERS, EXTERNAL_API_URL,
// DEMO_ADMIN_USER and DEMO_ADMIN_PASSWORD.
func ConfigFromEnv(getenv func(string) string) (Config, error) {
	if getenv == nil {
		getenv = os.Getenv
	}
	c := Config{
		MySQLDSN:       getenv("MYSQL_DSN"),
		RedisAddr:      getenv("REDIS_ADDR"),
		RedisPassword:  getenv("REDIS_PASSWORD"),
		ExternalAPIURL: getenv("EXTERNAL_API_URL"),
		AdminUser:      getenv("DEMO_ADMIN_USER"),
		AdminPassword:  getenv("DEMO_ADMIN_PASSWORD"),
	}
	port := getenv("PORT")
	if port == "" {
		port = "5000"
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return Config{}, fmt.Errorf("PORT=%q: not a port number", port)
	}
	host := getenv("HOST")
	if host == "" {
		host = "127.0.0.1"
	}
	if strings.ContainsAny(host, "/:@ ") && net.ParseIP(host) == nil {
		return Config{}, fmt.Errorf("HOST=%q: not a host name or IP address", host)
	}
	c.Addr = net.JoinHostPort(host, port)
	if s := getenv("REDIS_DB"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 {
			return Config{}, fmt.Errorf("REDIS_DB=%q: not a database index", s)
		}
		c.RedisDB = n
	}
	if s := getenv("KAFKA_BROKERS"); s != "" {
		c.KafkaBrokers = splitList(s)
	}
	if (c.AdminUser == "") != (c.AdminPassword == "") {
		return Config{}, fmt.Errorf("DEMO_ADMIN_USER and DEMO_ADMIN_PASSWORD must be set together")
	}
	return c, nil
}

func splitList(s string) []string {
	var out []string
	for _, part := range strings.Split(s, ",") {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, part)
		}
	}
	return out
}
