// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

package wiz

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
)

// CertificateError means the TLS certificate of token_url or the API
// endpoint did not verify. Retrying soon cannot fix it: the trust the
// collector has (tls.ca_file), the URL's host name, the host's clock or
// the server's certificate must change.
type CertificateError struct {
	// Setting is the option that names the URL: token_url or endpoint.
	Setting string
	URL     string
	Err     error // the verification failure
}

func (e *CertificateError) Error() string {
	var host x509.HostnameError
	var invalid x509.CertificateInvalidError
	fix := "set tls.ca_file to the CA certificate that signed the server's certificate (a TLS-inspecting proxy's own CA, say)"
	switch {
	case errors.As(e.Err, &host):
		fix = "set " + e.Setting + " to a URL whose host name the certificate names"
	case errors.As(e.Err, &invalid) && invalid.Reason == x509.Expired:
		fix = "check the collector host's clock; if it is right, the server's certificate has expired"
	}
	return fmt.Sprintf("the TLS certificate of %s (%s) does not verify (%v); %s", e.URL, e.Setting, e.Err, fix)
}

func (e *CertificateError) Unwrap() error { return e.Err }

// certificateFailure is the certificate verification failure in err, or
// nil.
func certificateFailure(err error) error {
	var verification *tls.CertificateVerificationError
	var unknown x509.UnknownAuthorityError
	var invalid x509.CertificateInvalidError
	var host x509.HostnameError
	switch {
	case errors.As(err, &verification):
		return verification
	case errors.As(err, &unknown):
		return unknown
	case errors.As(err, &invalid):
		return invalid
	case errors.As(err, &host):
		return host
	}
	return nil
}
