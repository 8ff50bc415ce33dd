package handlers

import (
	"errors"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"geopol/validate"
)

// MaxBodyBytes is the default request body limit (MAX_BODY_BYTES); a forecast with a
// 500-node scenario tree fits in well under it.
const MaxBodyBytes = 1 << 20

// readJSONBody checks the content type and reads the body. Its size is bounded by the
// limitBody middleware (MAX_BODY_BYTES), which every route runs behind.
func readJSONBody(c *gin.Context) ([]byte, error) {
	mt, _, err := mime.ParseMediaType(c.GetHeader("Content-Type"))
	if err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
		return nil, newError(http.StatusUnsupportedMediaType, "Unsupported Media Type",
			"The request body must be JSON, sent with Content-Type: application/json.")
	}
	body, err := io.ReadAll(c.Request.Body)
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return nil, err
		}
		return nil, ErrBadRequest("The request body could not be read.")
	}
	return body, nil
}

// readJSON reads the body and decodes it strictly into dst (validate.DecodeStrict).
func readJSON(c *gin.Context, dst any) error {
	body, err := readJSONBody(c)
	if err != nil {
		return err
	}
	return validate.DecodeStrict(body, dst)
}
