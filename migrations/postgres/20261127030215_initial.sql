-- Create "api_keys" table
CREATE TABLE "api_keys" ("id" bigserial NOT NULL, "key_hash" character(64) NOT NULL, "prefix" character varying(12) NOT NULL, "client_name" character varying(100) NOT NULL, "created_at" timestamptz NOT NULL, "last_used_at" timestamptz NULL, "revoked_at" timestamptz NULL, PRIMARY KEY ("id"));
-- Create index "idx_api_keys_prefix" to table: "api_keys"
CREATE INDEX "idx_api_keys_prefix" ON "api_keys" ("prefix");
-- Create index "uq_api_keys_key_hash" to table: "api_keys"
CREATE UNIQUE INDEX "uq_api_keys_key_hash" ON "api_keys" ("key_hash");
-- Create "calibration_weights" table
CREATE TABLE "calibration_weights" ("id" bigserial NOT NULL, "cameo_code" character varying(30) NOT NULL, "alpha" double precision NOT NULL, "sample_size" integer NOT NULL DEFAULT 0, "brier_score" double precision NULL, "updated_at" timestamptz NOT NULL, PRIMARY KEY ("id"), CONSTRAINT "chk_calibration_weights_alpha" CHECK ((alpha >= (0)::double precision) AND (alpha <= (1)::double precision)));
-- Create index "uq_calibration_weights_cameo_code" to table: "calibration_weights"
CREATE UNIQUE INDEX "uq_calibration_weights_cameo_code" ON "calibration_weights" ("cameo_code");
-- Create "ingest_runs" table
CREATE TABLE "ingest_runs" ("id" bigserial NOT NULL, "source" character varying(20) NOT NULL DEFAULT 'gdelt', "started_at" timestamptz NOT NULL, "completed_at" timestamptz NULL, "status" character varying(20) NOT NULL, "events_fetched" integer NOT NULL DEFAULT 0, "events_new" integer NOT NULL DEFAULT 0, "events_duplicate" integer NOT NULL DEFAULT 0, "error_message" text NULL, "file_url" text NULL, PRIMARY KEY ("id"), CONSTRAINT "chk_ingest_runs_status" CHECK ((status)::text = ANY ((ARRAY['running'::character varying, 'success'::character varying, 'failed'::character varying, 'interrupted'::character varying])::text[])));
-- Create index "idx_ingest_runs_source_started" to table: "ingest_runs"
CREATE INDEX "idx_ingest_runs_source_started" ON "ingest_runs" ("source", "started_at");
-- Create "predictions" table
CREATE TABLE "predictions" ("id" character varying(36) NOT NULL, "question" text NOT NULL, "prediction" text NOT NULL, "probability" double precision NOT NULL, "confidence" double precision NOT NULL, "horizon_days" integer NOT NULL DEFAULT 30, "category" character varying(32) NOT NULL, "cameo_root_code" character varying(4) NULL, "reasoning_summary" text NOT NULL, "evidence_count" integer NOT NULL DEFAULT 0, "scenarios" json NOT NULL, "ensemble_info" json NOT NULL, "calibration" json NOT NULL, "entities" json NOT NULL, "country_iso" character varying(3) NULL, "created_at" timestamptz NOT NULL, "expires_at" timestamptz NOT NULL, PRIMARY KEY ("id"), CONSTRAINT "chk_predictions_confidence" CHECK ((confidence >= (0)::double precision) AND (confidence <= (1)::double precision)), CONSTRAINT "chk_predictions_horizon_days" CHECK (horizon_days > 0), CONSTRAINT "chk_predictions_probability" CHECK ((probability >= (0)::double precision) AND (probability <= (1)::double precision)));
-- Create index "idx_predictions_cameo_root_code" to table: "predictions"
CREATE INDEX "idx_predictions_cameo_root_code" ON "predictions" ("cameo_root_code");
-- Create index "idx_predictions_category" to table: "predictions"
CREATE INDEX "idx_predictions_category" ON "predictions" ("category");
-- Create index "idx_predictions_country_created" to table: "predictions"
CREATE INDEX "idx_predictions_country_created" ON "predictions" ("country_iso", "created_at");
-- Create index "idx_predictions_created_at" to table: "predictions"
CREATE INDEX "idx_predictions_created_at" ON "predictions" ("created_at");
-- Create index "idx_predictions_expires_at" to table: "predictions"
CREATE INDEX "idx_predictions_expires_at" ON "predictions" ("expires_at");
-- Create "outcome_records" table
CREATE TABLE "outcome_records" ("id" bigserial NOT NULL, "prediction_id" character varying(36) NOT NULL, "outcome" double precision NOT NULL, "resolution_date" timestamptz NOT NULL, "resolution_method" character varying(50) NOT NULL, "evidence_gdelt_ids" json NULL, "notes" text NULL, PRIMARY KEY ("id"), CONSTRAINT "fk_outcome_records_prediction" FOREIGN KEY ("prediction_id") REFERENCES "predictions" ("id") ON UPDATE NO ACTION ON DELETE CASCADE, CONSTRAINT "chk_outcome_records_outcome" CHECK ((outcome >= (0)::double precision) AND (outcome <= (1)::double precision)));
-- Create index "uq_outcome_records_prediction_id" to table: "outcome_records"
CREATE UNIQUE INDEX "uq_outcome_records_prediction_id" ON "outcome_records" ("prediction_id");
