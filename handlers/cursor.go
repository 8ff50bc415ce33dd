package handlers

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gin-gonic/gin"

	"geopol/store"
	"geopol/validate"
)

// cursor is a keyset position in a list ordered by (time DESC, id DESC), bound to the
// list it came from (its scope: the route and its filters). On the wire it is opaque:
//
//	base64url("micros|id") "." base64url(tag)
//
// where tag is the first 16 bytes (128 bits) of HMAC-SHA256 under the server's cursor
// key over the version, the scope and the position. Only the server can make a cursor
// that verifies, so one that was forged, altered, truncated or taken from another list
// (whose scope differs) is refused with 400 before any of it is read.
type cursor struct {
	createdAt time.Time
	id        string
}

const (
	cursorVersion  = "geopol-cursor-v2"
	cursorTagLen   = 16
	maxCursorLen   = 512
	cursorAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_."
	// cursorSecretName is the row of server_secrets that holds the generated key.
	cursorSecretName = "cursor"
)

var (
	cursorEncoding = base64.RawURLEncoding.Strict()
	errBadCursor   = ErrBadRequest("The cursor is not valid for this list; start again without one.")
)

// cursorTag is the MAC of a cursor's position in a list.
func cursorTag(key []byte, scope, payload string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(cursorVersion + "\x00" + scope + "\x00" + payload))
	return m.Sum(nil)[:cursorTagLen]
}

func (k cursor) encode(key []byte, scope string) string {
	payload := strconv.FormatInt(k.createdAt.UnixMicro(), 10) + "|" + k.id
	return cursorEncoding.EncodeToString([]byte(payload)) + "." + cursorEncoding.EncodeToString(cursorTag(key, scope, payload))
}

// decodeCursor verifies raw for scope and reads its position: errBadCursor for anything
// the server did not make for this very list.
func decodeCursor(key []byte, raw, scope string) (*cursor, error) {
	// Only the alphabet the server writes: Go's base64 decoder skips CR and LF, which
	// would let many strings stand for one cursor.
	if len(raw) > maxCursorLen || strings.Trim(raw, cursorAlphabet) != "" {
		return nil, errBadCursor
	}
	encPayload, encTag, ok := strings.Cut(raw, ".")
	if !ok {
		return nil, errBadCursor
	}
	payload, err1 := cursorEncoding.DecodeString(encPayload)
	tag, err2 := cursorEncoding.DecodeString(encTag)
	if err1 != nil || err2 != nil || len(tag) != cursorTagLen || !hmac.Equal(tag, cursorTag(key, scope, string(payload))) {
		return nil, errBadCursor
	}
	// Authentic, so made by this server; read it as strictly all the same.
	micros, id, ok := strings.Cut(string(payload), "|")
	n, err := strconv.ParseInt(micros, 10, 64)
	if !ok || err != nil || id == "" || validate.TextProblem(id) != "" {
		return nil, errBadCursor
	}
	return &cursor{createdAt: time.UnixMicro(n).UTC(), id: id}, nil
}

// cursorKeys holds the server's cursor key once it is known.
type cursorKeys struct {
	mu  sync.Mutex
	key []byte
}

// cursorKey is the key cursors are authenticated with: CURSOR_SECRET, or else the secret
// generated once and kept in the forecast database (store.SharedSecret), which every API
// process reads, so a cursor from one replica pages on another. A failed read is retried
// on the next request.
func (s *Server) cursorKey(ctx context.Context) ([]byte, error) {
	s.cursors.mu.Lock()
	defer s.cursors.mu.Unlock()
	if s.cursors.key != nil {
		return s.cursors.key, nil
	}
	secret := s.Config.CursorSecret
	if secret == "" {
		var err error
		if secret, err = store.SharedSecret(ctx, s.DB, cursorSecretName); err != nil {
			return nil, err
		}
	}
	s.cursors.key = []byte(secret)
	return s.cursors.key, nil
}

// pageCursor reads the request's ?cursor= for scope: nil when absent, a 400 when it
// does not verify.
func (s *Server) pageCursor(c *gin.Context, scope string) (*cursor, error) {
	raw, ok := c.GetQuery("cursor")
	if !ok {
		return nil, nil
	}
	key, err := s.cursorKey(c.Request.Context())
	if err != nil {
		return nil, err
	}
	return decodeCursor(key, raw, scope)
}

// nextCursor makes the cursor of the page after the one ending at (at, id).
func (s *Server) nextCursor(c *gin.Context, scope string, at time.Time, id string) (*string, error) {
	key, err := s.cursorKey(c.Request.Context())
	if err != nil {
		return nil, err
	}
	next := cursor{createdAt: at, id: id}.encode(key, scope)
	return &next, nil
}
