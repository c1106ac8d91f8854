//! The Elasticsearch security bodies added for `_has_privileges`, role descriptors and the
//! application privileges API: each parsed as the face parses it, then checked and answered
//! as the core does.
//!
//! Input: a first byte choosing the body (`_has_privileges`, an API key's `role_descriptors`,
//! `PUT /_security/privilege`), then the body itself or a description of a large one (see
//! `sigil_fuzz::body`), up to the server's body limit. `_has_privileges` is answered for a
//! caller whose roles name index patterns and applications, some of them long.
//!
//! Properties: nothing panics or takes long; a `_has_privileges` answer holds every cluster
//! privilege asked, and says all were held only when each one was; descriptors that pass the
//! checks normalize with `indices`, `applications` and `run_as` present.
#![no_main]

use libfuzzer_sys::fuzz_target;
use serde_json::{json, Map, Value};
use sigil_core::elasticsearch::application_privileges::ApplicationPrivilege;
use sigil_core::elasticsearch::has_privileges::HasPrivilegesRequest;
use sigil_core::fuzzing;
use sigil_core::privilege::ClusterPrivilege;
use sigil_server::faces::elasticsearch::extract::parse;
use sigil_server::limits::MAX_BODY_BYTES;

fn layers() -> Vec<Map<String, Value>> {
    let long = format!("{}*", "a".repeat(1000));
    let one = json!({
        "r": {"indices": [
            {"names": ["logs-*", long, "?x*y?"], "privileges": ["read", "write"]},
            {"names": "/re.*/", "privileges": ["all"]}
        ],
        "applications": [{"application": "app*", "privileges": ["read", "data:*"], "resources": ["*", "doc/?"]}]}
    });
    let two = json!({"k": {"indices": [{"names": ["*"], "privileges": ["manage"]}]}});
    [one, two]
        .into_iter()
        .filter_map(|v| v.as_object().cloned())
        .collect()
}

fn stored() -> Vec<ApplicationPrivilege> {
    vec![ApplicationPrivilege {
        application: "app1".into(),
        name: "read".into(),
        actions: vec!["data:read/*".into(), "a*b*c*d*e*".into()],
        metadata: Map::new(),
    }]
}

fuzz_target!(init: sigil_fuzz::init(), |data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let body = sigil_fuzz::body(rest, MAX_BODY_BYTES);
    sigil_fuzz::show(&body);
    match mode % 3 {
        0 => {
            let Ok(request) = parse::<HasPrivilegesRequest>(&body) else {
                return;
            };
            let held = vec![ClusterPrivilege::Manage, ClusterPrivilege::ManageOwnApiKey];
            if let Ok(answer) = fuzzing::has_privileges(&request, held, &layers(), &stored()) {
                let asked = request.cluster.unwrap_or_default();
                assert!(asked.iter().all(|c| answer.cluster.contains_key(c)));
                if answer.has_all_requested {
                    assert!(answer.cluster.values().all(|v| v == &Value::Bool(true)));
                }
            }
        }
        1 => {
            let Ok(descriptors) = parse::<Map<String, Value>>(&body) else {
                return;
            };
            if let Ok(normalized) = fuzzing::role_descriptors(&descriptors) {
                for d in normalized.values() {
                    for field in ["indices", "applications", "run_as", "cluster"] {
                        assert!(d[field].is_array(), "{field} of {d}");
                    }
                }
            }
        }
        _ => {
            let Ok(privileges) = parse::<Map<String, Value>>(&body) else {
                return;
            };
            if let Ok(parsed) = fuzzing::application_privileges(privileges) {
                assert!(!parsed.is_empty());
                assert!(parsed.iter().all(|p| !p.actions.is_empty()));
            }
        }
    }
});
