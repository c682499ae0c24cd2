package redisstore

import (
	"fmt"
	"strings"
)

// On Redis Cluster a transaction (WATCH/MULTI, or a script) may only touch
// keys of one hash slot, and a key's slot is that of its hash tag, the
// part between the first "{" and the next "}", when it has one. Create and
// Update write a request, its mailbox claim, the in-flight set, the
// tracked hash, the list indexes and the audit stream in one transaction;
// Forget two of those. So on a cluster every key of the bot shares one
// hash tag, put in the prefix: all of them live in one slot, on one master
// (and its replicas). Cluster support is for compatibility with services
// that only offer cluster mode, not for spreading the bot's load.

// HashTagged returns prefix with a hash tag, for Redis Cluster: prefix
// itself when it has one ("mailboxbot:{mbb}:"), else prefix followed by
// its name in braces ("mailboxbot:" gives "mailboxbot:{mailboxbot}:"), so
// that two bots with different prefixes stay in different slots. A prefix
// whose first "{" is followed at once by "}" cannot carry a tag: an error.
func HashTagged(prefix string) (string, error) {
	if HasHashTag(prefix) {
		return prefix, nil
	}
	name := strings.Map(func(r rune) rune {
		if r == '{' || r == '}' {
			return -1
		}
		return r
	}, strings.TrimSuffix(prefix, ":"))
	if name == "" {
		name = "mailboxbot"
	}
	tagged := prefix + "{" + name + "}:"
	if !HasHashTag(tagged) {
		return "", fmt.Errorf("key prefix %q cannot carry a hash tag: its first { is followed by }; use braces only around a tag, like mailboxbot:{mbb}:", prefix)
	}
	return tagged, nil
}

// HasHashTag reports whether every key under prefix has the same hash tag,
// given by prefix: it has a "{" followed, later, by a "}" with something
// in between.
func HasHashTag(prefix string) bool {
	open := strings.IndexByte(prefix, '{')
	if open < 0 {
		return false
	}
	return strings.IndexByte(prefix[open+1:], '}') > 0
}
