package mapping

// The mapping as it was before the single-pass decoder, kept as the
// reference the differential tests compare against.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
)

// refAudit maps auditLogEntries nodes (Wiz.Audit).
type refAudit struct{}

// Map implements Mapper.
func (refAudit) Map(node []byte, lr plog.LogRecord) (Key, error) {
	m, err := refDecodeNode(node)
	if err != nil {
		return Key{}, err
	}
	key, err := refCommon(m, lr, "wiz.audit", "Wiz.Audit", "timestamp", "timestamp")
	if err != nil {
		return Key{}, err
	}
	attrs := lr.Attributes()
	// Audit entries never change, so the Wiz id alone identifies a record.
	attrs.PutStr(AttrRecordUID, key.ID)
	status := refStr(m, "status")
	refPutStr(attrs, "wiz.audit.action", refStr(m, "action"))
	refPutStr(attrs, "wiz.audit.status", status)
	refPutStr(attrs, "wiz.audit.request_id", refStr(m, "requestId"))
	refPutStr(attrs, "client.address", refStr(m, "sourceIP"))
	refPutStr(attrs, "user_agent.original", refStr(m, "userAgent"))
	if user := refObj(m, "user"); user != nil {
		refPutStr(attrs, "user.id", refStr(user, "id"))
		refPutStr(attrs, "user.name", refStr(user, "name"))
	}
	if sa := refObj(m, "serviceAccount"); sa != nil {
		refPutStr(attrs, "wiz.service_account.id", refStr(sa, "id"))
		refPutStr(attrs, "wiz.service_account.name", refStr(sa, "name"))
	}
	if status == "SUCCESS" {
		lr.SetSeverityNumber(plog.SeverityNumberInfo)
		lr.SetSeverityText("INFO")
	} else {
		// FAILED, ACCESS_DENIED and INVALID: a refused action is what
		// detections look for.
		lr.SetSeverityNumber(plog.SeverityNumberWarn)
		lr.SetSeverityText("WARN")
	}
	return key, nil
}

// refIssue maps issuesV2 nodes (Wiz.Issues). TimeField is the node field the
// stream polls on: statusChangedAt, updatedAt or createdAt.
type refIssue struct {
	TimeField string
}

// Map implements Mapper.
func (i refIssue) Map(node []byte, lr plog.LogRecord) (Key, error) {
	m, err := refDecodeNode(node)
	if err != nil {
		return Key{}, err
	}
	// A never-changed issue may carry no statusChangedAt: it changed
	// status when it was created.
	key, err := refCommon(m, lr, "wiz.issue", "Wiz.Issues", i.TimeField, "createdAt")
	if err != nil {
		return Key{}, err
	}
	attrs := lr.Attributes()
	attrs.PutStr(AttrRecordUID, refRecordUID(key))
	severity := refStr(m, "severity")
	lr.SetSeverityNumber(severityNumber(severity))
	lr.SetSeverityText(severity)
	refPutStr(attrs, "wiz.issue.id", key.ID)
	refPutStr(attrs, "wiz.issue.status", refStr(m, "status"))
	refPutStr(attrs, "wiz.issue.severity", severity)
	refPutStr(attrs, "wiz.issue.type", refStr(m, "type"))
	refPutStr(attrs, "wiz.issue.created_at", refStr(m, "createdAt"))
	refPutStr(attrs, "wiz.issue.updated_at", refStr(m, "updatedAt"))
	refPutStr(attrs, "wiz.issue.status_changed_at", refStr(m, "statusChangedAt"))
	refPutStr(attrs, "wiz.issue.due_at", refStr(m, "dueAt"))
	refPutStr(attrs, "wiz.issue.resolved_at", refStr(m, "resolvedAt"))
	refPutStr(attrs, "wiz.issue.resolution_reason", refStr(m, "resolutionReason"))
	refPutProjectIDs(attrs, m)

	if rule := refIssueRule(m); rule != nil {
		refPutStr(attrs, "security_rule.uuid", refStr(rule, "id"))
		refPutStr(attrs, "security_rule.name", refStr(rule, "name"))
		refPutStr(attrs, "security_rule.category", refStr(rule, "__typename"))
	}
	if entity := refObj(m, "entitySnapshot"); entity != nil {
		refPutStr(attrs, "wiz.issue.entity.id", refStr(entity, "id"))
		refPutStr(attrs, "wiz.issue.entity.type", refStr(entity, "type"))
		refPutStr(attrs, "wiz.issue.entity.name", refStr(entity, "name"))
		refPutStr(attrs, "wiz.issue.entity.native_type", refStr(entity, "nativeType"))
		platform := refStr(entity, "cloudPlatform")
		refPutStr(attrs, "wiz.cloud_platform", platform)
		refPutStr(attrs, "cloud.provider", cloudProvider(platform))
		refPutStr(attrs, "cloud.region", refStr(entity, "region"))
		refPutStr(attrs, "cloud.account.id", refStr(entity, "subscriptionExternalId"))
		resourceID := refStr(entity, "providerId")
		if resourceID == "" {
			resourceID = refStr(entity, "externalId")
		}
		refPutStr(attrs, "cloud.resource_id", resourceID)
	}
	return key, nil
}

// issueRule returns the issue's rule or control: sourceRule, or the first of
// sourceRules where Wiz has moved to the list.
func refIssueRule(m map[string]any) map[string]any {
	if rule := refObj(m, "sourceRule"); rule != nil {
		return rule
	}
	rules, _ := m["sourceRules"].([]any)
	if len(rules) == 0 {
		return nil
	}
	rule, _ := rules[0].(map[string]any)
	return rule
}

// refFinding maps vulnerabilityFindings nodes (Wiz.VulnerabilityFinding).
// TimeField is the node field the stream polls on: updatedAt or
// firstDetectedAt.
type refFinding struct {
	TimeField string
}

// Map implements Mapper.
func (f refFinding) Map(node []byte, lr plog.LogRecord) (Key, error) {
	m, err := refDecodeNode(node)
	if err != nil {
		return Key{}, err
	}
	key, err := refCommon(m, lr, "wiz.vulnerability_finding", "Wiz.VulnerabilityFinding", f.TimeField, "lastDetectedAt")
	if err != nil {
		return Key{}, err
	}
	attrs := lr.Attributes()
	attrs.PutStr(AttrRecordUID, refRecordUID(key))
	// vendorSeverity is the advisory's own rating; Wiz's severity field
	// may be absent on older tenants.
	severity := refStr(m, "vendorSeverity")
	if severity == "" {
		severity = refStr(m, "severity")
	}
	lr.SetSeverityNumber(severityNumber(severity))
	lr.SetSeverityText(severity)
	refPutStr(attrs, "wiz.vulnerability.finding_id", key.ID)
	refPutStr(attrs, "wiz.vulnerability.id", refStr(m, "name"))
	refPutStr(attrs, "wiz.vulnerability.status", refStr(m, "status"))
	refPutStr(attrs, "wiz.vulnerability.severity", severity)
	refPutStr(attrs, "wiz.vulnerability.cvss_severity", refStr(m, "CVSSSeverity"))
	refPutNumber(attrs, "wiz.vulnerability.score", m, "score")
	refPutStr(attrs, "wiz.vulnerability.epss_severity", refStr(m, "epssSeverity"))
	refPutNumber(attrs, "wiz.vulnerability.epss_probability", m, "epssProbability")
	refPutNumber(attrs, "wiz.vulnerability.epss_percentile", m, "epssPercentile")
	refPutBool(attrs, "wiz.vulnerability.has_exploit", m, "hasExploit")
	refPutBool(attrs, "wiz.vulnerability.has_cisa_kev_exploit", m, "hasCisaKevExploit")
	refPutStr(attrs, "wiz.vulnerability.package", refStr(m, "detailedName"))
	refPutStr(attrs, "wiz.vulnerability.version", refStr(m, "version"))
	refPutStr(attrs, "wiz.vulnerability.fixed_version", refStr(m, "fixedVersion"))
	refPutStr(attrs, "wiz.vulnerability.detection_method", refStr(m, "detectionMethod"))
	refPutStr(attrs, "wiz.vulnerability.first_detected_at", refStr(m, "firstDetectedAt"))
	refPutStr(attrs, "wiz.vulnerability.last_detected_at", refStr(m, "lastDetectedAt"))
	refPutStr(attrs, "wiz.vulnerability.resolved_at", refStr(m, "resolvedAt"))
	refPutStr(attrs, "wiz.vulnerability.resolution_reason", refStr(m, "resolutionReason"))
	refPutProjectIDs(attrs, m)

	if asset := refObj(m, "vulnerableAsset"); asset != nil {
		assetType := refStr(asset, "type")
		refPutStr(attrs, "wiz.asset.id", refStr(asset, "id"))
		refPutStr(attrs, "wiz.asset.type", assetType)
		refPutStr(attrs, "wiz.asset.name", refStr(asset, "name"))
		platform := refStr(asset, "cloudPlatform")
		refPutStr(attrs, "wiz.cloud_platform", platform)
		refPutStr(attrs, "cloud.provider", cloudProvider(platform))
		refPutStr(attrs, "cloud.region", refStr(asset, "region"))
		refPutStr(attrs, "cloud.account.id", refStr(asset, "subscriptionExternalId"))
		refPutStr(attrs, "cloud.resource_id", refStr(asset, "providerUniqueId"))
		if assetType == "VIRTUAL_MACHINE" {
			// A virtual machine is a host: its addresses and OS are the
			// host's, in semantic-convention terms.
			ips, _ := asset["ipAddresses"].([]any)
			refPutStrings(attrs, "host.ip", ips, func(v any) string { s, _ := v.(string); return s })
			refPutStr(attrs, "host.name", refStr(asset, "name"))
			refPutStr(attrs, "os.description", refStr(asset, "operatingSystem"))
		}
	}
	return key, nil
}

// decodeNode parses a node keeping numbers exact, so integers stay integers
// in the body instead of becoming floats.
func refDecodeNode(node []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(node))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("decoding node: %w", err)
	}
	if m == nil {
		return nil, fmt.Errorf("node is null")
	}
	return m, nil
}

// common fills what every log type shares and returns the node's key. The
// record's Timestamp is the polled time field, so it orders like the
// checkpoint does; missing, it falls back to fallbackField.
func refCommon(m map[string]any, lr plog.LogRecord, eventName, logType, timeField, fallbackField string) (Key, error) {
	id := refStr(m, "id")
	if id == "" {
		return Key{}, fmt.Errorf("node has no id")
	}
	raw := refStr(m, timeField)
	if raw == "" {
		raw = refStr(m, fallbackField)
	}
	ts, err := time.Parse(time.RFC3339Nano, raw)
	if err != nil {
		return Key{}, fmt.Errorf("node %s: field %s: %w", id, timeField, err)
	}
	lr.SetTimestamp(pcommon.NewTimestampFromTime(ts))
	lr.SetEventName(eventName)
	refPutValue(lr.Body().SetEmptyMap(), m)
	attrs := lr.Attributes()
	attrs.PutStr(AttrLogType, logType)
	return Key{ID: id, Time: ts}, nil
}

// putValue copies a decoded JSON value into dst, preserving its type.
func refPutValue(dst pcommon.Map, m map[string]any) {
	dst.EnsureCapacity(len(m))
	for k, v := range m {
		refSetValue(dst.PutEmpty(k), v)
	}
}

func refSetValue(dst pcommon.Value, v any) {
	switch x := v.(type) {
	case nil:
		// An empty pcommon.Value stands for JSON null.
	case string:
		dst.SetStr(x)
	case bool:
		dst.SetBool(x)
	case json.Number:
		if i, err := x.Int64(); err == nil {
			dst.SetInt(i)
		} else if f, err := x.Float64(); err == nil {
			dst.SetDouble(f)
		} else {
			dst.SetStr(x.String())
		}
	case map[string]any:
		refPutValue(dst.SetEmptyMap(), x)
	case []any:
		s := dst.SetEmptySlice()
		s.EnsureCapacity(len(x))
		for _, e := range x {
			refSetValue(s.AppendEmpty(), e)
		}
	}
}

// obj returns the object at path, or nil.
func refObj(m map[string]any, path ...string) map[string]any {
	for _, p := range path {
		next, _ := m[p].(map[string]any)
		if next == nil {
			return nil
		}
		m = next
	}
	return m
}

// str returns the string at key, or "".
func refStr(m map[string]any, key string) string {
	s, _ := m[key].(string)
	return s
}

// putStr sets key only when Wiz sent a non-empty string.
func refPutStr(attrs pcommon.Map, key, value string) {
	if value != "" {
		attrs.PutStr(key, value)
	}
}

// putBool sets key only when Wiz sent a boolean.
func refPutBool(attrs pcommon.Map, key string, m map[string]any, field string) {
	if b, ok := m[field].(bool); ok {
		attrs.PutBool(key, b)
	}
}

// putNumber sets key as a double only when Wiz sent a number.
func refPutNumber(attrs pcommon.Map, key string, m map[string]any, field string) {
	if n, ok := m[field].(json.Number); ok {
		if f, err := n.Float64(); err == nil {
			attrs.PutDouble(key, f)
		}
	}
}

// putStrings sets key to a string slice built from the strings in list.
func refPutStrings(attrs pcommon.Map, key string, list []any, pick func(any) string) {
	var vals []string
	for _, e := range list {
		if s := pick(e); s != "" {
			vals = append(vals, s)
		}
	}
	if len(vals) == 0 {
		return
	}
	s := attrs.PutEmptySlice(key)
	s.EnsureCapacity(len(vals))
	for _, v := range vals {
		s.AppendEmpty().SetStr(v)
	}
}

// putProjectIDs sets wiz.project.ids from the node's projects list.
func refPutProjectIDs(attrs pcommon.Map, m map[string]any) {
	projects, _ := m["projects"].([]any)
	refPutStrings(attrs, AttrProjects, projects, func(p any) string {
		po, _ := p.(map[string]any)
		return refStr(po, "id")
	})
}

// recordUID is log.record.uid for objects that change over time: the same
// issue or finding yields a new record at every change, and semantic
// conventions treat equal uids as duplicates, so the uid includes the
// polled time.
func refRecordUID(k Key) string {
	return k.ID + "@" + k.Time.UTC().Format(time.RFC3339Nano)
}
