//! Application privileges (`/_security/privilege`): names for sets of an application's
//! actions, which role descriptors' `applications` entries refer to. Sigil stores and answers
//! them, and `_has_privileges` resolves them; they grant nothing in Sigil itself.

use crate::audit::{kind, Actor};
use crate::elasticsearch::roles::check_metadata;
use crate::elasticsearch::Elasticsearch;
use crate::error::{CoreError, CoreResult};
use crate::principal::Principal;
use crate::privilege::ClusterPrivilege;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// One application privilege as stored and answered.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ApplicationPrivilege {
    pub application: String,
    pub name: String,
    pub actions: Vec<String>,
    #[schema(value_type = Object)]
    pub metadata: Map<String, Value>,
}

/// The body of one privilege in a PUT: `{"actions": [...], "metadata": {...}}`.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PrivilegeDraft {
    pub actions: Option<Vec<String>>,
    #[schema(value_type = Option<Object>)]
    pub metadata: Option<Map<String, Value>>,
    /// Elasticsearch accepts these when they repeat the path's names.
    pub application: Option<String>,
    pub name: Option<String>,
}

/// Privileges one request may put or delete.
pub const MAX_PER_REQUEST: usize = 1000;
const NAME_MAX: usize = 1024;

/// Application names: a lowercase ASCII letter, then at least two of `a-z A-Z 0-9 _ -`
/// (Elasticsearch's rule; a `*` only in lookups).
pub(crate) fn check_application(field: &str, name: &str) -> CoreResult<()> {
    let mut chars = name.chars();
    let ok = name.len() >= 3
        && name.len() <= NAME_MAX
        && chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if ok {
        Ok(())
    } else {
        Err(CoreError::invalid(
            field,
            format!("Application names must begin with a lowercase ASCII letter, be at least 3 characters long and contain only [a-z, A-Z, 0-9, _, -], not [{name}]"),
        ))
    }
}

/// Privilege names: a lowercase ASCII letter, then `a-z A-Z 0-9 _ - .`.
fn check_privilege_name(field: &str, name: &str) -> CoreResult<()> {
    let mut chars = name.chars();
    let ok = name.len() <= NAME_MAX
        && chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
    if ok {
        Ok(())
    } else {
        Err(CoreError::invalid(
            field,
            format!("Application privilege names must begin with a lowercase ASCII letter and contain only [a-z, A-Z, 0-9, _, -, .], not [{name}]"),
        ))
    }
}

/// Actions: at least one, each with a `/`, `*` or `:` (what tells an action from a privilege
/// name).
fn check_actions(field: &str, actions: &[String]) -> CoreResult<()> {
    if actions.is_empty() {
        return Err(CoreError::invalid(field, "at least one action is required"));
    }
    match actions
        .iter()
        .find(|a| a.len() > NAME_MAX || !a.contains(['/', '*', ':']))
    {
        Some(a) => Err(CoreError::invalid(
            field,
            format!("action [{a}] must contain one of [/*:]"),
        )),
        None => Ok(()),
    }
}

/// Whether a name in an `applications` entry or a `_has_privileges` request is an action
/// pattern rather than a privilege's name.
pub(crate) fn is_action(name: &str) -> bool {
    name.contains(['/', '*', ':'])
}

/// The body of a PUT, `{application: {name: {actions, metadata}}}`, checked: every refusal
/// names the field, and nothing is kept from a body with one.
pub(crate) fn parse_put(body: Map<String, Value>) -> CoreResult<Vec<ApplicationPrivilege>> {
    let mut privileges = vec![];
    for (application, named) in body {
        check_application("application", &application)?;
        let named = named.as_object().ok_or_else(|| {
            CoreError::invalid(&application, "must be an object of privileges by name")
        })?;
        for (name, draft) in named {
            let field = format!("{application}.{name}");
            check_privilege_name(&field, name)?;
            let draft: PrivilegeDraft = serde_json::from_value(draft.clone())
                .map_err(|e| CoreError::invalid(&field, e.to_string()))?;
            if draft
                .application
                .as_ref()
                .is_some_and(|a| *a != application)
            {
                return Err(CoreError::invalid(
                    format!("{field}.application"),
                    "must be the application it is listed under",
                ));
            }
            if draft.name.as_ref().is_some_and(|n| n != name) {
                return Err(CoreError::invalid(
                    format!("{field}.name"),
                    "must be the name it is listed under",
                ));
            }
            let actions = draft.actions.unwrap_or_default();
            check_actions(&format!("{field}.actions"), &actions)?;
            let metadata = draft.metadata.unwrap_or_default();
            check_metadata(&format!("{field}.metadata"), &metadata)?;
            privileges.push(ApplicationPrivilege {
                application: application.clone(),
                name: name.clone(),
                actions,
                metadata,
            });
        }
    }
    if privileges.is_empty() {
        return Err(CoreError::missing("privileges"));
    }
    if privileges.len() > MAX_PER_REQUEST {
        return Err(CoreError::invalid(
            "privileges",
            format!("at most [{MAX_PER_REQUEST}] privileges per request"),
        ));
    }
    Ok(privileges)
}

impl Elasticsearch {
    /// Creates or replaces privileges (`{application: {name: draft}}`); answers for each
    /// whether it was created. Needs `manage_security`.
    pub async fn put_application_privileges(
        &self,
        caller: &Principal,
        actor: &Actor,
        body: Map<String, Value>,
    ) -> CoreResult<Vec<(ApplicationPrivilege, bool)>> {
        caller.require_cluster(ClusterPrivilege::ManageSecurity)?;
        let privileges = parse_put(body)?;
        let event = actor.event(
            kind::APPLICATION_PRIVILEGE_CHANGED,
            self.kernel.now(),
            None,
            None,
        );
        let created = self
            .kernel
            .store
            .put_application_privileges(&privileges, &event)
            .await?;
        Ok(privileges.into_iter().zip(created).collect())
    }

    /// Privileges of `application` (all applications when `None`), only those `names` when
    /// not empty. Needs `read_security`.
    pub async fn get_application_privileges(
        &self,
        caller: &Principal,
        application: Option<&str>,
        names: &[String],
    ) -> CoreResult<Vec<ApplicationPrivilege>> {
        caller.require_cluster(ClusterPrivilege::ReadSecurity)?;
        let mut found = self
            .kernel
            .store
            .list_application_privileges(application)
            .await?;
        if !names.is_empty() {
            found.retain(|p| names.contains(&p.name));
        }
        Ok(found)
    }

    /// Deletes privileges of `application` by name; answers for each whether it existed.
    /// Needs `manage_security`.
    pub async fn delete_application_privileges(
        &self,
        caller: &Principal,
        actor: &Actor,
        application: &str,
        names: &[String],
    ) -> CoreResult<Vec<(String, bool)>> {
        caller.require_cluster(ClusterPrivilege::ManageSecurity)?;
        if names.is_empty() {
            return Err(CoreError::missing("name"));
        }
        if names.len() > MAX_PER_REQUEST {
            return Err(CoreError::invalid(
                "name",
                format!("at most [{MAX_PER_REQUEST}] privileges per request"),
            ));
        }
        let event = actor.event(
            kind::APPLICATION_PRIVILEGE_DELETED,
            self.kernel.now(),
            None,
            Some(application.to_owned()),
        );
        let found = self
            .kernel
            .store
            .delete_application_privileges(application, names, &event)
            .await?;
        Ok(names.iter().cloned().zip(found).collect())
    }

    /// The stored privileges of the applications named, for `_has_privileges`.
    pub(crate) async fn application_privileges_of(
        &self,
        applications: &[String],
    ) -> CoreResult<Vec<ApplicationPrivilege>> {
        let mut out = vec![];
        for application in applications {
            out.extend(
                self.kernel
                    .store
                    .list_application_privileges(Some(application))
                    .await?,
            );
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_elasticsearchs_rules() {
        assert!(check_application("a", "myapp").is_ok());
        assert!(check_application("a", "my").is_err());
        assert!(check_application("a", "MyApp").is_err());
        assert!(check_application("a", "my*").is_err());
        assert!(check_privilege_name("p", "read.all").is_ok());
        assert!(check_privilege_name("p", "_read").is_err());
        assert!(check_actions("x", &["data:read/*".into()]).is_ok());
        assert!(check_actions("x", &["read".into()]).is_err());
        assert!(check_actions("x", &[]).is_err());
    }
}
