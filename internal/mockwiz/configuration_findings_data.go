// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

package mockwiz

import (
	"fmt"
	"time"
)

// configurationCheck is a cloud configuration rule, with the severity Wiz
// gives its findings and the kind of resource it evaluates.
type configurationCheck struct {
	severity string
	rule     map[string]any
	// resource makes a resource the rule evaluates, in account.
	resource func(g *generator, account map[string]any) map[string]any
	// evidence is the configuration path, the failing value and the
	// expected one; empty where Wiz shows none.
	evidence [3]string
}

var (
	cisAWSIAM        = securityCategory{"wct-id-1423", "1 Identity and Access Management", "wf-id-57", "CIS Amazon Web Services Foundations Benchmark v3.0.0"}
	cisAWSStorage    = securityCategory{"wct-id-1424", "2 Storage", "wf-id-57", "CIS Amazon Web Services Foundations Benchmark v3.0.0"}
	cisAWSNetworking = securityCategory{"wct-id-1427", "5 Networking", "wf-id-57", "CIS Amazon Web Services Foundations Benchmark v3.0.0"}
	cisAzureStorage  = securityCategory{"wct-id-1502", "3 Storage Accounts", "wf-id-61", "CIS Microsoft Azure Foundations Benchmark v2.1.0"}
	cisGCPCompute    = securityCategory{"wct-id-1544", "4 Virtual Machines", "wf-id-64", "CIS Google Cloud Platform Foundation Benchmark v2.0.0"}
	cisEKSPods       = securityCategory{"wct-id-1601", "4.2 Pod Security Standards", "wf-id-70", "CIS Amazon Elastic Kubernetes Service (EKS) Benchmark v1.4.0"}
	nistAccess       = securityCategory{"wct-id-310", "AC Access Control", "wf-id-4", "NIST SP 800-53 Revision 5"}
	pciNetwork       = securityCategory{"wct-id-1210", "1 Install and Maintain Network Security Controls", "wf-id-52", "PCI DSS v4.0"}
	soc2Access       = securityCategory{"wct-id-980", "CC6 Logical and Physical Access Controls", "wf-id-30", "SOC 2"}
)

// configurationChecks are the rules the mock's findings come from: one per
// kind of resource, every severity, built-in rules and a custom one.
var configurationChecks = []configurationCheck{
	{
		severity: "HIGH",
		rule: map[string]any{
			"id": "0b2c6e2c-8e52-4d2b-9b80-8c4b9fa3f2a1", "shortId": "S3-023", "graphId": "5d1f7a39-2a54-5b0c-9b7e-63b8f4d8c201",
			"name":                    "S3 Bucket should block public access",
			"description":             "The bucket allows public access through its ACLs or policy.",
			"remediationInstructions": "Enable Block Public Access on the bucket.",
			"serviceType":             "AWS", "functionAsControl": false, "builtin": true, "opaPolicy": nil,
			"risks": []any{"DATA_EXPOSURE"}, "threats": nil, "tags": nil,
			"securitySubCategories": []any{
				securitySubCategory("wsct-id-9012", "2.1.4", "2.1.4 Ensure that S3 Buckets are configured with 'Block public access (bucket settings)'", cisAWSStorage),
				securitySubCategory("wsct-id-3101", "AC-3", "AC-3 Access Enforcement", nistAccess),
			},
		},
		resource: func(g *generator, account map[string]any) map[string]any {
			name := "acme-" + pick(g, []string{"logs", "assets", "backups", "exports"}) + "-" + g.alnum(5)
			return configurationResource(g, account, "BUCKET", "bucket", name, "arn:aws:s3:::"+name, g.region("AWS"))
		},
		evidence: [3]string{"publicAccessBlockConfiguration.blockPublicAcls", "false", "true"},
	},
	{
		severity: "MEDIUM",
		rule: map[string]any{
			"id": "7e0c2b5a-1d3f-4c8e-a6b9-2f4d5e6a7b81", "shortId": "IAM-006", "graphId": "6a2e8b40-3b65-5c1d-8c8f-74c9a5e9d312",
			"name":                    "IAM user with console access should have MFA enabled",
			"description":             "The IAM user can sign in to the console with a password alone.",
			"remediationInstructions": "Enable a virtual or hardware MFA device for the user.",
			"serviceType":             "AWS", "functionAsControl": true, "builtin": true, "opaPolicy": nil,
			"risks": []any{"UNPROTECTED_PRINCIPAL"}, "threats": nil,
			"tags": []any{map[string]any{"key": "team", "value": "identity"}},
			"securitySubCategories": []any{
				securitySubCategory("wsct-id-9003", "1.10", "1.10 Ensure multi-factor authentication (MFA) is enabled for all IAM users that have a console password", cisAWSIAM),
				securitySubCategory("wsct-id-4410", "CC6.1", "CC6.1 Logical access security software, infrastructure, and architectures", soc2Access),
			},
		},
		// IAM is global: the user has no region.
		resource: func(g *generator, account map[string]any) map[string]any {
			name := pick(g, []string{"alice.admin", "deploy-bot", "bob.secops", "legacy-ci"})
			return configurationResource(g, account, "USER_ACCOUNT", "user", name,
				fmt.Sprintf("arn:aws:iam::%s:user/%s", account["externalId"], name), "")
		},
		evidence: [3]string{"mfaDevices", "[]", "at least one MFA device"},
	},
	{
		severity: "HIGH",
		rule: map[string]any{
			"id": "c4a1e9d2-6b7f-4e3a-9d8c-1b2a3c4d5e60", "shortId": "EC2-021", "graphId": "7b3f9c51-4c76-5d2e-9d90-85dab6fae423",
			"name":                    "Security group should restrict SSH access from 0.0.0.0/0",
			"description":             "An inbound rule allows port 22 from any address.",
			"remediationInstructions": "Limit the rule's source to known address ranges, or use Session Manager.",
			"serviceType":             "AWS", "functionAsControl": false, "builtin": true, "opaPolicy": nil,
			"risks": []any{"EXTERNAL_EXPOSURE"}, "threats": []any{"LATERAL_MOVEMENT"}, "tags": []any{},
			"securitySubCategories": []any{
				securitySubCategory("wsct-id-9041", "5.2", "5.2 Ensure no security groups allow ingress from 0.0.0.0/0 to remote server administration ports", cisAWSNetworking),
				securitySubCategory("wsct-id-7702", "1.3.1", "1.3.1 Inbound traffic to the CDE is restricted", pciNetwork),
			},
		},
		resource: func(g *generator, account map[string]any) map[string]any {
			region := g.region("AWS")
			return configurationResource(g, account, "FIREWALL", "securityGroup", pick(g, []string{"launch-wizard-1", "web-sg", "bastion"}),
				fmt.Sprintf("arn:aws:ec2:%s:%s:security-group/sg-0%s", region, account["externalId"], g.alnum(16)), region)
		},
		evidence: [3]string{"ipPermissions[0].ipRanges[0].cidrIp", "0.0.0.0/0", "a range other than 0.0.0.0/0"},
	},
	{
		severity: "LOW",
		rule: map[string]any{
			"id": "5c1ed6b1-0f5a-4c9e-9f7e-2b8d6d1c9e33", "shortId": "StorageAccount-017", "graphId": "8c4fad62-5d87-5e3f-8ea1-96ebc7fbf534",
			"name":                    "Storage account should enforce TLS 1.2",
			"description":             nil,
			"remediationInstructions": nil,
			"serviceType":             "Azure", "functionAsControl": false, "builtin": true, "opaPolicy": nil,
			"risks": nil, "threats": nil, "tags": nil,
			"securitySubCategories": []any{
				securitySubCategory("wsct-id-9210", "3.15", "3.15 Ensure the 'Minimum TLS version' for storage accounts is set to 'Version 1.2'", cisAzureStorage),
			},
		},
		resource: func(g *generator, account map[string]any) map[string]any {
			name := "acme" + g.alnum(8)
			return configurationResource(g, account, "BUCKET", "Microsoft.Storage/storageAccounts", name,
				fmt.Sprintf("/subscriptions/%s/resourcegroups/rg-%s/providers/microsoft.storage/storageaccounts/%s", account["externalId"], name, name), g.region("Azure"))
		},
		evidence: [3]string{"properties.minimumTlsVersion", "TLS1_0", "TLS1_2"},
	},
	{
		severity: "MEDIUM",
		rule: map[string]any{
			"id": "9d3b7f11-2c4e-4a6b-8f0d-3e5a7c9b1d24", "shortId": "VM-045", "graphId": "9d50be73-6e98-5f40-9fb2-a7fcd80c0645",
			"name":                    "Compute instance should not use the default service account with full API access",
			"description":             "The instance runs as the default compute service account with the cloud-platform scope.",
			"remediationInstructions": "Run the instance as a dedicated service account with the scopes it needs.",
			"serviceType":             "GCP", "functionAsControl": false, "builtin": true, "opaPolicy": nil,
			"risks": []any{"UNPROTECTED_PRINCIPAL"}, "threats": nil, "tags": nil,
			"securitySubCategories": []any{
				securitySubCategory("wsct-id-9355", "4.2", "4.2 Ensure that instances are not configured to use the default service account with full access to all Cloud APIs", cisGCPCompute),
			},
		},
		resource: func(g *generator, account map[string]any) map[string]any {
			name := pick(g, []string{"web", "worker", "etl"}) + "-" + g.alnum(4)
			zone := g.region("GCP") + "-" + pick(g, []string{"a", "b"})
			return configurationResource(g, account, "VIRTUAL_MACHINE", "compute#instance", name,
				fmt.Sprintf("//compute.googleapis.com/projects/%s/zones/%s/instances/%s", account["externalId"], zone, name), zone[:len(zone)-2])
		},
		evidence: [3]string{"serviceAccounts[0].scopes", "https://www.googleapis.com/auth/cloud-platform", "scopes the workload needs"},
	},
	{
		severity: "CRITICAL",
		rule: map[string]any{
			"id": "e1f2a3b4-c5d6-4e7f-8a9b-0c1d2e3f4a56", "shortId": "Pod-32", "graphId": "ae61cf84-7fa9-5051-a0c3-b80de91d1756",
			"name":                    "Pod should not run privileged containers",
			"description":             "A container of the pod runs privileged, with access to the node's devices.",
			"remediationInstructions": "Set securityContext.privileged to false.",
			"serviceType":             "Kubernetes", "functionAsControl": false, "builtin": true, "opaPolicy": nil,
			"risks": []any{"HOST_ESCAPE"}, "threats": nil, "tags": nil,
			"securitySubCategories": []any{
				securitySubCategory("wsct-id-9480", "4.2.1", "4.2.1 Minimize the admission of privileged containers", cisEKSPods),
			},
		},
		// An EKS pod: Wiz's cloudPlatform says EKS, the account's provider
		// says AWS.
		resource: func(g *generator, account map[string]any) map[string]any {
			r := configurationResource(g, account, "POD", "Pod", pick(g, []string{"payments", "ingest", "api"})+"-"+g.alnum(5)+"-"+g.alnum(5), g.uuid(), g.region("AWS"))
			r["cloudPlatform"] = "EKS"
			return r
		},
		evidence: [3]string{"spec.containers[0].securityContext.privileged", "true", "false"},
	},
	{
		// A custom informational rule: Wiz rates it NONE and shows no
		// evidence.
		severity: "NONE",
		rule: map[string]any{
			"id": "2a4c6e8f-1b3d-4f5a-9c7e-0d2f4b6a8c10", "shortId": nil, "graphId": "bf72d095-80ba-5162-b1d4-c91efa2e2867",
			"name":                    "AWS account should have a security alternate contact",
			"description":             "Custom rule of the security team.",
			"remediationInstructions": nil,
			"serviceType":             "AWS", "functionAsControl": false, "builtin": false,
			"opaPolicy": "package wiz\n\ndefault result = \"pass\"\n\nresult = \"fail\" { not input.AlternateContacts.Security }",
			"risks":     nil, "threats": nil, "tags": []any{map[string]any{"key": "owner", "value": nil}},
			"securitySubCategories": []any{},
		},
		resource: func(g *generator, account map[string]any) map[string]any {
			return configurationResource(g, account, "SUBSCRIPTION", "account", account["name"].(string), account["externalId"].(string), "")
		},
	},
}

// configurationResource is a resource as configuration findings carry it;
// region "" is a global resource (null).
func configurationResource(g *generator, account map[string]any, typ, nativeType, name, providerID, region string) map[string]any {
	var tags any
	switch g.rng.IntN(3) {
	case 0:
		tags = []any{}
	case 1:
		tags = []any{map[string]any{"key": "env", "value": pick(g, []string{"prod", "staging"})}, map[string]any{"key": "owner", "value": "platform"}}
	}
	return map[string]any{
		"id":            g.uuid(),
		"providerId":    providerID,
		"name":          name,
		"nativeType":    nativeType,
		"type":          typ,
		"region":        nullable(region),
		"cloudPlatform": account["cloudProvider"],
		"status":        pick(g, []string{"Active", "Active", "Inactive"}),
		"subscription":  account,
		"tags":          tags,
	}
}

// configurationOutcome is a finding's status with the result that goes with
// it.
type configurationOutcome struct {
	status, result, resolutionReason string
	deleted                          bool
}

var configurationOutcomes = []configurationOutcome{
	{status: "OPEN", result: "FAIL"}, {status: "OPEN", result: "FAIL"}, {status: "OPEN", result: "FAIL"}, {status: "OPEN", result: "FAIL"},
	{status: "OPEN", result: "ERROR"},
	{status: "IN_PROGRESS", result: "FAIL"},
	// A resolved finding usually passes now; a deleted resource resolves
	// its findings as they were.
	{status: "RESOLVED", result: "PASS", resolutionReason: "ISSUE_FIXED"},
	{status: "RESOLVED", result: "PASS", resolutionReason: "ISSUE_FIXED"},
	{status: "RESOLVED", result: "FAIL", resolutionReason: "OBJECT_DELETED", deleted: true},
	{status: "REJECTED", result: "FAIL", resolutionReason: "EXCEPTION"},
}

func (g *generator) configurationFinding(start, end time.Time, projects []map[string]any) map[string]any {
	check := pick(g, configurationChecks)
	rule := deepCopy(check.rule)
	provider := rule["serviceType"].(string)
	if provider == "Kubernetes" {
		provider = "AWS"
	}
	account := g.cloudAccount(provider)
	resource := check.resource(g, account)
	resource["projects"] = g.projectsFor(projects)
	outcome := pick(g, configurationOutcomes)

	firstSeen := g.timeIn(start, end)
	statusChanged := firstSeen
	if outcome.status != "OPEN" || g.chance(0.2) {
		statusChanged = g.timeIn(firstSeen, end)
	}
	updated := statusChanged
	if g.chance(0.4) {
		updated = g.timeIn(statusChanged, end)
	}
	// Wiz re-analyses on every scan, change or not.
	analyzed := g.timeIn(updated, end)

	f := map[string]any{
		"id":                           g.uuid(),
		"name":                         rule["name"],
		"targetExternalId":             resource["providerId"],
		"targetObjectProviderUniqueId": resource["providerId"],
		"deleted":                      outcome.deleted,
		"firstSeenAt":                  formatTime(firstSeen),
		"analyzedAt":                   formatTime(analyzed),
		"updatedAt":                    formatTime(updated),
		"statusChangedAt":              formatTime(statusChanged),
		"severity":                     check.severity,
		"result":                       outcome.result,
		"status":                       outcome.status,
		"resolutionReason":             nullable(outcome.resolutionReason),
		"remediation":                  nil,
		"source":                       nil,
		"note":                         nil,
		"resource":                     resource,
		"subscription":                 deepCopy(account),
		"rule":                         rule,
		"securitySubCategories":        deepCopy(rule["securitySubCategories"]),
		"ignoreRules":                  nil,
		"evidence":                     nil,
	}
	if g.chance(0.3) {
		f["remediation"] = rule["remediationInstructions"]
	}
	if check.evidence[0] != "" {
		current := check.evidence[1]
		if outcome.result == "PASS" {
			current = check.evidence[2]
		}
		f["evidence"] = map[string]any{
			"currentValue": current, "expectedValue": check.evidence[2], "configurationPath": check.evidence[0],
			"cloudConfigurationLink": nil,
		}
	}
	switch outcome.status {
	case "IN_PROGRESS":
		f["note"] = map[string]any{"text": "Remediation scheduled with the owning team."}
	case "REJECTED":
		f["ignoreRules"] = []any{g.ignoreRule()}
	}
	return f
}

// ignoreRule is the exception that rejects a finding.
func (g *generator) ignoreRule() map[string]any {
	return map[string]any{"id": g.uuid(), "name": "Accepted risk: legacy workload", "enabled": true, "expiredAt": nil, "tags": nil}
}
