package handlers

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"
	"gorm.io/gorm"

	"geopol/apidoc"
	"geopol/forecast"
	"geopol/store"
	"geopol/validate"
)

// ProblemContentType is the media type of every error response (RFC 9457).
const ProblemContentType = "application/problem+json"

// Problem is an RFC 9457 problem details document.
type Problem struct {
	Type     string       `json:"type"`
	Title    string       `json:"title"`
	Status   int          `json:"status"`
	Detail   string       `json:"detail"`
	Instance string       `json:"instance"`
	Errors   []FieldError `json:"errors,omitempty"`
}

// FieldError names one invalid input by its JSON path or query parameter.
type FieldError = validate.FieldError

// APIError is the one error type handlers return. The renderer turns it into a Problem;
// Cause, when set, is logged and never sent to the client.
type APIError struct {
	Status int
	Title  string
	Detail string
	Errors []FieldError
	Cause  error
}

func (e *APIError) Error() string {
	if e.Cause != nil {
		return fmt.Sprintf("%d %s: %s: %v", e.Status, e.Title, e.Detail, e.Cause)
	}
	return fmt.Sprintf("%d %s: %s", e.Status, e.Title, e.Detail)
}

func (e *APIError) Unwrap() error { return e.Cause }

// problemType gives each problem class a stable type URI: a fragment of the /docs page,
// which documents every class ("Validation Failed" -> /docs#problem-validation-failed).
func problemType(title string) string {
	return "/docs#" + apidoc.ProblemAnchor(title)
}

func newError(status int, title, detail string) *APIError {
	if title == "" {
		title = http.StatusText(status)
	}
	return &APIError{Status: status, Title: title, Detail: detail}
}

// ErrNotFound is a 404 problem.
func ErrNotFound(detail string) *APIError { return newError(http.StatusNotFound, "Not Found", detail) }

// ErrBadRequest is a 400 problem: the request cannot be read at all.
func ErrBadRequest(detail string) *APIError {
	return newError(http.StatusBadRequest, "Bad Request", detail)
}

// ErrValidation is a 422 problem listing every invalid field.
func ErrValidation(detail string, errs ...FieldError) *APIError {
	e := newError(http.StatusUnprocessableEntity, "Validation Failed", detail)
	e.Errors = errs
	return e
}

// ErrConflict is a 409 problem.
func ErrConflict(detail string) *APIError { return newError(http.StatusConflict, "Conflict", detail) }

// RetryAfterUnavailable is the Retry-After, in seconds, of every 503 problem: long
// enough not to hammer a database that is restarting, short enough that a client
// retrying on it comes back soon after the database does.
const RetryAfterUnavailable = 2

// ErrUnavailable is a 503 problem: a dependency the request needs is down. It is
// answered with Retry-After: the request may be retried as it was (a POST /forecasts
// with the same Idempotency-Key cannot be stored twice).
func ErrUnavailable(detail string, cause error) *APIError {
	e := newError(http.StatusServiceUnavailable, "Service Unavailable", detail)
	e.Cause = cause
	return e
}

// asAPIError maps any error to the problem a client should see. This is the one place
// where database errors become statuses: a database that cannot serve the request now
// (store.IsUnavailable) is a 503; an error nothing here recognizes is a 500, a bug.
func asAPIError(err error) *APIError {
	var api *APIError
	var tooBig *http.MaxBytesError
	var invalid *validate.Error
	var syntax *validate.SyntaxError
	switch {
	case errors.As(err, &api):
		return api
	case errors.As(err, &invalid):
		return ErrValidation(invalid.Detail, invalid.Fields...)
	case errors.As(err, &syntax):
		return ErrBadRequest(syntax.Detail)
	case errors.Is(err, forecast.ErrIdempotencyConflict):
		return ErrConflict("This Idempotency-Key was already used for a different forecast.")
	case errors.Is(err, gorm.ErrRecordNotFound):
		return ErrNotFound("The requested resource does not exist.")
	case errors.Is(err, gorm.ErrDuplicatedKey):
		return ErrConflict("The resource already exists.")
	case errors.Is(err, gorm.ErrForeignKeyViolated):
		return ErrValidation("The request refers to a resource that does not exist.")
	case errors.Is(err, gorm.ErrCheckConstraintViolated):
		return ErrValidation("A value is outside its allowed range.")
	case errors.As(err, &tooBig):
		return newError(http.StatusRequestEntityTooLarge, "Content Too Large",
			fmt.Sprintf("The request body exceeds %d bytes.", tooBig.Limit))
	case errors.Is(err, context.DeadlineExceeded):
		return ErrUnavailable("The request took too long; try again.", err)
	case store.IsUnavailable(err):
		return ErrUnavailable("The database is unavailable; retry after Retry-After seconds.", err)
	default:
		e := newError(http.StatusInternalServerError, "Internal Server Error", "An unexpected error occurred; it has been logged.")
		e.Cause = err
		return e
	}
}

// writeProblem renders err as problem+json and logs server-side failures once.
func writeProblem(c *gin.Context, err error) {
	api := asAPIError(err)
	switch {
	case api.Status == http.StatusInternalServerError:
		// A server fault: the only ERROR a request writes.
		logger(c).Error("request failed", "status", api.Status, "error", err.Error())
	case api.Status >= 500 && api.Status != http.StatusNotImplemented:
		// A dependency is down: worth watching, not paging.
		logger(c).Warn("request not served", "status", api.Status, "error", err.Error())
	}
	p := Problem{
		Type:     problemType(api.Title),
		Title:    api.Title,
		Status:   api.Status,
		Detail:   api.Detail,
		Instance: c.Request.URL.Path,
		Errors:   api.Errors,
	}
	c.Header("Cache-Control", "no-store")
	if api.Status == http.StatusServiceUnavailable && c.Writer.Header().Get("Retry-After") == "" {
		c.Header("Retry-After", strconv.Itoa(RetryAfterUnavailable))
	}
	c.Render(api.Status, problemRender{p})
	c.Abort()
}

// fail records err for the renderer and stops the handler chain. Handlers call it and
// return.
func fail(c *gin.Context, err error) {
	_ = c.Error(err)
	c.Abort()
}

// renderErrors is the middleware that turns the error a handler recorded with fail
// into the response. It is the only place that writes problem documents for handlers.
func renderErrors(c *gin.Context) {
	c.Next()
	if len(c.Errors) == 0 || c.Writer.Written() {
		return
	}
	writeProblem(c, c.Errors.Last().Err)
}
