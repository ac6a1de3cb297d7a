#!/bin/sh
# Measures DataDog/go-sqllexer against sqlx's own lexer on every statement
# the sqlx tests hand to the sanitiser and the parser (the unit tests and
# the server-checked statements of internal/itest/sqlx on SQLite, MariaDB
# and PostgreSQL: export OTELKIT_TEST_MYSQL_DSN and
# OTELKIT_TEST_POSTGRES_DSN first). It works on a throwaway copy of the
# repository, so that neither go.mod gains the dependency:
#
#	sh internal/itest/sqlx/sqllexer/run.sh [commit]
set -eu
repo=$(git rev-parse --show-toplevel)
rev=${1:-HEAD}
dir=$(mktemp -d)
git -C "$repo" archive "$rev" | tar -x -C "$dir"
cp "$repo/internal/itest/sqlx/sqllexer/record.go.txt" "$dir/sqlx/record.go"
cp "$repo/internal/itest/sqlx/sqllexer/measure_test.go.txt" "$dir/sqlx/measure_test.go"
cd "$dir"
# Record every input of sanitize and parseStatement.
sed -i 's/^func sanitize(query string, d dialect) string {$/&\n\trecordCase("s", query, d)/' sqlx/sanitize.go
sed -i 's/^func parseStatement(query string, d dialect) statement {$/&\n\trecordCase("p", query, d)/' sqlx/statement.go
GOFLAGS=-mod=mod go get github.com/DataDog/go-sqllexer@v0.2.6
export SQLX_RECORD="$dir/cases.jsonl"
go test -count=1 ./sqlx/ >/dev/null
(cd internal/itest && go test -count=1 ./sqlx/ >/dev/null)
unset SQLX_RECORD
export SQLX_CASES="$dir/cases.jsonl"
go test -count=1 -run TestMeasureSQLLexer -v ./sqlx/ | grep -v '^=== RUN'
go test -count=1 -run XXX -bench 'BenchmarkLexers|BenchmarkTypical' -benchmem ./sqlx/
echo "copy left in $dir"
