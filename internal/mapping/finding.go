package mapping

import (
	"go.opentelemetry.io/collector/pdata/plog"
)

// Finding maps vulnerabilityFindings nodes. TimeField is the node field the
// stream polls on: updatedAt or firstDetectedAt.
type Finding struct {
	Names     Names
	TimeField string
}

// findingFallbackTime dates a node that lacks the polled time field: its
// last detection.
const findingFallbackTime = "lastDetectedAt"

// KeyFields implements Mapper.
func (f Finding) KeyFields() []string { return []string{"id", f.TimeField, findingFallbackTime} }

// findingAttrs is the most attributes Finding sets (TestAttributeCapacity).
const findingAttrs = 33

// Map implements Mapper.
func (f Finding) Map(node []byte, lr plog.LogRecord) (Mapped, error) {
	res, m, err := common(node, lr, f.Names, f.TimeField, findingFallbackTime, findingAttrs)
	if err != nil {
		return Mapped{}, err
	}
	// vendorSeverity is the advisory's own rating; Wiz's severity field
	// may be absent on older tenants.
	severity := firstStr(m, "vendorSeverity", "severity")
	attrs := versioned(lr, res.Key, severity)
	putStr(attrs, "wiz.vulnerability.finding_id", res.Key.ID)
	putStr(attrs, "wiz.vulnerability.id", str(m, "name"))
	putStr(attrs, "wiz.vulnerability.status", str(m, "status"))
	putStr(attrs, "wiz.vulnerability.severity", severity)
	putStr(attrs, "wiz.vulnerability.cvss_severity", str(m, "CVSSSeverity"))
	putNumber(attrs, "wiz.vulnerability.score", m, "score")
	putStr(attrs, "wiz.vulnerability.epss_severity", str(m, "epssSeverity"))
	putNumber(attrs, "wiz.vulnerability.epss_probability", m, "epssProbability")
	putNumber(attrs, "wiz.vulnerability.epss_percentile", m, "epssPercentile")
	putBool(attrs, "wiz.vulnerability.has_exploit", m, "hasExploit")
	putBool(attrs, "wiz.vulnerability.has_cisa_kev_exploit", m, "hasCisaKevExploit")
	putStr(attrs, "wiz.vulnerability.package", str(m, "detailedName"))
	putStr(attrs, "wiz.vulnerability.version", str(m, "version"))
	putStr(attrs, "wiz.vulnerability.fixed_version", str(m, "fixedVersion"))
	putStr(attrs, "wiz.vulnerability.detection_method", str(m, "detectionMethod"))
	putStr(attrs, "wiz.vulnerability.first_detected_at", str(m, "firstDetectedAt"))
	putStr(attrs, "wiz.vulnerability.last_detected_at", str(m, "lastDetectedAt"))
	putStr(attrs, "wiz.vulnerability.resolved_at", str(m, "resolvedAt"))
	putStr(attrs, "wiz.vulnerability.resolution_reason", str(m, "resolutionReason"))
	putProjectIDs(attrs, m)

	if asset, ok := obj(m, "vulnerableAsset"); ok {
		putAsset(attrs, asset)
		putCloud(attrs, cloudLocation{
			platform: str(asset, "cloudPlatform"), region: str(asset, "region"),
			accountID: str(asset, "subscriptionExternalId"), resourceID: str(asset, "providerUniqueId"),
		})
		if str(asset, "type") == "VIRTUAL_MACHINE" {
			// A virtual machine is a host: its addresses and OS are the
			// host's, in semantic-convention terms.
			if ips, ok := list(asset, "ipAddresses"); ok {
				putStrings(attrs, "host.ip", ips, strValue)
			}
			putStr(attrs, "host.name", str(asset, "name"))
			putStr(attrs, "os.description", str(asset, "operatingSystem"))
		}
	}
	return res, nil
}
