// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

package logtype

// securitySubCategoryFields selects a framework entry with the ids Wiz
// filters by and the names the records carry.
const securitySubCategoryFields = `securitySubCategories { id externalId title category { id name framework { id name } } }`
