package bot

// CheckClickFingerprint and StaleClickText expose the click check of
// recheck.go to the tests of package bot_test.
var (
	CheckClickFingerprint = checkClickFingerprint
	StaleClickText        = staleClickText
)
