// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

package mockwiz

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"time"
)

// timeLayout is how Wiz writes timestamps: UTC with a microsecond fraction.
const timeLayout = "2006-01-02T15:04:05.000000Z"

func formatTime(t time.Time) string { return t.UTC().Format(timeLayout) }

// DatasetOptions controls GenerateDataset. The same options always produce
// the same data.
type DatasetOptions struct {
	Seed       int64
	Start, End time.Time
	// Counts is how many nodes of each log type to generate, by Panther's
	// log-type name (see receiver/wizreceiver/internal/logtype).
	Counts map[string]int
	// Projects are the project ids issues and findings belong to; three are
	// generated when empty.
	Projects []string
}

// Dataset is the data a Server starts with.
type Dataset struct {
	// Projects are the ids of the dataset's projects.
	Projects []string

	seed int64
	// nodes holds each log type's nodes, by log-type name.
	nodes map[string][]map[string]any
}

// Random streams of one seed: the dataset and the entries a server adds later
// must not repeat each other's ids.
const (
	streamDataset = iota + 1
	streamLive
)

// GenerateDataset builds realistic nodes of every log type the mock serves,
// all timestamped within [o.Start, o.End].
func GenerateDataset(o DatasetOptions) *Dataset {
	if o.End.IsZero() {
		o.End = time.Now()
	}
	if o.Start.IsZero() || !o.Start.Before(o.End) {
		o.Start = o.End.Add(-48 * time.Hour)
	}
	g := newGenerator(o.Seed, streamDataset)
	ids := o.Projects
	if len(ids) == 0 {
		ids = []string{g.uuid(), g.uuid(), g.uuid()}
	}
	projects := make([]map[string]any, len(ids))
	for i, id := range ids {
		projects[i] = g.project(i, id)
	}
	ds := &Dataset{Projects: ids, seed: o.Seed, nodes: map[string][]map[string]any{}}
	// One generator draws every collection in a fixed order, so a seed
	// always gives the same data.
	for _, c := range served {
		for range o.Counts[c.logType] {
			ds.nodes[c.logType] = append(ds.nodes[c.logType], c.generate(g, o.Start, o.End, projects))
		}
	}
	return ds
}

type generator struct {
	rng *rand.Rand
}

func newGenerator(seed int64, stream uint64) *generator {
	return &generator{rng: rand.New(rand.NewPCG(uint64(seed), stream))}
}

func (g *generator) uuid() string {
	b := make([]byte, 16)
	for i := range b {
		b[i] = byte(g.rng.UintN(256))
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

func (g *generator) alnum(n int) string {
	const chars = "abcdefghijklmnopqrstuvwxyz0123456789"
	b := make([]byte, n)
	for i := range b {
		b[i] = chars[g.rng.IntN(len(chars))]
	}
	return string(b)
}

func (g *generator) digits(n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte('0' + g.rng.IntN(10))
	}
	return string(b)
}

func pick[T any](g *generator, items []T) T { return items[g.rng.IntN(len(items))] }

// chance is true with probability p.
func (g *generator) chance(p float64) bool { return g.rng.Float64() < p }

// timeIn is a random time in [start, end] at microsecond precision.
func (g *generator) timeIn(start, end time.Time) time.Time {
	return g.timeInUnits(start, end, time.Microsecond)
}

// timeInUnits is a random time in [start, end], a whole number of unit.
func (g *generator) timeInUnits(start, end time.Time, unit time.Duration) time.Time {
	span := end.Sub(start)
	if span <= 0 {
		return start.Truncate(unit)
	}
	t := start.Add(time.Duration(g.rng.Int64N(int64(span) + 1))).Truncate(unit)
	if t.Before(start) {
		return start
	}
	return t
}

func (g *generator) ip() string {
	return fmt.Sprintf("%d.%d.%d.%d", pick(g, []int{34, 52, 81, 89, 104, 185, 203}), g.rng.IntN(256), g.rng.IntN(256), 1+g.rng.IntN(254))
}

func (g *generator) project(i int, id string) map[string]any {
	names := []string{"Production", "Payments Platform", "Data Lake", "Internal Tools", "Mobile Backend"}
	name := names[i%len(names)]
	if i >= len(names) {
		name = fmt.Sprintf("%s %d", name, i/len(names)+1)
	}
	return map[string]any{
		"id":           id,
		"name":         name,
		"slug":         strings.ReplaceAll(strings.ToLower(name), " ", "-"),
		"businessUnit": pick(g, []string{"", "Dev", "Finance", "Platform"}),
		"riskProfile":  map[string]any{"businessImpact": pick(g, []string{"MBI", "MBI", "HBI", "LBI"})},
	}
}

// projectsFor picks one or two of the dataset's projects.
func (g *generator) projectsFor(projects []map[string]any) []any {
	first := g.rng.IntN(len(projects))
	out := []any{deepCopy(projects[first])}
	if len(projects) > 1 && g.chance(0.3) {
		out = append(out, deepCopy(projects[(first+1+g.rng.IntN(len(projects)-1))%len(projects)]))
	}
	return out
}

// --- audit log ------------------------------------------------------------

type actor struct {
	id, name, email string
	serviceAccount  bool
}

var actors = []actor{
	{id: "wiz-production_alice.admin@example.com", name: "alice.admin@example.com", email: "alice.admin@example.com"},
	{id: "wiz-production_bob.secops@example.com", name: "bob.secops@example.com", email: "bob.secops@example.com"},
	{id: "wiz-production_carol.dev@example.com", name: "carol.dev@example.com", email: "carol.dev@example.com"},
	{id: "mlipebtwsndhxdmnzdwrxzmiolvzt6topjvv4nugzctcsyarazrhg", name: "otelcol-wiz", serviceAccount: true},
	{id: "mlipebtwsndhxdmnzdwrxzmiokcvchjpebavkufblyt6u3qowslxg", name: "siem-export", serviceAccount: true},
	{id: "rsaoq2c4dfl7m3xvyk5bwnz6hjt8pa1e9ug0rsi4cmo7ydl2qkxv", name: "terraform-ci", serviceAccount: true},
}

var auditActions = []string{
	"TokenRefresh", "Reports", "CreateUser", "UpdateUser", "DeleteUser", "RevokeUserSessions",
	"CreateServiceAccount", "UpdateServiceAccount", "DeleteServiceAccount", "RotateServiceAccountSecret",
	"UpdateConnector", "DeleteConnector", "UpdateIntegration", "DeleteIntegration",
	"UpdateIPRestrictions", "UpdateLoginSettings", "UpdateScannerSettings", "UpdateUserRole",
	"CreateSAMLIdentityProvider", "UpdateSAMLIdentityProvider", "DeleteSAMLIdentityProvider",
	"CreateIgnoreRule", "DeleteCloudConfigurationRule",
}

var browserAgents = []string{
	"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36",
	"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/115.0.0.0 Safari/537.36",
	"Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
}

var apiAgents = []string{"python-requests/2.31.0", "Go-http-client/2.0", "Terraform/1.8.5 terraform-provider-wiz/1.1.0"}

func (g *generator) auditEntry(at time.Time) map[string]any {
	id := g.uuid()
	a := pick(g, actors)
	action := "Login"
	if !g.chance(0.35) {
		action = pick(g, auditActions)
	}
	requestID := id // Wiz uses the entry id as request id for logins.
	var params map[string]any
	if action == "Login" {
		params = g.loginParams(a)
	} else {
		requestID = g.uuid()
		params = g.mutationParams(action)
	}
	entry := map[string]any{
		"id":               id,
		"action":           action,
		"requestId":        requestID,
		"status":           pick(g, []string{"SUCCESS", "SUCCESS", "SUCCESS", "SUCCESS", "SUCCESS", "SUCCESS", "FAILED", "ACCESS_DENIED", "INVALID"}),
		"timestamp":        formatTime(at),
		"actionParameters": params,
		"userAgent":        nil,
		"sourceIP":         nil,
		"serviceAccount":   nil,
		"user":             nil,
	}
	if !g.chance(0.15) {
		if a.serviceAccount {
			entry["userAgent"] = pick(g, apiAgents)
		} else {
			entry["userAgent"] = pick(g, browserAgents)
		}
	}
	if !g.chance(0.15) {
		entry["sourceIP"] = g.ip()
	}
	if a.serviceAccount {
		entry["serviceAccount"] = map[string]any{"id": a.id, "name": a.name}
	} else {
		entry["user"] = map[string]any{"id": a.id, "name": a.name, "email": a.email}
	}
	return entry
}

func (g *generator) loginParams(a actor) map[string]any {
	p := map[string]any{
		"clientID":   g.alnum(25),
		"groups":     nil,
		"name":       a.name,
		"products":   []any{"*"},
		"role":       "",
		"scopes":     []any{"read:issues", "read:vulnerabilities", "admin:audit"},
		"userEmail":  a.email,
		"userID":     a.id,
		"userpoolID": "us-east-2_GQ3gwvxsQ",
	}
	if a.serviceAccount {
		p["userPoolType"] = "sa"
	} else {
		p["role"] = pick(g, []string{"GLOBAL_ADMIN", "GLOBAL_READER", "SECURITY_ANALYST"})
		p["scopes"] = nil
	}
	return p
}

// mutationParams mirrors what Wiz logs for an API mutation: its input and the
// selection the caller asked for.
func (g *generator) mutationParams(action string) map[string]any {
	verbs := []string{"Create", "Update", "Delete", "Rotate", "Revoke", "Modify"}
	entity := action
	for _, v := range verbs {
		entity = strings.TrimPrefix(entity, v)
	}
	entity = strings.ToLower(entity[:1]) + entity[1:]
	input := map[string]any{"id": g.uuid()}
	switch {
	case action == "CreateUser":
		input = map[string]any{"email": "new.user@example.com", "name": "New User", "role": "GLOBAL_READER", "assignedProjectIds": nil, "expiresAt": nil}
	case strings.HasPrefix(action, "Update"):
		input["patch"] = map[string]any{"enabled": g.chance(0.5), "expiresAt": nil}
	}
	return map[string]any{
		"input":     input,
		"selection": []any{"__typename", map[string]any{entity: []any{"__typename", "id"}}},
	}
}

// --- issues ---------------------------------------------------------------

func subCategory(title, category, framework string) map[string]any {
	return map[string]any{
		"id": nil, "externalId": strings.SplitN(title, " ", 2)[0], "title": title,
		"category": map[string]any{"id": nil, "name": category, "framework": map[string]any{"id": nil, "name": framework}},
	}
}

var sourceRules = []map[string]any{
	{
		"__typename": "Control", "id": "wc-id-1335", "name": "Publicly exposed VM with a high/critical severity network vulnerability",
		"description":              "This VM is exposed to the internet and has a network vulnerability with a known exploit.",
		"resolutionRecommendation": "Patch the vulnerable package or restrict inbound access.",
		"securitySubCategories": []any{
			subCategory("ID.RA-1 Asset vulnerabilities are identified and documented", "Risk Assessment (ID.RA)", "NIST CSF v1.1"),
			subCategory("7.1 Establish and Maintain a Vulnerability Management Process", "7 Continuous Vulnerability Management", "CIS Controls v8"),
		},
		"risks": []any{"EXTERNAL_EXPOSURE", "VULNERABILITY"},
	},
	{
		"__typename": "Control", "id": "wc-id-3206", "name": "Publicly exposed cloud resource with non-PQC compliant transport encryption",
		"description":              "This cloud resource is publicly accessible and uses transport encryption that is not post-quantum safe.",
		"resolutionRecommendation": "### Limit external exposure\n* Restrict access to resources that do not need to be accessible from the internet.",
		"securitySubCategories": []any{
			subCategory("SC-8 Transmission Confidentiality and Integrity", "SC System And Communications Protection", "NIST SP 800-53 Revision 5"),
		},
		"risks": []any{"EXTERNAL_EXPOSURE", "DATA_EXPOSURE"},
	},
	{
		"__typename": "Control", "id": "wc-id-2121", "name": "Admin role assumable by a third-party account",
		"description":              nil,
		"resolutionRecommendation": nil,
		"securitySubCategories":    []any{},
		"risks":                    nil,
	},
	{
		"__typename": "CloudEventRule", "id": "cer-awsguardduty-UnauthorizedAccess:EC2/SSHBruteForce", "name": "GuardDuty: SSH brute force attack",
		"description": "An EC2 instance was involved in SSH brute force attacks.", "sourceType": "AWS_GUARDDUTY", "type": "DETECTION",
		"securitySubCategories": []any{subCategory("T1110 Brute Force", "Credential Access", "MITRE ATT&CK Matrix")},
		"risks":                 []any{"UNPROTECTED_PRINCIPAL"},
	},
	{
		"__typename": "CloudEventRule", "id": "cer-sen-id-112", "name": "Suspicious IAM access key creation",
		"description": "An access key was created for a user by an unusual principal.", "sourceType": "AWS_CLOUDTRAIL", "type": "THREAT_DETECTION",
		"securitySubCategories": []any{},
		"risks":                 nil,
	},
	{
		"__typename": "CloudConfigurationRule", "id": "0b2c6e2c-8e52-4d2b-9b80-8c4b9fa3f2a1", "name": "S3 Bucket should block public access",
		"description": "The bucket allows public access.", "remediationInstructions": "Enable Block Public Access on the bucket.", "serviceType": "AWS",
		"securitySubCategories": []any{subCategory("3.3 Configure Data Access Control Lists", "3 Data Protection", "CIS Controls v8")},
		"risks":                 []any{"DATA_EXPOSURE"},
	},
	{
		"__typename": "CloudConfigurationRule", "id": "5c1ed6b1-0f5a-4c9e-9f7e-2b8d6d1c9e33", "name": "Storage account should enforce TLS 1.2",
		"description": nil, "remediationInstructions": nil, "serviceType": "Azure",
		"securitySubCategories": []any{},
		"risks":                 nil,
	},
}

var issueTypeOf = map[string]string{
	"Control":                "TOXIC_COMBINATION",
	"CloudEventRule":         "THREAT_DETECTION",
	"CloudConfigurationRule": "CLOUD_CONFIGURATION",
}

func (g *generator) issue(start, end time.Time, projects []map[string]any) map[string]any {
	created := g.timeIn(start, end)
	rule := deepCopy(pick(g, sourceRules))
	rules := []any{rule}
	if g.chance(0.2) {
		rules = append(rules, deepCopy(pick(g, sourceRules)))
	}
	typeName := rule["__typename"].(string)
	status := pick(g, []string{"OPEN", "OPEN", "OPEN", "IN_PROGRESS", "RESOLVED", "RESOLVED", "REJECTED"})
	statusChanged := created
	if status != "OPEN" || g.chance(0.2) {
		statusChanged = g.timeIn(created, end)
	}
	updated := statusChanged
	if g.chance(0.5) {
		updated = g.timeIn(statusChanged, end)
	}
	issue := map[string]any{
		"id":               g.uuid(),
		"sourceRule":       rule,
		"sourceRules":      rules,
		"control":          nil,
		"createdAt":        formatTime(created),
		"updatedAt":        formatTime(updated),
		"dueAt":            nil,
		"resolvedAt":       nil,
		"statusChangedAt":  formatTime(statusChanged),
		"type":             issueTypeOf[typeName],
		"status":           status,
		"severity":         pick(g, []string{"INFORMATIONAL", "LOW", "MEDIUM", "MEDIUM", "HIGH", "HIGH", "CRITICAL"}),
		"resolutionReason": nil,
		"entitySnapshot":   g.entitySnapshot(created),
		"serviceTickets":   g.serviceTickets(),
		"notes":            g.notes(created, end),
	}
	if typeName == "Control" {
		issue["control"] = rule
	}
	projs := g.projectsFor(projects)
	issue["projects"] = projs
	issue["project"] = projs[0]
	if g.chance(0.3) {
		// Due dates are set to whole seconds, as in Wiz.
		issue["dueAt"] = g.timeIn(created, end).Truncate(time.Second).UTC().Format(time.RFC3339)
	}
	switch status {
	case "RESOLVED":
		issue["resolvedAt"] = issue["statusChangedAt"]
		issue["resolutionReason"] = pick(g, []string{"ISSUE_FIXED", "OBJECT_DELETED", "CONTROL_CHANGED"})
	case "REJECTED":
		issue["resolutionReason"] = pick(g, []string{"FALSE_POSITIVE", "EXCEPTION", "WONT_FIX"})
	}
	return issue
}

func (g *generator) tags() any {
	if g.chance(0.3) {
		return nil
	}
	if g.chance(0.3) {
		return map[string]any{}
	}
	return map[string]any{"env": pick(g, []string{"prod", "staging", "dev"}), "owner": pick(g, []string{"platform", "payments", "data"})}
}

// cloud is where a resource lives; platform "" is a resource without a cloud
// (e.g. a data finding), serialised as null.
type cloud struct {
	platform, region, subscription, subscriptionName, providerID, url string
}

func (g *generator) cloud(name string) cloud {
	switch pick(g, []string{"AWS", "AWS", "Azure", "GCP", "Kubernetes", ""}) {
	case "AWS":
		account := g.digits(12)
		region := pick(g, []string{"us-east-1", "eu-west-1", "us-west-2"})
		instance := "i-0" + g.alnum(16)
		return cloud{"AWS", region, account, "aws-" + pick(g, []string{"prod", "shared", "sandbox"}),
			fmt.Sprintf("arn:aws:ec2:%s:%s:instance/%s", region, account, instance),
			fmt.Sprintf("https://%[1]s.console.aws.amazon.com/ec2/v2/home?region=%[1]s#InstanceDetails:instanceId=%s", region, instance)}
	case "Azure":
		sub := g.uuid()
		id := fmt.Sprintf("/subscriptions/%s/resourcegroups/rg-%s/providers/microsoft.compute/virtualmachines/%s", sub, name, name)
		return cloud{"Azure", pick(g, []string{"eastus", "westeurope"}), sub, "azure-" + name, id, "https://portal.azure.com/#@/resource" + id}
	case "GCP":
		project := "gcp-" + g.alnum(6)
		zone := pick(g, []string{"us-central1-a", "europe-west1-b"})
		return cloud{"GCP", zone[:len(zone)-2], project, project,
			fmt.Sprintf("//compute.googleapis.com/projects/%s/zones/%s/instances/%s", project, zone, name),
			fmt.Sprintf("https://console.cloud.google.com/compute/instancesDetail/zones/%s/instances/%s?project=%s", zone, name, project)}
	case "Kubernetes":
		cluster := g.uuid()
		return cloud{"Kubernetes", "", cluster, "k8s-" + pick(g, []string{"prod", "staging"}), g.uuid(), ""}
	}
	return cloud{}
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func (g *generator) entitySnapshot(created time.Time) map[string]any {
	name := pick(g, []string{"web", "api", "worker", "db", "billing"}) + "-" + g.alnum(4)
	c := g.cloud(name)
	types := map[string][][2]string{
		"AWS":        {{"VIRTUAL_MACHINE", "virtualMachine"}, {"ACCESS_ROLE", "role"}, {"BUCKET", "bucket"}, {"LOAD_BALANCER", "elasticloadbalancing#loadbalancer"}},
		"Azure":      {{"VIRTUAL_MACHINE", "Microsoft.Compute/virtualMachines"}, {"BUCKET", "Microsoft.Storage/storageAccounts"}},
		"GCP":        {{"VIRTUAL_MACHINE", "compute#instance"}, {"BUCKET", "storage#bucket"}},
		"Kubernetes": {{"POD", "Pod"}, {"CONTAINER", "Container"}},
		"":           {{"DATA_FINDING", ""}},
	}
	kind := pick(g, types[c.platform])
	var rg any
	if c.platform == "Azure" {
		rg = "rg-" + name
	}
	return map[string]any{
		"id":                      g.uuid(),
		"type":                    kind[0],
		"nativeType":              nullable(kind[1]),
		"name":                    name,
		"status":                  pick(g, []string{"Active", "Active", "Inactive", ""}),
		"cloudPlatform":           nullable(c.platform),
		"cloudProviderURL":        nullable(c.url),
		"providerId":              nullable(c.providerID),
		"region":                  nullable(c.region),
		"resourceGroupExternalId": rg,
		"subscriptionExternalId":  nullable(c.subscription),
		"subscriptionName":        nullable(c.subscriptionName),
		"subscriptionTags":        g.tags(),
		"tags":                    g.tags(),
		"externalId":              nullable(c.providerID),
		"createdAt":               formatTime(created.Add(-time.Duration(g.rng.IntN(90*24)) * time.Hour)),
	}
}

func (g *generator) serviceTickets() any {
	switch g.rng.IntN(5) {
	case 0, 1:
		return nil
	case 2, 3:
		return []any{}
	}
	key := fmt.Sprintf("SEC-%d", 100+g.rng.IntN(9000))
	return []any{map[string]any{"id": g.uuid(), "externalId": key, "name": key, "url": "https://example.atlassian.net/browse/" + key}}
}

func (g *generator) notes(start, end time.Time) any {
	switch g.rng.IntN(5) {
	case 0, 1:
		return nil
	case 2, 3:
		return []any{}
	}
	at := formatTime(g.timeIn(start, end))
	note := map[string]any{"id": g.uuid(), "createdAt": at, "updatedAt": at, "text": "Investigating with the owning team.", "user": nil, "serviceAccount": nil}
	if a := pick(g, actors); a.serviceAccount {
		note["serviceAccount"] = map[string]any{"id": a.id, "name": a.name}
	} else {
		note["user"] = map[string]any{"id": a.id, "name": a.name, "email": a.email}
	}
	return []any{note}
}

// --- vulnerability findings ----------------------------------------------

type cve struct {
	id, pkg, version, fixed, description, severity string
	score                                          float64
}

var cves = []cve{
	{"CVE-2020-35522", "libtiff", "4.0.3-35.amzn2", "4.0.3-35.amzn2.0.1", "In LibTIFF, there is a memory malloc failure in tif_pixarlog.c.", "MEDIUM", 5.5},
	{"CVE-2023-44487", "golang.org/x/net", "v0.8.0", "v0.17.0", "The HTTP/2 protocol allows a denial of service (rapid reset).", "HIGH", 7.5},
	{"CVE-2021-44228", "org.apache.logging.log4j:log4j-core", "2.14.1", "2.15.0", "Apache Log4j2 JNDI features do not protect against attacker controlled LDAP endpoints.", "CRITICAL", 10},
	{"CVE-2023-38545", "curl", "7.88.1", "8.4.0", "A heap based buffer overflow in the SOCKS5 proxy handshake.", "CRITICAL", 9.8},
	{"CVE-2022-3602", "openssl", "3.0.5", "3.0.7", "A buffer overrun can be triggered in X.509 certificate verification.", "HIGH", 7.5},
	{"CVE-2024-3094", "xz-utils", "5.6.0", "", "Malicious code was discovered in the upstream tarballs of xz.", "CRITICAL", 10},
	{"CVE-2023-4863", "libwebp", "1.2.4", "1.3.2", "Heap buffer overflow in libwebp.", "HIGH", 8.8},
	{"CVE-2022-40897", "setuptools", "65.5.0", "65.5.1", "Regular expression denial of service in package_index.py.", "LOW", 3.1},
}

var assetTypes = []string{
	"VulnerableAssetVirtualMachine", "VulnerableAssetVirtualMachine", "VulnerableAssetServerless",
	"VulnerableAssetContainerImage", "VulnerableAssetContainer", "VulnerableAssetRepositoryBranch",
}

func (g *generator) finding(start, end time.Time, projects []map[string]any) map[string]any {
	first := g.timeIn(start, end)
	last := first
	if g.chance(0.6) {
		last = g.timeIn(first, end)
	}
	updated := last
	if g.chance(0.3) {
		updated = g.timeIn(last, end)
	}
	v := pick(g, cves)
	id := g.uuid()
	score := func() float64 { return float64(g.rng.IntN(100)) / 10 }
	f := map[string]any{
		"id":                         id,
		"portalUrl":                  fmt.Sprintf("https://app.wiz.io/explorer/vulnerability-findings#~(entity~(~'%s*2cSECURITY_TOOL_FINDING))", id),
		"name":                       v.id,
		"vulnerabilityExternalId":    v.id,
		"CVEDescription":             v.description,
		"CVSSSeverity":               v.severity,
		"score":                      v.score,
		"exploitabilityScore":        score(),
		"impactScore":                score(),
		"cnaScore":                   nil,
		"dataSourceName":             pick(g, []string{"Wiz", "AWS Inspector", "Microsoft Defender"}),
		"hasExploit":                 g.chance(0.3),
		"hasCisaKevExploit":          g.chance(0.1),
		"status":                     "OPEN",
		"vendorSeverity":             pick(g, []string{v.severity, "MEDIUM", "HIGH"}),
		"severity":                   v.severity,
		"nvdSeverity":                v.severity,
		"weightedSeverity":           nil,
		"firstDetectedAt":            formatTime(first),
		"lastDetectedAt":             formatTime(last),
		"resolvedAt":                 nil,
		"updatedAt":                  formatTime(updated),
		"description":                fmt.Sprintf("The package `%s` version `%s` is vulnerable to `%s`.", v.pkg, v.version, v.id),
		"remediation":                nil,
		"detailedName":               v.pkg,
		"version":                    v.version,
		"fixedVersion":               nullable(v.fixed),
		"recommendedVersion":         nullable(v.fixed),
		"detectionMethod":            pick(g, []string{"PACKAGE", "PACKAGE", "LIBRARY", "OS"}),
		"link":                       "https://nvd.nist.gov/vuln/detail/" + v.id,
		"locationPath":               nil,
		"resolutionReason":           nil,
		"epssSeverity":               pick(g, []string{"LOW", "LOW", "MEDIUM", "HIGH"}),
		"epssPercentile":             float64(g.rng.IntN(10000)) / 100,
		"epssProbability":            float64(g.rng.IntN(1000)) / 1000,
		"validatedInRuntime":         nil,
		"publishedDate":              nil,
		"fixDate":                    nil,
		"fixDateBefore":              nil,
		"hasTriggerableRemediation":  nil,
		"isOperatingSystemEndOfLife": g.chance(0.1),
		"technologyEndOfLifeAt":      nil,
		"layerMetadata":              nil,
		"projects":                   g.projectsFor(projects),
		"ignoreRules":                nil,
		"cvssv2":                     g.cvss(),
		"cvssv3":                     g.cvss(),
		"relatedIssueAnalytics":      g.issueAnalytics(),
		"vulnerableAsset":            g.asset(pick(g, assetTypes)),
	}
	if v.fixed != "" {
		f["remediation"] = "Update " + v.pkg + " to " + v.fixed
	}
	if g.chance(0.3) {
		f["validatedInRuntime"] = g.chance(0.5)
	}
	if g.chance(0.1) {
		f["cnaScore"] = v.score
	}
	if g.chance(0.2) {
		f["ignoreRules"] = []any{}
	} else if g.chance(0.1) {
		f["ignoreRules"] = []any{map[string]any{"id": g.alnum(10), "name": "accepted risk", "enabled": true, "expiredAt": nil}}
	}
	if asset := f["vulnerableAsset"].(map[string]any); asset["__typename"] == "VulnerableAssetContainerImage" {
		f["locationPath"] = "/usr/lib/" + v.pkg
		if g.chance(0.5) {
			f["layerMetadata"] = map[string]any{"id": "sha256:" + g.alnum(32), "details": "RUN apt-get install -y " + v.pkg, "isBaseLayer": g.chance(0.5)}
		}
	}
	if g.chance(0.25) {
		f["status"] = "RESOLVED"
		f["resolvedAt"] = f["updatedAt"]
		f["resolutionReason"] = pick(g, []string{"Vulnerability no longer detected", "Asset deleted"})
	}
	return f
}

func (g *generator) cvss() any {
	if g.chance(0.2) {
		return nil
	}
	return map[string]any{
		"attackVector":            pick(g, []string{"NETWORK", "LOCAL", "ADJACENT_NETWORK"}),
		"attackComplexity":        pick(g, []string{"LOW", "HIGH"}),
		"confidentialityImpact":   pick(g, []string{"NONE", "LOW", "HIGH"}),
		"integrityImpact":         pick(g, []string{"NONE", "LOW", "HIGH"}),
		"privilegesRequired":      pick(g, []string{"NONE", "LOW", "HIGH"}),
		"userInteractionRequired": g.chance(0.3),
	}
}

func (g *generator) issueAnalytics() any {
	if g.chance(0.3) {
		return nil
	}
	counts := []int{g.rng.IntN(2), g.rng.IntN(3), g.rng.IntN(4), g.rng.IntN(3), g.rng.IntN(2)}
	total := 0
	for _, c := range counts {
		total += c
	}
	return map[string]any{
		"issueCount": total, "criticalSeverityCount": counts[0], "highSeverityCount": counts[1],
		"mediumSeverityCount": counts[2], "lowSeverityCount": counts[3], "informationalSeverityCount": counts[4],
	}
}

func (g *generator) asset(typeName string) map[string]any {
	name := pick(g, []string{"web", "api", "worker", "payments", "etl"}) + "-" + g.alnum(5)
	c := g.cloud(name)
	a := map[string]any{
		"__typename":                         typeName,
		"id":                                 g.uuid(),
		"name":                               name,
		"region":                             nullable(c.region),
		"providerUniqueId":                   nullable(c.providerID),
		"cloudProviderURL":                   nullable(c.url),
		"cloudPlatform":                      nullable(c.platform),
		"status":                             pick(g, []string{"Active", "Active", "Inactive"}),
		"subscriptionName":                   nullable(c.subscriptionName),
		"subscriptionExternalId":             nullable(c.subscription),
		"subscriptionId":                     g.uuid(),
		"tags":                               g.tags(),
		"nativeType":                         nil,
		"externalId":                         nullable(c.providerID),
		"hasLimitedInternetExposure":         g.chance(0.3),
		"hasWideInternetExposure":            g.chance(0.2),
		"isAccessibleFromVPN":                g.chance(0.2),
		"isAccessibleFromOtherVnets":         g.chance(0.2),
		"isAccessibleFromOtherSubscriptions": g.chance(0.1),
	}
	switch typeName {
	case "VulnerableAssetVirtualMachine":
		a["type"] = "VIRTUAL_MACHINE"
		a["operatingSystem"] = pick(g, []string{"Linux", "Windows"})
		a["ipAddresses"] = []any{fmt.Sprintf("10.%d.%d.%d", g.rng.IntN(256), g.rng.IntN(256), 1+g.rng.IntN(254)), g.ip()}
		a["imageName"] = pick(g, []any{"amzn2-ami-hvm-2.0", "ubuntu-22.04-lts", nil})
		a["computeInstanceGroup"] = nil
	case "VulnerableAssetServerless":
		a["type"] = "SERVERLESS"
		a["runtime"] = pick(g, []string{"python3.12", "nodejs20.x", "go1.x", "java21"})
	case "VulnerableAssetContainerImage":
		a["type"] = "CONTAINER_IMAGE"
		a["imageId"] = "sha256:" + g.alnum(64)
		a["scanSource"] = pick(g, []string{"REGISTRY", "WORKLOAD"})
		a["registry"] = map[string]any{"name": "ghcr.io", "externalId": "ghcr.io/example"}
		a["repository"] = map[string]any{"name": "example/" + name, "externalId": "ghcr.io/example/" + name}
		a["executionControllers"] = nil
	case "VulnerableAssetContainer":
		a["type"] = "CONTAINER"
		a["ImageExternalId"] = "sha256:" + g.alnum(64)
		a["VmExternalId"] = nullable(c.providerID)
		a["ServerlessContainer"] = g.chance(0.2)
		a["PodNamespace"] = pick(g, []string{"default", "payments", "kube-system"})
		a["PodName"] = name + "-" + g.alnum(5)
		a["NodeName"] = "ip-10-0-" + g.digits(2) + "-" + g.digits(2) + ".ec2.internal"
	case "VulnerableAssetRepositoryBranch":
		a["type"] = "REPOSITORY_BRANCH"
		a["name"] = "main"
	}
	return a
}

// deepCopy copies JSON-like data so callers cannot alias the server's nodes.
func deepCopy[T any](v T) T {
	return copyValue(v).(T)
}

func copyValue(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = copyValue(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = copyValue(e)
		}
		return out
	}
	return v
}
