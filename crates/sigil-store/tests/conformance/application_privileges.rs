//! Elasticsearch application privileges: put by (application, name), listed, deleted.

use crate::support::*;
use sigil_core::elasticsearch::application_privileges::ApplicationPrivilege;
use sigil_core::store::Store;

fn privilege(application: &str, name: &str, action: &str) -> ApplicationPrivilege {
    let mut metadata = serde_json::Map::new();
    metadata.insert(
        "description".into(),
        format!("{name} of {application}").into(),
    );
    ApplicationPrivilege {
        application: application.into(),
        name: name.into(),
        actions: vec![action.into(), "action:login".into()],
        metadata,
    }
}

/// A put answers created for new privileges and not for replaced ones, all in one event;
/// lists are by application then name, one application or all.
async fn application_privileges_are_put_and_listed(store: &dyn Store) {
    assert!(store
        .list_application_privileges(None)
        .await
        .expect("list")
        .is_empty());
    let first = [
        privilege("myapp", "write", "data:write/*"),
        privilege("myapp", "read", "data:read/*"),
        privilege("other", "read", "data:read/*"),
    ];
    let created = store
        .put_application_privileges(&first, &event("APPLICATION_PRIVILEGE_CHANGED", None))
        .await
        .expect("put");
    assert_eq!(created, vec![true, true, true]);
    let replaced = privilege("myapp", "read", "data:read/docs/*");
    let again = store
        .put_application_privileges(
            &[replaced.clone(), privilege("myapp", "admin", "*")],
            &event("APPLICATION_PRIVILEGE_CHANGED", None),
        )
        .await
        .expect("put again");
    assert_eq!(again, vec![false, true], "read replaced, admin created");
    let myapp = store
        .list_application_privileges(Some("myapp"))
        .await
        .expect("list myapp");
    let names: Vec<&str> = myapp.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["admin", "read", "write"]);
    assert_eq!(myapp[1], replaced, "the document as last put");
    let all = store.list_application_privileges(None).await.expect("all");
    let keys: Vec<(String, String)> = all.into_iter().map(|p| (p.application, p.name)).collect();
    assert_eq!(keys.len(), 4);
    assert_eq!(keys[3], ("other".to_owned(), "read".to_owned()));
    assert!(store
        .list_application_privileges(Some("nobody"))
        .await
        .expect("none")
        .is_empty());
}

/// A delete answers, per name, whether it existed, and touches no other application.
async fn application_privileges_are_deleted_by_name(store: &dyn Store) {
    store
        .put_application_privileges(
            &[
                privilege("myapp", "read", "data:read/*"),
                privilege("other", "read", "data:read/*"),
            ],
            &event("APPLICATION_PRIVILEGE_CHANGED", None),
        )
        .await
        .expect("put");
    let found = store
        .delete_application_privileges(
            "myapp",
            &["read".into(), "ghost".into()],
            &event("APPLICATION_PRIVILEGE_DELETED", None),
        )
        .await
        .expect("delete");
    assert_eq!(found, vec![true, false]);
    assert!(store
        .list_application_privileges(Some("myapp"))
        .await
        .expect("list")
        .is_empty());
    assert_eq!(
        store
            .list_application_privileges(Some("other"))
            .await
            .expect("other")
            .len(),
        1
    );
    let again = store
        .delete_application_privileges(
            "myapp",
            &["read".into()],
            &event("APPLICATION_PRIVILEGE_DELETED", None),
        )
        .await
        .expect("delete again");
    assert_eq!(again, vec![false]);
}

conformance!(
    application_privileges_are_put_and_listed,
    application_privileges_are_deleted_by_name
);
