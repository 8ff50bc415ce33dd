-- Add column "narrative_summary" to table: "predictions"
ALTER TABLE `predictions` ADD COLUMN `narrative_summary` text NULL;
