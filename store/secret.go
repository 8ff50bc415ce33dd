package store

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"geopol/models"
)

// SharedSecret returns the secret stored under name, generating it (32 random bytes,
// hex) when the database has none yet. Every process that asks gets the same value:
// the first insert wins (INSERT ... ON CONFLICT DO NOTHING) and everyone reads back the
// row that won, so replicas starting together never disagree.
func SharedSecret(ctx context.Context, db *gorm.DB, name string) (string, error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	db = db.WithContext(ctx)
	row := models.ServerSecret{Name: name, Value: hex.EncodeToString(b[:]), CreatedAt: Now()}
	if err := db.Clauses(clause.OnConflict{DoNothing: true}).Create(&row).Error; err != nil {
		return "", fmt.Errorf("store secret %s: %w", name, err)
	}
	var stored models.ServerSecret
	if err := db.Take(&stored, "name = ?", name).Error; err != nil {
		return "", fmt.Errorf("read secret %s: %w", name, err)
	}
	return stored.Value, nil
}
