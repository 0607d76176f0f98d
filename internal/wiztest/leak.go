package wiztest

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// LeakySecret and LeakyToken hold every character that an encoding of a
// credential changes: URL escaping (+ / = & % space), JSON escaping (" \ <
// > &), and, not being a multiple of 3 bytes long, base64 padding.
const (
	LeakySecret = `Wz+8/k=Q&s"e\c r<e>t%41-0123456789abcdef`
	LeakyToken  = `eyJ0+/=&"\ <>%2B.tok-abcdefghij`
)

// Encodings is every form in which an upstream may echo s, by name: as it
// is; URL-encoded as Go's url.QueryEscape (a space as + or %20) and
// url.PathEscape, and as JavaScript's encodeURIComponent write it, with
// upper- or lower-case hex digits; base64 in either alphabet, padded or
// not; and JSON-escaped, with or without HTML escaping, or with / escaped
// too.
func Encodings(s string) map[string]string {
	query, path := url.QueryEscape(s), url.PathEscape(s)
	uriComponent := strings.NewReplacer("+", "%20", "%21", "!", "%27", "'", "%28", "(", "%29", ")", "%2A", "*").Replace(query)
	htmlJSON, _ := json.Marshal(s)
	var plainJSON bytes.Buffer
	enc := json.NewEncoder(&plainJSON)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)
	plain := strings.TrimSpace(plainJSON.String())
	forms := map[string]string{
		"literal":            s,
		"query-escaped":      query,
		"query-escaped %20":  strings.ReplaceAll(query, "+", "%20"),
		"path-escaped":       path,
		"encodeURIComponent": uriComponent,
		"base64":             base64.StdEncoding.EncodeToString([]byte(s)),
		"base64 raw":         base64.RawStdEncoding.EncodeToString([]byte(s)),
		"base64url":          base64.URLEncoding.EncodeToString([]byte(s)),
		"base64url raw":      base64.RawURLEncoding.EncodeToString([]byte(s)),
		"JSON":               string(htmlJSON[1 : len(htmlJSON)-1]),
		"JSON without HTML":  plain[1 : len(plain)-1],
		`JSON with \/`:       strings.ReplaceAll(plain[1:len(plain)-1], "/", `\/`),
	}
	for _, name := range []string{"query-escaped", "query-escaped %20", "path-escaped", "encodeURIComponent"} {
		forms[name+" lower-case hex"] = lowerHex(forms[name])
	}
	return forms
}

var percentEscape = regexp.MustCompile(`%[0-9A-F]{2}`)

func lowerHex(s string) string {
	return percentEscape.ReplaceAllStringFunc(s, strings.ToLower)
}

// Leaks names the forms (see Encodings) of each credential that text
// holds.
func Leaks(text string, credentials ...string) []string {
	var found []string
	for _, c := range credentials {
		for name, form := range Encodings(c) {
			if strings.Contains(text, form) {
				found = append(found, name)
			}
		}
	}
	slices.Sort(found)
	return slices.Compact(found)
}

// EchoingWiz is a stdlib fake Wiz that puts the credentials it was sent
// into its error text, in every encoding. Its token endpoint
// (/oauth/token) refuses any client secret but LeakySecret with a 401
// whose error_description echoes the request body and the secret (see
// Echo), and issues LeakyToken to LeakySecret. Every other request is
// api's to answer, given its Authorization header.
func EchoingWiz(t testing.TB, api func(w http.ResponseWriter, authorization string)) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/oauth/token" {
			api(w, r.Header.Get("Authorization"))
			return
		}
		body, _ := io.ReadAll(r.Body)
		form, _ := url.ParseQuery(string(body))
		w.Header().Set("Content-Type", "application/json")
		if secret := form.Get("client_secret"); secret != LeakySecret {
			w.WriteHeader(http.StatusUnauthorized)
			_ = json.NewEncoder(w).Encode(map[string]string{"error": "invalid_client", "error_description": Echo(string(body), secret)})
			return
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"access_token": LeakyToken, "token_type": "Bearer", "expires_in": 3600})
	}))
	t.Cleanup(srv.Close)
	return srv
}

// EchoGraphQLError answers a GraphQL request with an error of the code
// given whose message echoes the Authorization header and the token in
// it.
func EchoGraphQLError(code string) func(w http.ResponseWriter, authorization string) {
	return func(w http.ResponseWriter, authorization string) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"errors": []any{map[string]any{
			"message":    Echo(authorization, strings.TrimPrefix(authorization, "Bearer ")),
			"extensions": map[string]any{"code": code},
		}}})
	}
}

// Echo is raw, then credential in every form of Encodings, and as the
// credential of HTTP Basic authentication.
func Echo(raw, credential string) string {
	var b strings.Builder
	b.WriteString("you sent " + raw)
	for _, name := range slices.Sorted(maps.Keys(Encodings(credential))) {
		fmt.Fprintf(&b, "; as %s: %s", name, Encodings(credential)[name])
	}
	fmt.Fprintf(&b, "; as Basic: %s", base64.StdEncoding.EncodeToString([]byte("id:"+credential)))
	return b.String()
}
