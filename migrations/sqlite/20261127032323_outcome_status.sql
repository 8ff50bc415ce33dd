-- Disable the enforcement of foreign-keys constraints
PRAGMA foreign_keys = off;
-- Create "new_outcome_records" table
CREATE TABLE `new_outcome_records` (`id` integer NULL PRIMARY KEY AUTOINCREMENT, `prediction_id` varchar NOT NULL, `outcome` double precision NOT NULL, `status` varchar NOT NULL DEFAULT 'resolved', `resolution_date` datetime NOT NULL, `resolution_method` varchar NOT NULL, `evidence_gdelt_ids` json NULL, `notes` text NULL, `history` json NULL, CONSTRAINT `fk_outcome_records_prediction` FOREIGN KEY (`prediction_id`) REFERENCES `predictions` (`id`) ON UPDATE NO ACTION ON DELETE CASCADE, CONSTRAINT `chk_outcome_records_outcome` CHECK (outcome >= 0 AND outcome <= 1), CONSTRAINT `chk_outcome_records_status` CHECK (status IN ('resolved','annulled','ambiguous')));
-- Copy rows from old table "outcome_records" to new temporary table "new_outcome_records"
INSERT INTO `new_outcome_records` (`id`, `prediction_id`, `outcome`, `resolution_date`, `resolution_method`, `evidence_gdelt_ids`, `notes`) SELECT `id`, `prediction_id`, `outcome`, `resolution_date`, `resolution_method`, `evidence_gdelt_ids`, `notes` FROM `outcome_records`;
-- Drop "outcome_records" table after copying rows
DROP TABLE `outcome_records`;
-- Rename temporary table "new_outcome_records" to "outcome_records"
ALTER TABLE `new_outcome_records` RENAME TO `outcome_records`;
-- Create index "uq_outcome_records_prediction_id" to table: "outcome_records"
CREATE UNIQUE INDEX `uq_outcome_records_prediction_id` ON `outcome_records` (`prediction_id`);
-- Enable back the enforcement of foreign-keys constraints
PRAGMA foreign_keys = on;
