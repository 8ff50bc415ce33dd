-- The baseline of the SQLite event store. IF NOT EXISTS (hand-edited) adopts a file
-- written before these migrations (PRAGMA user_version = 1), whose table and indexes
-- have this shape already, without touching its rows.
-- Create "events" table
CREATE TABLE IF NOT EXISTS `events` (`global_event_id` integer NULL, `sql_date` integer NOT NULL, `date_added` integer NOT NULL, `actor1_code` text NOT NULL DEFAULT '', `actor1_name` text NOT NULL DEFAULT '', `actor1_country_code` text NOT NULL DEFAULT '', `actor2_code` text NOT NULL DEFAULT '', `actor2_name` text NOT NULL DEFAULT '', `actor2_country_code` text NOT NULL DEFAULT '', `event_code` text NOT NULL, `event_base_code` text NOT NULL, `event_root_code` text NOT NULL, `quad_class` integer NOT NULL, `goldstein` real NOT NULL, `num_mentions` integer NOT NULL, `num_sources` integer NOT NULL, `num_articles` integer NOT NULL, `avg_tone` real NOT NULL, `action_geo_full_name` text NOT NULL DEFAULT '', `action_geo_country_fips` text NOT NULL DEFAULT '', `action_geo_country_iso` text NOT NULL DEFAULT '', `action_geo_lat` real NULL, `action_geo_long` real NULL, `source_url` text NOT NULL DEFAULT '', PRIMARY KEY (`global_event_id`));
-- Create index "idx_events_date_added" to table: "events"
CREATE INDEX IF NOT EXISTS `idx_events_date_added` ON `events` (`date_added`);
-- Create index "idx_events_root_date" to table: "events"
CREATE INDEX IF NOT EXISTS `idx_events_root_date` ON `events` (`event_root_code`, `sql_date`);
-- Create index "idx_events_country_date" to table: "events"
CREATE INDEX IF NOT EXISTS `idx_events_country_date` ON `events` (`action_geo_country_iso`, `sql_date`);
