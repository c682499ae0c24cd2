package redisstore

import "testing"

func TestHashTagged(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"mailboxbot:", "mailboxbot:{mailboxbot}:"},
		{"staging:", "staging:{staging}:"},
		{"mailboxbot:{mbb}:", "mailboxbot:{mbb}:"},
		{"{mbb}:", "{mbb}:"},
		{"", "{mailboxbot}:"},
		{"a{b:", "a{b:{ab}:"}, // the tag is then "b:{ab", the same for every key
		{"a}b:", "a}b:{ab}:"},
	} {
		got, err := HashTagged(c.in)
		if err != nil || got != c.want {
			t.Errorf("HashTagged(%q) = %q, %v; want %q", c.in, got, err, c.want)
		}
		if !HasHashTag(got) {
			t.Errorf("HashTagged(%q) = %q has no hash tag", c.in, got)
		}
	}
}

// TestHashTaggedRefusesAnEmptyTag: Redis hashes a key whose first { is
// followed by } whole, so no tag can follow such a prefix.
func TestHashTaggedRefusesAnEmptyTag(t *testing.T) {
	if got, err := HashTagged("a{}:"); err == nil {
		t.Errorf("HashTagged(a{}:) = %q, want an error", got)
	}
}
