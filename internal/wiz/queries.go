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

// securitySubCategoryFields selects a framework entry with the ids Wiz
// filters by and the names the records carry.
const securitySubCategoryFields = `securitySubCategories { id externalId title category { id name framework { id name } } }`

// ConfigurationFindings selects a cloud configuration finding with its rule,
// resource, account, projects, framework mappings, ignore rules and evidence
// (Wiz.CloudConfigurationFinding), and the connection's maxCountReached,
// Wiz's word on whether a walk hit its result cap. The rule's opaPolicy, a
// Rego program peers rarely read, is left out.
var ConfigurationFindings = Connection{
	Operation:   "CloudConfigurationFindingsPage",
	ResponseKey: "configurationFindings",
	Query: `query CloudConfigurationFindingsPage($first: Int, $after: String, $filterBy: ConfigurationFindingFilters) {
  configurationFindings(first: $first, after: $after, filterBy: $filterBy) {
    nodes {
      id name targetExternalId targetObjectProviderUniqueId deleted
      firstSeenAt analyzedAt updatedAt statusChangedAt
      severity result status resolutionReason remediation source
      note { text }
      resource {
        id providerId name nativeType type region cloudPlatform status
        subscription { id name externalId cloudProvider }
        projects { id name slug businessUnit riskProfile { businessImpact } }
        tags { key value }
      }
      subscription { id name externalId cloudProvider }
      rule {
        id shortId graphId name description remediationInstructions serviceType
        functionAsControl builtin risks threats
        tags { key value }
        ` + securitySubCategoryFields + `
      }
      ` + securitySubCategoryFields + `
      ignoreRules { id name enabled expiredAt }
      evidence { currentValue expectedValue configurationPath cloudConfigurationLink }
    }
    pageInfo { hasNextPage endCursor }
    maxCountReached
  }
}`,
}

// detectionActorFields selects an actor of a detection: an IP address, a
// user, a service account and what it acted as, or Wiz's UNKNOWN.
const detectionActorFields = `id name externalId providerUniqueId type nativeType email userAgent MFA federated
        friendlyName accessKeyId hasHighPrivileges hasAdminPrivileges hasHighKubernetesPrivileges
        hasAdminKubernetesPrivileges inactiveInLast90Days
        actingAs { id name type nativeType }
        cloudAccount { id name externalId cloudProvider }`

// detectionResourceFields selects a resource of a detection.
const detectionResourceFields = `id name externalId providerUniqueId type nativeType region
        cloudAccount { id name externalId cloudProvider }
        kubernetesNamespace { id providerUniqueId name }
        kubernetesCluster { id providerUniqueId name }`

// Detections selects a Wiz Defend detection (Detections API v2) with its
// threat, matched rule and its MITRE mapping, actors, resources, accounts and
// the newest ten triggering events with the count of all of them
// (Wiz.DefendDetection). totalCount is the name Sekoia and Cribl read;
// Elastic reads totalCountV2, and which one Wiz keeps is not known.
var Detections = Connection{
	Operation:   "DetectionsTableV2",
	ResponseKey: "detections",
	Query: `query DetectionsTableV2($first: Int, $after: String, $filterBy: DetectionFilters) {
  detections(first: $first, after: $after, filterBy: $filterBy) {
    nodes {
      id type origins severity description(format: MARKDOWN)
      createdAt updatedAt startedAt endedAt
      issue { id url dueAt resolutionReason projects { id name } notes { text } }
      ruleMatch {
        rule {
          id name builtin sourceType origins
          ` + securitySubCategoryFields + `
        }
      }
      actors { ` + detectionActorFields + ` }
      primaryActor { ` + detectionActorFields + ` }
      resources { ` + detectionResourceFields + ` }
      primaryResource { ` + detectionResourceFields + ` }
      cloudAccounts { id name externalId cloudProvider linkedProjects { id name } }
      cloudOrganizations { id name externalId cloudProvider }
      triggeringEvents(first: 10) {
        totalCount
        nodes {
          ... on CloudEvent {
            id name description origin source category status cloudPlatform cloudProviderUrl timestamp
            actor { id name type }
            actorIP
            actorIPMeta {
              country autonomousSystemNumber autonomousSystemOrganization reputation
              reputationDescription reputationSource relatedAttackGroupNames isForeign customIPRanges
            }
            resources { id name type }
            rawAuditLogRecord commandLine
            runtimeProgram { name }
            parentRuntimeProgram { name }
            extraDetails {
              ... on CloudEventRuntimeDetails {
                processTree {
                  command path hash size executionTime runtimeProgramId userId userName
                  container { id externalId name image { id externalId } }
                }
              }
            }
          }
        }
      }
    }
    pageInfo { hasNextPage endCursor }
  }
}`,
}
