//! What clients probe before they use the security API: the cluster's health and its
//! features (`GET /_cluster/health`, `GET /_xpack`). Sigil is one logical node, always green
//! while it answers at all (a node that cannot read the change log refuses credentials first).

use crate::elasticsearch::Elasticsearch;
use crate::error::CoreResult;
use crate::principal::Principal;
use crate::privilege::ClusterPrivilege;

impl Elasticsearch {
    /// Who may read the cluster's health and features: `monitor` (or `manage`, `all`), the
    /// privilege Elasticsearch checks for them.
    pub fn require_monitor(&self, caller: &Principal) -> CoreResult<()> {
        caller.require_cluster(ClusterPrivilege::Monitor)
    }

    /// Cluster privileges and index privileges Sigil accepts, for `_builtin`.
    pub fn builtin_privileges(
        &self,
        caller: &Principal,
    ) -> CoreResult<(Vec<&'static str>, Vec<&'static str>)> {
        caller.require_cluster(ClusterPrivilege::ReadSecurity)?;
        let cluster = ClusterPrivilege::ALL.iter().map(|p| p.as_str()).collect();
        Ok((cluster, super::has_privileges::index_privilege_names()))
    }
}
