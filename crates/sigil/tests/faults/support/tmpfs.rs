//! A small tmpfs of the scenario's own, to fill up or make read-only: a disk that runs out of
//! room without touching the machine's. Mounting needs root (CAP_SYS_ADMIN); without it the
//! scenario is SKIPPED (outside CI).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

pub struct Tmpfs {
    dir: tempfile::TempDir,
    size: String,
}

impl Tmpfs {
    /// Mounts a tmpfs of `size` (e.g. `8m`); `None` (SKIPPED) when mounting is not allowed.
    pub fn mount(size: &str) -> Option<Self> {
        let dir = tempfile::tempdir().expect("tempdir");
        let out = Command::new("mount")
            .args([
                "-t",
                "tmpfs",
                "-o",
                &format!("size={size},mode=0755"),
                "tmpfs",
            ])
            .arg(dir.path())
            .output();
        match out {
            Ok(o) if o.status.success() => Some(Self {
                dir,
                size: size.to_owned(),
            }),
            Ok(o) => {
                super::skip(&format!(
                    "cannot mount a tmpfs (needs root): {}",
                    String::from_utf8_lossy(&o.stderr).trim()
                ));
                None
            }
            Err(e) => {
                super::skip(&format!("cannot run mount: {e}"));
                None
            }
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Writes a file until the disk is full; answers it (delete it and the room returns).
    pub fn fill(&self) -> PathBuf {
        let path = self.path().join("filler");
        let mut file = std::fs::File::create(&path).expect("filler");
        let chunk = vec![0u8; 64 * 1024];
        loop {
            if file
                .write_all(&chunk)
                .and_then(|_| file.sync_all())
                .is_err()
            {
                break;
            }
        }
        // The last partial chunk may have left a few bytes: fill them one at a time.
        while file.write_all(&[0]).and_then(|_| file.sync_all()).is_ok() {}
        path
    }

    /// Remounts read-only (`false`) or read-write (`true`): only possible with no file open
    /// for writing on it, i.e. with the node stopped.
    pub fn writable(&self, writable: bool) {
        let mode = if writable { "rw" } else { "ro" };
        let out = Command::new("mount")
            .args(["-o", &format!("remount,{mode},size={}", self.size)])
            .arg(self.path())
            .output()
            .expect("mount runs");
        assert!(
            out.status.success(),
            "remount {mode}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(self.path()).output();
    }
}
