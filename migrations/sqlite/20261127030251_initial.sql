-- Create "api_keys" table
CREATE TABLE `api_keys` (`id` integer NULL PRIMARY KEY AUTOINCREMENT, `key_hash` char NOT NULL, `prefix` varchar NOT NULL, `client_name` varchar NOT NULL, `created_at` datetime NOT NULL, `last_used_at` datetime NULL, `revoked_at` datetime NULL);
-- Create index "idx_api_keys_prefix" to table: "api_keys"
CREATE INDEX `idx_api_keys_prefix` ON `api_keys` (`prefix`);
-- Create index "uq_api_keys_key_hash" to table: "api_keys"
CREATE UNIQUE INDEX `uq_api_keys_key_hash` ON `api_keys` (`key_hash`);
-- Create "calibration_weights" table
CREATE TABLE `calibration_weights` (`id` integer NULL PRIMARY KEY AUTOINCREMENT, `cameo_code` varchar NOT NULL, `alpha` double precision NOT NULL, `sample_size` integer NOT NULL DEFAULT 0, `brier_score` double precision NULL, `updated_at` datetime NOT NULL, CONSTRAINT `chk_calibration_weights_alpha` CHECK (alpha >= 0 AND alpha <= 1));
-- Create index "uq_calibration_weights_cameo_code" to table: "calibration_weights"
CREATE UNIQUE INDEX `uq_calibration_weights_cameo_code` ON `calibration_weights` (`cameo_code`);
-- Create "ingest_runs" table
CREATE TABLE `ingest_runs` (`id` integer NULL PRIMARY KEY AUTOINCREMENT, `source` varchar NOT NULL DEFAULT 'gdelt', `started_at` datetime NOT NULL, `completed_at` datetime NULL, `status` varchar NOT NULL, `events_fetched` integer NOT NULL DEFAULT 0, `events_new` integer NOT NULL DEFAULT 0, `events_duplicate` integer NOT NULL DEFAULT 0, `error_message` text NULL, `file_url` text NULL, CONSTRAINT `chk_ingest_runs_status` CHECK (status IN ('running','success','failed','interrupted')));
-- Create index "idx_ingest_runs_source_started" to table: "ingest_runs"
CREATE INDEX `idx_ingest_runs_source_started` ON `ingest_runs` (`source`, `started_at`);
-- Create "predictions" table
CREATE TABLE `predictions` (`id` varchar NOT NULL, `question` text NOT NULL, `prediction` text NOT NULL, `probability` double precision NOT NULL, `confidence` double precision NOT NULL, `horizon_days` integer NOT NULL DEFAULT 30, `category` varchar NOT NULL, `cameo_root_code` varchar NULL, `reasoning_summary` text NOT NULL, `evidence_count` integer NOT NULL DEFAULT 0, `scenarios` json NOT NULL, `ensemble_info` json NOT NULL, `calibration` json NOT NULL, `entities` json NOT NULL, `country_iso` varchar NULL, `created_at` datetime NOT NULL, `expires_at` datetime NOT NULL, PRIMARY KEY (`id`), CONSTRAINT `chk_predictions_horizon_days` CHECK (horizon_days > 0), CONSTRAINT `chk_predictions_probability` CHECK (probability >= 0 AND probability <= 1), CONSTRAINT `chk_predictions_confidence` CHECK (confidence >= 0 AND confidence <= 1));
-- Create index "idx_predictions_expires_at" to table: "predictions"
CREATE INDEX `idx_predictions_expires_at` ON `predictions` (`expires_at`);
-- Create index "idx_predictions_created_at" to table: "predictions"
CREATE INDEX `idx_predictions_created_at` ON `predictions` (`created_at`);
-- Create index "idx_predictions_country_created" to table: "predictions"
CREATE INDEX `idx_predictions_country_created` ON `predictions` (`country_iso`, `created_at`);
-- Create index "idx_predictions_cameo_root_code" to table: "predictions"
CREATE INDEX `idx_predictions_cameo_root_code` ON `predictions` (`cameo_root_code`);
-- Create index "idx_predictions_category" to table: "predictions"
CREATE INDEX `idx_predictions_category` ON `predictions` (`category`);
-- Create "outcome_records" table
CREATE TABLE `outcome_records` (`id` integer NULL PRIMARY KEY AUTOINCREMENT, `prediction_id` varchar NOT NULL, `outcome` double precision NOT NULL, `resolution_date` datetime NOT NULL, `resolution_method` varchar NOT NULL, `evidence_gdelt_ids` json NULL, `notes` text NULL, CONSTRAINT `fk_outcome_records_prediction` FOREIGN KEY (`prediction_id`) REFERENCES `predictions` (`id`) ON UPDATE NO ACTION ON DELETE CASCADE, CONSTRAINT `chk_outcome_records_outcome` CHECK (outcome >= 0 AND outcome <= 1));
-- Create index "uq_outcome_records_prediction_id" to table: "outcome_records"
CREATE UNIQUE INDEX `uq_outcome_records_prediction_id` ON `outcome_records` (`prediction_id`);
