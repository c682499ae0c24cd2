package sandbox

import (
	"context"
	"time"

	"github.com/mailboxbot/mailboxbot/mailbox"
)

// Names of the Contoso demo tenant.
const (
	// ContosoTenantID is the tenant id of the samples in shared/samples.
	ContosoTenantID = "9f6c2c1e-1111-4a5b-9c3d-0123456789ab"
	ContosoDomain   = "contoso.com"
	// ContosoInitialDomain is the tenant's initial domain; with
	// ContosoDomain, its accepted domains.
	ContosoInitialDomain = "contoso.onmicrosoft.com"
	// ContosoAllStaffGroupID is the group through which erin@ gets her license.
	ContosoAllStaffGroupID = "4c1f6b0e-2d7a-4e58-9b3e-a11517aff000"
	// ContosoSalesTeamGroupID is the mail-enabled security group
	// sales-team@ (kim@ and lee@).
	ContosoSalesTeamGroupID = "7e2a9d41-5c3b-4f8e-a6d0-5a1e5ea7ea40"
)

// ContosoAllStaff is the "All Staff" group.
var ContosoAllStaff = Group{ID: ContosoAllStaffGroupID, DisplayName: "All Staff"}

// ContosoSalesTeam is the "Sales Team Members" group: mail-enabled,
// security-enabled, members kim@ and lee@.
var ContosoSalesTeam = Group{ID: ContosoSalesTeamGroupID, DisplayName: "Sales Team Members",
	Mail: "sales-team@" + ContosoDomain, SecurityEnabled: true}

// ContosoSkus returns the subscriptions of the Contoso demo tenant (see the
// package comment), freshly allocated on every call. Consumed counts the
// units of people outside the cast; SubscribedSkus adds the cast's.
func ContosoSkus() []mailbox.Sku {
	return []mailbox.Sku{
		{ID: SkuOffice365E3, PartNumber: "ENTERPRISEPACK", Enabled: 25, Consumed: 9,
			ServicePlans: []string{mailbox.PlanExchangeOnline2, "SHAREPOINTENTERPRISE", "MCOSTANDARD",
				"OFFICESUBSCRIPTION", "TEAMS1", "INTUNE_O365"}},
		{ID: SkuMicrosoft365E3, PartNumber: "SPE_E3", Enabled: 40, Consumed: 39,
			ServicePlans: []string{mailbox.PlanExchangeOnline2, "SHAREPOINTENTERPRISE", "MCOSTANDARD",
				"OFFICESUBSCRIPTION", "TEAMS1", "INTUNE_A", "AAD_PREMIUM"}},
		{ID: SkuExchangeOnlinePlan1, PartNumber: "EXCHANGESTANDARD", Enabled: 10, Consumed: 10,
			ServicePlans: []string{mailbox.PlanExchangeOnline1}},
		{ID: SkuExchangeOnlineArchive, PartNumber: "EXCHANGEARCHIVE_ADDON", Enabled: 10, Consumed: 2,
			ServicePlans: []string{mailbox.PlanExchangeOnlineArchive}},
		{ID: SkuPowerBIStandard, PartNumber: "POWER_BI_STANDARD", Enabled: 1000000, Consumed: 40,
			ServicePlans: []string{"BI_AZURE_P0"}},
	}
}

// ContosoUsers returns the cast of the Contoso demo tenant (see the package
// comment), freshly allocated on every call.
func ContosoUsers() []UserSpec {
	e3 := []mailbox.License{{SkuID: SkuOffice365E3}}
	lic := func() []mailbox.License { return append([]mailbox.License(nil), e3...) }
	const gb = 1 << 30
	return []UserSpec{
		{UserPrincipalName: "alice@contoso.com", DisplayName: "Alice Andersen", Licenses: lic(),
			ManagerUPN: "maria@contoso.com", MailboxSizeBytes: 15_687_850_951, MailboxItemCount: 48211},
		{UserPrincipalName: "bob@contoso.com", DisplayName: "Bob Berg", Licenses: lic(),
			RecipientTypeDetails: mailbox.RecipientSharedMailbox, MailboxSizeBytes: 3 * gb},
		{UserPrincipalName: "carol@contoso.com", DisplayName: "Carol Chen",
			ManagerUPN: "maria@contoso.com", MailboxSizeBytes: 2 * gb},
		{UserPrincipalName: "dave@contoso.com", DisplayName: "Dave Dekker", Licenses: lic(),
			OnPremisesSyncEnabled: true, ManagerUPN: "maria@contoso.com", MailboxSizeBytes: 7 * gb},
		{UserPrincipalName: "erin@contoso.com", DisplayName: "Erin Evans",
			Licenses:         []mailbox.License{{SkuID: SkuMicrosoft365E3, AssignedByGroup: ContosoAllStaffGroupID}},
			MemberOf:         []Group{ContosoAllStaff},
			MailboxSizeBytes: 5 * gb},
		{UserPrincipalName: "frank@contoso.com", DisplayName: "Frank Fox", Licenses: lic(),
			ManagerUPN: "grace@contoso.com", MailboxSizeBytes: 58 * gb},
		{UserPrincipalName: "grace@contoso.com", DisplayName: "Grace Green", Licenses: lic(),
			MailboxSizeBytes: 4 * gb},
		{UserPrincipalName: "maria@contoso.com", DisplayName: "Maria Martens", Licenses: lic(),
			MailboxSizeBytes: 9 * gb},
		{UserPrincipalName: "rita@contoso.com", DisplayName: "Rita Ramos", Licenses: lic(),
			ManagerUPN: "maria@contoso.com", MailboxSizeBytes: 1 * gb},
		// Added for issue 3.
		{UserPrincipalName: "hank@contoso.com", DisplayName: "Hank Hill", Licenses: lic(),
			ManagerUPN: "maria@contoso.com", MailboxSizeBytes: 112 * gb},
		{UserPrincipalName: "irene@contoso.com", DisplayName: "Irene Iris", Licenses: lic(),
			ManagerUPN: "maria@contoso.com", LitigationHoldEnabled: true, MailboxSizeBytes: 12 * gb},
		{UserPrincipalName: "jack@contoso.com", DisplayName: "Jack Jones", Licenses: lic(),
			ManagerUPN: "maria@contoso.com", ArchiveStatus: "Active", AutoExpandingArchiveEnabled: true,
			MailboxSizeBytes: 36 * gb},
		{UserPrincipalName: "gina@contoso.com", DisplayName: "Gina Grey", Licenses: lic(),
			ManagerUPN: "maria@contoso.com", Deleted: true, DeletedAgo: 3 * 24 * time.Hour,
			MailboxSizeBytes: 6 * gb},
		{UserPrincipalName: "sales@contoso.com", DisplayName: "Sales Team", SignInBlocked: true,
			RecipientTypeDetails: mailbox.RecipientSharedMailbox, MailboxSizeBytes: 2 * gb},
		{UserPrincipalName: "kim@contoso.com", DisplayName: "Kim King", Licenses: lic(),
			MemberOf: []Group{ContosoSalesTeam}, MailboxSizeBytes: 3 * gb},
		{UserPrincipalName: "lee@contoso.com", DisplayName: "Lee Long", Licenses: lic(),
			MemberOf: []Group{ContosoSalesTeam}, MailboxSizeBytes: 2 * gb},
		// Added for issue 4.
		{UserPrincipalName: "info@contoso.com", DisplayName: "Contoso Info", SignInBlocked: true,
			RecipientTypeDetails: mailbox.RecipientSharedMailbox, HiddenFromAddressListsEnabled: true,
			MailboxSizeBytes: 1 * gb},
		// Added for issue 16: a leaver with rights on other mailboxes.
		{UserPrincipalName: "leo@contoso.com", DisplayName: "Leo Lane", Licenses: lic(),
			ManagerUPN: "maria@contoso.com", MailboxSizeBytes: 4 * gb},
		{UserPrincipalName: "projects@contoso.com", DisplayName: "Projects", SignInBlocked: true,
			RecipientTypeDetails: mailbox.RecipientSharedMailbox, MailboxSizeBytes: 1 * gb},
		{UserPrincipalName: "billing@contoso.com", DisplayName: "Billing", SignInBlocked: true,
			RecipientTypeDetails: mailbox.RecipientSharedMailbox, MailboxSizeBytes: 1 * gb},
		{UserPrincipalName: "hr@contoso.com", DisplayName: "HR", SignInBlocked: true,
			RecipientTypeDetails: mailbox.RecipientSharedMailbox, MailboxSizeBytes: 1 * gb,
			GrantSendOnBehalfTo: []string{"Leo Lane"}}, // listed by name, as Exchange shows it
	}
}

// contosoGrants are the rights leo@ holds on other mailboxes (rule 18):
// Full Access on projects@ and Send As on billing@; his Send on Behalf on
// hr@ is seeded with the mailbox.
var contosoGrants = []struct{ mailbox, trustee, right string }{
	{"projects@contoso.com", "leo@contoso.com", mailbox.RightFullAccess},
	{"billing@contoso.com", "leo@contoso.com", mailbox.RightSendAs},
}

// NewContoso returns a tenant seeded with ContosoSkus and ContosoUsers, whose
// accepted domains are ContosoDomain and ContosoInitialDomain unless opts
// says otherwise.
func NewContoso(opts Options) *Tenant {
	if opts.AcceptedDomains == nil {
		opts.AcceptedDomains = []string{ContosoDomain, ContosoInitialDomain}
	}
	t := New(opts)
	for _, s := range ContosoSkus() {
		if err := t.AddSku(s); err != nil {
			panic("sandbox: the Contoso SKUs are inconsistent: " + err.Error()) // a bug in this file
		}
	}
	if err := t.AddUsers(ContosoUsers()...); err != nil {
		panic("sandbox: the Contoso cast is inconsistent: " + err.Error()) // a bug in this file
	}
	for _, g := range contosoGrants {
		var err error
		if g.right == mailbox.RightFullAccess {
			err = t.AddFullAccess(context.Background(), g.mailbox, g.trustee, true)
		} else {
			err = t.AddSendAs(context.Background(), g.mailbox, g.trustee)
		}
		if err != nil {
			panic("sandbox: the Contoso grants are inconsistent: " + err.Error()) // a bug in this file
		}
	}
	t.changes = nil // seeding is no change
	return t
}
