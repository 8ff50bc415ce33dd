-- Modify "outcome_records" table
ALTER TABLE "outcome_records" ADD CONSTRAINT "chk_outcome_records_status" CHECK ((status)::text = ANY ((ARRAY['resolved'::character varying, 'annulled'::character varying, 'ambiguous'::character varying])::text[])), ADD COLUMN "status" character varying(20) NOT NULL DEFAULT 'resolved', ADD COLUMN "history" json NULL;
