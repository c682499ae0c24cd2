package main

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
)

const redisTestPassword = "redis-password-never-shown"

// tlsRedis starts a miniredis speaking TLS with cert and requiring a user
// and password.
func tlsRedis(t *testing.T, cert tls.Certificate) *miniredis.Miniredis {
	t.Helper()
	m, err := miniredis.RunTLS(&tls.Config{Certificates: []tls.Certificate{cert}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.Close)
	m.RequireUserAuth("bot", redisTestPassword)
	return m
}

// trustedCert is httptest's certificate, which trustTestCerts makes this
// process trust through SSL_CERT_FILE, as an enterprise CA would be.
func trustedCert(t *testing.T) tls.Certificate {
	trustTestCerts(t)
	srv := httptest.NewTLSServer(http.NotFoundHandler())
	defer srv.Close()
	return srv.TLS.Certificates[0]
}

// selfSigned is a certificate for 127.0.0.1 that nothing trusts.
func selfSigned(t *testing.T) tls.Certificate {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "untrusted"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

func ping(t *testing.T, cfg Config) (string, error) {
	t.Helper()
	rdb, addr, err := newRedis(cfg)
	if err != nil {
		t.Fatalf("newRedis: %v", err)
	}
	defer rdb.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := rdb.Set(ctx, "k", "v", 0).Err(); err != nil {
		return addr, err
	}
	return addr, rdb.Get(ctx, "k").Err()
}

// TestRedisTLS: rediss:// speaks TLS, checks the server's certificate
// against the roots SSL_CERT_FILE names, and logs in.
func TestRedisTLS(t *testing.T) {
	m := tlsRedis(t, trustedCert(t))
	addr, err := ping(t, Config{RedisURL: "rediss://bot:" + redisTestPassword + "@" + m.Addr() + "/0"})
	if err != nil {
		t.Fatalf("rediss:// with a trusted certificate: %v", err)
	}
	if v, _ := m.Get("k"); v != "v" {
		t.Errorf("the server holds k=%q", v)
	}
	if want := "rediss://" + m.Addr() + "/0"; addr != want {
		t.Errorf("address %q, want %q", addr, want)
	}

	// Plain text to a TLS server does not work: the scheme matters.
	if _, err := ping(t, Config{RedisURL: "redis://bot:" + redisTestPassword + "@" + m.Addr() + "/0"}); err == nil {
		t.Error("redis:// reached a TLS server")
	}
	// The wrong password is refused, and not repeated.
	_, err = ping(t, Config{RedisURL: "rediss://bot:wrong-" + redisTestPassword + "@" + m.Addr() + "/0"})
	if err == nil || strings.Contains(err.Error(), redisTestPassword) {
		t.Errorf("wrong password: %v", err)
	}
}

// TestRedisTLSUntrusted: a certificate nothing vouches for is refused.
func TestRedisTLSUntrusted(t *testing.T) {
	trustTestCerts(t)
	m := tlsRedis(t, selfSigned(t))
	_, err := ping(t, Config{RedisURL: "rediss://bot:" + redisTestPassword + "@" + m.Addr() + "/0"})
	if err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Errorf("an untrusted certificate: %v, want a certificate error", err)
	}
	if m.CommandCount() != 0 {
		t.Errorf("%d commands reached the untrusted server", m.CommandCount())
	}
}

func TestFailoverOptions(t *testing.T) {
	opt, err := failoverOptions(Config{RedisSentinelAddrs: []string{" s0.redis:26379", "s1.redis:26379 ", ""}, RedisSentinelMaster: "mymaster",
		RedisURL: "rediss://bot:" + redisTestPassword + "@ignored.example:6380/3"})
	if err != nil {
		t.Fatal(err)
	}
	if opt.MasterName != "mymaster" || !reflect.DeepEqual(opt.SentinelAddrs, []string{"s0.redis:26379", "s1.redis:26379"}) ||
		opt.Username != "bot" || opt.Password != redisTestPassword || opt.DB != 3 {
		t.Errorf("options %+v", opt)
	}
	if opt.TLSConfig == nil || opt.TLSConfig.ServerName != "" || opt.TLSConfig.InsecureSkipVerify || opt.TLSConfig.RootCAs != nil {
		t.Errorf("rediss:// with Sentinel: TLS config %+v, want the system roots and each host's own name", opt.TLSConfig)
	}
	if opt.SentinelPassword != "" {
		t.Error("the master's password was sent to the Sentinels")
	}
	addr := sentinelAddr(opt)
	if strings.Contains(addr, redisTestPassword) || !strings.Contains(addr, `master "mymaster" (database 3) through the Sentinels s0.redis:26379,s1.redis:26379 over TLS`) {
		t.Errorf("address %q", addr)
	}

	opt, err = failoverOptions(Config{RedisSentinelAddrs: []string{"10.0.0.1:26379"}, RedisSentinelMaster: "m"})
	if err != nil || opt.TLSConfig != nil || opt.Password != "" || opt.DB != 0 {
		t.Errorf("without REDIS_URL: %+v %v", opt, err)
	}
	for _, bad := range []Config{
		{RedisSentinelAddrs: []string{"s0.redis"}, RedisSentinelMaster: "m"},
		{RedisSentinelAddrs: []string{"s0.redis:0"}, RedisSentinelMaster: "m"},
		{RedisSentinelAddrs: []string{"s0.redis:26379"}},
		{RedisSentinelAddrs: []string{"s0.redis:26379"}, RedisSentinelMaster: "m", RedisURL: "unix:///run/redis.sock"},
	} {
		if _, err := failoverOptions(bad); err == nil {
			t.Errorf("accepted %+v", bad)
		}
	}
}

func TestConfigSentinel(t *testing.T) {
	e := validEnv()
	delete(e, "REDIS_URL")
	e["MAILBOXBOT_REDIS_SENTINEL_ADDRS"] = "s0.redis:26379,s1.redis:26379"
	e["MAILBOXBOT_REDIS_SENTINEL_MASTER"] = "mymaster"
	cfg, err := loadConfig(envOf(e))
	if err != nil {
		t.Fatalf("Sentinel without REDIS_URL: %v", err)
	}
	if !cfg.sentinel() || len(cfg.sentinelAddrs()) != 2 {
		t.Errorf("config %+v", cfg)
	}

	for name, c := range map[string]struct {
		env  map[string]string
		want string
	}{
		"no master":     {map[string]string{"MAILBOXBOT_REDIS_SENTINEL_ADDRS": "s0.redis:26379"}, "MAILBOXBOT_REDIS_SENTINEL_MASTER is not set"},
		"no sentinels":  {map[string]string{"MAILBOXBOT_REDIS_SENTINEL_MASTER": "mymaster"}, "MAILBOXBOT_REDIS_SENTINEL_ADDRS is not set"},
		"no port":       {map[string]string{"MAILBOXBOT_REDIS_SENTINEL_ADDRS": "s0.redis", "MAILBOXBOT_REDIS_SENTINEL_MASTER": "m"}, `"s0.redis" is not host:port`},
		"unix":          {map[string]string{"MAILBOXBOT_REDIS_SENTINEL_ADDRS": "s0.redis:26379", "MAILBOXBOT_REDIS_SENTINEL_MASTER": "m", "REDIS_URL": "unix:///x.sock"}, "REDIS_URL must be a redis:// or rediss:// URL with Sentinel"},
		"nothing":       {map[string]string{}, "REDIS_URL is not set"},
		"bad port text": {map[string]string{"MAILBOXBOT_REDIS_SENTINEL_ADDRS": "s0.redis:x", "MAILBOXBOT_REDIS_SENTINEL_MASTER": "m"}, `"s0.redis:x" is not host:port`},
	} {
		e := validEnv()
		delete(e, "REDIS_URL")
		for k, v := range c.env {
			e[k] = v
		}
		if _, err := loadConfig(envOf(e)); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", name, err, c.want)
		}
	}
}

// TestServeRedisUnreachable: serve stops at once with a message naming
// where it tried, without the password, and what to check.
func TestServeRedisUnreachable(t *testing.T) {
	closed := freeAddr(t)
	for name, c := range map[string]struct {
		env  map[string]string
		want []string
	}{
		"url": {map[string]string{"REDIS_URL": "redis://bot:" + redisTestPassword + "@" + closed + "/2"},
			[]string{"cannot reach Redis at redis://" + closed + "/2:", "check REDIS_URL"}},
		"sentinel": {map[string]string{"REDIS_URL": "redis://:" + redisTestPassword + "@x/0", "MAILBOXBOT_REDIS_SENTINEL_ADDRS": closed, "MAILBOXBOT_REDIS_SENTINEL_MASTER": "mymaster"},
			[]string{`cannot reach Redis at master "mymaster" (database 0) through the Sentinels ` + closed + ":", "Sentinel " + closed + ": dial tcp", "check MAILBOXBOT_REDIS_SENTINEL_ADDRS"}},
	} {
		e := validEnv()
		for k, v := range c.env {
			e[k] = v
		}
		start := time.Now()
		err := run(context.Background(), []string{"serve"}, envOf(e), &bytes.Buffer{}, &bytes.Buffer{})
		if err == nil {
			t.Fatalf("%s: serve started without Redis", name)
		}
		for _, want := range c.want {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("%s: error lacks %q: %v", name, want, err)
			}
		}
		if strings.Contains(err.Error(), redisTestPassword) {
			t.Errorf("%s: the error shows the password: %v", name, err)
		}
		// serve gives up (its ping has a 5 s deadline) rather than hang; the
		// bound is a guard against hanging, not a timing assertion.
		if d := time.Since(start); d > 30*time.Second {
			t.Errorf("%s: took %s to give up", name, d)
		}
	}
}
