//! Re-sealing every sealed value under a new master key, in one transaction.

use crate::support::*;
use chrono::Duration;
use sigil_core::error::{CoreError, CoreResult};
use sigil_core::iam::{AccessKey, AccessKeyStatus};
use sigil_core::ids::HexId;
use sigil_core::oauth::StoredSigningKey;
use sigil_core::privilege::OrgRole;
use sigil_core::programmatic::ProgrammaticApiKey;
use sigil_core::store::Store;
use sigil_core::user::SealedHa1;

/// Every sealed value the store holds, in a fixed order: the user's two HA1s, the key's two
/// HA1s, the signing key's private key, the access key's secret.
async fn sealed_values(store: &dyn Store, user: HexId, key: HexId, access: &str) -> Vec<String> {
    let user = store.get_user(user).await.expect("user").expect("user");
    let key = store
        .get_programmatic_key(key)
        .await
        .expect("key")
        .expect("key");
    let signing = store.list_signing_keys().await.expect("keys");
    let access = store
        .get_access_key(access)
        .await
        .expect("access")
        .expect("access");
    vec![
        user.digest_ha1.md5,
        user.digest_ha1.sha256,
        key.digest_ha1.md5,
        key.digest_ha1.sha256,
        signing[0].private_sealed.clone(),
        access.sealed_secret,
    ]
}

/// `v1.x` becomes `v2.x`; anything else is left as it is.
fn to_v2(value: &str) -> CoreResult<Option<String>> {
    Ok(value.strip_prefix("v1.").map(|rest| format!("v2.{rest}")))
}

/// Every sealed value is offered to the re-sealer and written back when it changes; a
/// failure part way leaves everything as it was.
async fn every_sealed_value_is_resealed_or_none(store: &dyn Store) {
    let (org, _) = create_org(store, "acme").await;
    let owner = user("kim", org.id);
    store
        .put_user(&owner, &event("USER", None))
        .await
        .expect("user");
    let key = ProgrammaticApiKey {
        id: HexId::random(),
        org_id: org.id,
        desc: "digest".into(),
        roles: vec![OrgRole::OrgMember],
        public_key: "abcdefgh".into(),
        private_key_masked: "********-****-****-****-abcdefabcdef".into(),
        digest_ha1: SealedHa1 {
            md5: "v1.key-md5".into(),
            sha256: "v1.key-sha".into(),
        },
        created_at: now(),
    };
    store
        .insert_programmatic_key(&key, &event("KEY", None))
        .await
        .expect("key");
    store
        .insert_signing_key(&StoredSigningKey {
            kid: "kid-1".into(),
            created_at: now() + Duration::hours(1),
            private_sealed: "v1.private".into(),
            x: "x".into(),
            y: "y".into(),
        })
        .await
        .expect("signing key");
    let access = AccessKey {
        access: "SGAKRESEAL0000000001".into(),
        user_id: owner.id,
        org_id: org.id,
        status: AccessKeyStatus::Active,
        description: String::new(),
        created_at: now(),
        sealed_secret: "v1.secret".into(),
    };
    assert!(store
        .insert_access_key(&access, 2, &event("AK", None))
        .await
        .expect("access key"));
    let values = || sealed_values(store, owner.id, key.id, &access.access);
    let before = values().await;

    // Fails at the signing key, after the user and the key were re-sealed: nothing changes.
    let failing = |value: &str| {
        if value == "v1.private" {
            Err(CoreError::internal("cannot open"))
        } else {
            to_v2(value)
        }
    };
    assert!(store.reseal_all(&failing).await.is_err());
    assert_eq!(values().await, before, "one transaction");

    assert_eq!(
        store.reseal_all(&to_v2).await.expect("reseal"),
        4,
        "four records"
    );
    let after = values().await;
    let expected: Vec<String> = before.iter().map(|v| to_v2(v).unwrap().unwrap()).collect();
    assert_eq!(after, expected);
    assert_eq!(
        store.reseal_all(&to_v2).await.expect("again"),
        0,
        "nothing left to change"
    );
    assert_eq!(values().await, expected);
}

conformance!(every_sealed_value_is_resealed_or_none);
