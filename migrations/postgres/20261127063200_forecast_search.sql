-- Full-text search over forecasts (GET /api/v1/forecasts/search), written by hand: Atlas
-- cannot derive expression indexes from the GORM models. atlas.hcl adds this index to the
-- desired schema of `scripts/atlas diff`, so diffs never drop it, and
-- migrations/drift_test.go ignores exactly this index.
--
-- The weighted document (question A, prediction B, reasoning_summary C) must stay identical
-- to the expression forecast/search.go queries, or the planner cannot use the index.
-- A plain CREATE INDEX, since migrations run in a transaction (CONCURRENTLY cannot):
-- writes to predictions wait until the index is built.
CREATE INDEX "idx_predictions_search" ON "predictions" USING gin ((setweight(to_tsvector('english'::regconfig, question), 'A') || setweight(to_tsvector('english'::regconfig, prediction), 'B') || setweight(to_tsvector('english'::regconfig, reasoning_summary), 'C')));
