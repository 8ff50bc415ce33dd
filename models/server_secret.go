package models

import "time"

// ServerSecret is a secret the API processes share through the database, generated once
// by whichever process needs it first (for example the key that authenticates
// pagination cursors when CURSOR_SECRET is unset). Value is never logged or served.
type ServerSecret struct {
	Name      string    `gorm:"primaryKey;type:varchar(64);not null"`
	Value     string    `gorm:"type:text;not null"`
	CreatedAt time.Time `gorm:"not null"`
}

// TableName pins the table name.
func (ServerSecret) TableName() string { return "server_secrets" }
