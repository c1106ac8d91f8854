//! Local users.

use crate::connect::{conflict_or_internal, SqlStore};
use crate::rows::{one_doc, to_doc};
use async_trait::async_trait;
use sigil_core::error::CoreResult;
use sigil_core::ids::UserId;
use sigil_core::store::UserStore;
use sigil_core::user::User;
use sqlx::{Any, Transaction};

pub(crate) async fn insert_user(tx: &mut Transaction<'_, Any>, user: &User) -> CoreResult<()> {
    sqlx::query("INSERT INTO users (id, realm, username, doc) VALUES ($1, $2, $3, $4)")
        .bind(user.id.to_string())
        .bind(&user.realm)
        .bind(&user.username)
        .bind(to_doc(user)?)
        .execute(&mut **tx)
        .await
        .map_err(|e| conflict_or_internal(e, &format!("user {}", user.username)))?;
    Ok(())
}

#[async_trait]
impl UserStore for SqlStore {
    async fn get_user(&self, id: UserId) -> CoreResult<Option<User>> {
        one_doc(
            &self.reader,
            "SELECT doc FROM users WHERE id = $1",
            &[&id.to_string()],
        )
        .await
    }

    async fn get_user_by_name(&self, realm: &str, username: &str) -> CoreResult<Option<User>> {
        one_doc(
            &self.reader,
            "SELECT doc FROM users WHERE realm = $1 AND username = $2",
            &[realm, username],
        )
        .await
    }
}
