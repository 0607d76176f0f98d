// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

package ocsf

import "go.opentelemetry.io/collector/pdata/pcommon"

// putStr sets key only when the value is not empty.
func putStr(m pcommon.Map, key, value string) {
	if value != "" {
		m.PutStr(key, value)
	}
}

// putTime sets key to a time Wiz wrote, in milliseconds, when it reads as
// one.
func putTime(m pcommon.Map, key, wizTime string) {
	if ms, ok := millis(wizTime); ok {
		m.PutInt(key, ms)
	}
}

// putMetadata writes the event's metadata: the product, Wiz, and the
// schema version; the record's uid; Wiz's own code for the event and the
// id correlating it with others; the log type and how it was read. cloud
// names the cloud profile, which the event's cloud object belongs to.
func putMetadata(ev pcommon.Map, rec record, eventCode, correlationUID string, cloud bool) {
	md := ev.PutEmptyMap("metadata")
	md.EnsureCapacity(9)
	product := md.PutEmptyMap("product")
	product.EnsureCapacity(2)
	product.PutStr("name", "Wiz")
	product.PutStr("vendor_name", "Wiz")
	md.PutStr("version", Version)
	putStr(md, "uid", rec.uid)
	putStr(md, "event_code", eventCode)
	putStr(md, "correlation_uid", correlationUID)
	md.PutStr("log_name", rec.logType)
	md.PutStr("log_provider", rec.provider)
	if cloud {
		md.PutEmptySlice("profiles").AppendEmpty().SetStr("cloud")
	}
}

// putSeverity writes severity_id from Wiz's severity, in any letter case,
// and its caption; a severity OCSF does not know is Other, with Wiz's word.
func putSeverity(ev pcommon.Map, wiz string) {
	id, caption := severityOf(wiz)
	ev.PutInt("severity_id", id)
	ev.PutStr("severity", caption)
}

func severityOf(wiz string) (int64, string) {
	switch {
	case wiz == "":
		return 0, "Unknown"
	// NONE rates informational configuration rules.
	case wizIs(wiz, "INFORMATIONAL"), wizIs(wiz, "INFO"), wizIs(wiz, "NONE"):
		return 1, "Informational"
	case wizIs(wiz, "LOW"):
		return 2, "Low"
	case wizIs(wiz, "MEDIUM"):
		return 3, "Medium"
	case wizIs(wiz, "HIGH"):
		return 4, "High"
	case wizIs(wiz, "CRITICAL"):
		return 5, "Critical"
	default:
		return 99, wiz
	}
}

// putFindingStatus writes a finding's status_id from Wiz's status, with
// its caption, Wiz's word as status_code and Wiz's resolution reason as
// status_detail. A rejected finding (an exception, a false positive) is
// Suppressed.
func putFindingStatus(ev pcommon.Map, wiz, resolutionReason string) {
	if wiz == "" {
		return
	}
	var id int64
	var caption string
	switch {
	case wizIs(wiz, "OPEN"):
		id, caption = 1, "New"
	case wizIs(wiz, "IN_PROGRESS"):
		id, caption = 2, "In Progress"
	case wizIs(wiz, "REJECTED"):
		id, caption = 3, "Suppressed"
	case wizIs(wiz, "RESOLVED"):
		id, caption = 4, "Resolved"
	default:
		id, caption = 99, wiz
	}
	ev.PutInt("status_id", id)
	ev.PutStr("status", caption)
	ev.PutStr("status_code", wiz)
	putStr(ev, "status_detail", resolutionReason)
}

// findingActivity is a finding's activity_id: Close when Wiz's status
// closes it, Create when the record is dated at the finding's creation
// (its first version), Update when later, Unknown when Wiz gave no
// creation time.
func findingActivity(status string, recordTime int64, created string) int64 {
	if wizIs(status, "RESOLVED") || wizIs(status, "REJECTED") {
		return activityClose
	}
	ms, ok := millis(created)
	switch {
	case !ok:
		return activityUnknown
	case ms == recordTime:
		return activityCreate
	default:
		return activityUpdate
	}
}
