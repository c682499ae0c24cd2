package bot

import "context"

// RefreshHomes exposes refreshHomes to the tests of package bot_test.
func (s *Service) RefreshHomes(ctx context.Context, r *Request) { s.refreshHomes(ctx, r) }

// IsBeneficiary exposes isBeneficiary to the tests of package bot_test.
func (s *Service) IsBeneficiary(ctx context.Context, r *Request, user string) bool {
	return s.isBeneficiary(ctx, r, user)
}
