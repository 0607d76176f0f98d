package wiz

// Connection is one paged Wiz query: its text and where its connection sits
// in the response. Every query takes $first, $after and $filterBy, so one
// polling loop serves all of them.
type Connection struct {
	Operation   string
	Query       string
	ResponseKey string
}

// AuditLogEntries selects every field of an audit log entry (Wiz.Audit).
var AuditLogEntries = Connection{
	Operation:   "AuditLogTable",
	ResponseKey: "auditLogEntries",
	Query: `query AuditLogTable($first: Int, $after: String, $filterBy: AuditLogEntryFilters) {
  auditLogEntries(first: $first, after: $after, filterBy: $filterBy) {
    nodes {
      id action requestId status timestamp actionParameters userAgent sourceIP
      serviceAccount { id name }
      user { id name }
    }
    pageInfo { hasNextPage endCursor }
  }
}`,
}

// sourceRuleFields is the selection of the IssueSourceRule union. The three
// members declare description with different nullability, so each is aliased.
const sourceRuleFields = `__typename
      ... on Control {
        id name controlDescription: description resolutionRecommendation
        securitySubCategories { title category { name framework { name } } }
        risks
      }
      ... on CloudEventRule {
        id name cloudEventRuleDescription: description sourceType type
        securitySubCategories { title category { name framework { name } } }
        risks
      }
      ... on CloudConfigurationRule {
        id name cloudConfigurationRuleDescription: description remediationInstructions serviceType
        securitySubCategories { title category { name framework { name } } }
        risks
      }`

// Issues selects an issue with its rule, resource snapshot, projects,
// tickets and notes (Wiz.Issues). issuesV2 is aliased to "issues", as Wiz's
// own examples do; the unversioned root field is deprecated.
var Issues = Connection{
	Operation:   "IssuesTable",
	ResponseKey: "issues",
	Query: `query IssuesTable($first: Int, $after: String, $filterBy: IssueFilters) {
  issues: issuesV2(first: $first, after: $after, filterBy: $filterBy) {
    nodes {
      id
      sourceRule { ` + sourceRuleFields + ` }
      sourceRules { ` + sourceRuleFields + ` }
      createdAt updatedAt dueAt resolvedAt statusChangedAt
      type status severity resolutionReason
      projects { id name slug businessUnit riskProfile { businessImpact } }
      entitySnapshot {
        id type nativeType name status cloudPlatform cloudProviderURL providerId region
        resourceGroupExternalId subscriptionExternalId subscriptionName subscriptionTags tags
        externalId createdAt
      }
      serviceTickets { externalId name url }
      notes { id createdAt updatedAt text user { name email } serviceAccount { name } }
    }
    pageInfo { hasNextPage endCursor }
  }
}`,
}

// VulnerabilityFindings selects a finding with its scores, EPSS data,
// layer, ignore rules, projects and the vulnerable asset by concrete type
// (Wiz.VulnerabilityFinding).
var VulnerabilityFindings = Connection{
	Operation:   "VulnerabilityFindingsPage",
	ResponseKey: "vulnerabilityFindings",
	Query: `query VulnerabilityFindingsPage($first: Int, $after: String, $filterBy: VulnerabilityFindingFilters) {
  vulnerabilityFindings(first: $first, after: $after, filterBy: $filterBy) {
    nodes {
      id portalUrl name CVEDescription CVSSSeverity score exploitabilityScore impactScore
      dataSourceName hasExploit hasCisaKevExploit status vendorSeverity severity nvdSeverity
      firstDetectedAt lastDetectedAt resolvedAt updatedAt
      description remediation detailedName version fixedVersion detectionMethod link
      locationPath resolutionReason
      epssSeverity epssPercentile epssProbability validatedInRuntime
      cvssv2 { attackVector attackComplexity confidentialityImpact integrityImpact privilegesRequired userInteractionRequired }
      cvssv3 { attackVector attackComplexity confidentialityImpact integrityImpact privilegesRequired userInteractionRequired }
      relatedIssueAnalytics {
        issueCount criticalSeverityCount highSeverityCount mediumSeverityCount
        lowSeverityCount informationalSeverityCount
      }
      layerMetadata { id details isBaseLayer }
      projects { id name slug businessUnit riskProfile { businessImpact } }
      ignoreRules { id name enabled expiredAt }
      vulnerableAsset {
        ... on VulnerableAssetBase {
          id type name region providerUniqueId cloudProviderURL cloudPlatform status
          subscriptionName subscriptionExternalId subscriptionId tags
          hasLimitedInternetExposure hasWideInternetExposure isAccessibleFromVPN
          isAccessibleFromOtherVnets isAccessibleFromOtherSubscriptions
        }
        ... on VulnerableAssetVirtualMachine { operatingSystem ipAddresses }
        ... on VulnerableAssetServerless { runtime }
        ... on VulnerableAssetContainerImage { imageId }
        ... on VulnerableAssetContainer { ImageExternalId VmExternalId ServerlessContainer PodNamespace PodName NodeName }
      }
    }
    pageInfo { hasNextPage endCursor }
  }
}`,
}
