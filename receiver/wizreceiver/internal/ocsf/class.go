// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

package ocsf

import "go.opentelemetry.io/collector/pdata/pcommon"

// class is an OCSF event class the converter writes, with the captions of
// its ids (OCSF 1.5.0's), written beside them as their siblings.
type class struct {
	uid, categoryUID int64
	name, category   string
	// activities are the captions of activity_id 0, 1, …; typeNames
	// "<class>: <activity>", the captions of type_uid, the same way.
	activities, typeNames []string
	otherTypeName         string
}

func newClass(categoryUID, uid int64, name, category string, activities ...string) *class {
	c := &class{uid: categoryUID*1000 + uid, categoryUID: categoryUID, name: name, category: category,
		activities: activities, otherTypeName: name + ": Other"}
	for _, a := range activities {
		c.typeNames = append(c.typeNames, name+": "+a)
	}
	return c
}

// The activity ids every class has.
const (
	activityUnknown int64 = 0
	activityOther   int64 = 99
)

// The finding classes' activities.
const (
	activityCreate int64 = 1
	activityUpdate int64 = 2
	activityClose  int64 = 3
)

var (
	findingActivities    = []string{"Unknown", "Create", "Update", "Close"}
	detectionFinding     = newClass(2, 4, "Detection Finding", "Findings", findingActivities...)
	vulnerabilityFinding = newClass(2, 2, "Vulnerability Finding", "Findings", findingActivities...)
	complianceFinding    = newClass(2, 3, "Compliance Finding", "Findings", findingActivities...)
	authentication       = newClass(3, 2, "Authentication", "Identity & Access Management",
		"Unknown", "Logon", "Logoff", "Authentication Ticket", "Service Ticket Request", "Service Ticket Renew", "Preauth")
	apiActivity = newClass(6, 3, "API Activity", "Application Activity", "Unknown", "Create", "Read", "Update", "Delete")
)

// put writes the event's classification: class, category, activity and
// type, each id with its caption. other is the source's word for the
// activity when it is activityOther.
func (c *class) put(ev pcommon.Map, activity int64, other string) {
	ev.PutInt("class_uid", c.uid)
	ev.PutStr("class_name", c.name)
	ev.PutInt("category_uid", c.categoryUID)
	ev.PutStr("category_name", c.category)
	ev.PutInt("activity_id", activity)
	typeName := c.otherTypeName
	if activity == activityOther {
		ev.PutStr("activity_name", other)
	} else {
		ev.PutStr("activity_name", c.activities[activity])
		typeName = c.typeNames[activity]
	}
	ev.PutInt("type_uid", c.uid*100+activity)
	ev.PutStr("type_name", typeName)
}
