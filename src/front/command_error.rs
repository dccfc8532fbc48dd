//! What the command line asks that cannot be done: an option value that does not parse, a
//! `resolve` the run's state does not allow, a state file that is not there. The front end's
//! own phase; its exit codes are chosen here, with the others in `front::error`.

use crate::front::exit;
use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum CommandError {
    #[error("{option}: {problem}")]
    BadValue { option: &'static str, problem: String },
    #[error("`lyncdr run` asks questions, and standard input is not a terminal")]
    NoTerminal,
    #[error("the run has no step `{step}`")]
    NoStep {
        step: String,
        suggestion: Option<String>,
    },
    #[error("step `{step}` is {status}, not interrupted or failed: nothing to resolve")]
    NothingToResolve { step: String, status: &'static str },
    #[error("step `{step}` is marked done only with a reason: {what}")]
    ReasonNeeded {
        step: String,
        what: &'static str,
        state: PathBuf,
    },
    #[error("step `{step}` is not a choice")]
    NotAChoice { step: String, choices: Vec<String> },
    #[error("no option has been chosen at step `{step}` yet: the next `lyncdr run` asks")]
    NotChosen { step: String },
    #[error(
        "option {chosen} at step `{step}` cannot be changed: its steps have started: {}",
        started.join(", ")
    )]
    OptionStarted {
        step: String,
        chosen: String,
        started: Vec<String>,
    },
    #[error("no run has been started in {} (no state file there)", dir.display())]
    NoStateFile { dir: PathBuf },
    #[error(
        "several runs in {}: {}",
        dir.display(),
        found.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ")
    )]
    SeveralRuns {
        dir: PathBuf,
        found: Vec<PathBuf>,
        /// The same command for each run, as it would be typed to choose it.
        choose: Vec<String>,
    },
    #[error("no state file `{}`", path.display())]
    StateNotFound { path: PathBuf },
    #[error(
        "a backup set's `SHA256SUMS` is written by lyncdr backup (its `COMPLETE` marker holds its hash); `--write-sums` would break it"
    )]
    SumsOfASet {
        /// The same command without `--write-sums`.
        instead: String,
    },
    #[error("--all lists the sets of a folder of backup sets, and `{}` holds none", dir.display())]
    NotAFolderOfSets { dir: PathBuf },
    #[error("cannot read `{}`: {problem}", path.display())]
    Unreadable { path: PathBuf, problem: String },
    #[error(
        "--backup-set needs `backups.folder` in `{}`: the folder of sets as the servers see it",
        env.display()
    )]
    BackupSetNeedsFolder { env: PathBuf },
    #[error("{problem}")]
    NoBackupSet { problem: String },
    #[error(
        "--backups takes one backup folder, and `{}` is a folder of backup sets (the nightly job's)",
        dir.display()
    )]
    BackupsAreSets {
        dir: PathBuf,
        /// The same command with `--backup-set DIR`.
        instead: String,
    },
    #[error("cannot write `{}`: {problem}", path.display())]
    CannotWrite { path: PathBuf, problem: String },
}

impl CommandError {
    pub fn code(&self) -> u8 {
        match self {
            CommandError::NoStateFile { .. }
            | CommandError::StateNotFound { .. }
            | CommandError::Unreadable { .. }
            | CommandError::NoBackupSet { .. } => exit::NO_INPUT,
            CommandError::BackupSetNeedsFolder { .. } => exit::INVALID,
            CommandError::CannotWrite { .. } => exit::CANNOT_WRITE,
            CommandError::BadValue { .. }
            | CommandError::NoTerminal
            | CommandError::NoStep { .. }
            | CommandError::NothingToResolve { .. }
            | CommandError::ReasonNeeded { .. }
            | CommandError::NotAChoice { .. }
            | CommandError::NotChosen { .. }
            | CommandError::OptionStarted { .. }
            | CommandError::SeveralRuns { .. }
            | CommandError::SumsOfASet { .. }
            | CommandError::BackupsAreSets { .. }
            | CommandError::NotAFolderOfSets { .. } => exit::USAGE,
        }
    }

    /// What to do about it, printed after the message as `= hint:`.
    pub fn hint(&self) -> Option<String> {
        match self {
            CommandError::NoTerminal => {
                Some("run it in a terminal, or pass --dry-run (nothing runs), or --yes (every step runs for real where PowerShell is; a rehearsal where it is not)".into())
            }
            CommandError::NoStep { suggestion, .. } => Some(
                suggestion
                    .as_ref()
                    .map(|h| format!("did you mean `{h}`?"))
                    .unwrap_or_else(|| "`lyncdr status` lists the steps".into()),
            ),
            CommandError::NotAChoice { choices, .. } => Some(if choices.is_empty() {
                "this run has no choice step".to_owned()
            } else {
                format!("the choice steps are: {}", choices.join(", "))
            }),
            CommandError::ReasonNeeded { step, state, .. } => Some(format!(
                "say how you know it took effect, in quotes (it goes into the state and the report): `lyncdr resolve {step} --done --reason \"...\" --state {}`; or run it again: `lyncdr resolve {step} --retry --state {}`",
                state.display(),
                state.display()
            )),
            CommandError::OptionStarted { .. } => Some("a recovery half done one way must be finished or rolled back by hand before the other option".into()),
            CommandError::NoStateFile { .. } => Some(
                "a run keeps its state in .lyncdr/ beside its environment file: give that file with --env FILE (or the state with --state FILE); `lyncdr list` names the runbooks to start one with lyncdr run"
                    .into(),
            ),
            CommandError::SeveralRuns { choose, .. } => Some(format!(
                "choose one: {}",
                choose
                    .iter()
                    .map(|c| format!("`{c}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
            CommandError::NotAFolderOfSets { .. } => Some(
                "audit the folder itself without --all, or give the folder `lyncdr backup --to` writes sets into".into(),
            ),
            CommandError::SumsOfASet { instead } => Some(format!(
                "audit it without --write-sums: `{instead}`; lyncdr backup writes each new set with its own checksums"
            )),
            CommandError::BackupsAreSets { instead, .. } => Some(format!(
                "take every backup from its newest complete set: `{instead}`"
            )),
            CommandError::BackupSetNeedsFolder { .. } => Some(
                "set backups.folder to the Windows path of the folder of sets, e.g. '\\\\fs01\\LyncBackup'".into(),
            ),
            CommandError::BadValue { .. }
            | CommandError::NothingToResolve { .. }
            | CommandError::NotChosen { .. }
            | CommandError::StateNotFound { .. }
            | CommandError::Unreadable { .. }
            | CommandError::NoBackupSet { .. }
            | CommandError::CannotWrite { .. } => None,
        }
    }
}
