//! Verifying credentials. The hot path is a cache hit: a password is run through Argon2id once
//! and then recognised by a salted SHA-256 of it; Digest's HA1 is opened once and kept.
//! Every change to a credential clears the caches (see
//! [`Kernel::forget`](crate::kernel::Kernel::forget)).

use crate::audit::Actor;
use crate::digest::{DigestError, DigestResponse};
use crate::directory::Directory;
use crate::error::{CoreError, CoreResult};
use crate::principal::{Principal, Realm};
use crate::programmatic::is_public_key_form;
use crate::secret::SecretString;
use crate::user::{hash_password, verify_password, Ha1, SealedHa1, User};
use moka::sync::Cache;
use rand::RngCore;
use sha2::{Digest, Sha256};
use std::sync::{Arc, LazyLock};
use std::time::Duration;

/// How long a verified credential is trusted without looking at the store again. Revocations
/// clear the caches at once, so this bounds only changes made behind Sigil's back.
const CACHE_TTL: Duration = Duration::from_secs(300);
const CACHE_CAPACITY: u64 = 100_000;

/// The hash of a random password with the parameters of every new hash. A password offered
/// for an unknown or disabled user is verified against it, so that the answer costs the same
/// Argon2id run as a wrong password of a real user: no timing tells which names exist.
static DUMMY_HASH: LazyLock<String> = LazyLock::new(|| {
    let mut random = [0u8; 16];
    rand::thread_rng().fill_bytes(&mut random);
    hash_password(&SecretString::new(hex::encode(random))).unwrap_or_default()
});

/// What an offered password is verified against.
enum PasswordCheck<'a> {
    /// An enabled user's own hash.
    User(&'a User),
    /// [`DUMMY_HASH`]: the user is unknown or disabled, and the answer is a refusal whatever
    /// the password, after the same work.
    Dummy,
}

impl<'a> PasswordCheck<'a> {
    fn of(user: Option<&'a User>) -> Self {
        match user {
            Some(user) if user.enabled => Self::User(user),
            _ => Self::Dummy,
        }
    }

    fn hash(&self) -> String {
        match self {
            Self::User(user) => user.password_hash.clone(),
            Self::Dummy => DUMMY_HASH.clone(),
        }
    }
}

/// Computes [`DUMMY_HASH`] now (once per process), so no request pays for it.
pub(crate) fn prepare_dummy_hash() {
    LazyLock::force(&DUMMY_HASH);
}

/// What Digest verification needs for one username.
#[derive(Clone)]
pub struct DigestCredential {
    pub ha1: Ha1,
    pub principal: Principal,
}

pub(crate) struct AuthCache {
    /// Per-process salt, so the cache keys are useless outside this process.
    salt: [u8; 32],
    passwords: Cache<[u8; 32], Principal>,
    digest: Cache<String, Arc<DigestCredential>>,
}

impl AuthCache {
    pub(crate) fn new() -> Self {
        let mut salt = [0u8; 32];
        rand::thread_rng().fill_bytes(&mut salt);
        Self {
            salt,
            passwords: Cache::builder()
                .max_capacity(CACHE_CAPACITY)
                .time_to_live(CACHE_TTL)
                .build(),
            digest: Cache::builder()
                .max_capacity(CACHE_CAPACITY)
                .time_to_live(CACHE_TTL)
                .build(),
        }
    }

    fn password_key(&self, username: &str, password: &SecretString) -> [u8; 32] {
        let mut h = Sha256::new();
        h.update(self.salt);
        h.update((username.len() as u64).to_be_bytes());
        h.update(username.as_bytes());
        h.update(password.expose().as_bytes());
        h.finalize().into()
    }

    pub(super) fn clear(&self) {
        self.passwords.invalidate_all();
        self.digest.invalidate_all();
    }
}

impl Directory {
    /// Verifies a local user's name and password (Basic, and the IAM password method).
    pub async fn authenticate_password(
        &self,
        username: &str,
        password: SecretString,
        actor: &Actor,
    ) -> CoreResult<Principal> {
        if let Some(principal) = self.cached_password(username, &password) {
            return Ok(principal);
        }
        let key = self.auth_cache.password_key(username, &password);
        let epoch = self.kernel.cache_epoch();
        let user = self
            .kernel
            .store
            .get_user_by_name(Realm::NATIVE, username)
            .await?;
        let check = PasswordCheck::of(user.as_ref());
        let hash = check.hash();
        let matched = self
            .kernel
            .password_gate
            .run(move || verify_password(&password, &hash))
            .await?;
        let verified = match check {
            PasswordCheck::User(user) if matched => {
                Some(self.elasticsearch.user_principal(user).await?)
            }
            _ => None,
        };
        match verified {
            Some(principal) => {
                if self.kernel.cacheable_since(epoch) {
                    self.auth_cache.passwords.insert(key, principal.clone());
                }
                Ok(principal)
            }
            None => {
                self.kernel
                    .authentication_failed(actor, Some(username), "wrong username or password")
                    .await;
                Err(CoreError::Unauthenticated)
            }
        }
    }

    /// Verifies an `Authorization: Digest` header's parameters for this request.
    pub async fn authenticate_digest(
        &self,
        params: &str,
        method: &str,
        uri: &str,
        actor: &Actor,
    ) -> CoreResult<Principal> {
        let response = match DigestResponse::parse(params) {
            Ok(r) => r,
            Err(_) => {
                self.kernel
                    .authentication_failed(actor, None, "malformed Digest credentials")
                    .await;
                return Err(CoreError::Unauthenticated);
            }
        };
        let Some(credential) = self.digest_credential(&response.username).await? else {
            self.kernel
                .authentication_failed(actor, Some(&response.username), "unknown Digest username")
                .await;
            return Err(CoreError::Unauthenticated);
        };
        match self.nonces.verify(&response, &credential.ha1, method, uri) {
            Ok(()) => Ok(credential.principal.clone()),
            Err(DigestError::Stale) => Err(CoreError::StaleNonce),
            Err(e) => {
                self.kernel
                    .authentication_failed(
                        actor,
                        Some(&response.username),
                        &format!("Digest: {e:?}"),
                    )
                    .await;
                Err(CoreError::Unauthenticated)
            }
        }
    }

    /// The principal of a Basic password already verified by this node, from memory only.
    pub fn cached_password(&self, username: &str, password: &SecretString) -> Option<Principal> {
        self.auth_cache
            .passwords
            .get(&self.auth_cache.password_key(username, password))
    }

    /// The principal of a Digest response that verifies against a credential this node holds
    /// in memory; `None` when that cannot be known without the store (or it does not verify:
    /// the full path then records the failure).
    pub fn cached_digest(&self, params: &str, method: &str, uri: &str) -> Option<Principal> {
        let response = DigestResponse::parse(params).ok()?;
        let credential = self.auth_cache.digest.get(&response.username)?;
        self.nonces
            .verify(&response, &credential.ha1, method, uri)
            .ok()?;
        Some(credential.principal.clone())
    }

    /// A Digest challenge with a fresh nonce; costs an HMAC, never a store access.
    pub fn digest_challenge(&self, stale: bool) -> String {
        self.nonces.challenge(stale)
    }

    /// The Digest secret of `username`, or `None` when no such enabled credential exists.
    async fn digest_credential(&self, username: &str) -> CoreResult<Option<Arc<DigestCredential>>> {
        if let Some(found) = self.auth_cache.digest.get(username) {
            return Ok(Some(found));
        }
        let epoch = self.kernel.cache_epoch();
        let Some((sealed, principal)) = self.lookup_digest_secret(username).await? else {
            return Ok(None);
        };
        let credential = Arc::new(DigestCredential {
            ha1: Ha1::open(&sealed, &self.kernel.master_key)?,
            principal,
        });
        if self.kernel.cacheable_since(epoch) {
            self.auth_cache
                .digest
                .insert(username.to_owned(), credential.clone());
        }
        Ok(Some(credential))
    }

    /// A programmatic API key by its public key, else an enabled local user by name.
    async fn lookup_digest_secret(
        &self,
        username: &str,
    ) -> CoreResult<Option<(SealedHa1, Principal)>> {
        if is_public_key_form(username) {
            if let Some(key) = self
                .kernel
                .store
                .get_programmatic_key_by_public(username)
                .await?
            {
                return Ok(Some((key.digest_ha1.clone(), key.principal())));
            }
        }
        Ok(
            match self
                .kernel
                .store
                .get_user_by_name(Realm::NATIVE, username)
                .await?
            {
                Some(user) if user.enabled => Some((
                    user.digest_ha1.clone(),
                    self.elasticsearch.user_principal(&user).await?,
                )),
                _ => None,
            },
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use argon2::PasswordHash;

    fn user(enabled: bool) -> User {
        User {
            id: crate::ids::UserId::random(),
            username: "kim".into(),
            realm: Realm::NATIVE.into(),
            password_hash: hash_password(&SecretString::new("s3cret-pw")).unwrap_or_default(),
            digest_ha1: SealedHa1 {
                md5: String::new(),
                sha256: String::new(),
            },
            superuser: false,
            full_name: None,
            email: None,
            enabled,
            org_roles: vec![],
            created_at: chrono::DateTime::default(),
            roles: vec![],
            metadata: Default::default(),
        }
    }

    /// An unknown or disabled user's password goes through Argon2id like anyone's: the
    /// dummy path is taken, with a hash of exactly the parameters of a real one.
    #[test]
    fn unknown_and_disabled_users_cost_one_argon2_run() {
        let known = user(true);
        assert!(
            matches!(PasswordCheck::of(Some(&known)), PasswordCheck::User(u) if std::ptr::eq(u, &known))
        );
        assert!(matches!(PasswordCheck::of(None), PasswordCheck::Dummy));
        assert!(matches!(
            PasswordCheck::of(Some(&user(false))),
            PasswordCheck::Dummy
        ));
        let (dummy, real) = (PasswordCheck::Dummy.hash(), known.password_hash.clone());
        let (dummy, real) = (
            PasswordHash::new(&dummy).expect("a PHC string"),
            PasswordHash::new(&real).expect("a PHC string"),
        );
        assert_eq!(dummy.algorithm, real.algorithm);
        assert_eq!(dummy.version, real.version);
        assert_eq!(dummy.params, real.params);
        assert_eq!(dummy.hash.map(|h| h.len()), real.hash.map(|h| h.len()));
        assert!(!verify_password(
            &SecretString::new("s3cret-pw"),
            &PasswordCheck::Dummy.hash()
        ));
    }
}
