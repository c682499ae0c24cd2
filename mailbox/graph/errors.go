package graph

import (
	"errors"
	"fmt"
	"net/http"

	abs "github.com/microsoft/kiota-abstractions-go"
	"github.com/microsoftgraph/msgraph-sdk-go/models/odataerrors"

	"github.com/mailboxbot/mailboxbot/mailbox"
)

// remoteError turns an SDK error into a *mailbox.RemoteError with Microsoft's
// code and message; other errors (network, context) are wrapped with op.
func remoteError(op string, err error) error {
	var oe *odataerrors.ODataError
	if errors.As(err, &oe) {
		re := &mailbox.RemoteError{Service: "graph", Op: op, Status: oe.GetStatusCode()}
		// ODataError.Error panics without an error body: read the fields.
		if me := oe.GetErrorEscaped(); me != nil {
			re.Code = deref(me.GetCode())
			re.Message = deref(me.GetMessage())
		}
		if re.Message == "" {
			re.Message = http.StatusText(re.Status)
		}
		return re
	}
	var ae *abs.ApiError
	if errors.As(err, &ae) {
		return &mailbox.RemoteError{Service: "graph", Op: op, Status: ae.ResponseStatusCode,
			Code: http.StatusText(ae.ResponseStatusCode), Message: ae.Message}
	}
	return fmt.Errorf("graph %s: %w", op, err)
}
