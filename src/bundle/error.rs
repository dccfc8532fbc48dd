//! Why a bundle could not be built or written (the exit code of each: `front::error`).

use crate::artifact::ArtifactKind;
use std::io;
use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum BundleError {
    #[error("cannot write `{}`: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error(
        "`{}` is not empty and is not a lyncdr bundle ({found}); lyncdr replaces only a folder it wrote itself",
        path.display()
    )]
    Occupied { path: PathBuf, found: String },
    #[error(
        "`{}` exists and is not a lyncdr bundle zip; lyncdr does not overwrite it",
        path.display()
    )]
    ZipOccupied { path: PathBuf },
    #[error("cannot write the zip `{}`: {source}", path.display())]
    Zip {
        path: PathBuf,
        #[source]
        source: zip::result::ZipError,
    },
    #[error(
        "step `{step}` runs T-SQL, but its runbook has no `sql_server` input naming the SQL Server (FQDN\\instance) to run it on"
    )]
    NoSqlServer { step: String },
    #[error("step `{step}` cannot be bundled: its commands were not rendered ({reason})")]
    Unrendered { step: String, reason: String },
    #[error(
        "`{file}` line {line}: `{construct}` needs PowerShell {since}, and the Lync Server 2010 Management Shell is Windows PowerShell 2.0"
    )]
    NotPowerShell2 {
        file: String,
        line: usize,
        construct: &'static str,
        since: &'static str,
        instead: &'static str,
    },
    /// `--backups DIR` is not a folder that can be read.
    #[error("cannot read the backup folder `{}`: {problem}", path.display())]
    BackupsFolder { path: PathBuf, problem: String },
    /// `--backups DIR`: a backup the bundle's steps need is missing there or the audit rejects it.
    #[error("{} `{path}` ({}) cannot be used: {why}", kind.title(), kind.env_key())]
    Backup {
        kind: ArtifactKind,
        /// As the environment names it.
        path: String,
        dir: PathBuf,
        /// The audit's words.
        why: String,
    },
}

impl BundleError {
    /// What to do about it, printed after the message as `= hint:`.
    pub fn hint(&self) -> Option<String> {
        match self {
            BundleError::Occupied { .. } => {
                Some("choose a new or empty folder for --out, or move those files away".into())
            }
            BundleError::ZipOccupied { .. } => Some("move it away or choose another --out".into()),
            BundleError::NotPowerShell2 { instead, .. } => Some(format!("write {instead}")),
            BundleError::Backup { kind, dir, .. } => Some(format!(
                "`lyncdr audit {} --env FILE` shows every problem; put a sound copy there, or make a fresh one: {}",
                dir.display(),
                kind.how_to_make()
            )),
            BundleError::BackupsFolder { .. } => {
                Some("give --backups a local copy of the backup folder (or leave it out)".into())
            }
            BundleError::Io { .. }
            | BundleError::Zip { .. }
            | BundleError::NoSqlServer { .. }
            | BundleError::Unrendered { .. } => None,
        }
    }

    pub fn io(path: impl Into<PathBuf>, source: io::Error) -> Self {
        BundleError::Io {
            path: path.into(),
            source,
        }
    }
}
