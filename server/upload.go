package server

import (
	"io"
	"net/http"
	"strconv"

	"github.com/caremarket/caremarket"
)

// readUpload reads a file from an upload form whole, up to limit bytes. A
// larger file is refused, never cut at the limit: a file cut short loses its
// last lines, or a figure's last digits, and would still be saved.
func readUpload(file io.Reader, limit int) ([]byte, error) {
	body, err := io.ReadAll(io.LimitReader(file, int64(limit)+1))
	if err != nil || len(body) > limit {
		return nil, caremarket.Invalid(map[string]string{"file": "The file must be smaller than " + megabytes(limit)})
	}
	return body, nil
}

// readCSVBody reads a CSV file sent as an API request's body, up to limit
// bytes; a larger one is refused whole.
func readCSVBody(w http.ResponseWriter, r *http.Request, limit int) ([]byte, error) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, int64(limit)))
	if err != nil {
		return nil, caremarket.Errorf(caremarket.EINVALID, "The file is larger than %s: split it", megabytes(limit))
	}
	return body, nil
}

func megabytes(n int) string {
	return strconv.Itoa(n>>20) + " MB"
}
