package sandbox

import "github.com/mailboxbot/mailboxbot/mailbox"

// Names of the Contoso demo tenant.
const (
	// ContosoTenantID is the tenant id of the samples in shared/samples.
	ContosoTenantID = "9f6c2c1e-1111-4a5b-9c3d-0123456789ab"
	ContosoDomain   = "contoso.com"
	// ContosoAllStaffGroupID is the group through which erin@ gets her license.
	ContosoAllStaffGroupID = "4c1f6b0e-2d7a-4e58-9b3e-a11517aff000"
)

// ContosoUsers returns the cast of the Contoso demo tenant (see the package
// comment), freshly allocated on every call.
func ContosoUsers() []UserSpec {
	e3 := []mailbox.License{{SkuID: SkuOffice365E3}}
	lic := func() []mailbox.License { return append([]mailbox.License(nil), e3...) }
	const gb = 1 << 30
	return []UserSpec{
		{UserPrincipalName: "alice@contoso.com", DisplayName: "Alice Andersen", Licenses: lic(),
			ManagerUPN: "maria@contoso.com", MailboxSizeBytes: 15_687_850_951},
		{UserPrincipalName: "bob@contoso.com", DisplayName: "Bob Berg", Licenses: lic(),
			RecipientTypeDetails: mailbox.RecipientSharedMailbox, MailboxSizeBytes: 3 * gb},
		{UserPrincipalName: "carol@contoso.com", DisplayName: "Carol Chen",
			ManagerUPN: "maria@contoso.com", MailboxSizeBytes: 2 * gb},
		{UserPrincipalName: "dave@contoso.com", DisplayName: "Dave Dekker", Licenses: lic(),
			OnPremisesSyncEnabled: true, ManagerUPN: "maria@contoso.com", MailboxSizeBytes: 7 * gb},
		{UserPrincipalName: "erin@contoso.com", DisplayName: "Erin Evans",
			Licenses:         []mailbox.License{{SkuID: SkuMicrosoft365E3, AssignedByGroup: ContosoAllStaffGroupID}},
			MailboxSizeBytes: 5 * gb},
		{UserPrincipalName: "frank@contoso.com", DisplayName: "Frank Fox", Licenses: lic(),
			ManagerUPN: "grace@contoso.com", MailboxSizeBytes: 58 * gb},
		{UserPrincipalName: "grace@contoso.com", DisplayName: "Grace Green", Licenses: lic(),
			MailboxSizeBytes: 4 * gb},
		{UserPrincipalName: "maria@contoso.com", DisplayName: "Maria Martens", Licenses: lic(),
			MailboxSizeBytes: 9 * gb},
		{UserPrincipalName: "rita@contoso.com", DisplayName: "Rita Ramos", Licenses: lic(),
			ManagerUPN: "maria@contoso.com", MailboxSizeBytes: 1 * gb},
	}
}

// NewContoso returns a tenant seeded with ContosoUsers.
func NewContoso(opts Options) *Tenant {
	t := New(opts)
	if err := t.AddUsers(ContosoUsers()...); err != nil {
		panic("sandbox: the Contoso cast is inconsistent: " + err.Error()) // a bug in this file
	}
	return t
}
