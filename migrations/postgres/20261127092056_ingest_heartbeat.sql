-- Modify "ingest_runs" table: a heartbeat for running ingests, and the abandoned status
-- for runs whose heartbeat stopped (hand-edited: Atlas v0.13 does not diff CHECK changes)
ALTER TABLE "ingest_runs" ADD COLUMN "heartbeat_at" timestamptz NULL, DROP CONSTRAINT "chk_ingest_runs_status", ADD CONSTRAINT "chk_ingest_runs_status" CHECK ((status)::text = ANY ((ARRAY['running'::character varying, 'success'::character varying, 'failed'::character varying, 'interrupted'::character varying, 'abandoned'::character varying])::text[]));
