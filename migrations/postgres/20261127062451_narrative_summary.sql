-- Modify "predictions" table
ALTER TABLE "predictions" ADD COLUMN "narrative_summary" text NULL;
