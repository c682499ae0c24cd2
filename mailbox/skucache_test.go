package mailbox_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/mailboxbot/mailboxbot/mailbox"
	"github.com/mailboxbot/mailboxbot/mailbox/mailboxtest"
	"github.com/mailboxbot/mailboxbot/mailbox/sandbox"
)

// The cached directory is still a Directory: the contract holds through it.
func TestCacheSkusContract(t *testing.T) {
	mailboxtest.TestDirectory(t, func(t *testing.T, seed []sandbox.UserSpec) mailbox.Directory {
		tn := sandbox.New(sandbox.Options{})
		if err := tn.AddUsers(seed...); err != nil {
			t.Fatal(err)
		}
		return mailbox.CacheSkus(tn, time.Hour, nil)
	})
}

// slowSkus holds every SubscribedSkus until release is closed, and fails
// while fail is set.
type slowSkus struct {
	mailbox.Directory
	mu      sync.Mutex
	calls   int
	fail    error
	release chan struct{}
}

func (s *slowSkus) SubscribedSkus(ctx context.Context) ([]mailbox.Sku, error) {
	s.mu.Lock()
	s.calls++
	fail, release := s.fail, s.release
	s.mu.Unlock()
	if release != nil {
		<-release
	}
	if fail != nil {
		return nil, fail
	}
	return s.Directory.SubscribedSkus(ctx)
}

func (s *slowSkus) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls
}

func TestCacheSkus(t *testing.T) {
	ctx := context.Background()
	tn := sandbox.NewContoso(sandbox.Options{})
	now := time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC)
	src := &slowSkus{Directory: tn}
	d := mailbox.CacheSkus(src, 30*time.Second, func() time.Time { return now })
	read := func() []mailbox.Sku {
		t.Helper()
		skus, err := d.SubscribedSkus(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return skus
	}

	first := read()
	if len(first) == 0 {
		t.Fatal("no SKUs read")
	}
	first[0].PartNumber = "CHANGED BY A CALLER"
	if len(first[0].ServicePlans) == 0 {
		t.Fatal("the first SKU has no service plans to change")
	}
	first[0].ServicePlans[0] = "CHANGED BY A CALLER"
	now = now.Add(29 * time.Second)
	if again := read(); src.count() != 1 || again[0].PartNumber == "CHANGED BY A CALLER" || again[0].ServicePlans[0] == "CHANGED BY A CALLER" {
		t.Fatalf("within the TTL: %d reads (want 1), first SKU %q %v", src.count(), again[0].PartNumber, again[0].ServicePlans)
	}
	now = now.Add(time.Second)
	read()
	if src.count() != 2 {
		t.Fatalf("after the TTL: %d reads, want 2", src.count())
	}

	// The process's own assignment is seen by its next read.
	u, err := tn.User(ctx, "bob@contoso.com")
	if err != nil {
		t.Fatal(err)
	}
	free := func(skus []mailbox.Sku, id string) int {
		for _, s := range skus {
			if s.ID == id {
				return s.Free()
			}
		}
		t.Fatalf("sku %s not listed", id)
		return 0
	}
	sku := first[0].ID
	before := free(read(), sku)
	if err := d.AssignLicenses(ctx, u.ID, nil, []string{u.Licenses[0].SkuID}); err != nil {
		t.Fatal(err)
	}
	sku = u.Licenses[0].SkuID
	if got, want := free(read(), sku), free(must(tn.SubscribedSkus(ctx)), sku); got != want || src.count() != 3 {
		t.Fatalf("after AssignLicenses: %d free (tenant says %d), %d reads (want 3); before %d", got, want, src.count(), before)
	}

	// Errors are not kept.
	now = now.Add(time.Minute)
	src.mu.Lock()
	src.fail = errors.New("503")
	src.mu.Unlock()
	if _, err := d.SubscribedSkus(ctx); err == nil {
		t.Fatal("the error was not passed on")
	}
	src.mu.Lock()
	src.fail = nil
	src.mu.Unlock()
	read()
	if src.count() != 5 {
		t.Fatalf("after an error: %d reads, want 5", src.count())
	}
}

// Concurrent misses share one read, and a caller that gives up does not
// cancel the others' read.
func TestCacheSkusShared(t *testing.T) {
	tn := sandbox.NewContoso(sandbox.Options{})
	src := &slowSkus{Directory: tn, release: make(chan struct{})}
	d := mailbox.CacheSkus(src, time.Minute, nil)

	quitter, quit := context.WithCancel(context.Background())
	gaveUp := make(chan error, 1)
	go func() {
		_, err := d.SubscribedSkus(quitter)
		gaveUp <- err
	}()
	for src.count() == 0 {
		time.Sleep(time.Millisecond)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 10)
	for range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			skus, err := d.SubscribedSkus(context.Background())
			if err == nil && len(skus) == 0 {
				err = errors.New("no SKUs")
			}
			errs <- err
		}()
	}
	quit()
	if err := <-gaveUp; !errors.Is(err, context.Canceled) {
		t.Fatalf("the caller that gave up got %v", err)
	}
	close(src.release)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if n := src.count(); n != 1 {
		t.Fatalf("%d reads for 11 concurrent callers, want 1", n)
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
