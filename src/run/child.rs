//! The command a run has started and not yet seen end, recorded in the run's scratch folder
//! (`RUN.tmp/child`). If lyncdr is killed (`kill -9`, a closed SSH session) its lock ends with
//! it, but the command goes on in its own process group: the next run of the same state reads
//! this record and warns while that command still runs, instead of starting a second recovery
//! step beside it.
//!
//! A process id is reused by the system, so a recorded one counts as alive only while a process
//! with that id carries the step's `LYNCDR_RUNBOOK` and `LYNCDR_STEP` in its environment (Linux
//! `/proc/PID/environ`, readable for the user's own processes). Where there is no `/proc` (Windows,
//! macOS) nothing is claimed; the step is still shown as interrupted and needs a decision.

use std::path::{Path, PathBuf};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Child {
    pub pid: u32,
    pub runbook: String,
    pub step: String,
}

fn record_path(scratch: &Path) -> PathBuf {
    scratch.join("child")
}

/// Records the command just started (in the private scratch folder, atomically).
pub fn record(scratch: &Path, child: &Child) {
    let text = format!("{}\n{}\n{}\n", child.pid, child.runbook, child.step);
    let _ = crate::atomic::write_atomic(&record_path(scratch), text.as_bytes());
}

/// The command has ended (or was never started): nothing to warn about any more.
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
    Some(Child {
        pid: lines.next()?.parse().ok()?,
        runbook: lines.next()?.to_owned(),
        step: lines.next()?.to_owned(),
    })
}

/// The recorded command, if a process that is that command still runs.
pub fn still_running(scratch: &Path) -> Option<Child> {
    let child = read(scratch)?;
    let environ = std::fs::read(format!("/proc/{}/environ", child.pid)).ok()?;
    let has = |var: &str| environ.split(|&b| b == 0).any(|e| e == var.as_bytes());
    (has(&format!("LYNCDR_RUNBOOK={}", child.runbook)) && has(&format!("LYNCDR_STEP={}", child.step)))
        .then_some(child)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_counts_only_while_its_process_carries_the_step() {
        let dir = tempfile::tempdir().expect("tempdir");
        assert_eq!(still_running(dir.path()), None);
        // This test process is alive but is not the step: a reused id is not a live command.
        let me = Child {
            pid: std::process::id(),
            runbook: "cms-move".into(),
            step: "move-cms".into(),
        };
        record(dir.path(), &me);
        assert_eq!(read(dir.path()), Some(me));
        assert_eq!(still_running(dir.path()), None);
        clear(dir.path());
        assert_eq!(read(dir.path()), None);
    }
}
