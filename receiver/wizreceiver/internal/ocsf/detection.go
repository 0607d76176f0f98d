// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

package ocsf

import (
	"errors"
	"math"
	"strings"

	"go.opentelemetry.io/collector/pdata/pcommon"
)

// convertDetection converts a detections node of Wiz Defend.
func convertDetection(native pcommon.Map, rec record, ev pcommon.Map) error {
	id := str(native, "id")
	if id == "" {
		return errors.New("no id")
	}
	activity := findingActivity("", rec.time, str(native, "createdAt"))
	match, _ := obj(native, "ruleMatch")
	rule, _ := obj(match, "rule")
	primary, _ := obj(native, "primaryResource")
	// The account of the primary resource, else the detection's first.
	account, ok := obj(primary, "cloudAccount")
	if !ok {
		account, _ = first(native, "cloudAccounts")
	}
	org, _ := first(native, "cloudOrganizations")
	loc := location{provider: str(account, "cloudProvider"), region: str(primary, "region"),
		accountUID: str(account, "externalId"), accountName: str(account, "name"),
		orgUID: str(org, "externalId"), orgName: str(org, "name")}

	detectionFinding.put(ev, activity, "")
	putSeverity(ev, str(native, "severity"))
	ev.PutInt("time", rec.time)
	putMetadata(ev, rec, "", "", loc.provider != "")
	// issue is the threat the detection produced or joined.
	threat, _ := obj(native, "issue")
	f := finding{
		uid: id, title: str(rule, "name"), desc: str(native, "description"), srcURL: str(threat, "url"),
		kind: "Detection", wizType: str(native, "type"),
		created: str(native, "createdAt"), modified: str(native, "updatedAt"),
		firstSeen: str(native, "startedAt"), lastSeen: str(native, "endedAt"),
	}
	fi := f.put(ev)
	putRule(fi, str(rule, "id"), str(rule, "name"), str(rule, "sourceType"))
	putMITRE(fi, rule)
	events, _ := obj(native, "triggeringEvents")
	putRelatedEvents(fi, events, "nodes", "timestamp", events, "totalCount")
	ev.PutBool("is_alert", true)
	actor, _ := obj(native, "primaryActor")
	putEvidence(ev, actor, polledActorAddress(native, actor))
	putDetectionResources(ev, native, primary, &loc, str)
	putCloud(ev, &loc)
	return nil
}

// polledActorAddress is the IP address the detected activity came from:
// the first triggering event's actorIP, else the primary actor's when it
// is a network address (Wiz names such an actor by its address).
func polledActorAddress(native, actor pcommon.Map) string {
	events, _ := obj(native, "triggeringEvents")
	if nodes, ok := list(events, "nodes"); ok {
		for _, e := range nodes.All() {
			if e.Type() == pcommon.ValueTypeMap {
				if ip := str(e.Map(), "actorIP"); ip != "" {
					return ip
				}
			}
		}
	}
	if str(actor, "type") == "NETWORK_ADDRESS" {
		return str(actor, "externalId")
	}
	return ""
}

// convertPushedDetection converts a Wiz Defend detection pushed in Wiz's
// fixed detection body.
func convertPushedDetection(payload pcommon.Map, rec record, ev pcommon.Map) error {
	id := text(payload, "id")
	if id == "" {
		return errors.New("no id")
	}
	activity := findingActivity("", rec.time, text(payload, "createdAt"))
	primary, _ := obj(payload, "primaryResource")
	account, ok := obj(primary, "cloudAccount")
	if !ok {
		account, _ = first(payload, "cloudAccounts")
	}
	org, _ := first(payload, "cloudOrganizations")
	loc := location{provider: text(account, "cloudPlatform"), region: text(primary, "region"),
		accountUID: text(account, "externalId"), accountName: text(account, "name"),
		orgUID: text(org, "externalId"), orgName: text(org, "name")}
	if loc.provider == "" {
		loc.provider = text(account, "cloudProvider")
	}
	trigger, _ := obj(payload, "trigger")

	detectionFinding.put(ev, activity, "")
	putSeverity(ev, text(payload, "severity"))
	ev.PutInt("time", rec.time)
	putMetadata(ev, rec, text(trigger, "type"), "", loc.provider != "")
	timeframe, _ := obj(payload, "timeframe")
	f := finding{
		uid: id, title: text(payload, "title"), desc: text(payload, "description"), srcURL: text(payload, "threatURL"),
		kind: "Detection", created: text(payload, "createdAt"),
		firstSeen: text(timeframe, "start"), lastSeen: text(timeframe, "end"),
	}
	fi := f.put(ev)
	// tdrId is the threat detection rule's id, title its name.
	putRule(fi, text(payload, "tdrId"), text(payload, "title"), text(payload, "tdrSource"))
	putMITREIDs(fi, payload)
	putRelatedEvents(fi, payload, "triggeringEvents", "eventTime", payload, "triggeringEventsCount")
	ev.PutBool("is_alert", true)
	actor, _ := obj(payload, "primaryActor")
	event, ok := first(payload, "triggeringEvents")
	if !ok {
		// Some deliveries carry a single triggeringEvent instead.
		event, _ = obj(payload, "triggeringEvent")
	}
	putEvidence(ev, actor, text(event, "actorIP"))
	putDetectionResources(ev, payload, primary, &loc, text)
	putCloud(ev, &loc)
	return nil
}

// convertThreat converts a Wiz Defend threat pushed in Wiz's fixed threat
// body, where empty values arrive as "".
func convertThreat(payload pcommon.Map, rec record, ev pcommon.Map) error {
	threat, _ := obj(payload, "threat")
	id := text(threat, "id")
	if id == "" {
		return errors.New("no threat.id")
	}
	status := text(threat, "status")
	activity := findingActivity(status, rec.time, text(threat, "created"))
	// A threat's accounts carry Wiz's ids, not the provider's: their names
	// alone are written.
	account, _ := first(threat, "cloudAccounts")
	org, _ := first(threat, "cloudOrganizations")
	loc := location{provider: text(threat, "cloudPlatform"), accountName: text(account, "name"),
		orgUID: text(org, "externalId"), orgName: text(org, "name")}
	trigger, _ := obj(payload, "trigger")

	detectionFinding.put(ev, activity, "")
	putSeverity(ev, text(threat, "severity"))
	putFindingStatus(ev, status, text(threat, "resolutionNote"))
	ev.PutInt("time", rec.time)
	putMetadata(ev, rec, text(trigger, "type"), "", loc.provider != "")
	f := finding{
		uid: id, title: text(threat, "title"), desc: text(threat, "description"), srcURL: text(threat, "threatURL"),
		kind: "Threat", created: text(threat, "created"), modified: text(threat, "updatedAt"),
	}
	fi := f.put(ev)
	putMITREIDs(fi, threat)
	putDetectionIDs(fi, text(threat, "detectionIds"))
	ev.PutBool("is_alert", activity != activityClose)
	actor, _ := first(threat, "actors")
	putEvidence(ev, actor, "")
	var resources pcommon.Slice
	if l, ok := list(threat, "resources"); ok {
		for _, r := range l.All() {
			if r.Type() == pcommon.ValueTypeMap {
				appendResource(ev, &resources, detectionResource(r.Map(), text), loc.provider != "")
			}
		}
	}
	putCloud(ev, &loc)
	return nil
}

// putRelatedEvents writes finding_info.related_events, the events that
// triggered a detection, from the array at key of events (each event's
// time at timeKey), and related_events_count from countKey of counts: Wiz
// sends a detection's newest events and the count of all of them.
func putRelatedEvents(fi, events pcommon.Map, key, timeKey string, counts pcommon.Map, countKey string) {
	if count, ok := get(counts, countKey); ok && count.Type() == pcommon.ValueTypeInt &&
		count.Int() >= 0 && count.Int() <= math.MaxInt32 {
		fi.PutInt("related_events_count", count.Int())
	}
	nodes, ok := list(events, key)
	if !ok {
		return
	}
	var related pcommon.Slice
	for _, v := range nodes.All() {
		if v.Type() != pcommon.ValueTypeMap {
			continue
		}
		e := v.Map()
		id := text(e, "id")
		if id == "" {
			continue
		}
		if related == (pcommon.Slice{}) {
			related = fi.PutEmptySlice("related_events")
		}
		r := related.AppendEmpty().SetEmptyMap()
		r.EnsureCapacity(4)
		r.PutStr("uid", id)
		putStr(r, "title", text(e, "name"))
		putStr(r, "desc", text(e, "description"))
		putTime(r, "created_time", text(e, timeKey))
	}
}

// putDetectionIDs writes the detections a threat holds, which Wiz lists
// as "id, id", as finding_info.related_events.
func putDetectionIDs(fi pcommon.Map, ids string) {
	var related pcommon.Slice
	for rest := ids; rest != ""; {
		var id string
		id, rest, _ = strings.Cut(rest, ",")
		if id = strings.TrimSpace(id); id == "" {
			continue
		}
		if related == (pcommon.Slice{}) {
			related = fi.PutEmptySlice("related_events")
		}
		related.AppendEmpty().SetEmptyMap().PutStr("uid", id)
	}
}

// putEvidence writes evidences: the actor Wiz names (a process, or a
// user, service account or other identity) and the address the activity
// came from. Wiz's UNKNOWN actor, with neither id nor name, and an actor
// that is a network address are no actor.
func putEvidence(ev, actor pcommon.Map, ip string) {
	kind := text(actor, "type")
	actorID := firstNonEmpty(text(actor, "providerUniqueId"), text(actor, "externalId"), text(actor, "id"))
	name := text(actor, "name")
	hasActor := (actorID != "" || name != "") && kind != "NETWORK_ADDRESS"
	if kind == "PROCESS" && actorID == "" {
		// OCSF knows a process by its id.
		hasActor = false
	}
	if !hasActor && !isIP(ip) {
		return
	}
	e := ev.PutEmptySlice("evidences").AppendEmpty().SetEmptyMap()
	if hasActor {
		a := e.PutEmptyMap("actor")
		if kind == "PROCESS" {
			p := a.PutEmptyMap("process")
			p.PutStr("uid", actorID)
			putStr(p, "name", name)
		} else {
			u := a.PutEmptyMap("user")
			u.EnsureCapacity(6)
			putStr(u, "uid", actorID)
			putStr(u, "name", name)
			putStr(u, "type", kind)
			if email := text(actor, "email"); isEmail(email) {
				u.PutStr("email_addr", email)
			}
			if mfa, ok := boolean(actor, "MFA"); ok {
				u.PutBool("has_mfa", mfa)
			}
			if account, ok := obj(actor, "cloudAccount"); ok {
				putAccount(u, account)
			}
		}
	}
	if isIP(ip) {
		e.PutEmptyMap("src_endpoint").PutStr("ip", ip)
	}
}

// putAccount writes a user's cloud account, when Wiz names it.
func putAccount(u, account pcommon.Map) {
	uid, name := text(account, "externalId"), text(account, "name")
	if uid == "" && name == "" {
		return
	}
	a := u.PutEmptyMap("account")
	putStr(a, "uid", uid)
	putStr(a, "name", name)
	if id, caption := accountType(text(account, "cloudProvider")); id != 0 {
		a.PutInt("type_id", id)
		a.PutStr("type", caption)
	}
}

// putDetectionResources writes a detection's resources: the primary one
// first, then the others, each once.
func putDetectionResources(ev, native, primary pcommon.Map, loc *location, read func(pcommon.Map, string) string) {
	cloud := loc.provider != ""
	var resources pcommon.Slice
	if primary != (pcommon.Map{}) {
		appendResource(ev, &resources, detectionResource(primary, read), cloud)
	}
	l, ok := list(native, "resources")
	if !ok {
		return
	}
	primaryID := read(primary, "id")
	for _, r := range l.All() {
		if r.Type() != pcommon.ValueTypeMap || (primaryID != "" && read(r.Map(), "id") == primaryID) {
			continue
		}
		appendResource(ev, &resources, detectionResource(r.Map(), read), cloud)
	}
}

// detectionResource reads a resource of a detection or a threat.
func detectionResource(r pcommon.Map, read func(pcommon.Map, string) string) resource {
	return resource{
		uid: firstNonEmpty(read(r, "providerUniqueId"), read(r, "externalId")), uidAlt: read(r, "id"),
		name: read(r, "name"), typ: read(r, "type"), region: read(r, "region"),
	}
}

// firstNonEmpty returns the first of values that is not empty.
func firstNonEmpty(values ...string) string {
	for _, v := range values {
		if v != "" {
			return v
		}
	}
	return ""
}
