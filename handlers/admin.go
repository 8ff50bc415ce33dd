package handlers

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"geopol/apikey"
	"geopol/models"
	"geopol/validate"
)

// CreateKeyRequest is the body of POST /api/v1/admin/keys.
type CreateKeyRequest struct {
	ClientName string `json:"client_name"`
}

// CreatedKey is the answer to POST /api/v1/admin/keys: the only response that ever
// carries a key.
type CreatedKey struct {
	ID         int64     `json:"id"`
	Key        string    `json:"key"`
	Prefix     string    `json:"prefix"`
	ClientName string    `json:"client_name"`
	CreatedAt  time.Time `json:"created_at"`
}

// KeyView is an API key as the admin list shows it: never the key or its hash.
type KeyView struct {
	ID         int64      `json:"id"`
	Prefix     string     `json:"prefix"`
	ClientName string     `json:"client_name"`
	CreatedAt  time.Time  `json:"created_at"`
	LastUsedAt *time.Time `json:"last_used_at"`
	RevokedAt  *time.Time `json:"revoked_at"`
}

// KeyList is the body of GET /api/v1/admin/keys.
type KeyList struct {
	Items []KeyView `json:"items"`
}

// NewKeyView maps a row to its admin view.
func NewKeyView(k models.ApiKey) KeyView {
	return KeyView{ID: k.ID, Prefix: k.Prefix, ClientName: k.ClientName, CreatedAt: k.CreatedAt,
		LastUsedAt: k.LastUsedAt, RevokedAt: k.RevokedAt}
}

// requireAdmin admits requests with Authorization: Bearer <ADMIN_TOKEN>.
func (s *Server) requireAdmin(c *gin.Context) {
	if !s.isAdmin(c) {
		logger(c).Warn("admin request refused: wrong or missing admin token", "client_ip", clientIP(c))
		c.Header("WWW-Authenticate", `Bearer realm="geopol-admin"`)
		fail(c, newError(http.StatusUnauthorized, "Unauthorized", "This route needs the admin token, sent as Authorization: Bearer."))
		return
	}
	info(c).client = "admin"
	c.Next()
}

// isAdmin reports whether the request carries Authorization: Bearer <ADMIN_TOKEN> (never
// true while no token is configured). Both sides are hashed before the constant-time
// comparison, so not even the token's length leaks through timing.
func (s *Server) isAdmin(c *gin.Context) bool {
	if s.Config.AdminToken == "" {
		return false
	}
	scheme, token, _ := strings.Cut(strings.TrimSpace(c.GetHeader("Authorization")), " ")
	got := sha256.Sum256([]byte(strings.TrimSpace(token)))
	want := sha256.Sum256([]byte(s.Config.AdminToken))
	return subtle.ConstantTimeCompare(got[:], want[:]) == 1 && strings.EqualFold(scheme, "Bearer")
}

// parseCreateKey decodes and checks a POST /admin/keys body, returning the client name
// exactly as sent.
func parseCreateKey(body []byte) (string, error) {
	var req CreateKeyRequest
	if err := validate.DecodeStrict(body, &req); err != nil {
		return "", err
	}
	name, msg := apikey.NormalizeClientName(req.ClientName)
	if msg == "" && name != req.ClientName {
		// The API stores what it is sent or refuses it; only the command line trims.
		msg = "must not start or end with white space"
	}
	if msg != "" {
		return "", ErrValidation("The client name is invalid.", FieldError{Field: "client_name", Message: msg})
	}
	return name, nil
}

// createKey makes a key and shows it, once. The log names the key by id and prefix.
func (s *Server) createKey(c *gin.Context) {
	body, err := readJSONBody(c)
	if err != nil {
		fail(c, err)
		return
	}
	name, err := parseCreateKey(body)
	if err != nil {
		fail(c, err)
		return
	}
	ctx, cancel := context.WithTimeout(c.Request.Context(), s.Config.DBQueryTimeout)
	defer cancel()
	key, row, err := apikey.Create(ctx, s.DB, name)
	if err != nil {
		fail(c, err)
		return
	}
	logger(c).Info("api key created", "actor", "admin", "key_id", row.ID, "prefix", row.Prefix, "client", row.ClientName)
	writeJSON(c, http.StatusCreated, CreatedKey{ID: row.ID, Key: key, Prefix: row.Prefix, ClientName: row.ClientName, CreatedAt: row.CreatedAt}, "no-store")
}

// listKeys shows every key, revoked ones included.
func (s *Server) listKeys(c *gin.Context) {
	ctx, cancel := context.WithTimeout(c.Request.Context(), s.Config.DBQueryTimeout)
	defer cancel()
	// This process's pending last_used_at writes first, so the list shows them.
	if err := s.usage.Flush(ctx); err != nil {
		logger(c).Warn("api key last_used_at not recorded", "error", err.Error())
	}
	rows, err := apikey.List(ctx, s.DB)
	if err != nil {
		fail(c, err)
		return
	}
	out := KeyList{Items: make([]KeyView, 0, len(rows))}
	for _, r := range rows {
		out.Items = append(out.Items, NewKeyView(r))
	}
	writeJSON(c, http.StatusOK, out, "no-store")
}

// revokeKey revokes a key by id: 204, also when it was already revoked; 404 for an
// unknown id.
func (s *Server) revokeKey(c *gin.Context) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		fail(c, ErrNotFound("No API key has id "+strconv.Quote(c.Param("id"))+"."))
		return
	}
	ctx, cancel := context.WithTimeout(c.Request.Context(), s.Config.DBQueryTimeout)
	defer cancel()
	row, err := apikey.Revoke(ctx, s.DB, id)
	if err != nil {
		fail(c, err)
		return
	}
	// Refused from this process's next request on; other processes notice the row
	// within a second.
	s.keys.Forget(row.KeyHash)
	logger(c).Info("api key revoked", "actor", "admin", "key_id", row.ID, "prefix", row.Prefix, "client", row.ClientName)
	c.Status(http.StatusNoContent)
	c.Writer.WriteHeaderNow()
}
