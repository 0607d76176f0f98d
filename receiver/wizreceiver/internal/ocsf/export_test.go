// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

package ocsf

// JSONText is jsonText, the JSON text of raw_data, for the golden files.
var JSONText = jsonText

// Capacity is the most attributes the converter of logType writes at an
// event's top level, what it allocates for at once.
func Capacity(logType string) int { return converters[logType].attributes }
