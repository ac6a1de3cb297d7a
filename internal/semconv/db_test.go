package semconv

import "testing"

func TestDBSpanName(t *testing.T) {
	tests := []struct {
		mode               Mode
		system, op, target string
		want               string
	}{
		{Old, "mysql", "SELECT", "messages", "mysql.query"},
		{Stable, "mysql", "SELECT", "messages", "SELECT messages"},
		{Dup, "mysql", "SELECT", "messages", "SELECT messages"},
		{Stable, "mysql", "BEGIN", "", "BEGIN"},
		{Stable, "mysql", "", "test", "test"},
		{Stable, "mysql", "", "", "mysql"},
		{Stable, "", "", "", "mysql.query"},
	}
	for _, tt := range tests {
		if got := DBSpanName(tt.mode, "mysql.query", tt.system, tt.op, tt.target); got != tt.want {
			t.Errorf("DBSpanName(%v, %q, %q, %q) = %q, want %q", tt.mode, tt.system, tt.op, tt.target, got, tt.want)
		}
	}
}
