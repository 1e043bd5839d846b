package etcd_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"tokentop/flows"
	"tokentop/store/etcd"
	"tokentop/store/etcd/etcdtest"
)

// pki is a throwaway CA with a server certificate for 127.0.0.1 and a
// client certificate, as PEM files in a temp dir.
type pki struct {
	dir                                        string
	ca, serverCert, serverKey, cliCert, cliKey string
}

func newPKI(t *testing.T) pki {
	t.Helper()
	p := pki{dir: t.TempDir()}
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "tokentop test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	caCert, _ := x509.ParseCertificate(caDER)
	p.ca = p.write(t, "ca.pem", "CERTIFICATE", caDER)
	leaf := func(name string, serial int64, usage ...x509.ExtKeyUsage) (certFile, keyFile string) {
		key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		tmpl := &x509.Certificate{
			SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: name},
			NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
			KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: usage,
			IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, caCert, &key.PublicKey, caKey)
		if err != nil {
			t.Fatal(err)
		}
		kb, err := x509.MarshalPKCS8PrivateKey(key)
		if err != nil {
			t.Fatal(err)
		}
		return p.write(t, name+".pem", "CERTIFICATE", der), p.write(t, name+"-key.pem", "PRIVATE KEY", kb)
	}
	// etcd's own gateway dials etcd with the server certificate, so it
	// serves as a client certificate too.
	p.serverCert, p.serverKey = leaf("server", 2, x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth)
	p.cliCert, p.cliKey = leaf("client", 3, x509.ExtKeyUsageClientAuth)
	return p
}

func (p pki) write(t *testing.T, name, kind string, der []byte) string {
	path := filepath.Join(p.dir, name)
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: kind, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// etcd over HTTPS asking for client certificates: a Store with the CA and
// a client certificate works; one without the certificate fails in one
// line naming the endpoint.
func TestTLSWithClientCertificates(t *testing.T) {
	p := newPKI(t)
	probe, err := tls.LoadX509KeyPair(p.cliCert, p.cliKey)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	caPEM, _ := os.ReadFile(p.ca)
	pool.AppendCertsFromPEM(caPEM)
	srv := etcdtest.StartTLS(t, &etcdtest.TLS{
		CertFile: p.serverCert, KeyFile: p.serverKey, ClientCAFile: p.ca,
		Probe: &tls.Config{RootCAs: pool, Certificates: []tls.Certificate{probe}},
	})
	if !strings.HasPrefix(srv.Endpoint, "https://") {
		t.Fatalf("endpoint %s", srv.Endpoint)
	}
	s := mustOpen(t, etcd.Options{Endpoints: []string{srv.Endpoint}, CAFile: p.ca, CertFile: p.cliCert, KeyFile: p.cliKey})
	if err := s.Update("aerion", func(st *flows.State) error { *st = tokenState("at-1"); return nil }); err != nil {
		t.Fatal(err)
	}
	if st, err := s.Load("aerion"); err != nil || st.Token == nil {
		t.Fatalf("Load over TLS = %v", err)
	}

	noCert := mustOpen(t, etcd.Options{Endpoints: []string{srv.Endpoint}, CAFile: p.ca, Timeout: 2 * time.Second})
	_, err = noCert.Load("aerion")
	checkOneLine(t, "Load without a client certificate", err, srv.Endpoint)
	noCA := mustOpen(t, etcd.Options{Endpoints: []string{srv.Endpoint}, CertFile: p.cliCert, KeyFile: p.cliKey, Timeout: 2 * time.Second})
	_, err = noCA.Load("aerion")
	checkOneLine(t, "Load not trusting the server", err, srv.Endpoint)
	t.Logf("server not trusted: %v", err)
}
