package bot

import "context"

// RefreshHomes exposes refreshHomes to the tests of package bot_test.
func (s *Service) RefreshHomes(ctx context.Context, r *Request) { s.refreshHomes(ctx, r) }
