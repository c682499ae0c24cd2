// Graph's wire format: reading a request's body and $select, writing
// JSON answers, and Graph's error bodies (errorWriter).

package graphtest

import (
	"bytes"
	"compress/gzip"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/mailboxbot/mailboxbot/mailbox"
)

func readBody(r *http.Request) ([]byte, error) {
	var rd io.Reader = r.Body
	if strings.EqualFold(r.Header.Get("Content-Encoding"), "gzip") {
		zr, err := gzip.NewReader(r.Body)
		if err != nil {
			return nil, err
		}
		defer zr.Close()
		rd = zr
	}
	return io.ReadAll(io.LimitReader(rd, 1<<20))
}

// jsonObject parses a request body that must be a JSON object.
func jsonObject(e errorWriter, body []byte) (map[string]json.RawMessage, bool) {
	var props map[string]json.RawMessage
	if err := json.Unmarshal(body, &props); err != nil || props == nil {
		e.write(http.StatusBadRequest, "BadRequest",
			"Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format.", "")
		return nil, false
	}
	return props, true
}

// selected returns the $select list, or nil for Graph's default properties.
func selected(r *http.Request) []string {
	v := r.URL.Query().Get("$select")
	if v == "" {
		return nil
	}
	var out []string
	for _, f := range strings.Split(v, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// errorWriter answers Graph's error body:
// {"error":{"code","message","innerError":{"date","request-id","client-request-id"}}}.
type errorWriter struct {
	w                          http.ResponseWriter
	requestID, clientRequestID string
}

func (e errorWriter) write(status int, code, message, innerCode string) {
	inner := map[string]any{
		"date":              time.Now().UTC().Format("2006-01-02T15:04:05"),
		"request-id":        e.requestID,
		"client-request-id": e.clientRequestID,
	}
	if innerCode != "" {
		inner["code"] = innerCode
	}
	writeJSON(e.w, status, map[string]any{"error": map[string]any{"code": code, "message": message, "innerError": inner}})
}

// backendError answers an error from the backend: a *mailbox.RemoteError as
// it says, ErrNotFound as Graph's 404 for resource, anything else as a 500.
func (e errorWriter) backendError(err error, resource string) {
	var re *mailbox.RemoteError
	switch {
	case errors.As(err, &re) && re.Status >= 400:
		e.write(re.Status, re.Code, re.Message, "")
	case errors.Is(err, mailbox.ErrNotFound):
		e.write(http.StatusNotFound, "Request_ResourceNotFound",
			"Resource '"+resource+"' does not exist or one of its queried reference-property objects are not present.", "")
	case errors.Is(err, mailbox.ErrForbidden):
		e.write(http.StatusForbidden, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.", "")
	default:
		e.write(http.StatusInternalServerError, "generalException", "An internal server error occurred: "+err.Error(), "")
	}
}

// failureText returns Graph's code, message and inner code for an injected
// failure status.
func failureText(status int) (code, message, inner string) {
	switch status {
	case http.StatusTooManyRequests:
		return "TooManyRequests", "Too many requests.", "ApplicationThrottled"
	case http.StatusServiceUnavailable:
		return "serviceNotAvailable", "Service is temporarily unavailable. Please try again later.", ""
	case http.StatusGatewayTimeout:
		return "GatewayTimeout", "The gateway did not receive a timely response.", ""
	case http.StatusUnauthorized:
		return "InvalidAuthenticationToken", "Access token has expired or is not yet valid.", ""
	case http.StatusForbidden:
		return "Authorization_RequestDenied", "Insufficient privileges to complete the operation.", ""
	}
	return "generalException", http.StatusText(status), ""
}

// newID returns a random request id in GUID form.
func newID() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "00000000-0000-4000-8000-000000000000"
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
