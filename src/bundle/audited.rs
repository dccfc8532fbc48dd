//! `lyncdr bundle --backups DIR`: the backups the bundle's steps need, checked when the bundle is
//! made, by the audit's verdict, and pinned by their size and SHA-256 so the driver can tell on
//! the server that the file it is about to use is the one that was checked.
//!
//! Each backup prerequisite in the outline (every option's, since the driver decides the option)
//! whose path the environment names is looked up in DIR by its file name and judged by
//! [`crate::run::backup::check`], the lookup and verdict `lyncdr run --backups` uses (the audit's
//! `check_named`). An unusable one refuses the bundle. A file the driver can read where it runs
//! is then judged again and hashed through one handle held across both passes
//! ([`audit::check_and_hash`]), so the pin is of the bytes judged; a file SQL Server reads at a
//! path of its own server and the File Store folder are checked here but not pinned: the driver
//! keeps its checks for those. Age is left to the driver, which measures it on the day of the
//! recovery, not the day the bundle was made.

use super::BundleError;
use crate::artifact::ArtifactKind;
use crate::audit::{self, Severity, Sha256Digest};
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
        // Judged again and hashed through one handle held across both: the pin is of the bytes
        // judged, and a file swapped or changed meanwhile is refused, never pinned.
        let changed = || {
            refused(format!(
                "`{}` changed while it was being checked; build the bundle again once it is complete",
                found.path.display()
            ))
        };
        let (problems, sha256, size) = audit::check_and_hash(kind, &found.path)
            .map_err(|e| refused(format!("cannot read `{}`: {e}", found.path.display())))?
            .ok_or_else(changed)?;
        if let Some(p) = problems.iter().find(|p| p.severity() == Severity::Error) {
            return Err(refused(format!("`{}`: {}", found.path.display(), p.message())));
        }
        if size != found.size {
            return Err(changed());
        }
        Some(Pinned { size, sha256 })
    };
    Ok(Audited {
        kind,
        path: path.to_owned(),
        pinned,
        compressed: found.compressed,
    })
}
