package app

import (
	"strings"
	"testing"
)

func envMap(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestConfigFromEnv(t *testing.T) {
	c, err := ConfigFromEnv(envMap(map[string]string{
		"PORT": "8081", "MYSQL_DSN": "u:p@tcp(db:3306)/x", "REDIS_ADDR": "r:6379", "REDIS_DB": "2",
		"KAFKA_BROKERS": " k1:9092, k2:9092 ,", "EXTERNAL_API_URL": "http://ext",
		"DEMO_ADMIN_USER": "boss", "DEMO_ADMIN_PASSWORD": "pw-123456",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != "127.0.0.1:8081" || c.RedisDB != 2 || strings.Join(c.KafkaBrokers, "|") != "k1:9092|k2:9092" ||
		c.MySQLDSN == "" || c.RedisAddr != "r:6379" || c.ExternalAPIURL != "http://ext" || c.AdminUser != "boss" {
		t.Errorf("config = %+v", c)
	}
	if c, err := ConfigFromEnv(envMap(nil)); err != nil || c.Addr != "127.0.0.1:5000" || c.MySQLDSN != "" || c.KafkaBrokers != nil {
		t.Errorf("empty environment: %+v, %v", c, err)
	}
	for host, want := range map[string]string{"0.0.0.0": "0.0.0.0:5000", "::1": "[::1]:5000", "::": "[::]:5000", "demo.local": "demo.local:5000"} {
		if c, err := ConfigFromEnv(envMap(map[string]string{"HOST": host})); err != nil || c.Addr != want {
			t.Errorf("HOST=%s: Addr %q, %v; want %q", host, c.Addr, err, want)
		}
	}
	for _, bad := range []map[string]string{
		{"HOST": "a/b"}, {"HOST": "h:5000"}, {"HOST": "[::1]"}, {"HOST": "u@h"},
		{"PORT": "http"}, {"PORT": "70000"}, {"REDIS_DB": "-1"}, {"REDIS_DB": "x"},
		{"DEMO_ADMIN_USER": "boss"}, {"DEMO_ADMIN_PASSWORD": "pw-123456"},
	} {
		if _, err := ConfigFromEnv(envMap(bad)); err == nil {
			t.Errorf("%v: no error", bad)
		}
	}
}
