package gdelt

import (
	"archive/zip"
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path"
	"strings"
)

// maxDownload bounds a downloaded export file; real 15-minute zips are a few hundred KiB
// and a day-sized one a few tens of MiB.
const maxDownload = 512 << 20

// isURL reports whether source is fetched over HTTP.
func isURL(source string) bool {
	return strings.HasPrefix(source, "http://") || strings.HasPrefix(source, "https://")
}

// download fetches url into a temporary file, checking size and MD5 when given (as
// lastupdate.txt publishes them). The caller removes the file.
func download(ctx context.Context, client *http.Client, url string, wantSize int64, wantMD5 string) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return "", err
	}
	resp, err := client.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	f, err := os.CreateTemp("", "gdelt-*-"+path.Base(req.URL.Path))
	if err != nil {
		return "", err
	}
	h := md5.New()
	n, err := io.Copy(io.MultiWriter(f, h), io.LimitReader(resp.Body, maxDownload+1))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	fail := func(e error) (string, error) { os.Remove(f.Name()); return "", e }
	switch {
	case err != nil:
		return fail(fmt.Errorf("download %s: %w", url, err))
	case n > maxDownload:
		return fail(fmt.Errorf("download %s: larger than %d bytes", url, maxDownload))
	case wantSize > 0 && n != wantSize:
		return fail(fmt.Errorf("download %s: got %d bytes, lastupdate says %d", url, n, wantSize))
	case wantMD5 != "" && !strings.EqualFold(hex.EncodeToString(h.Sum(nil)), wantMD5):
		return fail(fmt.Errorf("download %s: MD5 %s does not match %s", url, hex.EncodeToString(h.Sum(nil)), wantMD5))
	}
	return f.Name(), nil
}

// openExport opens a local .export.CSV, or the CSV inside a .zip, as a stream.
func openExport(file string) (io.ReadCloser, error) {
	if !strings.HasSuffix(strings.ToLower(file), ".zip") {
		return os.Open(file)
	}
	zr, err := zip.OpenReader(file)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	var entry *zip.File
	for _, f := range zr.File {
		if strings.HasSuffix(strings.ToLower(f.Name), ".csv") {
			if entry != nil {
				zr.Close()
				return nil, fmt.Errorf("%s: more than one CSV inside", file)
			}
			entry = f
		}
	}
	if entry == nil {
		zr.Close()
		return nil, errors.New(file + ": no CSV inside")
	}
	rc, err := entry.Open()
	if err != nil {
		zr.Close()
		return nil, err
	}
	return struct {
		io.Reader
		io.Closer
	}{rc, closers{rc, zr}}, nil
}

type closers []io.Closer

func (cs closers) Close() error {
	var errs []error
	for _, c := range cs {
		errs = append(errs, c.Close())
	}
	return errors.Join(errs...)
}
