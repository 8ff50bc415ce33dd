package store

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"geopol/logging"
)

// slowQuery is how long a query may take before it is logged as slow.
const slowQuery = 250 * time.Millisecond

// gormLogger writes GORM's lines to the application log with the request id of the
// context the query ran under. Errors that are answers rather than faults (a missing
// row, a duplicate key on an idempotent retry, a constraint a client broke, a cancelled
// request) are debug lines; other failures are warnings, because the caller decides
// whether they become a server fault (it logs those at ERROR itself); slow queries are
// warnings. Query parameters are never logged: they may be keys or personal data.
type gormLogger struct{ log *slog.Logger }

// LogMode implements logger.Interface; the level is the application log's.
func (l gormLogger) LogMode(logger.LogLevel) logger.Interface { return l }

// Info implements logger.Interface.
func (l gormLogger) Info(ctx context.Context, msg string, args ...any) {
	l.emit(ctx, slog.LevelInfo, fmt.Sprintf(msg, args...))
}

// Warn implements logger.Interface.
func (l gormLogger) Warn(ctx context.Context, msg string, args ...any) {
	l.emit(ctx, slog.LevelWarn, fmt.Sprintf(msg, args...))
}

// Error implements logger.Interface.
func (l gormLogger) Error(ctx context.Context, msg string, args ...any) {
	l.emit(ctx, slog.LevelError, fmt.Sprintf(msg, args...))
}

// Trace implements logger.Interface: one line per failed or slow query.
func (l gormLogger) Trace(ctx context.Context, begin time.Time, fc func() (string, int64), err error) {
	elapsed := time.Since(begin)
	switch {
	case err != nil && expectedError(err):
		sql, _ := fc()
		l.emit(ctx, slog.LevelDebug, "query refused", "error", err.Error(), "sql", sql, "elapsed", elapsed)
	case err != nil:
		sql, _ := fc()
		l.emit(ctx, slog.LevelWarn, "query failed", "error", err.Error(), "sql", sql, "elapsed", elapsed)
	case elapsed > slowQuery:
		sql, rows := fc()
		l.emit(ctx, slog.LevelWarn, "slow query", "sql", sql, "rows", rows, "elapsed", elapsed)
	}
}

// ParamsFilter implements gorm's logger.ParamsFilter: logged SQL keeps its placeholders.
func (l gormLogger) ParamsFilter(_ context.Context, sql string, _ ...any) (string, []any) {
	return sql, nil
}

func (l gormLogger) emit(ctx context.Context, level slog.Level, msg string, attrs ...any) {
	if id := logging.RequestID(ctx); id != "" {
		attrs = append(attrs, "request_id", id)
	}
	l.log.Log(ctx, level, msg, attrs...)
}

// expectedError reports whether a query error is an answer the caller handles (404,
// 409, 422, a cancelled request) rather than a fault.
func expectedError(err error) bool {
	return errors.Is(err, gorm.ErrRecordNotFound) || errors.Is(err, gorm.ErrDuplicatedKey) ||
		errors.Is(err, gorm.ErrForeignKeyViolated) || errors.Is(err, gorm.ErrCheckConstraintViolated) ||
		errors.Is(err, context.Canceled)
}
