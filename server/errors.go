package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/caremarket/caremarket"
)

// statusOfCode is the HTTP status of each application error code; any
// other error is the server's fault.
var statusOfCode = map[string]int{
	caremarket.EUNAVAILABLE:  http.StatusServiceUnavailable,
	caremarket.EINVALID:      http.StatusBadRequest,
	caremarket.ENOTFOUND:     http.StatusNotFound,
	caremarket.ECONFLICT:     http.StatusConflict,
	caremarket.EUNAUTHORIZED: http.StatusUnauthorized,
	caremarket.EFORBIDDEN:    http.StatusForbidden,
	caremarket.ERATELIMITED:  http.StatusTooManyRequests,
	caremarket.ETOOLARGE:     http.StatusRequestEntityTooLarge,
	caremarket.EMEDIATYPE:    http.StatusUnsupportedMediaType,
}

// statusOf is the one place an application error code becomes an HTTP status.
func statusOf(err error) int {
	if status, ok := statusOfCode[caremarket.ErrorCode(unavailable(err))]; ok {
		return status
	}
	return http.StatusInternalServerError
}

// apiError is the one error shape of the JSON API.
type apiError struct {
	Error apiErrorBody `json:"error"`
}

type apiErrorBody struct {
	Code    string            `json:"code"`
	Message string            `json:"message"`
	Fields  map[string]string `json:"fields,omitempty"`
}

// writeAPIError answers with the error's status and shape; internal errors are
// logged in full and shown to the caller only as a generic message.
func (s *Server) writeAPIError(w http.ResponseWriter, r *http.Request, err error) {
	status := statusOf(err)
	if status >= http.StatusInternalServerError {
		s.Logger.ErrorContext(r.Context(), "request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	err = unavailable(err)
	writeJSON(w, status, apiError{Error: apiErrorBody{
		Code: caremarket.ErrorCode(err), Message: caremarket.ErrorMessage(err), Fields: caremarket.ErrorFields(err),
	}})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(v)
}

// MaxBodyBytes bounds a request body; nothing caremarket accepts is larger
// except file uploads, which set their own limit.
const MaxBodyBytes = 1 << 20

// decodeJSON reads exactly one JSON object into dst, refusing unknown fields,
// and turns every way it can fail into a message a person can act on.
func decodeJSON(w http.ResponseWriter, r *http.Request, dst any) error {
	raw, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
	if err != nil {
		return decodeError(err)
	}
	if mt := mediaType(r); mt != "application/json" && (mt != "" || len(bytes.TrimSpace(raw)) > 0) {
		return unsupportedMediaType([]string{"application/json"})
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return decodeError(err)
	}
	if dec.More() || dec.Decode(&struct{}{}) != io.EOF {
		return caremarket.Errorf(caremarket.EINVALID, "The request body must hold a single JSON object")
	}
	return duplicateKey(raw)
}

// decodeError turns each way decoding can fail into a message a person can
// act on.
func decodeError(err error) error {
	var syntax *json.SyntaxError
	var typeErr *json.UnmarshalTypeError
	var tooBig *http.MaxBytesError
	switch {
	case caremarket.AsError(err) != nil: // from a field's own UnmarshalJSON
		return caremarket.AsError(err)
	case errors.Is(err, io.EOF):
		return caremarket.Errorf(caremarket.EINVALID, "The request body is empty: send a JSON object")
	case errors.As(err, &syntax):
		return caremarket.Errorf(caremarket.EINVALID, "The request body is not valid JSON (at character %d)", syntax.Offset)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return caremarket.Errorf(caremarket.EINVALID, "The request body is not valid JSON (it ends too soon)")
	case errors.As(err, &typeErr):
		field := typeErr.Field
		if field == "" {
			return caremarket.Errorf(caremarket.EINVALID, "The request body must be a JSON object")
		}
		return &caremarket.Error{Code: caremarket.EINVALID, Message: fmt.Sprintf("Field %q must be %s", field, jsonKind(typeErr.Type.Kind().String())),
			Fields: map[string]string{field: "Must be " + jsonKind(typeErr.Type.Kind().String())}}
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return &caremarket.Error{Code: caremarket.EINVALID, Message: fmt.Sprintf("Unknown field %q", name),
			Fields: map[string]string{name: "This field is not part of the request"}}
	case errors.As(err, &tooBig):
		return tooLarge()
	}
	return caremarket.Errorf(caremarket.EINVALID, "The request body could not be read: %s", strings.TrimPrefix(err.Error(), "json: "))
}

func jsonKind(k string) string {
	switch {
	case strings.HasPrefix(k, "int"), strings.HasPrefix(k, "uint"), strings.HasPrefix(k, "float"):
		return "a number"
	case k == "string":
		return "text"
	case k == "bool":
		return "true or false"
	case k == "slice", k == "array":
		return "a list"
	case k == "struct", k == "map":
		return "an object"
	}
	return "of another type"
}
