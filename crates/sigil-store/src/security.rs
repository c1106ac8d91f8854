//! Elasticsearch roles, users as that face manages them, and API keys.

use crate::audit::insert_event;
use crate::connect::{conflict_or_internal, db, SqlStore};
use crate::rows::{
    all_docs, delete_with_dependents, from_doc, one_doc, to_doc, write_if_touched_with_event,
    write_with_event,
};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sigil_core::audit::AuditEvent;
use sigil_core::elasticsearch::api_keys::{ApiKey, ApiKeyFilter};
use sigil_core::elasticsearch::application_privileges::ApplicationPrivilege;
use sigil_core::elasticsearch::Role;
use sigil_core::error::CoreResult;
use sigil_core::ids::UserId;
use sigil_core::store::SecurityStore;
use sigil_core::user::User;

type KeyRow = (String, i64, Option<i64>);

fn time(ms: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(ms).unwrap_or_default()
}

/// A key from its row: the invalidation columns are the truth.
fn key_of((doc, invalidated, invalidation): KeyRow) -> CoreResult<ApiKey> {
    let mut key: ApiKey = from_doc(&doc)?;
    key.invalidated = invalidated != 0;
    key.invalidation = invalidation.map(time);
    Ok(key)
}

const KEY_COLUMNS: &str = "SELECT doc, invalidated, invalidation FROM api_keys";

/// Ids bound in one `IN (…)` list: far below SQLite's variable limit (32 766 since 3.32,
/// 999 before) and PostgreSQL's (65 535).
pub(crate) const MAX_IDS_PER_STATEMENT: usize = 500;

#[async_trait]
impl SecurityStore for SqlStore {
    async fn put_role(&self, role: &Role, event: &AuditEvent) -> CoreResult<bool> {
        let mut tx = self.pool.begin().await.map_err(db)?;
        let existed: Option<(String,)> = sqlx::query_as("SELECT name FROM roles WHERE name = $1")
            .bind(&role.name)
            .fetch_optional(&mut *tx)
            .await
            .map_err(db)?;
        sqlx::query(
            "INSERT INTO roles (name, doc) VALUES ($1, $2)
             ON CONFLICT (name) DO UPDATE SET doc = excluded.doc",
        )
        .bind(&role.name)
        .bind(to_doc(role)?)
        .execute(&mut *tx)
        .await
        .map_err(db)?;
        insert_event(&mut tx, event).await?;
        tx.commit().await.map_err(db)?;
        Ok(existed.is_none())
    }

    async fn get_role(&self, name: &str) -> CoreResult<Option<Role>> {
        one_doc(
            &self.reader,
            "SELECT doc FROM roles WHERE name = $1",
            &[name],
        )
        .await
    }

    async fn list_roles(&self) -> CoreResult<Vec<Role>> {
        all_docs(&self.reader, "SELECT doc FROM roles ORDER BY name", &[]).await
    }

    async fn delete_role(&self, name: &str, event: &AuditEvent) -> CoreResult<bool> {
        let n = write_with_event(
            &self.pool,
            "DELETE FROM roles WHERE name = $1",
            &[name],
            event,
        )
        .await?;
        Ok(n > 0)
    }

    async fn put_user(&self, user: &User, event: &AuditEvent) -> CoreResult<()> {
        let mut tx = self.pool.begin().await.map_err(db)?;
        sqlx::query(
            "INSERT INTO users (id, realm, username, doc) VALUES ($1, $2, $3, $4)
             ON CONFLICT (id) DO UPDATE SET doc = excluded.doc",
        )
        .bind(user.id.to_string())
        .bind(&user.realm)
        .bind(&user.username)
        .bind(to_doc(user)?)
        .execute(&mut *tx)
        .await
        .map_err(|e| conflict_or_internal(e, &format!("user {}", user.username)))?;
        insert_event(&mut tx, event).await?;
        tx.commit().await.map_err(db)
    }

    async fn list_users(&self, realm: &str) -> CoreResult<Vec<User>> {
        all_docs(
            &self.reader,
            "SELECT doc FROM users WHERE realm = $1 ORDER BY username",
            &[realm],
        )
        .await
    }

    /// Deletes the user and its IAM access keys, which sign for it and nobody else.
    async fn delete_user(&self, id: UserId, event: &AuditEvent) -> CoreResult<bool> {
        let id = id.to_string();
        let at = event.created.timestamp_millis().to_string();
        // The user's access keys go with it, and its API keys are invalidated for good, so a
        // later user of the same name inherits nothing.
        delete_with_dependents(
            &self.pool,
            "DELETE FROM users WHERE id = $1",
            &[&id],
            &[
                ("DELETE FROM access_keys WHERE user_id = $1", &[&id]),
                (
                    "UPDATE api_keys SET invalidated = 1, invalidation = CAST($1 AS BIGINT)
                     WHERE invalidated = 0 AND EXISTS (SELECT 1 FROM users u
                       WHERE u.id = $2 AND u.realm = api_keys.realm AND u.username = api_keys.username)",
                    &[&at, &id],
                ),
            ],
            event,
        )
        .await
    }

    async fn insert_api_key(&self, key: &ApiKey, event: &AuditEvent) -> CoreResult<()> {
        let mut tx = self.pool.begin().await.map_err(db)?;
        sqlx::query(
            "INSERT INTO api_keys (id, name, username, realm, creation, expiration, invalidated, invalidation, doc)
             VALUES ($1, $2, $3, $4, $5, $6, 0, NULL, $7)",
        )
        .bind(&key.id)
        .bind(&key.name)
        .bind(&key.username)
        .bind(&key.realm)
        .bind(key.creation.timestamp_millis())
        .bind(key.expiration.map(|e| e.timestamp_millis()))
        .bind(to_doc(key)?)
        .execute(&mut *tx)
        .await
        .map_err(|e| conflict_or_internal(e, "an API key with this id"))?;
        insert_event(&mut tx, event).await?;
        tx.commit().await.map_err(db)
    }

    async fn get_api_key(&self, id: &str) -> CoreResult<Option<ApiKey>> {
        let row: Option<KeyRow> = sqlx::query_as(&format!("{KEY_COLUMNS} WHERE id = $1"))
            .bind(id)
            .fetch_optional(&self.reader)
            .await
            .map_err(db)?;
        row.map(key_of).transpose()
    }

    async fn find_api_keys(&self, filter: &ApiKeyFilter) -> CoreResult<Vec<ApiKey>> {
        let Some(ids) = &filter.ids else {
            return self.find_api_keys_among(filter, &[]).await;
        };
        // A long id list is looked up a slice at a time, so that no statement comes near
        // SQLite's or PostgreSQL's bound on variables (nor fills a log line when slow).
        let mut keys = vec![];
        for chunk in ids.chunks(MAX_IDS_PER_STATEMENT) {
            keys.extend(self.find_api_keys_among(filter, chunk).await?);
        }
        if ids.len() > MAX_IDS_PER_STATEMENT {
            keys.sort_by(|a, b| (a.creation, &a.id).cmp(&(b.creation, &b.id)));
            keys.dedup_by(|a, b| a.id == b.id);
        }
        Ok(keys)
    }

    async fn update_api_key(&self, key: &ApiKey, event: &AuditEvent) -> CoreResult<bool> {
        // Every bind is text here: no expiration is the empty string, stored as NULL.
        let expiration = key
            .expiration
            .map(|e| e.timestamp_millis().to_string())
            .unwrap_or_default();
        write_if_touched_with_event(
            &self.pool,
            "UPDATE api_keys SET doc = $1, expiration = CAST(NULLIF($2, '') AS BIGINT)
             WHERE id = $3 AND invalidated = 0",
            &[&to_doc(key)?, &expiration, &key.id],
            event,
        )
        .await
    }

    async fn invalidate_api_key(
        &self,
        id: &str,
        at: DateTime<Utc>,
        event: &AuditEvent,
    ) -> CoreResult<bool> {
        write_if_touched_with_event(
            &self.pool,
            "UPDATE api_keys SET invalidated = 1, invalidation = CAST($1 AS BIGINT) WHERE id = $2 AND invalidated = 0",
            &[&at.timestamp_millis().to_string(), id],
            event,
        )
        .await
    }

    async fn delete_retired_api_keys(&self, before: DateTime<Utc>) -> CoreResult<u64> {
        let cutoff = before.timestamp_millis();
        let done = sqlx::query(
            "DELETE FROM api_keys WHERE (invalidated = 1 AND invalidation < $1) OR expiration < $1",
        )
        .bind(cutoff)
        .execute(&self.pool)
        .await
        .map_err(db)?;
        Ok(done.rows_affected())
    }

    async fn put_application_privileges(
        &self,
        privileges: &[ApplicationPrivilege],
        event: &AuditEvent,
    ) -> CoreResult<Vec<bool>> {
        let mut tx = self.pool.begin().await.map_err(db)?;
        let mut created = Vec::with_capacity(privileges.len());
        for p in privileges {
            let existed: Option<(String,)> = sqlx::query_as(
                "SELECT name FROM application_privileges WHERE application = $1 AND name = $2",
            )
            .bind(&p.application)
            .bind(&p.name)
            .fetch_optional(&mut *tx)
            .await
            .map_err(db)?;
            sqlx::query(
                "INSERT INTO application_privileges (application, name, doc) VALUES ($1, $2, $3)
                 ON CONFLICT (application, name) DO UPDATE SET doc = excluded.doc",
            )
            .bind(&p.application)
            .bind(&p.name)
            .bind(to_doc(p)?)
            .execute(&mut *tx)
            .await
            .map_err(db)?;
            created.push(existed.is_none());
        }
        insert_event(&mut tx, event).await?;
        tx.commit().await.map_err(db)?;
        Ok(created)
    }

    async fn list_application_privileges(
        &self,
        application: Option<&str>,
    ) -> CoreResult<Vec<ApplicationPrivilege>> {
        match application {
            Some(a) => {
                all_docs(
                    &self.reader,
                    "SELECT doc FROM application_privileges WHERE application = $1 ORDER BY name",
                    &[a],
                )
                .await
            }
            None => {
                all_docs(
                    &self.reader,
                    "SELECT doc FROM application_privileges ORDER BY application, name",
                    &[],
                )
                .await
            }
        }
    }

    async fn delete_application_privileges(
        &self,
        application: &str,
        names: &[String],
        event: &AuditEvent,
    ) -> CoreResult<Vec<bool>> {
        let mut tx = self.pool.begin().await.map_err(db)?;
        let mut found = Vec::with_capacity(names.len());
        for name in names {
            let done = sqlx::query(
                "DELETE FROM application_privileges WHERE application = $1 AND name = $2",
            )
            .bind(application)
            .bind(name)
            .execute(&mut *tx)
            .await
            .map_err(db)?;
            found.push(done.rows_affected() > 0);
        }
        if found.iter().any(|f| *f) {
            insert_event(&mut tx, event).await?;
            tx.commit().await.map_err(db)?;
        }
        Ok(found)
    }
}

impl SqlStore {
    /// The keys `filter` names in SQL, among `ids` when the filter has an id list.
    async fn find_api_keys_among(
        &self,
        filter: &ApiKeyFilter,
        ids: &[String],
    ) -> CoreResult<Vec<ApiKey>> {
        // The indexed parts become SQL; a name prefix and the rest are checked by the caller.
        let mut conditions = vec![];
        let mut binds: Vec<String> = vec![];
        if filter.ids.is_some() {
            if ids.is_empty() {
                return Ok(vec![]);
            }
            let start = binds.len();
            let marks: Vec<String> = (0..ids.len())
                .map(|i| format!("${}", start + i + 1))
                .collect();
            conditions.push(format!("id IN ({})", marks.join(", ")));
            binds.extend(ids.iter().cloned());
        }
        if let Some(u) = &filter.username {
            binds.push(u.clone());
            conditions.push(format!("username = ${}", binds.len()));
        }
        if let Some(r) = &filter.realm {
            binds.push(r.clone());
            conditions.push(format!("realm = ${}", binds.len()));
        }
        if let Some(n) = filter.name.as_deref().filter(|n| !n.ends_with('*')) {
            binds.push(n.to_owned());
            conditions.push(format!("name = ${}", binds.len()));
        }
        let sql = if conditions.is_empty() {
            format!("{KEY_COLUMNS} ORDER BY creation, id")
        } else {
            format!(
                "{KEY_COLUMNS} WHERE {} ORDER BY creation, id",
                conditions.join(" AND ")
            )
        };
        let query = binds
            .iter()
            .fold(sqlx::query_as::<_, KeyRow>(&sql), |q, b| q.bind(b.as_str()));
        let rows = query.fetch_all(&self.reader).await.map_err(db)?;
        rows.into_iter().map(key_of).collect()
    }
}
