//! Why `lyncdr run` stopped before the end, and how a run that did not fail ended. Each variant
//! carries what the message and its hint need; the front end prints them one way and derives
//! the exit code from the variant (`front::error`).

use super::state::StateError;
use crate::diagnostic::Diagnostics;
use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The runbook, the environment or a value is invalid: no plan.
    #[error("{0}")]
    Invalid(Diagnostics),
    #[error(transparent)]
    State(#[from] StateError),
    #[error("state file `{}` belongs to a run of `{found}`, not `{wanted}`", path.display())]
    OtherRunbook {
        path: PathBuf,
        found: String,
        wanted: String,
    },
    #[error(
        "state file `{}` holds {}, and this is {}; a rehearsal and a real run never share a state file",
        path.display(),
        if *rehearsal_file { "a rehearsal" } else { "a real run" },
        if *rehearsal_file { "a real run" } else { "a rehearsal (--yes with no PowerShell here)" }
    )]
    RehearsalMix { path: PathBuf, rehearsal_file: bool },
    #[error(
        "the runbook or environment changed since this run was checkpointed:\n{}",
        changes.iter().map(|c| format!("  - {c}")).collect::<Vec<_>>().join("\n")
    )]
    Changed { changes: Vec<String> },
    #[error("step `{step}` {what} and is not marked idempotent, so --yes will not re-run it")]
    Undecided {
        step: String,
        /// "was interrupted", "was running when lyncdr stopped", ...
        what: String,
        has_check: bool,
        /// The `lyncdr resolve STEP --done ...` command for this state file.
        resolve_done: String,
        /// The `lyncdr resolve STEP --retry ...` command for this state file.
        resolve_retry: String,
    },
    #[error(
        "step `{step}` asks questions through its cmdlet's own prompt, and there is no terminal to answer them; it was not started"
    )]
    NeedsConsole { step: String, resolve_done: String },
    #[error(
        "step `{step}` cannot be run here (no runner for its commands), and --yes does not count it as done"
    )]
    NoRunner { step: String, resolve_done: String },
    #[error("step `{step}` failed: {why}")]
    StepFailed {
        step: String,
        why: String,
        resolve_retry: String,
    },
    #[error("the check of step `{step}` failed, so the step is not done")]
    CheckFailed { step: String },
    /// A prerequisite that evidence contradicts (`--yes` or not).
    #[error("step `{step}` is refused: {why}")]
    Refused { step: String, why: String, hint: String },
    /// A prerequisite not shown to hold, with `--yes`.
    #[error("step `{step}` is blocked: {prerequisite} -- {why}")]
    Blocked {
        step: String,
        prerequisite: String,
        why: String,
        hint: String,
    },
}

impl RunError {
    /// What to do about it, printed after the message as `= hint:`.
    pub fn hint(&self) -> Option<String> {
        Some(match self {
            RunError::Invalid(_) => return None,
            RunError::State(e) => return e.hint(),
            RunError::OtherRunbook { .. } => "give another --state FILE for this runbook".into(),
            RunError::RehearsalMix { .. } => "give another --state FILE (without --state, a rehearsal keeps RUNBOOK.rehearsal.json beside the real run's state)".into(),
            RunError::Changed { .. } => "review the changes; then resume with --accept-changes, or start over with another --state FILE".into(),
            RunError::Undecided {
                has_check,
                resolve_done,
                resolve_retry,
                ..
            } => format!(
                "check it by hand{}, then `{resolve_done}` (it took effect) or `{}` (run it again)",
                if *has_check {
                    " (the read-only check above)"
                } else {
                    ""
                },
                resolve_retry
            ),
            RunError::NeedsConsole { resolve_done, .. } => format!(
                "run lyncdr in a terminal (with or without --yes), or run the step by hand on the server and then `{resolve_done}`"
            ),
            RunError::NoRunner { resolve_done, .. } => format!(
                "run the step by hand on the server, then `{resolve_done}`; or run lyncdr at a terminal without --yes"
            ),
            RunError::StepFailed { resolve_retry, .. } => format!(
                "read its output above (and in the run log); when the cause is fixed, `{resolve_retry}` and run again"
            ),
            RunError::CheckFailed { .. } => "read the check's output above; fix the cause and run again (the check is run again first), or mark it done anyway at a terminal".into(),
            RunError::Refused { hint, .. } | RunError::Blocked { hint, .. } => hint.clone(),
        })
    }
}

impl From<Diagnostics> for RunError {
    fn from(d: Diagnostics) -> Self {
        RunError::Invalid(d)
    }
}

impl From<crate::diagnostic::Diagnostic> for RunError {
    fn from(d: crate::diagnostic::Diagnostic) -> Self {
        RunError::Invalid(d.into())
    }
}

/// How a run that did not fail ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunOutcome {
    /// Every step done or skipped (or a dry run that found every prerequisite met).
    Complete,
    /// The operator chose to stop; the state is saved.
    Stopped,
    /// The operator stopped at a step that failed, was interrupted or failed its check: it
    /// still needs a decision (exit 3, not 0).
    Undecided,
    /// A dry run found prerequisites not met now.
    Unmet,
    /// Ctrl-C; the state is saved.
    Interrupted,
}
