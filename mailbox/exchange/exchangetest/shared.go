package exchangetest

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/mailboxbot/mailboxbot/mailbox"
)

// GenericHashTable is the @odata.type a hashtable parameter must carry.
const GenericHashTable = "#Exchange.GenericHashTable"

// proxyAddressTaken is the exception Exchange names when an address is taken.
const proxyAddressTaken = "Ex8A5B9E|Microsoft.Exchange.Management.Tasks.WLCDManagedMemberExistsException|"

// AddressTakenMessage is Exchange's text when New-Mailbox is given an address
// that another recipient already has.
func AddressTakenMessage(address string) string {
	return fmt.Sprintf("The proxy address \"SMTP:%s\" is already being used by the proxy addresses or LegacyExchangeDN. Please choose another proxy address.", address)
}

// AddressTakenError is the error a backend's NewSharedMailbox can return for
// a taken address; the fake answers it as Exchange does: HTTP 400, the
// message in details[0] after Exchange's exception name.
func AddressTakenError(address string) *mailbox.RemoteError {
	return &mailbox.RemoteError{Service: "exchange", Op: "New-Mailbox", Status: http.StatusBadRequest,
		Code: "BadRequest", Message: proxyAddressTaken + AddressTakenMessage(address)}
}

// hashtableParam reads a hashtable parameter such as -GrantSendOnBehalfTo
// @{Add=...; Remove=...}: a JSON object with "@odata.type":
// "#Exchange.GenericHashTable" and Add and/or Remove, each a string or an
// array of strings. The replacing form (a plain list) is not implemented.
func hashtableParam(name string, v any) (add, remove []string, err error) {
	table, ok := v.(map[string]any)
	if !ok {
		return nil, nil, badParam("The fake implements only the hashtable form of '%s' (@{Add=...; Remove=...}), got %v.", name, v)
	}
	if t, _ := table["@odata.type"].(string); t != GenericHashTable {
		return nil, nil, badParam("Cannot bind parameter '%s': a hashtable needs \"@odata.type\": %q, got %v.", name, GenericHashTable, table["@odata.type"])
	}
	for k, e := range table {
		var list *[]string
		switch strings.ToLower(k) {
		case "@odata.type":
			continue
		case "add":
			list = &add
		case "remove":
			list = &remove
		default:
			return nil, nil, badParam("Cannot bind parameter '%s': the fake takes only the keys Add and Remove, got '%s'.", name, k)
		}
		switch e := e.(type) {
		case string:
			*list = append(*list, e)
		case []any:
			for _, x := range e {
				s, ok := x.(string)
				if !ok {
					return nil, nil, badParam("Cannot bind parameter '%s': expected strings in %s, got %v.", name, k, x)
				}
				*list = append(*list, s)
			}
		default:
			return nil, nil, badParam("Cannot bind parameter '%s': %s must be a string or an array, got %v.", name, k, e)
		}
		for _, s := range *list {
			if s == "" {
				return nil, nil, badParam("Cannot bind parameter '%s': an empty recipient in %s.", name, k)
			}
		}
	}
	if len(add) == 0 && len(remove) == 0 {
		return nil, nil, badParam("Cannot bind parameter '%s': the hashtable has neither Add nor Remove.", name)
	}
	return add, remove, nil
}

// newMailbox runs New-Mailbox -Shared -Name -DisplayName -PrimarySmtpAddress:
// Shared must be the boolean true, Name and PrimarySmtpAddress are required,
// DisplayName defaults to Name. A backend's *mailbox.RemoteError saying the
// proxy address is taken is answered with Exchange's exception name.
func (s *Server) newMailbox(ctx context.Context, params map[string]any) ([]any, []string, error) {
	const cmdlet = "New-Mailbox"
	if err := onlyParams(cmdlet, params, "Shared", "Name", "DisplayName", "PrimarySmtpAddress", "Confirm"); err != nil {
		return nil, nil, err
	}
	shared, err := boolParam(params, "Shared", false)
	if err != nil {
		return nil, nil, err
	}
	if !shared {
		return nil, nil, badParam("The fake %s creates only shared mailboxes: it needs Shared true.", cmdlet)
	}
	name, err := stringParam(params, "Name")
	if err != nil {
		return nil, nil, err
	}
	address, err := stringParam(params, "PrimarySmtpAddress")
	if err != nil {
		return nil, nil, err
	}
	display := name
	if _, ok := param(params, "DisplayName"); ok {
		if display, err = stringParam(params, "DisplayName"); err != nil {
			return nil, nil, err
		}
	}
	if _, err := boolParam(params, "Confirm", true); err != nil {
		return nil, nil, err
	}
	mb, err := s.backend.NewSharedMailbox(ctx, name, display, address)
	if err != nil {
		var re *mailbox.RemoteError
		if errors.As(err, &re) && !strings.Contains(re.Message, "|") &&
			strings.Contains(re.Message, "is already being used by the proxy addresses") {
			c := *re
			c.Message = proxyAddressTaken + re.Message
			return nil, nil, &c
		}
		return nil, nil, err
	}
	return []any{WireMailbox(mb)}, []string{}, nil
}

// AcceptedDomain is a Get-AcceptedDomain object in its wire shape.
type AcceptedDomain struct {
	Identity      string `json:"Identity"`
	Name          string `json:"Name"`
	DomainName    string `json:"DomainName"`
	DomainType    string `json:"DomainType"`
	Default       bool   `json:"Default"`
	InitialDomain bool   `json:"InitialDomain"`
}

// getAcceptedDomain answers the backend's domains as Authoritative ones, the
// first being the default.
func (s *Server) getAcceptedDomain(ctx context.Context, params map[string]any) ([]any, []string, error) {
	if err := onlyParams("Get-AcceptedDomain", params); err != nil {
		return nil, nil, err
	}
	domains, err := s.backend.AcceptedDomains(ctx)
	if err != nil {
		return nil, nil, err
	}
	values := make([]any, 0, len(domains))
	for i, d := range domains {
		values = append(values, AcceptedDomain{
			Identity:      d,
			Name:          d,
			DomainName:    d,
			DomainType:    "Authoritative",
			Default:       i == 0,
			InitialDomain: strings.HasSuffix(strings.ToLower(d), ".onmicrosoft.com"),
		})
	}
	return values, []string{}, nil
}

// Recipient is a Get-Recipient object in its wire shape.
type Recipient struct {
	Identity                  string   `json:"Identity"`
	Name                      string   `json:"Name"`
	DisplayName               string   `json:"DisplayName"`
	Alias                     string   `json:"Alias"`
	PrimarySmtpAddress        string   `json:"PrimarySmtpAddress"`
	RecipientType             string   `json:"RecipientType"`
	RecipientTypeDetails      string   `json:"RecipientTypeDetails"`
	ExternalDirectoryObjectId string   `json:"ExternalDirectoryObjectId"`
	EmailAddressesType        string   `json:"EmailAddresses@odata.type"`
	EmailAddresses            []string `json:"EmailAddresses"`
}

// getRecipient answers from the backend's RecipientExists: Exchange's 404
// when there is none, else the recipient, with the mailbox's details when the
// backend has a mailbox of that name.
func (s *Server) getRecipient(ctx context.Context, params map[string]any) ([]any, []string, error) {
	if err := onlyParams("Get-Recipient", params, "Identity"); err != nil {
		return nil, nil, err
	}
	id, err := identityParam(params)
	if err != nil {
		return nil, nil, err
	}
	ok, err := s.backend.RecipientExists(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	if !ok {
		return nil, nil, fmt.Errorf("recipient %s: %w", id, mailbox.ErrNotFound)
	}
	alias, _, _ := strings.Cut(id, "@")
	r := Recipient{Identity: alias, Name: alias, DisplayName: alias, Alias: alias, PrimarySmtpAddress: id,
		EmailAddressesType: collectionOfString, EmailAddresses: []string{"SMTP:" + id}}
	if mb, err := s.backend.GetMailbox(ctx, id); err == nil {
		r.Identity, r.Name, r.DisplayName = mb.Identity, mb.Identity, mb.DisplayName
		if mb.PrimarySMTPAddress != "" {
			r.PrimarySmtpAddress = mb.PrimarySMTPAddress
			r.Alias, _, _ = strings.Cut(mb.PrimarySMTPAddress, "@")
			r.EmailAddresses = []string{"SMTP:" + mb.PrimarySMTPAddress}
		}
		r.RecipientType = mailbox.RecipientUserMailbox // shared mailboxes too
		r.RecipientTypeDetails = mb.RecipientTypeDetails
		r.ExternalDirectoryObjectId = mb.ExternalDirectoryObjectID
	}
	return []any{r}, []string{}, nil
}
