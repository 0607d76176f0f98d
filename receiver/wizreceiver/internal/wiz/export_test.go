package wiz

// DecodePage lets the benchmarks of package wiz_test, which iterate over
// the registry of log types (a package that imports this one), time the
// client's page decoding.
var DecodePage = decodePage

// Redact is what the client leaves of text an upstream sent when its
// credentials are credentials.
func Redact(text string, credentials ...string) string {
	return newRedactor(credentials...).text(text)
}
