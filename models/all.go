package models

// All lists every model, in dependency order, for tooling and tests.
func All() []any {
	return []any{&Prediction{}, &OutcomeRecord{}, &CalibrationWeight{}, &IngestRun{}, &ApiKey{}, &ServerSecret{}}
}
