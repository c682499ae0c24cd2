// Package mailboxtest holds the contract test suites of mailbox.Directory and
// mailbox.Exchange, run against every implementation: the in-memory sandbox
// tenant, and the Graph and Exchange clients driven over HTTP against fake
// servers backed by the sandbox.
//
// Each suite calls its factory once per subtest with the seed users, so an
// implementation over HTTP can be built from the same data (real client ->
// fake server -> sandbox.Tenant seeded with the users) and every subtest
// starts from a fresh tenant. The suites assume nothing about object ids
// (they read them back), and they wait for a conversion by reading the
// mailbox again, at most MaxConversionReads times, without sleeping.
//
// What the suites require is what the interfaces document, plus what
// Microsoft does: case-insensitive lookups, mailbox.ErrNotFound for a missing
// user, manager, group, deleted user, mailbox or trustee (errors.Is),
// Microsoft's own text in a *mailbox.RemoteError for a refused license
// change, grants that may be repeated without harm, and mailbox permission
// lists that hold Exchange's own entries besides the grants (the suites
// filter them as callers must).
//
// The seed carries the tenant-wide data too (subscriptions in
// UserSpec.Skus, groups and their members in UserSpec.MemberOf: All Staff
// without mail, and the mail-enabled security group sales@fabrikam.com)
// and a user deleted three days ago (UserSpec.Deleted). The tenant's
// accepted domains must include fabrikam.com, not example.org;
// support@fabrikam.com is free. A new shared mailbox, like a restored
// user's, must show within MaxConversionReads Get-Mailbox reads (and its
// account within as many User reads); creating a taken address must fail
// with Microsoft's text naming the address. GrantSendOnBehalfTo may list a
// trustee by UPN, display name or alias. TestRecovery needs both
// interfaces over one tenant.
package mailboxtest

import (
	"slices"
	"strings"
	"time"

	"github.com/mailboxbot/mailboxbot/mailbox"
	"github.com/mailboxbot/mailboxbot/mailbox/sandbox"
)

// MaxConversionReads is how many Get-Mailbox reads a conversion may take to
// show. Implementations under test must converge within it (the sandbox
// converges after Options.ConversionLag reads).
const MaxConversionReads = 50

// The seeded tenant, at fabrikam.com.
const (
	groupAllStaff = "0d2f5a8c-3b1e-4f6a-9c7d-5e4b3a2f1c0d"
	groupSales    = "5b8e1f3a-7c2d-4e9b-8a6f-1d0c9b8a7e6f" // sales@, members ann, mia, gus (deleted)
	salesMail     = "sales@fabrikam.com"
	freeAddress   = "support@fabrikam.com" // no one has it
	unknownUPN    = "nobody@fabrikam.com"
	unknownID     = "00000000-0000-4000-8000-000000000001"
	annSize       = 15_687_850_951 // bytes
	annItems      = 48211
	deletedAgo    = 3 * 24 * time.Hour // gus
)

// skus returns the tenant's subscriptions. Consumed counts units held
// outside the seed; with the seeded users: E3 6 of 10, SPE_E3 5 of 5 (ben),
// Plan 1 1 of 1 (dan), Archiving 1 of 5 (dan), Power BI 0 of 100.
func skus() []mailbox.Sku {
	return []mailbox.Sku{
		{ID: sandbox.SkuOffice365E3, PartNumber: "ENTERPRISEPACK", Enabled: 10, Consumed: 3,
			ServicePlans: []string{mailbox.PlanExchangeOnline2, "SHAREPOINTENTERPRISE", "TEAMS1"}},
		{ID: sandbox.SkuMicrosoft365E3, PartNumber: "SPE_E3", Enabled: 5, Consumed: 4,
			ServicePlans: []string{mailbox.PlanExchangeOnline2, "SHAREPOINTENTERPRISE", "INTUNE_A"}},
		{ID: sandbox.SkuExchangeOnlinePlan1, PartNumber: "EXCHANGESTANDARD", Enabled: 1,
			ServicePlans: []string{mailbox.PlanExchangeOnline1}},
		{ID: sandbox.SkuExchangeOnlineArchive, PartNumber: "EXCHANGEARCHIVE_ADDON", Enabled: 5,
			ServicePlans: []string{mailbox.PlanExchangeOnlineArchive}},
		{ID: sandbox.SkuPowerBIStandard, PartNumber: "POWER_BI_STANDARD", Enabled: 100,
			ServicePlans: []string{"BI_AZURE_P0"}},
	}
}

// sales is the mail-enabled security group of the seed.
var sales = sandbox.Group{ID: groupSales, DisplayName: "Fabrikam Sales", Mail: salesMail, SecurityEnabled: true}

// seed returns the users both suites seed, freshly allocated.
func seed() []sandbox.UserSpec {
	return []sandbox.UserSpec{
		{ // the ordinary case; mail differs from the UPN. Brings the SKUs.
			UserPrincipalName: "ann@fabrikam.com", DisplayName: "Ann Archer", Mail: "ann.archer@fabrikam.com",
			Alias: "ann.archer", Licenses: []mailbox.License{{SkuID: sandbox.SkuOffice365E3}},
			ManagerUPN: "mia@fabrikam.com", MailboxSizeBytes: annSize, MailboxItemCount: annItems,
			Skus: skus(), MemberOf: []sandbox.Group{sales},
		},
		{ // already shared, hidden, licensed through a group
			UserPrincipalName: "ben@fabrikam.com", DisplayName: "Ben Baker",
			Licenses:             []mailbox.License{{SkuID: sandbox.SkuMicrosoft365E3, AssignedByGroup: groupAllStaff}},
			MemberOf:             []sandbox.Group{{ID: groupAllStaff, DisplayName: "All Staff"}},
			RecipientTypeDetails: mailbox.RecipientSharedMailbox, HiddenFromAddressListsEnabled: true,
			ManagerUPN: "mia@fabrikam.com",
		},
		{ // an account without a mailbox
			UserPrincipalName: "cal@fabrikam.com", DisplayName: "Cal Cooper", NoMailbox: true,
		},
		{ // synchronised from on-premises, on hold, with an archive
			UserPrincipalName: "dan@fabrikam.com", DisplayName: "Dan Dijk", OnPremisesSyncEnabled: true,
			Licenses: []mailbox.License{
				{SkuID: sandbox.SkuExchangeOnlinePlan1},
				{SkuID: sandbox.SkuExchangeOnlineArchive},
			},
			LitigationHoldEnabled: true, InPlaceHolds: []string{"UniH7d2b1c3e-5f4a-4b6c-8d9e-0a1b2c3d4e5f"},
			ArchiveStatus: "Active", AutoExpandingArchiveEnabled: true,
			GrantSendOnBehalfTo: []string{"Ann Archer"}, ManagerUPN: "mia@fabrikam.com",
		},
		{ // sign-in blocked
			UserPrincipalName: "eve@fabrikam.com", DisplayName: "Eve Evers", SignInBlocked: true,
			Licenses: []mailbox.License{{SkuID: sandbox.SkuOffice365E3}},
		},
		{ // a manager without a manager
			UserPrincipalName: "mia@fabrikam.com", DisplayName: "Mia Moss",
			Licenses: []mailbox.License{{SkuID: sandbox.SkuOffice365E3}},
			MemberOf: []sandbox.Group{sales},
		},
		{ // deleted three days ago, with a mailbox; mail differs from the UPN
			UserPrincipalName: "gus@fabrikam.com", DisplayName: "Gus Grant", Mail: "gus.grant@fabrikam.com",
			Licenses: []mailbox.License{{SkuID: sandbox.SkuOffice365E3}}, ManagerUPN: "mia@fabrikam.com",
			Deleted: true, DeletedAgo: deletedAgo, MemberOf: []sandbox.Group{sales},
		},
	}
}

// listed counts the entries that name one recipient, given by its names.
func listed(entries, names []string) int {
	n := 0
	for _, e := range entries {
		if slices.ContainsFunc(names, func(name string) bool { return strings.EqualFold(e, name) }) {
			n++
		}
	}
	return n
}

// equalUser compares users field by field, licenses in order.
func equalUser(a, b mailbox.User) bool {
	return a.ID == b.ID && a.DisplayName == b.DisplayName && a.UserPrincipalName == b.UserPrincipalName &&
		strings.EqualFold(a.Mail, b.Mail) && a.AccountEnabled == b.AccountEnabled &&
		a.OnPremisesSyncEnabled == b.OnPremisesSyncEnabled && slices.Equal(a.Licenses, b.Licenses)
}
