//! PostgreSQL for the scenarios: a fresh database on the shared server
//! (`SIGIL_TEST_DATABASE_URL`), or a cluster of the scenario's own (initdb and pg_ctl in a
//! temporary directory) that it can stop and start without disturbing any other test.

use std::path::PathBuf;
use std::process::{Command, Output};

/// A fresh database on the shared server; `None` (SKIPPED outside CI) when it is not set.
pub async fn shared_database() -> Option<String> {
    let base = sigil_store::testing::postgres_test_url()?;
    Some(
        sigil_store::testing::fresh_postgres_database(&base)
            .await
            .expect("create a database"),
    )
}

/// The newest installed PostgreSQL's server programs (Debian: /usr/lib/postgresql/N/bin).
fn server_programs() -> Option<PathBuf> {
    let mut found: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let version = e.file_name().to_str()?.parse::<u32>().ok()?;
            let bin = e.path().join("bin");
            (bin.join("initdb").exists() && bin.join("pg_ctl").exists()).then_some((version, bin))
        })
        .collect();
    found.sort();
    found.pop().map(|(_, bin)| bin)
}

/// `id ARGS` as a number (`-u`: this process's user; `-u postgres`: that user's).
fn id(args: &[&str]) -> Option<u32> {
    let out = Command::new("id").args(args).output().ok()?;
    String::from_utf8(out.stdout).ok()?.trim().parse().ok()
}

/// A PostgreSQL cluster of the scenario's own, on its own port.
pub struct Cluster {
    dir: tempfile::TempDir,
    bin: PathBuf,
    pub port: u16,
    /// initdb refuses to run as root: the cluster then runs as `postgres`.
    as_postgres: bool,
}

impl Cluster {
    /// Creates (initdb) and starts a cluster; `None` (SKIPPED outside CI) when PostgreSQL's
    /// server programs are not installed.
    pub fn start() -> Option<Self> {
        let Some(bin) = server_programs() else {
            super::skip("PostgreSQL's server programs (initdb, pg_ctl) are not installed");
            return None;
        };
        let dir = tempfile::tempdir().expect("tempdir");
        let as_postgres = id(&["-u"]).is_none_or(|uid| uid == 0) && {
            let uid = id(&["-u", "postgres"]).expect("a postgres user to run PostgreSQL as");
            let gid = id(&["-g", "postgres"]).expect("its group");
            std::os::unix::fs::chown(dir.path(), Some(uid), Some(gid)).expect("chown");
            true
        };
        let cluster = Self {
            port: super::node::free_addr().port(),
            dir,
            bin,
            as_postgres,
        };
        let data = cluster.data();
        cluster.run(
            "initdb",
            &[
                "-D",
                &data,
                "-U",
                "postgres",
                "-A",
                "trust",
                "-E",
                "UTF8",
                "--no-sync",
            ],
        );
        cluster.resume();
        Some(cluster)
    }

    fn data(&self) -> String {
        self.dir.path().join("data").display().to_string()
    }

    fn run(&self, program: &str, args: &[&str]) -> Output {
        let path = self.bin.join(program);
        let mut command = if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(&path);
            c
        } else {
            Command::new(&path)
        };
        let out = command.args(args).output().expect("runs");
        assert!(
            out.status.success(),
            "{program} {args:?}: {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        out
    }

    /// Starts the server and waits until it accepts connections.
    pub fn resume(&self) {
        let options = format!(
            "-p {} -c listen_addresses=127.0.0.1 -k {} -c fsync=off",
            self.port,
            self.dir.path().display()
        );
        let log = self.dir.path().join("server.log").display().to_string();
        self.run(
            "pg_ctl",
            &[
                "-D",
                &self.data(),
                "-l",
                &log,
                "-o",
                &options,
                "-w",
                "-t",
                "60",
                "start",
            ],
        );
    }

    /// Stops the server at once, as a crash would (`-m immediate`): connections drop.
    pub fn halt(&self) {
        self.run(
            "pg_ctl",
            &["-D", &self.data(), "-m", "immediate", "-w", "stop"],
        );
    }

    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    /// A fresh database on this cluster.
    pub async fn database(&self) -> String {
        sigil_store::testing::fresh_postgres_database(&self.url())
            .await
            .expect("create a database")
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let data = self.data();
        let path = self.bin.join("pg_ctl");
        let mut command = if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(&path);
            c
        } else {
            Command::new(&path)
        };
        let _ = command
            .args(["-D", &data, "-m", "immediate", "-w", "stop"])
            .output();
    }
}
