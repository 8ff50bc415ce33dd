-- atlas:delimiter -- end

-- Full-text search over forecasts (GET /api/v1/forecasts/search), written by hand: Atlas
-- cannot derive FTS5 tables or triggers from the GORM models. atlas.hcl adds the table to
-- the desired schema of `scripts/atlas diff`, so diffs never drop it, and
-- migrations/drift_test.go ignores exactly these objects.
--
-- predictions_fts is an external-content FTS5 index of predictions (question, prediction,
-- reasoning_summary): it stores only the index, keyed by the rowid of predictions, and reads
-- the text back from predictions. porter stems English words ("offensives" finds
-- "offensive"), as PostgreSQL's 'english' configuration does.
--
-- predictions has no INTEGER PRIMARY KEY, so the index follows its implicit rowid. A later
-- migration that rebuilds predictions (how Atlas alters a SQLite table: create, copy, drop,
-- rename) drops these triggers and renumbers rows: it must create the triggers again and end
-- with the 'rebuild' below, or the tests in handlers/search_test.go fail.
CREATE VIRTUAL TABLE `predictions_fts` USING fts5(question, prediction, reasoning_summary, content='predictions', content_rowid='rowid', tokenize='porter unicode61 remove_diacritics 2');
-- end
-- The triggers keep the index in step with every write to predictions.
CREATE TRIGGER `predictions_fts_insert` AFTER INSERT ON `predictions` BEGIN
  INSERT INTO predictions_fts (rowid, question, prediction, reasoning_summary)
  VALUES (new.rowid, new.question, new.prediction, new.reasoning_summary);
END;
-- end
CREATE TRIGGER `predictions_fts_delete` AFTER DELETE ON `predictions` BEGIN
  INSERT INTO predictions_fts (predictions_fts, rowid, question, prediction, reasoning_summary)
  VALUES ('delete', old.rowid, old.question, old.prediction, old.reasoning_summary);
END;
-- end
CREATE TRIGGER `predictions_fts_update` AFTER UPDATE ON `predictions` BEGIN
  INSERT INTO predictions_fts (predictions_fts, rowid, question, prediction, reasoning_summary)
  VALUES ('delete', old.rowid, old.question, old.prediction, old.reasoning_summary);
  INSERT INTO predictions_fts (rowid, question, prediction, reasoning_summary)
  VALUES (new.rowid, new.question, new.prediction, new.reasoning_summary);
END;
-- end
-- Backfill: index the forecasts stored before this migration.
INSERT INTO predictions_fts (predictions_fts) VALUES ('rebuild');
