// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

package mockwiz

// cloudAccount is a cloud account (Wiz's subscription) of provider: AWS,
// Azure or GCP. Configuration findings and detections both carry them.
func (g *generator) cloudAccount(provider string) map[string]any {
	env := pick(g, []string{"prod", "shared", "sandbox"})
	var externalID, name string
	switch provider {
	case "Azure":
		externalID, name = g.uuid(), "azure-"+env
	case "GCP":
		externalID = "gcp-" + env + "-" + g.alnum(6)
		name = externalID
	default:
		externalID, name = g.digits(12), "aws-"+env
	}
	return map[string]any{"id": g.uuid(), "name": name, "externalId": externalID, "cloudProvider": provider}
}

// region is a region of provider, as Wiz writes it.
func (g *generator) region(provider string) string {
	switch provider {
	case "Azure":
		return pick(g, []string{"eastus", "westeurope"})
	case "GCP":
		return pick(g, []string{"us-central1", "europe-west1"})
	}
	return pick(g, []string{"us-east-1", "eu-west-1", "us-west-2"})
}

// securitySubCategory is a framework entry with Wiz's ids (wsct-id-…,
// wct-id-…, wf-id-…), by which configuration findings can be filtered.
func securitySubCategory(id, externalID, title string, category securityCategory) map[string]any {
	return map[string]any{
		"id": id, "externalId": nullable(externalID), "title": title,
		"category": map[string]any{
			"id": category.id, "name": category.name,
			"framework": map[string]any{"id": category.frameworkID, "name": category.framework},
		},
	}
}

type securityCategory struct {
	id, name, frameworkID, framework string
}
