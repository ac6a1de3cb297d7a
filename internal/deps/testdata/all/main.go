// Command all imports every package of otelkit and prints the database/sql
// drivers registered once their initialisation has run, one per line.
package main

import (
	"database/sql"
	"fmt"

	_ "github.com/otelkit/otelkit"
	_ "github.com/otelkit/otelkit/httpx"
	_ "github.com/otelkit/otelkit/kafkax"
	_ "github.com/otelkit/otelkit/logcorr"
	_ "github.com/otelkit/otelkit/otelboot"
	_ "github.com/otelkit/otelkit/otelboot/liveview"
	_ "github.com/otelkit/otelkit/redisx"
	_ "github.com/otelkit/otelkit/sqlx"
)

func main() {
	fmt.Printf("drivers: %d\n", len(sql.Drivers()))
	for _, d := range sql.Drivers() {
		fmt.Println(d)
	}
}
