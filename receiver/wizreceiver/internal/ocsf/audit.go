// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

package ocsf

import (
	"strings"

	"go.opentelemetry.io/collector/pdata/pcommon"
)

// auditAttributes is the most attributes an audit event has at its top
// level, raw_data among them.
const auditAttributes = 22

// convertAudit converts an auditLogEntries node: a login (Login,
// DeviceLogin, as Amazon's Wiz source maps them) is an Authentication
// logon, any other action an API Activity. OCSF requires an Authentication's
// user, and an API Activity's actor and source endpoint: where Wiz names
// none of them, the object is named Unknown.
func convertAudit(native pcommon.Map, rec record, ev pcommon.Map) error {
	action, status := str(native, "action"), str(native, "status")
	login := strings.EqualFold(action, "Login") || strings.EqualFold(action, "DeviceLogin")
	if login {
		authentication.put(ev, 1, "")
	} else {
		activity := apiActivityOf(action)
		if action == "" {
			activity = activityUnknown
		}
		apiActivity.put(ev, activity, action)
	}
	// Wiz rates no audit entry. A refused action is what detections look
	// for: Low, as the native record's WARN.
	if wizIs(status, "SUCCESS") {
		ev.PutInt("severity_id", 1)
		ev.PutStr("severity", "Informational")
	} else {
		ev.PutInt("severity_id", 2)
		ev.PutStr("severity", "Low")
	}
	putAuditStatus(ev, status)
	ev.PutInt("time", rec.time)
	putStr(ev, "message", action)
	requestID := str(native, "requestId")
	putMetadata(ev, rec, action, requestID, false)

	sourceIP, userAgent := str(native, "sourceIP"), str(native, "userAgent")
	if login {
		putAuditUser(ev.PutEmptyMap("user"), native, true)
		// The service authenticated to; OCSF requires it or a
		// destination endpoint.
		ev.PutEmptyMap("service").PutStr("name", "Wiz")
		// Wiz is a SaaS: every login to it is remote.
		ev.PutBool("is_remote", true)
		if isIP(sourceIP) {
			ev.PutEmptyMap("src_endpoint").PutStr("ip", sourceIP)
		}
	} else {
		putAuditUser(ev.PutEmptyMap("actor").PutEmptyMap("user"), native, false)
		api := ev.PutEmptyMap("api")
		api.PutStr("operation", unknownIfEmpty(action))
		if requestID != "" {
			api.PutEmptyMap("request").PutStr("uid", requestID)
		}
		endpoint := ev.PutEmptyMap("src_endpoint")
		if isIP(sourceIP) {
			endpoint.PutStr("ip", sourceIP)
		} else {
			endpoint.PutStr("name", unknownIfEmpty(sourceIP))
		}
	}
	if userAgent != "" {
		ev.PutEmptyMap("http_request").PutStr("user_agent", userAgent)
	}
	return nil
}

// putAuditStatus writes status_id: Success, or Failure for Wiz's FAILED,
// ACCESS_DENIED and INVALID, with Wiz's word as status_code.
func putAuditStatus(ev pcommon.Map, wiz string) {
	if wiz == "" {
		return
	}
	switch {
	case wizIs(wiz, "SUCCESS"):
		ev.PutInt("status_id", 1)
		ev.PutStr("status", "Success")
	case wizIs(wiz, "FAILED"), wizIs(wiz, "ACCESS_DENIED"), wizIs(wiz, "INVALID"):
		ev.PutInt("status_id", 2)
		ev.PutStr("status", "Failure")
	default:
		ev.PutInt("status_id", 99)
		ev.PutStr("status", wiz)
	}
	ev.PutStr("status_code", wiz)
}

// putAuditUser writes the user who acted: the entry's user, else its
// service account, else, for a login, the user its parameters name; a
// user Wiz does not name at all is Unknown.
func putAuditUser(u pcommon.Map, native pcommon.Map, login bool) {
	u.EnsureCapacity(5)
	if user, ok := obj(native, "user"); ok && (str(user, "id") != "" || str(user, "name") != "") {
		putStr(u, "uid", str(user, "id"))
		putStr(u, "name", str(user, "name"))
		u.PutInt("type_id", 1)
		u.PutStr("type", "User")
		return
	}
	if sa, ok := obj(native, "serviceAccount"); ok && (str(sa, "id") != "" || str(sa, "name") != "") {
		putStr(u, "uid", str(sa, "id"))
		putStr(u, "name", str(sa, "name"))
		u.PutInt("type_id", 99)
		u.PutStr("type", "Service Account")
		return
	}
	if params, ok := obj(native, "actionParameters"); ok && login && str(params, "userID") != "" {
		u.PutStr("uid", str(params, "userID"))
		putStr(u, "name", str(params, "name"))
		if email := str(params, "userEmail"); isEmail(email) {
			u.PutStr("email_addr", email)
		}
		return
	}
	u.PutStr("name", "Unknown")
}

// unknownIfEmpty is s, or Unknown where OCSF requires a value Wiz did not
// give.
func unknownIfEmpty(s string) string {
	if s == "" {
		return "Unknown"
	}
	return s
}

// apiVerbs are the verbs Wiz's audited actions (GraphQL mutations and
// queries, AddSecurityScan, UpdateSAMLIdentityProvider, …) begin with, by
// the API Activity they are.
var apiVerbs = []struct {
	activity int64
	verbs    []string
}{
	{1, []string{"Create", "Add", "Generate", "Invite", "Register", "Upload", "Import", "Clone", "Copy", "Duplicate"}},
	{2, []string{"Get", "List", "Read", "Download", "Export", "Search", "View", "Fetch", "Query"}},
	{3, []string{"Update", "Set", "Edit", "Modify", "Change", "Rotate", "Reset", "Enable", "Disable", "Assign", "Unassign",
		"Rename", "Move", "Approve", "Reject", "Resolve", "Reopen", "Link", "Unlink", "Mark", "Patch", "Replace", "Restore", "Associate"}},
	{4, []string{"Delete", "Remove", "Revoke", "Purge", "Destroy"}},
}

// apiActivityOf is the API Activity of Wiz's action by its verb: Create,
// Read, Update or Delete, else Other.
func apiActivityOf(action string) int64 {
	for _, group := range apiVerbs {
		for _, verb := range group.verbs {
			if hasPrefixWord(action, verb) {
				return group.activity
			}
		}
	}
	return activityOther
}
