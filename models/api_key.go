package models

import "time"

// ApiKey is a client credential. Only the SHA-256 of the key is stored (key_hash, hex);
// the key itself is shown once at creation. Prefix is the short public part that humans
// use to tell keys apart and to revoke one.
type ApiKey struct {
	ID         int64     `gorm:"primaryKey"`
	KeyHash    string    `gorm:"type:char(64);not null;uniqueIndex:uq_api_keys_key_hash"`
	Prefix     string    `gorm:"type:varchar(12);not null;index:idx_api_keys_prefix"`
	ClientName string    `gorm:"type:varchar(100);not null"`
	CreatedAt  time.Time `gorm:"not null"`
	LastUsedAt *time.Time
	RevokedAt  *time.Time
}

// TableName pins the table name.
func (ApiKey) TableName() string { return "api_keys" }
