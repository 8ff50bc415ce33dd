package models

import (
	"database/sql/driver"
	"encoding/json"
	"fmt"
)

// JSON is a raw JSON document stored in a `json` column. It is kept as bytes so the
// row type does not have to know the shape of the document; the wire DTOs decode it.
type JSON json.RawMessage

// Value implements driver.Valuer. An empty document is stored as SQL NULL.
func (j JSON) Value() (driver.Value, error) {
	if len(j) == 0 {
		return nil, nil
	}
	if !json.Valid(j) {
		return nil, fmt.Errorf("models.JSON: invalid JSON document")
	}
	return string(j), nil
}

// Scan implements sql.Scanner for both PostgreSQL (bytes) and SQLite (text or bytes).
func (j *JSON) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		*j = nil
	case []byte:
		*j = append((*j)[:0], v...)
	case string:
		*j = JSON(v)
	default:
		return fmt.Errorf("models.JSON: cannot scan %T", src)
	}
	return nil
}

// MarshalJSON returns the document itself, or null when empty.
func (j JSON) MarshalJSON() ([]byte, error) {
	if len(j) == 0 {
		return []byte("null"), nil
	}
	return j, nil
}

// UnmarshalJSON stores a copy of the document.
func (j *JSON) UnmarshalJSON(b []byte) error {
	*j = append((*j)[:0], b...)
	return nil
}

// EncodeJSON encodes v for a JSON column.
func EncodeJSON(v any) (JSON, error) {
	b, err := json.Marshal(v)
	return JSON(b), err
}
