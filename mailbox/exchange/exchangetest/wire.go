// The wire format of answers: a page of output objects with its warnings
// and next link, and the errors (cmdlet errors and faults) as Exchange
// writes them.

package exchangetest

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/mailboxbot/mailboxbot/mailbox"
)

type answer struct {
	Context      string            `json:"@odata.context"`
	NextLink     string            `json:"@odata.nextLink,omitempty"`
	WarningsType string            `json:"adminapi.warnings@odata.type"`
	Warnings     []string          `json:"@adminapi.warnings"`
	Value        []json.RawMessage `json:"value"`
}

func writePage(w http.ResponseWriter, base, tenant string, values []json.RawMessage, warnings []string, next string) {
	if values == nil {
		values = []json.RawMessage{}
	}
	if warnings == nil {
		warnings = []string{}
	}
	a := answer{
		Context:      base + "/adminapi/beta/" + tenant + "/$metadata#Collection(Exchange.GenericHashTable)",
		WarningsType: "#Collection(String)",
		Warnings:     warnings,
		Value:        values,
	}
	if next != "" {
		a.NextLink = base + "/adminapi/beta/" + tenant + "/InvokeCommand?$skiptoken=" + next
	}
	writeJSON(w, http.StatusOK, a)
}

type errorDetail struct {
	Code    string `json:"code"`
	Target  string `json:"target"`
	Message string `json:"message"`
}

type errorAnswer struct {
	Error struct {
		Code       string        `json:"code"`
		Message    string        `json:"message"`
		Details    []errorDetail `json:"details,omitempty"`
		InnerError *struct {
			Message string `json:"message"`
			Type    string `json:"type"`
		} `json:"innererror,omitempty"`
	} `json:"error"`
}

// writeError writes {"error":{...}}; with detail, in the cmdlet-error shape
// of samples/exchange-error-notfound.json.
func writeError(w http.ResponseWriter, status int, code, message, detail string) {
	var a errorAnswer
	a.Error.Code = code
	a.Error.Message = message
	if detail != "" {
		a.Error.Details = []errorDetail{{Code: "Client", Message: detail}}
		_, _, last := cutTwice(detail)
		a.Error.InnerError = &struct {
			Message string `json:"message"`
			Type    string `json:"type"`
		}{last, "Microsoft.Exchange.Admin.OData.Core.ODataServiceException"}
	}
	writeJSON(w, status, a)
}

func cutTwice(s string) (string, string, string) {
	a, rest, _ := strings.Cut(s, "|")
	b, c, ok := strings.Cut(rest, "|")
	if !ok {
		return "", "", s
	}
	return a, b, c
}

func writeCmdletError(w http.ResponseWriter, err error, params map[string]any) {
	var re *mailbox.RemoteError
	switch {
	case errors.As(err, &re):
		status := re.Status
		if status < 400 {
			status = http.StatusInternalServerError
		}
		code := re.Code
		if code == "" {
			code = faultCode(status)
		}
		detail := re.Message
		if !strings.Contains(detail, "|") {
			detail = "Ex000000|Microsoft.Exchange.Management.Tasks.TaskException|" + detail
		}
		writeError(w, status, code, "Error executing cmdlet", detail)
	case errors.Is(err, mailbox.ErrNotFound):
		id, _ := param(params, "Identity")
		writeError(w, http.StatusNotFound, "NotFound", "Error executing cmdlet",
			fmt.Sprintf("Ex6F9304|Microsoft.Exchange.Configuration.Tasks.ManagementObjectNotFoundException|"+
				"The operation couldn't be performed because object '%v' couldn't be found on 'AM0PR01A001DC01.EURPR01A001.prod.outlook.com'.", id))
	default:
		writeError(w, http.StatusInternalServerError, "InternalServerError", "Error executing cmdlet",
			"Ex000000|System.Exception|"+err.Error())
	}
}

func faultCode(status int) string {
	switch status {
	case http.StatusTooManyRequests:
		return "TooManyRequests"
	case http.StatusServiceUnavailable:
		return "ServiceUnavailable"
	case http.StatusForbidden:
		return "Forbidden"
	}
	return strings.ReplaceAll(http.StatusText(status), " ", "")
}

func faultMessage(status int) string {
	if status == http.StatusTooManyRequests {
		return "The request was throttled. Retry after the time in the Retry-After header."
	}
	return http.StatusText(status)
}

func contentType(body string) string {
	b := strings.TrimSpace(body)
	switch {
	case strings.HasPrefix(b, "{"):
		return "application/json; charset=utf-8"
	case strings.HasPrefix(b, "<"):
		return "text/html; charset=utf-8"
	}
	return "text/plain; charset=utf-8"
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json; odata.metadata=minimal; charset=utf-8")
	w.WriteHeader(status)
	w.Write(b)
}
