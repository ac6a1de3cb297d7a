package semconv

import "go.opentelemetry.io/otel/attribute"

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
// true.
const (
	// DBSystemNameKey identifies the database product.
	DBSystemNameKey = attribute.Key("db.system.name")
	// DBQueryTextKey is the query text, never with its parameters.
	DBQueryTextKey = attribute.Key("db.query.text")
	// DBOperationNameKey is the operation name.
	DBOperationNameKey = attribute.Key("db.operation.name")
	// DBNamespaceKey is the database (schema) name, or the Redis database
	// index.
	DBNamespaceKey = attribute.Key("db.namespace")
	// DBCollectionNameKey is the table (collection) the operation acts on.
	DBCollectionNameKey = attribute.Key("db.collection.name")
	// DBResponseReturnedRowsKey is the number of rows a query returned.
	DBResponseReturnedRowsKey = attribute.Key("db.response.returned_rows")
	// DBResponseStatusCodeKey is the database's own error code.
	DBResponseStatusCodeKey = attribute.Key("db.response.status_code")
	// ServerAddressKey is the database server's host name or address.
	ServerAddressKey = attribute.Key("server.address")
	// ServerPortKey is the database server's port.
	ServerPortKey = attribute.Key("server.port")
	// ErrorTypeKey describes the class of error an operation ended with.
	ErrorTypeKey = attribute.Key("error.type")
)

// DBSpanName returns the span name for a database operation in mode m.
//
// In Old mode it is oldName (for example "mysql.query" or "redis.command").
// Otherwise it follows the stable conventions: "{operation} {target}" when
// both are known (target is the collection, else the namespace), the
// operation alone when only it is known, else the system name.
func DBSpanName(m Mode, oldName, system, operation, target string) string {
	if !m.StableNames() {
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
