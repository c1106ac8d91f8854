//! Invalidating API keys (Elasticsearch's invalidate API key API): which parameters go together, who may invalidate what,
//! and an answer per key that concurrent calls agree on.

use super::{is_id_form, ApiKeyFilter};
use crate::audit::{kind, Actor};
use crate::elasticsearch::Elasticsearch;
use crate::error::{CoreError, CoreResult};
use crate::principal::Principal;
use crate::privilege::{ClusterPrivilege, Privilege};

/// The most ids one invalidation may name. Elasticsearch documents no bound; this one is the
/// most keys a query can return (`from + size`), and keeps one request's work bounded.
pub const MAX_INVALIDATE_IDS: usize = 10_000;

/// The body of DELETE /_security/api_key, as the face parsed it (`id` already folded into
/// `ids`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InvalidateRequest {
    pub ids: Option<Vec<String>>,
    pub name: Option<String>,
    pub realm_name: Option<String>,
    pub username: Option<String>,
    pub owner: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InvalidationOutcome {
    pub invalidated: Vec<String>,
    pub previously_invalidated: Vec<String>,
    /// One entry per id that is not of the API key form: its reason.
    pub errors: Vec<String>,
}

fn has_text(s: &Option<String>) -> bool {
    s.as_deref().is_some_and(|s| !s.trim().is_empty())
}

impl InvalidateRequest {
    /// The parameter rules, in Elasticsearch's words; every broken rule is listed.
    pub fn validation_errors(&self) -> Vec<String> {
        let mut errors = vec![];
        let (ids, name) = (self.ids.is_some(), has_text(&self.name));
        let (realm, user) = (has_text(&self.realm_name), has_text(&self.username));
        if !ids && !name && !realm && !user && !self.owner {
            errors.push("One of [api key id(s), api key name, username, realm name] must be specified if [owner] flag is false".to_owned());
        }
        if (ids || name) && (realm || user) {
            errors.push("username or realm name must not be specified when the api key id(s) or api key name are specified".to_owned());
        }
        if self.owner && (realm || user) {
            errors.push(
                "user name and realm name must not be specified when the [owner] flag is set"
                    .to_owned(),
            );
        }
        if ids && name {
            errors.push("only one of [api key id(s), api key name] can be specified".to_owned());
        }
        if let Some(list) = &self.ids {
            if list.is_empty() {
                errors.push("Field [ids] cannot be an empty array".to_owned());
            }
            if list.len() > MAX_INVALIDATE_IDS {
                errors.push(format!(
                    "Field [ids] may name at most [{MAX_INVALIDATE_IDS}] ids, but got [{}]",
                    list.len()
                ));
                return errors;
            }
            for (i, id) in list.iter().enumerate() {
                if id.trim().is_empty() {
                    errors.push(format!(
                        "Field [ids] must not contain blank id, but got blank id at index position: [{i}]"
                    ));
                }
            }
        }
        errors
    }

    /// Which keys `caller` may invalidate with this request: any (manage_api_key and up) or,
    /// with manage_own_api_key, its own by `owner`, by its own username and realm, or (a key)
    /// itself by id.
    fn scope(&self, caller: &Principal) -> CoreResult<Option<(String, String)>> {
        if caller.has_cluster_privilege(ClusterPrivilege::ManageApiKey) {
            return Ok(self
                .owner
                .then(|| (caller.name.clone(), caller.realm.name.clone())));
        }
        let forbidden = || CoreError::Forbidden {
            needs: Privilege::Cluster(ClusterPrivilege::ManageApiKey),
        };
        if !caller.has_cluster_privilege(ClusterPrivilege::ManageOwnApiKey) {
            return Err(forbidden());
        }
        let own = || Ok(Some((caller.name.clone(), caller.realm.name.clone())));
        if self.owner {
            return own();
        }
        if self.username.as_deref() == Some(caller.name.as_str())
            && self.realm_name.as_deref() == Some(caller.realm.name.as_str())
        {
            return own();
        }
        if let (Some(key), Some(ids)) = (&caller.api_key, &self.ids) {
            if ids.iter().all(|i| *i == key.id) {
                return own();
            }
        }
        Err(forbidden())
    }
}

impl Elasticsearch {
    /// DELETE /_security/api_key. Invalid parameters are `CoreError::Invalid` with every rule
    /// broken in its reason; each key found is invalidated by one conditional write, so of
    /// concurrent calls exactly one lists a key as invalidated.
    pub async fn invalidate_api_keys(
        &self,
        caller: &Principal,
        actor: &Actor,
        request: InvalidateRequest,
    ) -> CoreResult<InvalidationOutcome> {
        let errors = request.validation_errors();
        if !errors.is_empty() {
            return Err(CoreError::Invalid {
                field: "ids".into(),
                reason: errors.join(";"),
            });
        }
        let scope = request.scope(caller)?;
        let mut outcome = InvalidationOutcome::default();
        let ids = request.ids.map(|ids| {
            let (mut good, bad): (Vec<String>, Vec<String>) =
                ids.into_iter().partition(|i| is_id_form(i));
            outcome.errors = bad
                .iter()
                .map(|_| "invalid api key id".to_owned())
                .collect();
            good.sort_unstable();
            good.dedup();
            good
        });
        if ids.as_ref().is_some_and(Vec::is_empty) {
            return Ok(outcome);
        }
        let (username, realm) = match scope {
            Some((u, r)) => (Some(u), Some(r)),
            None => (request.username, request.realm_name),
        };
        let filter = ApiKeyFilter {
            ids,
            name: request.name,
            username,
            realm,
            active_at: None,
        };
        let mut keys = self.kernel.store.find_api_keys(&filter).await?;
        // The store matched the ids exactly; what it could not (a name prefix) is checked
        // here, without comparing every key with every id again.
        let rest = ApiKeyFilter {
            ids: None,
            ..filter
        };
        keys.retain(|k| rest.matches(k));
        keys.sort_by(|a, b| a.id.cmp(&b.id));
        let now = self.kernel.now_millis();
        for key in keys {
            if key.invalidated {
                outcome.previously_invalidated.push(key.id);
                continue;
            }
            let event = actor.event(
                kind::SECURITY_API_KEY_INVALIDATED,
                now,
                None,
                Some(key.id.clone()),
            );
            if self
                .kernel
                .store
                .invalidate_api_key(&key.id, now, &event)
                .await?
            {
                self.forget_api_key(&key.id);
                outcome.invalidated.push(key.id);
            } else {
                outcome.previously_invalidated.push(key.id);
            }
        }
        Ok(outcome)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(f: impl FnOnce(&mut InvalidateRequest)) -> InvalidateRequest {
        let mut r = InvalidateRequest::default();
        f(&mut r);
        r
    }

    #[test]
    fn parameter_combinations_follow_the_seed() {
        let ok = |r: InvalidateRequest| assert!(r.validation_errors().is_empty(), "{r:?}");
        let bad = |r: InvalidateRequest| assert!(!r.validation_errors().is_empty(), "{r:?}");
        ok(req(|r| r.ids = Some(vec!["a".into()])));
        ok(req(|r| r.name = Some("n".into())));
        ok(req(|r| r.username = Some("u".into())));
        ok(req(|r| r.realm_name = Some("r".into())));
        ok(req(|r| {
            r.username = Some("u".into());
            r.realm_name = Some("r".into());
        }));
        ok(req(|r| r.owner = true));
        ok(req(|r| {
            r.owner = true;
            r.ids = Some(vec!["a".into()]);
        }));
        ok(req(|r| {
            r.owner = true;
            r.name = Some("n".into());
        }));
        bad(InvalidateRequest::default());
        bad(req(|r| {
            r.ids = Some(vec!["a".into()]);
            r.name = Some("n".into());
        }));
        bad(req(|r| {
            r.ids = Some(vec!["a".into()]);
            r.username = Some("u".into());
        }));
        bad(req(|r| {
            r.name = Some("n".into());
            r.realm_name = Some("r".into());
        }));
        bad(req(|r| {
            r.owner = true;
            r.username = Some("u".into());
        }));
        bad(req(|r| {
            r.owner = true;
            r.realm_name = Some("r".into());
        }));
        bad(req(|r| r.ids = Some(vec![])));
        bad(req(|r| r.ids = Some(vec!["a".into(), " ".into()])));
    }

    #[test]
    fn the_id_list_is_bounded() {
        let ids = |n: usize| req(|r| r.ids = Some(vec!["x".into(); n]));
        assert!(ids(MAX_INVALIDATE_IDS).validation_errors().is_empty());
        let errors = ids(MAX_INVALIDATE_IDS + 1).validation_errors();
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(errors[0].contains("at most [10000] ids"), "{errors:?}");
    }

    #[test]
    fn every_broken_rule_is_reported() {
        let r = req(|r| {
            r.ids = Some(vec![" ".into()]);
            r.name = Some("n".into());
            r.username = Some("u".into());
        });
        assert_eq!(r.validation_errors().len(), 3);
    }
}
