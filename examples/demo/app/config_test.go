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
	if c.Addr != ":8081" || c.RedisDB != 2 || strings.Join(c.KafkaBrokers, "|") != "k1:9092|k2:9092" ||
		c.MySQLDSN == "" || c.RedisAddr != "r:6379" || c.ExternalAPIURL != "http://ext" || c.AdminUser != "boss" {
		t.Errorf("config = %+v", c)
	}
	if c, err := ConfigFromEnv(envMap(nil)); err != nil || c.Addr != ":5000" || c.MySQLDSN != "" || c.KafkaBrokers != nil {
		t.Errorf("empty environment: %+v, %v", c, err)
	}
	for _, bad := range []map[string]string{
		{"PORT": "http"}, {"PORT": "70000"}, {"REDIS_DB": "-1"}, {"REDIS_DB": "x"},
		{"DEMO_ADMIN_USER": "boss"}, {"DEMO_ADMIN_PASSWORD": "pw-123456"},
	} {
		if _, err := ConfigFromEnv(envMap(bad)); err == nil {
			t.Errorf("%v: no error", bad)
		}
	}
}

func TestTelemetryDescription(t *testing.T) {
	got := TelemetryDescription(envMap(map[string]string{
		"OTEL_EXPORTER_OTLP_ENDPOINT":      "https://user:s3cret@collector:4318",
		"OTEL_METRICS_EXPORTER":            "prometheus",
		"OTEL_EXPORTER_OTLP_LOGS_PROTOCOL": "grpc",
		"OTEL_EXPORTER_OTLP_LOGS_ENDPOINT": "http://logs:4317",
	}))
	for _, want := range []string{"traces=otlp http/protobuf https://user:xxxxx@collector:4318", "metrics=prometheus", "logs=otlp grpc http://logs:4317"} {
		if !strings.Contains(got, want) {
			t.Errorf("description %q lacks %q", got, want)
		}
	}
	if strings.Contains(got, "s3cret") {
		t.Errorf("description %q shows the password", got)
	}
	if got := TelemetryDescription(envMap(nil)); !strings.Contains(got, "traces=otlp http/protobuf http://localhost:4318 (default)") {
		t.Errorf("default description %q", got)
	}
	if got := TelemetryDescription(envMap(map[string]string{"OTEL_SDK_DISABLED": "true"})); !strings.HasPrefix(got, "disabled") {
		t.Errorf("disabled description %q", got)
	}
}
