package redact

import "testing"

// BenchmarkAppendRedisCommand measures the command text of a read and a
// write command, with and without value masking.
func BenchmarkAppendRedisCommand(b *testing.B) {
	for _, bc := range []struct {
		name string
		args []any
	}{
		{"lrange", []any{"lrange", "api_logs", 0, -1}},
		{"set", []any{"set", "session:42", "some value", "ex", 60}},
	} {
		for _, mask := range []bool{false, true} {
			name := bc.name + "/mask=false"
			if mask {
				name = bc.name + "/mask=true"
			}
			b.Run(name, func(b *testing.B) {
				buf := make([]byte, 0, 256)
				o := RedisOptions{MaskValues: mask, MaxArgLen: 256, MaxLen: 2048}
				b.ReportAllocs()
				for b.Loop() {
					buf = AppendRedisCommand(buf[:0], bc.args, o)
				}
			})
		}
	}
}
