package semconv

import "go.opentelemetry.io/otel/attribute"

// Redis keys of the telemetry spec (the pre-stable conventions), emitted when
// Mode.EmitOld is true, beside the shared database keys of db.go.
const (
	// DBRedisDatabaseIndexKey is the index of the Redis logical database the
	// client selected (an int, 0 by default).
	DBRedisDatabaseIndexKey = attribute.Key("db.redis.database_index")
	// DBRedisCommandKey is the Redis command with its arguments, secrets
	// always masked ("LRANGE api_logs 0 -1").
	DBRedisCommandKey = attribute.Key("db.redis.command")
	// DBRedisNumCmdKey is the number of commands a pipeline or transaction
	// sent (MULTI and EXEC included), the key redisotel uses.
	DBRedisNumCmdKey = attribute.Key("db.redis.num_cmd")
)

// DBSystemRedis is the value of db.system and db.system.name for Redis.
const DBSystemRedis = "redis"
