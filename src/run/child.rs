//! The command a run has started and not yet seen end, recorded in the run's scratch folder
//! (`RUN.tmp/child`). If lyncdr is killed (`kill -9`, a closed SSH session) its lock ends with
//! it, but the command goes on (on Unix in its own process group; on Windows only where it could
//! not have a job of its own): the next run of the same state reads this record and refuses to
//! start while a process of that command still runs, instead of starting a second recovery step
//! beside it. The record stays until every process of the command has ended.
//!
//! A process id is reused by the system, so the record keeps the command's
//! [`Identity`](crate::process::Identity) (id, process group, start time, owner): a process with
//! that id but another start time or owner is not the command.
//!
//! Format, one item a line: the process id (first, for a person reading it), the runbook, the
//! step, then `PID GROUP START OWNER`. A record without the last line (an older lyncdr) cannot be
//! checked and claims nothing.

use crate::process::Identity;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Child {
    pub process: Identity,
    pub runbook: String,
    pub step: String,
}

fn record_path(scratch: &Path) -> PathBuf {
    scratch.join("child")
}

/// Records the command just started (in the private scratch folder, atomically).
pub fn record(scratch: &Path, child: &Child) {
    let text = format!(
        "{}\n{}\n{}\n{}\n",
        child.process.pid,
        child.runbook,
        child.step,
        child.process.to_line()
    );
    let _ = crate::atomic::write_atomic(&record_path(scratch), text.as_bytes());
}

/// Every process of the command has ended (or none was started): nothing to warn about.
pub fn clear(scratch: &Path) {
    let _ = std::fs::remove_file(record_path(scratch));
}

fn read(scratch: &Path) -> Option<Child> {
    let meta = std::fs::symlink_metadata(record_path(scratch)).ok()?;
    if !meta.is_file() || meta.len() > 4096 {
        return None;
    }
    let text = std::fs::read_to_string(record_path(scratch)).ok()?;
    let mut lines = text.lines();
    let pid: u32 = lines.next()?.parse().ok()?;
    let runbook = lines.next()?.to_owned();
    let step = lines.next()?.to_owned();
    let process = Identity::parse(lines.next()?).filter(|p| p.pid == pid)?;
    Some(Child {
        process,
        runbook,
        step,
    })
}

/// The recorded command and one of its processes that still runs (itself, or one it started).
pub fn still_running(scratch: &Path) -> Option<(Child, u32)> {
    let child = read(scratch)?;
    let pid = child.process.running()?;
    Some((child, pid))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_counts_only_while_its_process_runs() {
        let dir = tempfile::tempdir().expect("tempdir");
        assert_eq!(still_running(dir.path()), None);
        let me = Child {
            process: Identity::of(std::process::id()).expect("own identity"),
            runbook: "cms-move".into(),
            step: "move-cms".into(),
        };
        record(dir.path(), &me);
        assert_eq!(read(dir.path()), Some(me.clone()));
        assert_eq!(still_running(dir.path()), Some((me.clone(), std::process::id())));
        // The same id with another start time: a recycled id, not the command.
        let recycled = Child {
            process: Identity {
                start: me.process.start + 1,
                ..me.process.clone()
            },
            ..me
        };
        record(dir.path(), &recycled);
        assert_eq!(still_running(dir.path()), None);
        clear(dir.path());
        assert_eq!(read(dir.path()), None);
    }

    #[test]
    fn an_older_record_claims_nothing() {
        let dir = tempfile::tempdir().expect("tempdir");
        let text = format!("{}\ncms-move\nmove-cms\n", std::process::id());
        std::fs::write(record_path(dir.path()), text).expect("write");
        assert_eq!(still_running(dir.path()), None);
    }
}
