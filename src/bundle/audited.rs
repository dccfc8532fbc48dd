//! `lyncdr bundle --backups DIR`: the backups the bundle's steps need, checked when the bundle is
//! made, by the audit's verdict, and pinned by their size and SHA-256 so the driver can tell on
//! the server that the file it is about to use is the one that was checked.
//!
//! Each backup prerequisite in the outline (every option's, since the driver decides the option)
//! whose path the environment names is looked up in DIR by its file name and judged by
//! [`crate::run::backup::check`], the lookup and verdict `lyncdr run --backups` uses (the audit's
//! `check_named`). An unusable one refuses the bundle. A file the driver can read where it runs
//! is then hashed with the audit's own hash ([`audit::hash_file`]); a file SQL Server reads at a
//! path of its own server and the File Store folder are checked here but not pinned: the driver
//! keeps its checks for those. Age is left to the driver, which measures it on the day of the
//! recovery, not the day the bundle was made.

use super::BundleError;
use crate::artifact::ArtifactKind;
use crate::audit::{self, Sha256Digest, Silent};
use crate::env::MaxBackupAge;
use crate::run::backup;
use std::path::Path;
use std::time::Duration;

/// What the driver checks the file at the environment's path against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pinned {
    pub size: u64,
    pub sha256: Sha256Digest,
}

/// One backup checked in DIR, for the summary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Audited {
    pub kind: ArtifactKind,
    /// As the environment names it (the path on the server).
    pub path: String,
    pub pinned: Option<Pinned>,
    /// A compressed SQL Server backup: the audit could read only its header.
    pub compressed: bool,
}

/// Check `kind` at `path` (the environment's Windows path) in `dir`; the audit's words on refusal.
pub fn check(kind: ArtifactKind, path: &str, dir: &Path) -> Result<Audited, BundleError> {
    let refused = |why: String| BundleError::Backup {
        kind,
        path: path.to_owned(),
        dir: dir.to_owned(),
        why,
    };
    // The driver checks the age on the server, on the day it runs.
    let any_age = MaxBackupAge {
        limit: Duration::MAX,
        text: String::new(),
        set: false,
    };
    let found = backup::check(kind, path, dir, &any_age).map_err(refused)?;
    let pinned = if kind.is_folder() || kind.read_by_sql_server() {
        None
    } else {
        let mut buf = vec![0; audit::BLOCK];
        let sha256 = audit::hash_file(&found.path, &Silent, &mut buf)
            .map_err(|e| refused(format!("cannot read `{}`: {e}", found.path.display())))?;
        // A file still being written would be pinned by a size and a hash of two different states.
        let size = std::fs::metadata(&found.path).map(|m| m.len()).ok();
        if size != Some(found.size) {
            return Err(refused(format!(
                "`{}` changed while it was being checked; build the bundle again once it is complete",
                found.path.display()
            )));
        }
        Some(Pinned {
            size: found.size,
            sha256,
        })
    };
    Ok(Audited {
        kind,
        path: path.to_owned(),
        pinned,
        compressed: found.compressed,
    })
}
