// Command gdeltschema prints the GDELT event store's desired schema as SQL for one
// dialect: the DDL that atlas-provider-gorm derives from gdelt.Models, and on PostgreSQL
// the monthly range partitioning of events that GORM tags cannot express (primary key
// (global_event_id, sql_date), PARTITION BY RANGE (sql_date)). atlas.hcl's gdelt_*
// envs run it as their external schema.
//
//	go run ./tools/gdeltschema -dialect postgres
package main

import (
	"flag"
	"fmt"
	"os"
	"strings"

	"ariga.io/atlas-provider-gorm/gormschema"

	"geopol/gdelt"
)

func main() {
	dialect := flag.String("dialect", "", "postgres or sqlite")
	flag.Parse()
	if *dialect != "postgres" && *dialect != "sqlite" {
		fmt.Fprintln(os.Stderr, "usage: gdeltschema -dialect postgres|sqlite")
		os.Exit(2)
	}
	ddl, err := gormschema.New(*dialect).Load(gdelt.Models(*dialect)...)
	if err != nil {
		fmt.Fprintln(os.Stderr, "gdeltschema:", err)
		os.Exit(1)
	}
	if *dialect == "postgres" {
		ddl, err = gdelt.PartitionDDL(ddl)
		if err != nil {
			fmt.Fprintln(os.Stderr, "gdeltschema:", err)
			os.Exit(1)
		}
	}
	fmt.Print(strings.TrimSpace(ddl) + "\n")
}
