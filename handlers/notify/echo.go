package notify

import (
	"bytes"
	"encoding/json"
	"io"
	"mime"
	"net/http"
	"path"
	"strconv"
)

// echoes names, for the Web API methods whose answers repeat what was just
// sent, the field that holds the copy.
var echoes = map[string]string{
	"chat.postMessage": "message",
	"chat.update":      "message",
	"views.publish":    "view",
}

// DropEchoes wraps the transport of the slack.Client given to New. Slack
// answers chat.postMessage and chat.update with the whole message that was
// posted, and views.publish with the whole view; slack-go decodes every
// block of that copy, which was 8% of serve's CPU under the
// acknowledgement load (issue 7), and nothing here reads it (post keeps
// the channel and ts, update and PublishHome keep nothing). The transport
// removes that one field from a 200 JSON answer to those three methods.
// Every other field, every other method, every error and every other
// status reach slack-go as Slack sent them.
func DropEchoes(rt http.RoundTripper) http.RoundTripper {
	if rt == nil {
		rt = http.DefaultTransport
	}
	return echoTransport{rt}
}

type echoTransport struct{ next http.RoundTripper }

func (t echoTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.next.RoundTrip(req)
	if err != nil || resp.StatusCode != http.StatusOK {
		return resp, err
	}
	field, ok := echoes[path.Base(req.URL.Path)]
	if !ok {
		return resp, nil
	}
	if mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type")); mt != "application/json" {
		return resp, nil
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	body = without(body, field)
	resp.Body = io.NopCloser(bytes.NewReader(body))
	resp.ContentLength = int64(len(body))
	resp.Header.Set("Content-Length", strconv.Itoa(len(body)))
	return resp, nil
}

// without returns the JSON object body without its top-level field, or
// body as it is when it is not an object or has no such field.
func without(body []byte, field string) []byte {
	var obj map[string]json.RawMessage
	if json.Unmarshal(body, &obj) != nil {
		return body
	}
	if _, has := obj[field]; !has {
		return body
	}
	delete(obj, field)
	out, err := json.Marshal(obj)
	if err != nil {
		return body
	}
	return out
}
