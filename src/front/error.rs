//! The one top-level error: every phase's error lifted into it (`From`), printed one way
//! (message, then its hint as data), and the exit code of every variant decided here, from the
//! error's type, against the table in [`super::exit`]. The matches are exhaustive: a new variant
//! does not compile until its code is chosen.

use super::command_error::CommandError;
use super::exit;
use crate::audit::AuditError;
use crate::backup::job::BackupError;
use crate::bundle::BundleError;
use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::run::RunError;
use crate::run::state::StateError;
use std::fmt;

#[derive(Debug)]
pub enum Error {
    /// Problems in runbooks, templates, environment files or values, at their place.
    Invalid(Diagnostics),
    /// What the command line asks cannot be done (front end).
    Command(CommandError),
    Run(RunError),
    State(StateError),
    Bundle(BundleError),
    Audit(AuditError),
    Backup(BackupError),
}

impl Error {
    pub fn code(&self) -> u8 {
        match self {
            Error::Invalid(d) => match d.cause() {
                crate::diagnostic::Cause::Invalid => exit::INVALID,
                crate::diagnostic::Cause::Missing => exit::NO_INPUT,
                crate::diagnostic::Cause::Unknown => exit::USAGE,
            },
            Error::Command(e) => e.code(),
            Error::Run(e) => e.code(),
            Error::State(e) => e.code(),
            Error::Bundle(e) => e.code(),
            Error::Audit(e) => e.code(),
            Error::Backup(e) => e.code(),
        }
    }

    /// The message without its hint (a diagnostic's whole text).
    pub fn message(&self) -> String {
        match self {
            Error::Invalid(d) => d.to_string(),
            Error::Command(e) => e.to_string(),
            Error::Run(e) => e.to_string(),
            Error::State(e) => e.to_string(),
            Error::Bundle(e) => e.to_string(),
            Error::Audit(e) => e.to_string(),
            Error::Backup(e) => e.to_string(),
        }
    }

    /// What to do about it (a diagnostic carries its own).
    pub fn hint(&self) -> Option<String> {
        match self {
            Error::Invalid(_) | Error::Audit(_) => None,
            Error::Backup(e) => e.hint(),
            Error::Bundle(e) => e.hint(),
            Error::Command(e) => e.hint(),
            Error::Run(e) => e.hint(),
            Error::State(e) => e.hint(),
        }
    }

    /// The kind of error for scripts (`--format json`'s `code`): the phase, then the variant's
    /// name as its type spells it, in kebab case (`state.locked`, `command.no-state-file`); for
    /// invalid input its cause (`input.invalid`, `input.missing`, `input.unknown`). Taken from
    /// the types themselves, so a new variant names itself and no table can drift.
    pub fn kind(&self) -> String {
        let (phase, variant) = match self {
            Error::Invalid(d) => {
                let cause = match d.cause() {
                    crate::diagnostic::Cause::Invalid => "invalid",
                    crate::diagnostic::Cause::Missing => "missing",
                    crate::diagnostic::Cause::Unknown => "unknown",
                };
                return format!("input.{cause}");
            }
            Error::Command(e) => ("command", variant_name(e)),
            Error::Run(e) => ("run", variant_name(e)),
            Error::State(e) => ("state", variant_name(e)),
            Error::Bundle(e) => ("bundle", variant_name(e)),
            Error::Audit(e) => ("audit", variant_name(e)),
            Error::Backup(e) => ("backup", variant_name(e)),
        };
        format!("{phase}.{variant}")
    }
}

/// An enum value's variant name (its derived `Debug` starts with it), in kebab case:
/// `NoStateFile { .. }` -> `no-state-file`.
fn variant_name(e: &impl fmt::Debug) -> String {
    let debug = format!("{e:?}");
    let name = debug.split(|c: char| !c.is_alphanumeric()).next().unwrap_or("");
    let mut out = String::with_capacity(name.len() + 4);
    for (i, c) in name.chars().enumerate() {
        if c.is_uppercase() && i > 0 {
            out.push('-');
        }
        out.extend(c.to_lowercase());
    }
    out
}

/// Every error is printed by one renderer, [`Diagnostic`]'s: `error: MESSAGE`, its place and
/// excerpt where it has one, then `  = hint: HINT`.
impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Error::Invalid(d) = self {
            return write!(f, "{d}");
        }
        let mut d = Diagnostic::new(self.message());
        if let Some(hint) = self.hint() {
            d = d.hint(hint);
        }
        write!(f, "{d}")
    }
}

impl From<Diagnostics> for Error {
    fn from(d: Diagnostics) -> Self {
        Error::Invalid(d)
    }
}

impl From<Diagnostic> for Error {
    fn from(d: Diagnostic) -> Self {
        Error::Invalid(d.into())
    }
}

impl From<CommandError> for Error {
    fn from(e: CommandError) -> Self {
        Error::Command(e)
    }
}

impl From<RunError> for Error {
    fn from(e: RunError) -> Self {
        match e {
            RunError::Invalid(d) => Error::Invalid(d),
            RunError::State(s) => Error::State(s),
            other => Error::Run(other),
        }
    }
}

impl From<StateError> for Error {
    fn from(e: StateError) -> Self {
        Error::State(e)
    }
}

impl From<BundleError> for Error {
    fn from(e: BundleError) -> Self {
        Error::Bundle(e)
    }
}

impl From<BackupError> for Error {
    fn from(e: BackupError) -> Self {
        match e {
            BackupError::Invalid(d) => Error::Invalid(d),
            other => Error::Backup(other),
        }
    }
}

impl BackupError {
    /// The job could not take a set at all: its folder is an output that cannot be written.
    pub fn code(&self) -> u8 {
        match self {
            BackupError::Invalid(_) | BackupError::Key(_) => exit::INVALID,
            BackupError::Busy { .. } => exit::BUSY,
            BackupError::Folder { .. } | BackupError::Exists { .. } | BackupError::Write { .. } => {
                exit::CANNOT_WRITE
            }
        }
    }

    pub fn hint(&self) -> Option<String> {
        match self {
            BackupError::Exists { .. } => Some(
                "two jobs started in the same second: run it again; a set is never written into an existing folder".into(),
            ),
            BackupError::Folder { .. } => Some(
                "--to must be a folder this account can create folders in (a share the SQL Server service can write, too)".into(),
            ),
            BackupError::Busy { .. } => Some(
                "wait for it to finish (exit 75: try again later); two jobs on one folder of sets would delete each other's set".into(),
            ),
            BackupError::Invalid(_) | BackupError::Write { .. } | BackupError::Key(_) => None,
        }
    }
}

impl From<AuditError> for Error {
    fn from(e: AuditError) -> Self {
        Error::Audit(e)
    }
}

impl RunError {
    pub fn code(&self) -> u8 {
        match self {
            RunError::Invalid(_) | RunError::OtherRunbook { .. } | RunError::RehearsalMix { .. } => {
                exit::INVALID
            }
            RunError::State(e) => e.code(),
            RunError::Changed { .. } | RunError::Undecided { .. } => exit::DECISION,
            RunError::NeedsConsole { .. } | RunError::NoRunner { .. } => exit::NEEDS_CONSOLE,
            RunError::StepFailed { .. } | RunError::CheckFailed { .. } => exit::FAILED,
            RunError::Refused { .. } | RunError::Blocked { .. } => exit::PREREQUISITE,
        }
    }
}

impl StateError {
    pub fn code(&self) -> u8 {
        match self {
            StateError::Read { .. } => exit::NO_INPUT,
            StateError::Corrupt { .. } | StateError::Format { .. } | StateError::Linked { .. } => {
                exit::INVALID
            }
            StateError::Write { .. } | StateError::Log { .. } => exit::CANNOT_WRITE,
            StateError::Locked { .. } | StateError::CommandStillRuns { .. } => exit::BUSY,
        }
    }
}

impl BundleError {
    /// A folder or zip that cannot be written, or that `--out` names and lyncdr will not
    /// replace, is an output error; a runbook or template the bundle cannot express is invalid
    /// input, like any other invalid runbook.
    pub fn code(&self) -> u8 {
        match self {
            BundleError::Io { .. }
            | BundleError::Occupied { .. }
            | BundleError::ZipOccupied { .. }
            | BundleError::Zip { .. } => exit::CANNOT_WRITE,
            BundleError::NoSqlServer { .. }
            | BundleError::Unrendered { .. }
            | BundleError::NotPowerShell2 { .. } => exit::INVALID,
            // The same refusal as `run`'s before a step that needs the backup.
            BundleError::Backup { .. } => exit::PREREQUISITE,
            BundleError::BackupsFolder { .. } => exit::NO_INPUT,
        }
    }
}

impl AuditError {
    /// Never a verdict's code: monitoring must not take "could not look" for "not ready".
    pub fn code(&self) -> u8 {
        match self {
            // A worker that stopped leaves the folder unread, like an unreadable folder.
            AuditError::NotFound { .. }
            | AuditError::NotADirectory { .. }
            | AuditError::Unreadable { .. }
            | AuditError::Worker => exit::NO_INPUT,
            AuditError::WriteSumsWithoutHash => exit::USAGE,
            AuditError::WriteSums { .. } => exit::CANNOT_WRITE,
        }
    }
}

/// How a run that did not fail ended, as an exit code.
pub fn outcome(e: crate::run::RunOutcome) -> u8 {
    use crate::run::RunOutcome;
    match e {
        RunOutcome::Complete | RunOutcome::Stopped => exit::SUCCESS,
        RunOutcome::Unmet => exit::PREREQUISITE,
        RunOutcome::Undecided => exit::DECISION,
        RunOutcome::Interrupted => exit::INTERRUPTED,
    }
}

#[cfg(test)]
mod tests {
    //! One case per variant of the run's and the front end's errors: the whole message as the
    //! operator reads it, hint included, and its exit code.

    use super::*;
    use std::path::PathBuf;

    fn case(e: impl Into<Error>, code: u8, text: &str) {
        let e = e.into();
        assert_eq!(e.to_string(), text);
        assert_eq!(e.code(), code, "{text}");
    }

    #[test]
    fn run_errors_print_whole() {
        case(
            RunError::OtherRunbook {
                path: "state.json".into(),
                found: "cms-move".into(),
                wanted: "rgs-restore".into(),
            },
            exit::INVALID,
            "error: state file `state.json` belongs to a run of `cms-move`, not `rgs-restore`\n  = hint: give another --state FILE for this runbook\n",
        );
        case(
            RunError::Changed {
                changes: vec![
                    "runbook rgs-restore.yaml changed".into(),
                    "environment `pools.failed`: a -> b".into(),
                ],
            },
            exit::DECISION,
            "error: the runbook or environment changed since this run was checkpointed:\n  - runbook rgs-restore.yaml changed\n  - environment `pools.failed`: a -> b\n  = hint: review the changes; then resume with --accept-changes, or start over with another --state FILE\n",
        );
        case(
            RunError::Undecided {
                step: "move-users".into(),
                what: "was interrupted".into(),
                has_check: true,
                resolve_done: "lyncdr resolve move-users --done --state s.json".into(),
                resolve_retry: "lyncdr resolve move-users --retry --state s.json".into(),
            },
            exit::DECISION,
            "error: step `move-users` was interrupted and is not marked idempotent, so --yes will not re-run it\n  = hint: check it by hand (the read-only check above), then `lyncdr resolve move-users --done --state s.json` (it took effect) or `lyncdr resolve move-users --retry --state s.json` (run it again)\n",
        );
        case(
            RunError::NeedsConsole {
                step: "move-users".into(),
                resolve_done: "lyncdr resolve move-users --done".into(),
            },
            exit::NEEDS_CONSOLE,
            "error: step `move-users` asks questions through its cmdlet's own prompt, and there is no terminal to answer them; it was not started\n  = hint: run lyncdr in a terminal (with or without --yes), or run the step by hand on the server and then `lyncdr resolve move-users --done`\n",
        );
        case(
            RunError::NoRunner {
                step: "rebuild".into(),
                resolve_done: "lyncdr resolve rebuild --done --state s.json".into(),
            },
            exit::NEEDS_CONSOLE,
            "error: step `rebuild` cannot be run here (no runner for its commands), and --yes does not count it as done\n  = hint: run the step by hand on the server, then `lyncdr resolve rebuild --done --state s.json`; or run lyncdr at a terminal without --yes\n",
        );
        case(
            RunError::RehearsalMix {
                path: "s.json".into(),
                rehearsal_file: false,
            },
            exit::INVALID,
            "error: state file `s.json` holds a real run, and this is a rehearsal (--yes with no PowerShell here); a rehearsal and a real run never share a state file\n  = hint: give another --state FILE (without --state, a rehearsal keeps RUNBOOK.rehearsal.json beside the real run's state)\n",
        );
        case(
            RunError::StepFailed {
                step: "import".into(),
                why: "exit code 1".into(),
                resolve_retry: "lyncdr resolve import --retry".into(),
            },
            exit::FAILED,
            "error: step `import` failed: exit code 1\n  = hint: read its output above (and in the run log); when the cause is fixed, `lyncdr resolve import --retry` and run again\n",
        );
        case(
            RunError::CheckFailed {
                step: "import".into(),
            },
            exit::FAILED,
            "error: the check of step `import` failed, so the step is not done\n  = hint: read the check's output above; fix the cause and run again (the check is run again first), or mark it done anyway at a terminal\n",
        );
        case(
            RunError::Refused {
                step: "restore".into(),
                why: "`rtc.bak` is corrupt".into(),
                hint: "put the backup where `backups.rtc` says".into(),
            },
            exit::PREREQUISITE,
            "error: step `restore` is refused: `rtc.bak` is corrupt\n  = hint: put the backup where `backups.rtc` says\n",
        );
        case(
            RunError::Blocked {
                step: "import".into(),
                prerequisite: "event 30024".into(),
                why: "no evidence".into(),
                hint: "give --evidence FILE".into(),
            },
            exit::PREREQUISITE,
            "error: step `import` is blocked: event 30024 -- no evidence\n  = hint: give --evidence FILE\n",
        );
    }

    #[test]
    fn state_errors_print_whole() {
        let path = PathBuf::from("s.json");
        let io = || std::io::Error::other("disk full");
        case(
            StateError::Read {
                path: path.clone(),
                source: io(),
            },
            exit::NO_INPUT,
            "error: cannot read state file `s.json`: disk full\n",
        );
        case(
            StateError::Corrupt {
                path: path.clone(),
                problem: "EOF".into(),
            },
            exit::INVALID,
            "error: state file `s.json` is damaged and was not changed: EOF\n  = hint: if it cannot be repaired, move it aside to start over; `s.json.lock` and the run log beside it keep the history\n",
        );
        case(
            StateError::Format {
                path: path.clone(),
                found: 9,
            },
            exit::INVALID,
            &format!(
                "error: state file `s.json` has format 9; this lyncdr reads format {}\n",
                crate::run::state::FORMAT
            ),
        );
        case(
            StateError::Write {
                path: path.clone(),
                source: io(),
            },
            exit::CANNOT_WRITE,
            "error: cannot write state file `s.json`: disk full\n",
        );
        case(
            StateError::Log {
                path: PathBuf::from("s.log"),
                source: io(),
            },
            exit::CANNOT_WRITE,
            "error: cannot write the run log `s.log`: disk full\n",
        );
        case(
            StateError::Linked {
                path: path.clone(),
                links: 2,
            },
            exit::INVALID,
            &format!(
                "error: state file `s.json` has 2 names (hard links); a run is locked by the state file's name, so a run under another name would share it unseen\n  = hint: make it a file of its own (the other names keep the old copy): {}\n",
                crate::fsx::own_copy_hint(&path)
            ),
        );
        case(
            StateError::Locked {
                path,
                holder: " (process 7)".into(),
            },
            exit::BUSY,
            "error: another lyncdr run is using `s.json` (process 7)\n  = hint: wait for it to finish, or stop it; two runs must never share a state file\n",
        );
        case(
            StateError::CommandStillRuns {
                path: PathBuf::from("s.json"),
                step: "list-rgs-contacts".into(),
                pid: 7,
            },
            exit::BUSY,
            "error: the command of step `list-rgs-contacts` that an earlier run of `s.json` started still runs (process 7); that run ended without waiting for it\n  = hint: wait for process 7 to end (or stop it), then run again to resume; two commands of one recovery must never run side by side\n",
        );
    }

    #[test]
    fn command_errors_print_whole() {
        case(
            CommandError::BadValue {
                option: "--max-age",
                problem: "not a duration".into(),
            },
            exit::USAGE,
            "error: --max-age: not a duration\n",
        );
        case(
            CommandError::NoTerminal,
            exit::USAGE,
            "error: `lyncdr run` asks questions, and standard input is not a terminal\n  = hint: run it in a terminal, or pass --dry-run (nothing runs), or --yes (every step runs for real where PowerShell is; a rehearsal where it is not)\n",
        );
        case(
            CommandError::NoStep {
                step: "imprt".into(),
                suggestion: Some("import".into()),
            },
            exit::USAGE,
            "error: the run has no step `imprt`\n  = hint: did you mean `import`?\n",
        );
        case(
            CommandError::NoStep {
                step: "x".into(),
                suggestion: None,
            },
            exit::USAGE,
            "error: the run has no step `x`\n  = hint: `lyncdr status` lists the steps\n",
        );
        case(
            CommandError::NothingToResolve {
                step: "a".into(),
                status: "done",
            },
            exit::USAGE,
            "error: step `a` is done, not interrupted or failed: nothing to resolve\n",
        );
        case(
            CommandError::NotAChoice {
                step: "a".into(),
                choices: vec!["restore-user-data".into()],
            },
            exit::USAGE,
            "error: step `a` is not a choice\n  = hint: the choice steps are: restore-user-data\n",
        );
        case(
            CommandError::NotAChoice {
                step: "a".into(),
                choices: vec![],
            },
            exit::USAGE,
            "error: step `a` is not a choice\n  = hint: this run has no choice step\n",
        );
        case(
            CommandError::NotChosen { step: "a".into() },
            exit::USAGE,
            "error: no option has been chosen at step `a` yet: the next `lyncdr run` asks\n",
        );
        case(
            CommandError::OptionStarted {
                step: "a".into(),
                chosen: "A".into(),
                started: vec!["`b` (done)".into()],
            },
            exit::USAGE,
            "error: option A at step `a` cannot be changed: its steps have started: `b` (done)\n  = hint: a recovery half done one way must be finished or rolled back by hand before the other option\n",
        );
        case(
            CommandError::NoStateFile {
                dir: ".lyncdr".into(),
            },
            exit::NO_INPUT,
            "error: no run has been started in .lyncdr (no state file there)\n  = hint: a run keeps its state in .lyncdr/ beside its environment file: give that file with --env FILE (or the state with --state FILE); `lyncdr list` names the runbooks to start one with lyncdr run\n",
        );
        case(
            CommandError::SeveralRuns {
                dir: ".lyncdr".into(),
                found: vec!["a.json".into(), "b.json".into()],
                choose: vec!["lyncdr report a".into(), "lyncdr report b".into()],
            },
            exit::USAGE,
            "error: several runs in .lyncdr: a.json, b.json\n  = hint: choose one: `lyncdr report a`, `lyncdr report b`\n",
        );
        case(
            CommandError::StateNotFound {
                path: "s.json".into(),
            },
            exit::NO_INPUT,
            "error: no state file `s.json`\n",
        );
    }

    /// `--format json`'s `code` of a variant of each kind (tuple and struct variants alike).
    #[test]
    fn kinds() {
        let e: Error = StateError::Locked {
            path: "s".into(),
            holder: String::new(),
        }
        .into();
        assert_eq!(e.kind(), "state.locked");
        let e: Error = CommandError::NoTerminal.into();
        assert_eq!(e.kind(), "command.no-terminal");
        let e: Error = BackupError::Key("k".into()).into();
        assert_eq!(e.kind(), "backup.key");
        let e: Error = crate::diagnostic::Diagnostic::new("x")
            .cause(crate::diagnostic::Cause::Missing)
            .into();
        assert_eq!(e.kind(), "input.missing");
    }
}
