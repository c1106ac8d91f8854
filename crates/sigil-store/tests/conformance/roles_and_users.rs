//! Elasticsearch roles, and users as the Elasticsearch face manages them.

use crate::support::*;
use chrono::Duration;
use sigil_core::elasticsearch::Role;
use sigil_core::error::CoreError;
use sigil_core::privilege::ClusterPrivilege;
use sigil_core::store::Store;
use sigil_core::user::User;

fn role(name: &str, cluster: &[ClusterPrivilege]) -> Role {
    let mut other = serde_json::Map::new();
    other.insert("description".into(), format!("the {name} role").into());
    Role {
        name: name.into(),
        cluster: cluster.to_vec(),
        metadata: Default::default(),
        other,
        created_at: now(),
    }
}

/// A put creates the role or replaces it (and says which), roles are listed by name, and a
/// deleted role is gone.
async fn roles_are_put_by_name(store: &dyn Store) {
    assert!(store.list_roles().await.expect("list").is_empty());
    let writer = role("writer", &[ClusterPrivilege::ManageOwnApiKey]);
    let admin = role("admin", &[ClusterPrivilege::All]);
    for r in [&writer, &admin] {
        assert!(
            store
                .put_role(r, &event("ROLE_CHANGED", None))
                .await
                .expect("put"),
            "created"
        );
    }
    let replaced = Role {
        cluster: vec![ClusterPrivilege::ReadSecurity],
        created_at: now() + Duration::hours(1),
        ..role("writer", &[])
    };
    assert!(
        !store
            .put_role(&replaced, &event("ROLE_CHANGED", None))
            .await
            .expect("put"),
        "replaced, not created"
    );
    assert_eq!(
        store.get_role("writer").await.expect("get"),
        Some(replaced.clone())
    );
    assert_eq!(store.get_role("nobody").await.expect("get"), None);
    assert_eq!(
        store.list_roles().await.expect("list"),
        vec![admin.clone(), replaced],
        "by name"
    );
    assert!(store
        .delete_role("writer", &event("ROLE_DELETED", None))
        .await
        .expect("delete"));
    assert!(!store
        .delete_role("writer", &event("ROLE_DELETED", None))
        .await
        .expect("delete again"));
    assert_eq!(store.get_role("writer").await.expect("get"), None);
    assert_eq!(store.list_roles().await.expect("list"), vec![admin]);
}

fn in_realm(name: &str, realm: &str, org: sigil_core::ids::HexId) -> User {
    User {
        realm: realm.into(),
        ..user(name, org)
    }
}

fn names(users: &[User]) -> Vec<&str> {
    users.iter().map(|u| u.username.as_str()).collect()
}

/// Users are listed per realm by name; a put replaces a user by id; a name is taken once
/// per realm; a deleted user is gone.
async fn users_are_listed_per_realm(store: &dyn Store) {
    let (org, _) = create_org(store, "acme").await;
    let (zoe, amy) = (user("zoe", org.id), user("amy", org.id));
    let elsewhere = in_realm("amy", "file", org.id);
    for u in [&zoe, &amy, &elsewhere] {
        store
            .put_user(u, &event("USER_CHANGED", None))
            .await
            .expect("put");
    }
    let native = store.list_users("default_native").await.expect("list");
    assert_eq!(names(&native), ["amy", "zoe"]);
    assert_eq!(
        names(&store.list_users("file").await.expect("list")),
        ["amy"]
    );
    assert!(store.list_users("ldap").await.expect("list").is_empty());
    let renamed = User {
        full_name: Some("Zoe Z".into()),
        enabled: false,
        ..zoe.clone()
    };
    store
        .put_user(&renamed, &event("USER_CHANGED", None))
        .await
        .expect("replace");
    let read = store.get_user(zoe.id).await.expect("get").expect("zoe");
    assert_eq!(
        (read.full_name.as_deref(), read.enabled),
        (Some("Zoe Z"), false)
    );
    let taken = store
        .put_user(&user("amy", org.id), &event("USER_CHANGED", None))
        .await
        .err();
    assert!(
        matches!(taken, Some(CoreError::Conflict { .. })),
        "{taken:?}"
    );
    assert!(store
        .delete_user(amy.id, &event("USER_DELETED", None))
        .await
        .expect("delete"));
    assert!(!store
        .delete_user(amy.id, &event("USER_DELETED", None))
        .await
        .expect("delete again"));
    assert_eq!(
        names(&store.list_users("default_native").await.expect("list")),
        ["zoe"]
    );
    assert!(store
        .get_user_by_name("default_native", "amy")
        .await
        .expect("get")
        .is_none());
    assert!(
        store
            .get_user_by_name("file", "amy")
            .await
            .expect("get")
            .is_some(),
        "the other realm's amy stays"
    );
}

conformance!(roles_are_put_by_name, users_are_listed_per_realm);
