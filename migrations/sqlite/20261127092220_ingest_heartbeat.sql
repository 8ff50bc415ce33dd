-- Rebuild "ingest_runs" with a heartbeat for running ingests and the abandoned status in
-- its CHECK (hand-edited: Atlas v0.13 does not diff CHECK changes; SQLite alters a CHECK
-- only by rebuilding the table)
-- Disable the enforcement of foreign-keys constraints
PRAGMA foreign_keys = off;
-- Create "new_ingest_runs" table
CREATE TABLE `new_ingest_runs` (`id` integer NULL PRIMARY KEY AUTOINCREMENT, `source` varchar NOT NULL DEFAULT 'gdelt', `started_at` datetime NOT NULL, `completed_at` datetime NULL, `status` varchar NOT NULL, `events_fetched` integer NOT NULL DEFAULT 0, `events_new` integer NOT NULL DEFAULT 0, `events_duplicate` integer NOT NULL DEFAULT 0, `error_message` text NULL, `file_url` text NULL, `heartbeat_at` datetime NULL, CONSTRAINT `chk_ingest_runs_status` CHECK (status IN ('running','success','failed','interrupted','abandoned')));
-- Copy rows from old table "ingest_runs" to new temporary table "new_ingest_runs"
INSERT INTO `new_ingest_runs` (`id`, `source`, `started_at`, `completed_at`, `status`, `events_fetched`, `events_new`, `events_duplicate`, `error_message`, `file_url`) SELECT `id`, `source`, `started_at`, `completed_at`, `status`, `events_fetched`, `events_new`, `events_duplicate`, `error_message`, `file_url` FROM `ingest_runs`;
-- Drop "ingest_runs" table after copying rows
DROP TABLE `ingest_runs`;
-- Rename temporary table "new_ingest_runs" to "ingest_runs"
ALTER TABLE `new_ingest_runs` RENAME TO `ingest_runs`;
-- Create index "idx_ingest_runs_source_started" to table: "ingest_runs"
CREATE INDEX `idx_ingest_runs_source_started` ON `ingest_runs` (`source`, `started_at`);
-- Enable back the enforcement of foreign-keys constraints
PRAGMA foreign_keys = on;
