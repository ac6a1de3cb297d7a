package semconv

import (
	"go.opentelemetry.io/otel/attribute"
	otelsemconv "go.opentelemetry.io/otel/semconv/v1.43.0"
)

// Database keys of the telemetry spec (the pre-stable conventions), emitted
// when Mode.EmitOld is true.
const (
	// DBSystemKey identifies the database product ("mysql", "redis", ...).
	DBSystemKey = attribute.Key("db.system")
	// DBConnectionStringKey is the connection string without any password.
	DBConnectionStringKey = attribute.Key("db.connection_string")
	// DBStatementKey is the statement text, never with its parameters.
	DBStatementKey = attribute.Key("db.statement")
	// DBOperationKey is the operation (SELECT, INSERT, LRANGE, ...).
	DBOperationKey = attribute.Key("db.operation")
	// DBSQLTableKey is the main table of an SQL statement.
	DBSQLTableKey = attribute.Key("db.sql.table")
	// DBRowsAffectedKey is the number of rows an SQL statement changed or,
	// for a query, read. It is a key of the telemetry spec, not of the
	// OpenTelemetry conventions.
	DBRowsAffectedKey = attribute.Key("db.rows_affected")
)

// Database keys of the stable conventions, emitted when Mode.EmitStable is
// true: otel's semconv package (the version httpx and otelboot use) defines
// them; these names only gather them beside the spec's keys.
const (
	// DBSystemNameKey identifies the database product.
	DBSystemNameKey = otelsemconv.DBSystemNameKey
	// DBQueryTextKey is the query text, never with its parameters.
	DBQueryTextKey = otelsemconv.DBQueryTextKey
	// DBOperationNameKey is the operation name.
	DBOperationNameKey = otelsemconv.DBOperationNameKey
	// DBNamespaceKey is the database (schema) name, or the Redis database
	// index.
	DBNamespaceKey = otelsemconv.DBNamespaceKey
	// DBCollectionNameKey is the table (collection) the operation acts on.
	DBCollectionNameKey = otelsemconv.DBCollectionNameKey
	// DBResponseReturnedRowsKey is the number of rows a query returned.
	DBResponseReturnedRowsKey = otelsemconv.DBResponseReturnedRowsKey
	// DBResponseStatusCodeKey is the database's own error code.
	DBResponseStatusCodeKey = otelsemconv.DBResponseStatusCodeKey
	// ServerAddressKey is the database server's host name or address.
	ServerAddressKey = otelsemconv.ServerAddressKey
	// ServerPortKey is the database server's port.
	ServerPortKey = otelsemconv.ServerPortKey
	// ErrorTypeKey describes the class of error an operation ended with.
	ErrorTypeKey = otelsemconv.ErrorTypeKey
	// DBOperationBatchSizeKey is the number of operations of a batch (a
	// pipeline of two or more commands).
	DBOperationBatchSizeKey = otelsemconv.DBOperationBatchSizeKey
)

// DBSpanName returns the span name for a database operation in mode m.
//
// In Old mode it is oldName (for example "mysql.query" or "redis.command").
// Otherwise it follows the stable conventions: "{operation} {target}" when
// both are known (target is the collection, else the namespace), the
// operation alone when only it is known, else the system name.
func DBSpanName(m Mode, oldName, system, operation, target string) string {
	if !StableNames(m) {
		return oldName
	}
	switch {
	case operation != "" && target != "":
		return operation + " " + target
	case operation != "":
		return operation
	case target != "":
		return target
	case system != "":
		return system
	default:
		return oldName
	}
}
