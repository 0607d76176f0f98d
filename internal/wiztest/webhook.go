// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

package wiztest

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// Answer is a webhook's answer to one push.
type Answer struct {
	Status     int
	RetryAfter string
	Body       string
}

// Push POSTs body to a webhook as Wiz does, as application/json, with
// header added (credentials, say), and returns the answer. A request that
// gets no answer fails the test.
func Push(t testing.TB, client *http.Client, url string, body []byte, header http.Header) Answer {
	t.Helper()
	a, err := TryPush(client, url, body, header)
	require.NoError(t, err, "pushing to %s", url)
	return a
}

// TryPush is Push for a request that may get no answer (a refused TLS
// handshake, say).
func TryPush(client *http.Client, url string, body []byte, header http.Header) (Answer, error) {
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return Answer{}, err
	}
	req.Header.Set("Content-Type", "application/json")
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := client.Do(req)
	if err != nil {
		return Answer{}, err
	}
	answer, err := io.ReadAll(resp.Body)
	if closeErr := resp.Body.Close(); err == nil {
		err = closeErr
	}
	return Answer{Status: resp.StatusCode, RetryAfter: resp.Header.Get("Retry-After"), Body: string(answer)}, err
}

// HTTPClient is a plain HTTP client whose idle connections close with the
// test.
func HTTPClient(t testing.TB) *http.Client {
	transport := &http.Transport{}
	t.Cleanup(transport.CloseIdleConnections)
	return &http.Client{Transport: transport, Timeout: 30 * time.Second}
}

// Bearer is the header of Wiz's "Token (Bearer)" option.
func Bearer(token string) http.Header {
	return http.Header{"Authorization": {"Bearer " + token}}
}

// Certificates are throw-away PEM files for TLS tests: a CA, and a server
// certificate (for localhost and 127.0.0.1) and a client certificate it
// signed.
type Certificates struct {
	CA, ServerCert, ServerKey, ClientCert, ClientKey string
}

// NewCertificates writes a fresh set into a temporary directory.
func NewCertificates(t testing.TB) Certificates {
	t.Helper()
	dir := t.TempDir()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	ca := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "otelcol-wiz test CA"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		IsCA:                  true,
		KeyUsage:              x509.KeyUsageCertSign,
		BasicConstraintsValid: true,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, ca, ca, &caKey.PublicKey, caKey)
	require.NoError(t, err)
	c := Certificates{CA: filepath.Join(dir, "ca.pem")}
	writePEM(t, c.CA, "CERTIFICATE", caDER)

	issue := func(serial int64, name string, usage x509.ExtKeyUsage) (certFile, keyFile string) {
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		require.NoError(t, err)
		tmpl := &x509.Certificate{
			SerialNumber: big.NewInt(serial),
			Subject:      pkix.Name{CommonName: name},
			NotBefore:    time.Now().Add(-time.Hour),
			NotAfter:     time.Now().Add(24 * time.Hour),
			KeyUsage:     x509.KeyUsageDigitalSignature,
			ExtKeyUsage:  []x509.ExtKeyUsage{usage},
			DNSNames:     []string{"localhost"},
			IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
		require.NoError(t, err)
		keyDER, err := x509.MarshalPKCS8PrivateKey(key)
		require.NoError(t, err)
		certFile, keyFile = filepath.Join(dir, name+".pem"), filepath.Join(dir, name+"-key.pem")
		writePEM(t, certFile, "CERTIFICATE", der)
		writePEM(t, keyFile, "PRIVATE KEY", keyDER)
		return certFile, keyFile
	}
	c.ServerCert, c.ServerKey = issue(2, "server", x509.ExtKeyUsageServerAuth)
	c.ClientCert, c.ClientKey = issue(3, "wiz", x509.ExtKeyUsageClientAuth)
	return c
}

// Client is an HTTP client that trusts the CA and, when withCertificate,
// presents the client certificate.
func (c Certificates) Client(t testing.TB, withCertificate bool) *http.Client {
	t.Helper()
	if !withCertificate {
		return c.ClientPresenting(t, nil)
	}
	return c.ClientPresenting(t, &c)
}

// ClientPresenting is an HTTP client that trusts the CA and presents the
// client certificate of from, which may come from another CA; nil presents
// none.
func (c Certificates) ClientPresenting(t testing.TB, from *Certificates) *http.Client {
	t.Helper()
	raw, err := os.ReadFile(c.CA)
	require.NoError(t, err)
	roots := x509.NewCertPool()
	require.True(t, roots.AppendCertsFromPEM(raw))
	cfg := &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12}
	if from != nil {
		cert, err := tls.LoadX509KeyPair(from.ClientCert, from.ClientKey)
		require.NoError(t, err)
		cfg.Certificates = []tls.Certificate{cert}
	}
	transport := &http.Transport{TLSClientConfig: cfg}
	t.Cleanup(transport.CloseIdleConnections)
	return &http.Client{Transport: transport, Timeout: 30 * time.Second}
}

func writePEM(t testing.TB, path, blockType string, der []byte) {
	t.Helper()
	require.NoError(t, os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: blockType, Bytes: der}), 0o600))
}
