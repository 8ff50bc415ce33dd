package gdelt

import (
	"errors"
	"strings"
)

// PartitionDDL rewrites the PostgreSQL DDL GORM derives from EventRow into the
// partitioned events table: the primary key gains sql_date (a partitioned table's keys
// must include its partition column) and the table is PARTITION BY RANGE (sql_date).
// Monthly partitions are created by ingest as months appear (ensurePartitions).
func PartitionDDL(ddl string) (string, error) {
	const head = `CREATE TABLE "events" (`
	i := strings.Index(ddl, head)
	if i < 0 {
		return "", errors.New("no CREATE TABLE \"events\" in the models' DDL")
	}
	end := strings.Index(ddl[i:], ");")
	if end < 0 {
		return "", errors.New("unterminated CREATE TABLE \"events\"")
	}
	body := ddl[i : i+end+1]
	const pk = `PRIMARY KEY ("global_event_id")`
	if !strings.Contains(body, pk) {
		return "", errors.New("events: primary key is not (global_event_id)")
	}
	newBody := strings.Replace(body, pk, `PRIMARY KEY ("global_event_id","sql_date")`, 1) + ` PARTITION BY RANGE ("sql_date")`
	return ddl[:i] + newBody + ddl[i+end+1:], nil
}
