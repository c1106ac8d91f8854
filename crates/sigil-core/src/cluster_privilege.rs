//! Elasticsearch's named cluster privileges, every one its security API documents, and which
//! includes which. A descriptor written for Elasticsearch names any of them; Sigil's
//! operations check only a few (`manage_security`, `manage_api_key`, `manage_own_api_key`,
//! `read_security`, `monitor`), and `_has_privileges` answers for all of them by the same
//! inclusion.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

macro_rules! cluster_privileges {
    ($($variant:ident => $name:literal,)*) => {
        /// A named cluster privilege, by its Elasticsearch name.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum ClusterPrivilege {
            $($variant,)*
        }

        impl ClusterPrivilege {
            /// Every named privilege, in Elasticsearch's documented order.
            pub const ALL: &'static [ClusterPrivilege] = &[$(Self::$variant,)*];

            pub fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $name,)*
                }
            }
        }
    };
}

cluster_privileges! {
    All => "all",
    CancelTask => "cancel_task",
    CreateSnapshot => "create_snapshot",
    CrossClusterReplication => "cross_cluster_replication",
    CrossClusterSearch => "cross_cluster_search",
    DelegatePki => "delegate_pki",
    GrantApiKey => "grant_api_key",
    Manage => "manage",
    ManageApiKey => "manage_api_key",
    ManageAutoscaling => "manage_autoscaling",
    ManageBehavioralAnalytics => "manage_behavioral_analytics",
    ManageCcr => "manage_ccr",
    ManageConnector => "manage_connector",
    ManageDataFrameTransforms => "manage_data_frame_transforms",
    ManageDataStreamGlobalRetention => "manage_data_stream_global_retention",
    ManageEnrich => "manage_enrich",
    ManageEsql => "manage_esql",
    ManageIlm => "manage_ilm",
    ManageIndexTemplates => "manage_index_templates",
    ManageInference => "manage_inference",
    ManageIngestPipelines => "manage_ingest_pipelines",
    ManageLogstashPipelines => "manage_logstash_pipelines",
    ManageMl => "manage_ml",
    ManageOidc => "manage_oidc",
    ManageOwnApiKey => "manage_own_api_key",
    ManagePipeline => "manage_pipeline",
    ManageRollup => "manage_rollup",
    ManageSaml => "manage_saml",
    ManageSearchApplication => "manage_search_application",
    ManageSearchQueryRules => "manage_search_query_rules",
    ManageSearchSynonyms => "manage_search_synonyms",
    ManageSecurity => "manage_security",
    ManageServiceAccount => "manage_service_account",
    ManageSlm => "manage_slm",
    ManageToken => "manage_token",
    ManageTransform => "manage_transform",
    ManageUserProfile => "manage_user_profile",
    ManageWatcher => "manage_watcher",
    Monitor => "monitor",
    MonitorConnector => "monitor_connector",
    MonitorDataFrameTransforms => "monitor_data_frame_transforms",
    MonitorDataStreamGlobalRetention => "monitor_data_stream_global_retention",
    MonitorEnrich => "monitor_enrich",
    MonitorEsql => "monitor_esql",
    MonitorInference => "monitor_inference",
    MonitorMl => "monitor_ml",
    MonitorRollup => "monitor_rollup",
    MonitorSnapshot => "monitor_snapshot",
    MonitorStats => "monitor_stats",
    MonitorTextStructure => "monitor_text_structure",
    MonitorTransform => "monitor_transform",
    MonitorWatcher => "monitor_watcher",
    None => "none",
    PostBehavioralAnalyticsEvent => "post_behavioral_analytics_event",
    ReadCcr => "read_ccr",
    ReadConnectorSecrets => "read_connector_secrets",
    ReadFleetSecrets => "read_fleet_secrets",
    ReadIlm => "read_ilm",
    ReadPipeline => "read_pipeline",
    ReadSecurity => "read_security",
    ReadSlm => "read_slm",
    TransportClient => "transport_client",
    WriteConnectorSecrets => "write_connector_secrets",
    WriteFleetSecrets => "write_fleet_secrets",
}

/// The privileges Sigil's own operations check; every other name grants nothing here.
pub const ENFORCED: &[ClusterPrivilege] = &[
    ClusterPrivilege::ManageSecurity,
    ClusterPrivilege::ManageApiKey,
    ClusterPrivilege::ManageOwnApiKey,
    ClusterPrivilege::ReadSecurity,
    ClusterPrivilege::Monitor,
];

impl ClusterPrivilege {
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|p| p.as_str() == name)
    }

    /// The privileges `self` directly includes, as Elasticsearch groups its actions:
    /// `manage_security` every security action (`cluster:admin/xpack/security/*`), `manage`
    /// every cluster action but those and the secrets, `monitor` every read-only one, and each
    /// `manage_x` its `monitor_x` or `read_x`.
    fn includes(self) -> &'static [ClusterPrivilege] {
        use ClusterPrivilege::*;
        match self {
            ManageSecurity => &[
                ManageApiKey,
                ReadSecurity,
                ManageToken,
                ManageOidc,
                ManageSaml,
                ManageServiceAccount,
                ManageUserProfile,
                DelegatePki,
            ],
            ManageApiKey => &[ManageOwnApiKey, GrantApiKey],
            Manage => &[
                Monitor,
                CancelTask,
                CreateSnapshot,
                CrossClusterReplication,
                CrossClusterSearch,
                ManageAutoscaling,
                ManageBehavioralAnalytics,
                ManageCcr,
                ManageConnector,
                ManageDataFrameTransforms,
                ManageDataStreamGlobalRetention,
                ManageEnrich,
                ManageEsql,
                ManageIlm,
                ManageIndexTemplates,
                ManageInference,
                ManageLogstashPipelines,
                ManageMl,
                ManagePipeline,
                ManageRollup,
                ManageSearchApplication,
                ManageSearchQueryRules,
                ManageSearchSynonyms,
                ManageSlm,
                ManageTransform,
                ManageWatcher,
                PostBehavioralAnalyticsEvent,
            ],
            Monitor => &[
                MonitorConnector,
                MonitorDataFrameTransforms,
                MonitorDataStreamGlobalRetention,
                MonitorEnrich,
                MonitorEsql,
                MonitorInference,
                MonitorMl,
                MonitorRollup,
                MonitorSnapshot,
                MonitorStats,
                MonitorTextStructure,
                MonitorTransform,
                MonitorWatcher,
                TransportClient,
            ],
            ManageCcr => &[ReadCcr],
            ManageConnector => &[MonitorConnector],
            ManageDataFrameTransforms => &[MonitorDataFrameTransforms],
            ManageDataStreamGlobalRetention => &[MonitorDataStreamGlobalRetention],
            ManageEnrich => &[MonitorEnrich],
            ManageEsql => &[MonitorEsql],
            ManageIlm => &[ReadIlm],
            ManageInference => &[MonitorInference],
            ManageMl => &[MonitorMl],
            ManagePipeline => &[ManageIngestPipelines],
            ManageIngestPipelines => &[ReadPipeline],
            ManageRollup => &[MonitorRollup],
            ManageSlm => &[ReadSlm],
            ManageTransform => &[MonitorTransform],
            ManageWatcher => &[MonitorWatcher],
            _ => &[],
        }
    }

    /// Whether holding `self` grants `wanted`: `all` grants everything, everything grants
    /// `none`, and a group grants what it includes (transitively; the groups nest at most
    /// three deep).
    pub fn implies(self, wanted: ClusterPrivilege) -> bool {
        self == wanted
            || self == Self::All
            || wanted == Self::None
            || self.includes().iter().any(|p| p.implies(wanted))
    }

    /// Whether holding `self` lets a caller do anything in Sigil (`manage_ml` does not).
    pub fn grants_in_sigil(self) -> bool {
        ENFORCED.iter().any(|s| self.implies(*s))
    }

    /// The privileges that grant `self`, widest last: what a refusal names.
    pub fn granted_by(self) -> Vec<ClusterPrivilege> {
        let mut by: Vec<ClusterPrivilege> = Self::ALL
            .iter()
            .copied()
            .filter(|p| p.implies(self) && *p != Self::All)
            .collect();
        by.sort_by_key(|p| Self::ALL.iter().filter(|q| p.implies(**q)).count());
        by.push(Self::All);
        by.dedup();
        by
    }

    /// What holding all of `a` and being limited by all of `b` leaves: every privilege both
    /// grant, reduced to the widest ones (Elasticsearch's intersection of an API key's role
    /// descriptors with its owner's roles).
    pub fn intersect(a: &[ClusterPrivilege], b: &[ClusterPrivilege]) -> Vec<ClusterPrivilege> {
        let both: Vec<ClusterPrivilege> = Self::ALL
            .iter()
            .copied()
            .filter(|p| *p != Self::None)
            .filter(|p| a.iter().any(|x| x.implies(*p)) && b.iter().any(|y| y.implies(*p)))
            .collect();
        both.iter()
            .copied()
            .filter(|p| !both.iter().any(|q| q != p && q.implies(*p)))
            .collect()
    }
}

impl Serialize for ClusterPrivilege {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for ClusterPrivilege {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let name = String::deserialize(d)?;
        Self::parse(&name)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown cluster privilege [{name}]")))
    }
}

#[cfg(test)]
mod tests {
    use super::ClusterPrivilege::{self, *};

    #[test]
    fn every_name_parses_back() {
        for p in ClusterPrivilege::ALL {
            assert_eq!(ClusterPrivilege::parse(p.as_str()), Some(*p));
        }
        assert_eq!(ClusterPrivilege::parse("superuser"), Option::None);
        assert_eq!(
            ClusterPrivilege::parse("cluster:monitor/main"),
            Option::None
        );
    }

    #[test]
    fn groups_include_what_elasticsearch_groups() {
        assert!(ManageSecurity.implies(ManageOwnApiKey));
        assert!(ManageSecurity.implies(ManageToken));
        assert!(!ManageSecurity.implies(Monitor));
        assert!(Manage.implies(MonitorMl));
        assert!(!Manage.implies(ManageSecurity));
        assert!(!Manage.implies(ManageOwnApiKey));
        assert!(Monitor.implies(MonitorStats));
        assert!(!Monitor.implies(Manage));
        assert!(ManagePipeline.implies(ReadPipeline));
        assert!(All.implies(WriteFleetSecrets));
        assert!(ManageOwnApiKey.implies(None));
        assert!(!None.implies(ManageOwnApiKey));
    }

    #[test]
    fn intersection_keeps_what_both_grant() {
        assert_eq!(
            ClusterPrivilege::intersect(&[All], &[ManageOwnApiKey]),
            vec![ManageOwnApiKey]
        );
        assert_eq!(
            ClusterPrivilege::intersect(&[ManageSecurity], &[ManageApiKey, Monitor]),
            vec![ManageApiKey]
        );
        assert!(ClusterPrivilege::intersect(&[Manage], &[ManageSecurity]).is_empty());
        assert!(ClusterPrivilege::intersect(&[None], &[All]).is_empty());
    }

    #[test]
    fn a_refusal_names_the_narrowest_grant_first() {
        let by = ManageOwnApiKey.granted_by();
        assert_eq!(by.first(), Some(&ManageOwnApiKey));
        assert_eq!(by.last(), Some(&All));
        assert!(by.contains(&ManageApiKey) && by.contains(&ManageSecurity));
    }

    #[test]
    fn names_serialize_as_elasticsearch_spells_them() {
        let json = serde_json::to_string(&[ManageOwnApiKey, None]).unwrap_or_default();
        assert_eq!(json, r#"["manage_own_api_key","none"]"#);
        let back: Vec<ClusterPrivilege> = serde_json::from_str(&json).unwrap_or_default();
        assert_eq!(back, vec![ManageOwnApiKey, None]);
    }
}
