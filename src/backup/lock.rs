//! One job per folder of sets at a time: a job holds an exclusive lock on `LOCK_FILE` in `--to`
//! from before its set folder is made until retention is done, so a second job (a task started
//! by hand while the nightly one runs, two Front Ends pointed at one share) stops at once with
//! exit 75 instead of deleting the set the first one is writing. The lock is the OS's
//! (`File::try_lock`: `flock` on Unix, `LockFileEx` on Windows, which SMB shares honour), so a
//! job that dies releases it; the file itself stays and only names the last holder.

use std::fs::File;
use std::io::{self, Read as _, Write as _};
use std::path::{Path, PathBuf};

pub const LOCK_FILE: &str = ".lyncdr-backup.lock";

/// Held while the job runs; dropping it releases the lock.
#[derive(Debug)]
pub struct JobLock {
    _file: File,
}

#[derive(Debug)]
pub enum LockError {
    /// Another job holds the lock; what it wrote about itself.
    Busy {
        path: PathBuf,
        holder: String,
    },
    Io {
        path: PathBuf,
        cause: io::Error,
    },
}

/// Takes the lock of the folder of sets `to`, or says who holds it.
pub fn take(to: &Path, who: &str) -> Result<JobLock, LockError> {
    let path = to.join(LOCK_FILE);
    let io_err = |cause| LockError::Io {
        path: path.clone(),
        cause,
    };
    let mut file = open_no_follow(&path).map_err(io_err)?;
    match file.try_lock() {
        Ok(()) => {
            // Who holds it, for the message the next job prints; the lock is what counts.
            let _ = file.set_len(0);
            let _ = file.write_all(who.as_bytes());
            Ok(JobLock { _file: file })
        }
        Err(std::fs::TryLockError::WouldBlock) => Err(LockError::Busy {
            holder: holder(&path),
            path,
        }),
        Err(std::fs::TryLockError::Error(e)) => Err(io_err(e)),
    }
}

/// The lock file, created if need be, never through a link at its name (someone who can write
/// to the share could otherwise point it at a file the job's account may write): fsx's
/// no-follow open, which also wants a regular file of ours with one name.
fn open_no_follow(path: &Path) -> io::Result<File> {
    crate::fsx::open_write(path, crate::fsx::Write::Update)
}

/// What the holder wrote (bounded, printable), read without taking the lock.
fn holder(path: &Path) -> String {
    let mut text = String::new();
    let _ = crate::audit::open::listed(path).map(|f| f.take(512).read_to_string(&mut text));
    crate::decode::printable(text.trim())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_job_on_the_same_folder_is_refused_until_the_first_ends() {
        let d = tempfile::tempdir().expect("tmp");
        let first = take(d.path(), "FE01 process 1").expect("first");
        match take(d.path(), "FE02 process 2") {
            Err(LockError::Busy { holder, .. }) => assert_eq!(holder, "FE01 process 1"),
            other => panic!("not refused: {other:?}"),
        }
        drop(first);
        assert!(take(d.path(), "FE02 process 2").is_ok());
    }

    // A link at the lock file's name: Unix only (creating links on Windows needs a privilege).
    #[cfg(unix)]
    #[test]
    fn a_link_at_the_lock_files_name_is_not_followed() {
        let d = tempfile::tempdir().expect("tmp");
        let target = d.path().join("precious");
        std::fs::write(&target, "keep").expect("write");
        std::os::unix::fs::symlink(&target, d.path().join(LOCK_FILE)).expect("link");
        assert!(matches!(take(d.path(), "x"), Err(LockError::Io { .. })));
        assert_eq!(std::fs::read_to_string(&target).expect("read"), "keep");
    }
}
