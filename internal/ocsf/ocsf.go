// Package ocsf converts the wiz receiver's native records into OCSF 1.5.0
// events (https://schema.ocsf.io/1.5.0).
package ocsf
