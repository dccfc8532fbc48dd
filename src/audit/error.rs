//! Errors that stop an audit before it can judge the backups: the folder itself cannot be read,
//! the options contradict each other, or the checksum file cannot be written.
//! (Problems with the backups themselves are findings, not errors.) The exit code of each is
//! decided with the others in `front::error`.

use std::io;
use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    #[error("backup folder `{}` does not exist", path.display())]
    NotFound { path: PathBuf },
    #[error("`{}` is not a folder", path.display())]
    NotADirectory { path: PathBuf },
    #[error("cannot read backup folder `{}`: {source}", path.display())]
    Unreadable { path: PathBuf, source: io::Error },
    #[error("--write-sums needs the files hashed; it cannot be combined with --no-hash")]
    WriteSumsWithoutHash,
    #[error("cannot write `{}`: {source}", path.display())]
    WriteSums { path: PathBuf, source: io::Error },
    #[error("a worker thread of the audit stopped unexpectedly")]
    Worker,
}
