package app

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/go-sql-driver/mysql"
	"github.com/redis/go-redis/v9"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	_ "modernc.org/sqlite" // the embedded database driver, pure Go

	"github.com/otelkit/otelkit/internal/redact"
)

// backend describes one backend for the start-up line.
type backend struct {
	name     string
	embedded bool
	where    string
}

func (b backend) String() string {
	kind := "real"
	if b.embedded {
		kind = "embedded"
	}
	return fmt.Sprintf("%s=%s (%s)", b.name, kind, b.where)
}

// openDatabase opens MySQL when cfg.MySQLDSN is set, else an embedded SQLite
// file, and creates the schema when missing.
func (a *App) openDatabase(ctx context.Context) error {
	if a.cfg.MySQLDSN != "" {
		mc, err := mysql.ParseDSN(a.cfg.MySQLDSN)
		if err != nil {
			return a.cfg.startError("database", "MYSQL_DSN", fmt.Errorf("not a go-sql-driver DSN: %w", err))
		}
		mc.ParseTime = true
		mc.MultiStatements = false
		db, err := openDB("mysql", mc.FormatDSN())
		if err != nil {
			return a.cfg.startError("database", "MYSQL_DSN", fmt.Errorf("open mysql: %w", err))
		}
		a.db, a.dialect = db, dialectMySQL
		a.backends = append(a.backends, backend{"database", false, "mysql " + mc.Addr + "/" + mc.DBName})
	} else {
		path := a.cfg.SQLitePath
		if path == "" {
			dir, err := os.MkdirTemp("", "otelkit-demo-")
			if err != nil {
				return a.cfg.startError("database", "TMPDIR", fmt.Errorf("embedded sqlite: %w", err))
			}
			a.closers = append(a.closers, func() error { return os.RemoveAll(dir) })
			path = filepath.Join(dir, "demo.db")
		}
		q := url.Values{}
		q.Add("_pragma", "busy_timeout(5000)")
		q.Add("_pragma", "journal_mode(WAL)")
		q.Add("_pragma", "foreign_keys(1)")
		db, err := openDB("sqlite", "file:"+path+"?"+q.Encode())
		if err != nil {
			return a.cfg.startError("database", "TMPDIR", fmt.Errorf("open embedded sqlite: %w", err))
		}
		a.db, a.dialect = db, dialectSQLite
		a.backends = append(a.backends, backend{"database", true, "sqlite " + path})
	}
	a.closers = append(a.closers, a.db.Close)
	pingCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := a.db.PingContext(pingCtx); err != nil {
		return a.databaseError(err)
	}
	if err := createSchema(ctx, a.db, a.dialect); err != nil {
		return a.databaseError(fmt.Errorf("create the tables: %w", err))
	}
	return nil
}

// databaseError names the database that failed and the variable to change.
// A database that does not exist is not created: the service's account
// rarely may, and a typing mistake in MYSQL_DSN must not start an empty
// database.
func (a *App) databaseError(err error) error {
	if a.dialect != dialectMySQL {
		return a.cfg.startError("database", "TMPDIR", fmt.Errorf("embedded sqlite: %w", err))
	}
	mc, _ := mysql.ParseDSN(a.cfg.MySQLDSN) // parsed before
	where := "mysql " + mc.Addr + "/" + mc.DBName
	var me *mysql.MySQLError
	if errors.As(err, &me) && me.Number == 1049 { // ER_BAD_DB_ERROR
		return a.cfg.startError("database", "MYSQL_DSN", fmt.Errorf(
			"%s: database %q does not exist (the demo creates its tables, not the database: CREATE DATABASE `%s` first): %w",
			where, mc.DBName, mc.DBName, err))
	}
	return a.cfg.startError("database", "MYSQL_DSN", fmt.Errorf("%s: %w", where, err))
}

// openRedis connects to cfg.RedisAddr or starts an in-process server.
func (a *App) openRedis(ctx context.Context) error {
	opts := &redis.Options{Addr: a.cfg.RedisAddr, Password: a.cfg.RedisPassword, DB: a.cfg.RedisDB}
	b := backend{"redis", false, a.cfg.RedisAddr}
	if a.cfg.RedisAddr == "" {
		mr := miniredis.NewMiniRedis()
		if err := mr.Start(); err != nil {
			return a.cfg.startError("redis", "REDIS_ADDR", fmt.Errorf("embedded redis: %w", err))
		}
		a.closers = append(a.closers, func() error { mr.Close(); return nil })
		opts.Addr, opts.Password, opts.DB = mr.Addr(), "", 0
		b = backend{"redis", true, "miniredis " + mr.Addr()}
	}
	a.rdb = redis.NewClient(opts)
	a.closers = append(a.closers, a.rdb.Close)
	if err := instrumentRedis(a.rdb); err != nil {
		return a.cfg.startError("redis", "REDIS_ADDR", fmt.Errorf("instrument redis: %w", err))
	}
	pingCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := a.rdb.Ping(pingCtx).Err(); err != nil {
		v := "REDIS_ADDR"
		switch msg := err.Error(); {
		case strings.Contains(msg, "WRONGPASS"), strings.Contains(msg, "NOAUTH"),
			strings.Contains(msg, "invalid password"), strings.Contains(msg, "without any password"):
			v = "REDIS_PASSWORD"
		case strings.Contains(msg, "DB index"):
			v = "REDIS_DB"
		}
		return a.cfg.startError("redis", v, fmt.Errorf("cannot use %s: %w", opts.Addr, err))
	}
	a.backends = append(a.backends, b)
	return nil
}

// openKafka connects to cfg.KafkaBrokers or starts an in-process cluster,
// and creates the topic when missing.
func (a *App) openKafka(ctx context.Context) error {
	brokers := a.cfg.KafkaBrokers
	b := backend{"kafka", false, fmt.Sprint(brokers)}
	if len(brokers) == 0 {
		cl, err := kfake.NewCluster(kfake.NumBrokers(1))
		if err != nil {
			return a.cfg.startError("kafka", "KAFKA_BROKERS", fmt.Errorf("embedded kafka: %w", err))
		}
		a.closers = append(a.closers, func() error { cl.Close(); return nil })
		brokers = cl.ListenAddrs()
		b = backend{"kafka", true, "kfake " + brokers[0]}
	}
	a.brokers = brokers
	opts := append([]kgo.Opt{
		kgo.SeedBrokers(brokers...),
		kgo.DefaultProduceTopic(KafkaTopic),
		kgo.ProducerLinger(5 * time.Millisecond),
	}, kafkaOpts()...)
	kc, err := kgo.NewClient(opts...)
	if err != nil {
		return a.cfg.startError("kafka", "KAFKA_BROKERS", fmt.Errorf("kafka client for %s: %w", strings.Join(brokers, ","), err))
	}
	a.kafka = kc
	// Closed last among the clients: Close flushes buffered records.
	a.closers = append(a.closers, func() error {
		fctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		err := kc.Flush(fctx)
		kc.Close()
		return err
	})
	a.kadm = kadm.NewClient(kc)
	cctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	_, err = a.kadm.CreateTopic(cctx, 1, -1, nil, KafkaTopic)
	if err != nil && !errors.Is(err, kerr.TopicAlreadyExists) {
		return a.cfg.startError("kafka", "KAFKA_BROKERS", fmt.Errorf("cannot create topic %s on %s: %w", KafkaTopic, strings.Join(brokers, ","), err))
	}
	a.backends = append(a.backends, b)
	return nil
}

// checkExternal checks that cfg.ExternalAPIURL, when set, is an http(s) URL
// with a host.
func (a *App) checkExternal() error {
	if a.cfg.ExternalAPIURL == "" {
		return nil
	}
	u, err := url.Parse(a.cfg.ExternalAPIURL)
	if err != nil {
		return a.cfg.startError("external API", "EXTERNAL_API_URL", fmt.Errorf("%s is not a URL", redact.URLString(a.cfg.ExternalAPIURL)))
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return a.cfg.startError("external API", "EXTERNAL_API_URL",
			fmt.Errorf("%s is not an http(s) URL with a host", redact.URL(u)))
	}
	return nil
}

// openExternal points the service at cfg.ExternalAPIURL or starts a stand-in.
func (a *App) openExternal() error {
	timeout := a.cfg.ExternalTimeout
	if timeout == 0 {
		timeout = 5 * time.Second
	}
	a.client = &http.Client{Transport: newTransport(http.DefaultTransport), Timeout: timeout}
	if a.cfg.ExternalAPIURL != "" {
		if err := a.checkExternal(); err != nil {
			return err
		}
		u, _ := url.Parse(a.cfg.ExternalAPIURL)
		a.externalURL = u.JoinPath("api", "data").String()
		a.backends = append(a.backends, backend{"external", false, redact.URL(u)})
		return nil
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return a.cfg.startError("external API", "EXTERNAL_API_URL", fmt.Errorf("stand-in: %w", err))
	}
	delay := a.cfg.ExternalDelay
	srv := &http.Server{Handler: standInAPI(delay), ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	a.closers = append(a.closers, srv.Close)
	a.externalURL = "http://" + ln.Addr().String() + "/api/data"
	a.backends = append(a.backends, backend{"external", true, "stand-in http://" + ln.Addr().String()})
	return nil
}

// standInAPI answers GET /api/data after a realistic delay (about 268ms, the
// spec's external-call latency band, unless delay says otherwise).
func standInAPI(delay time.Duration) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/data", func(w http.ResponseWriter, r *http.Request) {
		d := delay
		if d == 0 {
			d = 200*time.Millisecond + rand.N(140*time.Millisecond)
		}
		select {
		case <-time.After(d):
		case <-r.Context().Done():
			return
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"source":"stand-in","value":%d,"generated_at":%q}`+"\n",
			rand.IntN(1000), time.Now().UTC().Format(time.RFC3339Nano))
	})
	return mux
}
