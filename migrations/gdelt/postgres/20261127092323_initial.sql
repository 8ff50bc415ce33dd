-- Create "event_keys" table
CREATE TABLE "event_keys" ("global_event_id" bigint NOT NULL, PRIMARY KEY ("global_event_id"));
-- Create "events" table
CREATE TABLE "events" ("global_event_id" bigint NOT NULL, "sql_date" integer NOT NULL, "date_added" bigint NOT NULL, "actor1_code" text NOT NULL DEFAULT '', "actor1_name" text NOT NULL DEFAULT '', "actor1_country_code" text NOT NULL DEFAULT '', "actor2_code" text NOT NULL DEFAULT '', "actor2_name" text NOT NULL DEFAULT '', "actor2_country_code" text NOT NULL DEFAULT '', "event_code" text NOT NULL, "event_base_code" text NOT NULL, "event_root_code" text NOT NULL, "quad_class" integer NOT NULL, "goldstein" double precision NOT NULL, "num_mentions" integer NOT NULL, "num_sources" integer NOT NULL, "num_articles" integer NOT NULL, "avg_tone" double precision NOT NULL, "action_geo_full_name" text NOT NULL DEFAULT '', "action_geo_country_fips" text NOT NULL DEFAULT '', "action_geo_country_iso" text NOT NULL DEFAULT '', "action_geo_lat" double precision NULL, "action_geo_long" double precision NULL, "source_url" text NOT NULL DEFAULT '', PRIMARY KEY ("global_event_id", "sql_date")) PARTITION BY RANGE ("sql_date");
-- Create index "idx_events_country_date" to table: "events"
CREATE INDEX "idx_events_country_date" ON "events" ("action_geo_country_iso", "sql_date");
-- Create index "idx_events_date_added" to table: "events"
CREATE INDEX "idx_events_date_added" ON "events" ("date_added");
-- Create index "idx_events_root_date" to table: "events"
CREATE INDEX "idx_events_root_date" ON "events" ("event_root_code", "sql_date");
