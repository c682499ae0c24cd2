package words

import (
	"strings"

	"github.com/mailboxbot/mailboxbot/internal/mrkdwn"
)

// The guidance a person gets when a request gave them rights on a
// mailbox: which mailbox, which rights, and how to use it in Outlook, on
// the web, on a phone, its calendar, and how to send from it (after
// Microsoft's procedure for shared mailboxes).

// Access is what one person got on one mailbox by one request.
type Access struct {
	Mailbox    string // its address
	Name       string // its display name; "" when unknown
	FullAccess bool
	// AutoMapping: Full Access was granted to the person directly with
	// automapping, so classic Outlook adds the mailbox by itself.
	AutoMapping  bool
	SendAs       bool
	SendOnBehalf bool
	// Via is the group through which the person got the rights; "" when
	// granted to them directly.
	Via       string
	RequestID string
}

// mailboxName is the mailbox as the guidance names it (mrkdwn).
func (a Access) mailboxName() string {
	if a.Name == "" {
		return "*" + mrkdwn.Escape(a.Mailbox) + "*"
	}
	return "*" + mrkdwn.Escape(a.Name) + "* (" + mrkdwn.Escape(a.Mailbox) + ")"
}

// AccessRights names the rights of a: "Full Access and Send As".
func AccessRights(a Access) string {
	var r []string
	if a.FullAccess {
		r = append(r, FullAccess)
	}
	if a.SendAs {
		r = append(r, SendAs)
	}
	if a.SendOnBehalf {
		r = append(r, "Send on Behalf")
	}
	switch len(r) {
	case 0:
		return ""
	case 1:
		return r[0]
	}
	return strings.Join(r[:len(r)-1], ", ") + " and " + r[len(r)-1]
}

// GuidanceHeadline says what the person got (mrkdwn).
func GuidanceHeadline(a Access) string {
	s := "You now have " + AccessRights(a) + " on the shared mailbox " + a.mailboxName()
	if a.Via != "" {
		s += ", as a member of the group " + mrkdwn.Escape(a.Via)
	}
	return s + "."
}

// GuidanceFallback is the plain notification text of the guidance.
func GuidanceFallback(a Access) string {
	return "You now have " + AccessRights(a) + " on " + a.Mailbox + ": how to use it"
}

// GuidanceParts are the paragraphs on using the mailbox (mrkdwn), only
// those the rights allow.
func GuidanceParts(a Access) []string {
	addr := "`" + mrkdwn.Escape(a.Mailbox) + "`"
	var out []string
	if a.FullAccess {
		switch {
		case a.AutoMapping:
			out = append(out, "*Outlook for Windows (classic):* the mailbox appears by itself in your folder list, under your own mailbox, after you close Outlook and start it again.")
		case a.Via != "":
			out = append(out, "*Outlook for Windows (classic):* the mailbox does not appear by itself, because the right came through a group. Add it: *File* › *Account Settings* › *Account Settings*, select your account, *Change* › *More Settings* › *Advanced* › *Add*, and type "+addr+".")
		default:
			out = append(out, "*Outlook for Windows (classic):* the mailbox was given without automapping, so it does not appear by itself. Add it: *File* › *Account Settings* › *Account Settings*, select your account, *Change* › *More Settings* › *Advanced* › *Add*, and type "+addr+".")
		}
		out = append(out,
			"*New Outlook and Outlook on the web:* right-click *Folders* (or your name) in the folder list, choose *Add shared folder or mailbox* and type "+addr+". To open it alone in the browser: your picture at the top right › *Open another mailbox*.",
			"*On a phone or tablet:* only Outlook for iOS and Outlook for Android can add a shared mailbox: tap your account icon, then *+* (add account) › *Add shared mailbox*, and pick "+addr+".",
			"*The shared calendar:* the mailbox comes with a calendar everyone with access shares. In Outlook's calendar view, select the shared mailbox's calendar; what you add there, everyone with access sees and can manage.")
	}
	switch {
	case a.SendAs:
		out = append(out, "*Sending as the mailbox:* in a new message, show the *From* field (in Outlook on the web: *…* › *Show From*), choose *Other email address* and type "+addr+". Recipients see the mail as sent by the mailbox, not by you.")
	case a.SendOnBehalf:
		out = append(out, "*Sending on behalf of the mailbox:* in a new message, show the *From* field (in Outlook on the web: *…* › *Show From*), choose *Other email address* and type "+addr+". Recipients see “you on behalf of "+mrkdwn.Escape(firstNonEmpty(a.Name, a.Mailbox))+"”.")
	case a.FullAccess:
		out = append(out, "*Sending:* Full Access lets you read and manage the mailbox, not send from it. Ask for Send As if you need to.")
	}
	if a.FullAccess && (a.SendAs || a.SendOnBehalf) {
		out = append(out, "_If the mailbox is hidden from the address lists, sending from it does not work in classic Outlook; Outlook on the web and the new Outlook are not affected._")
	}
	return out
}

// GuidanceRef is the guidance's footer: the request that gave the rights.
func GuidanceRef(id string) string { return RequestRef(id) + " gave you these rights." }

// GuidanceUnreached tells the requester who got rights but could not be
// told how to use them: nobody in Slack has their address.
func GuidanceUnreached(addrs []string) string {
	return "I could not send how to use the mailbox to " + strings.Join(mrkdwn.EscapeAll(addrs), ", ") +
		": Slack knows nobody by " + map[bool]string{true: "that address", false: "those addresses"}[len(addrs) == 1] + ". Please tell them yourself."
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}
