//! A fresh PostgreSQL database per run: created on the server `--database-url` names, dropped
//! afterwards, so every run starts empty and a clean clone needs no preparation.

use anyhow::Context;
use sqlx::any::AnyPoolOptions;
use sqlx::AnyPool;

pub struct Database {
    admin: AnyPool,
    name: String,
    /// The URL of the fresh database.
    pub url: String,
}

impl Database {
    /// Creates `sigil_bench_<random>` on the server of `admin_url`, which must be allowed to
    /// create databases.
    pub async fn create(admin_url: &str) -> anyhow::Result<Self> {
        sqlx::any::install_default_drivers();
        let admin = AnyPoolOptions::new()
            .max_connections(1)
            .connect(admin_url)
            .await
            .with_context(|| format!("cannot open {admin_url}"))?;
        let name = format!("sigil_bench_{:08x}", rand::random::<u32>());
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&admin)
            .await
            .with_context(|| format!("cannot create the database {name}"))?;
        let mut url = url::Url::parse(admin_url)?;
        url.set_path(&format!("/{name}"));
        Ok(Self {
            admin,
            name,
            url: url.to_string(),
        })
    }

    /// Drops the database (its servers must have stopped; `FORCE` ends what is left).
    pub async fn drop(self) {
        let sql = format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name);
        if let Err(e) = sqlx::query(&sql).execute(&self.admin).await {
            eprintln!("could not drop the database {}: {e}", self.name);
        }
        self.admin.close().await;
    }
}
