//! The one top-level error: every phase's error lifted into it (`From`), printed one way
//! (message, then its hint as data), and the exit code of every variant decided here, from the
//! error's type, against the table in [`super::exit`]. The matches are exhaustive: a new variant
//! does not compile until its code is chosen.

use super::commands::CommandError;
use super::exit;
use crate::audit::AuditError;
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
}

impl Error {
    pub fn code(&self) -> u8 {
        match self {
            Error::Invalid(_) => exit::INVALID,
            Error::Command(e) => e.code(),
            Error::Run(e) => e.code(),
            Error::State(e) => e.code(),
            Error::Bundle(e) => e.code(),
            Error::Audit(e) => e.code(),
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
        }
    }

    /// What to do about it (a diagnostic carries its own).
    pub fn hint(&self) -> Option<String> {
        match self {
            Error::Invalid(_) | Error::Bundle(_) | Error::Audit(_) => None,
            Error::Command(e) => e.hint(),
            Error::Run(e) => e.hint(),
            Error::State(e) => e.hint(),
        }
    }

    /// For `--format json` front ends (`audit`): the error as an object on stdout, so a
    /// monitoring tool that reads stdout sees why there is no report.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "status": "error",
            "exit_code": self.code(),
            "error": {
                "message": crate::decode::printable(self.message().trim_end()),
                "hint": self.hint().map(|h| crate::decode::printable(&h)),
            },
        })
    }
}

/// `error: MESSAGE`, then `  = hint: HINT`: the one way an error is printed (diagnostics print
/// their place, excerpt and hint the same way).
impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Error::Invalid(d) = self {
            return write!(f, "{d}");
        }
        writeln!(f, "error: {}", self.message())?;
        if let Some(hint) = self.hint() {
            writeln!(f, "  = hint: {hint}")?;
        }
        Ok(())
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

impl From<AuditError> for Error {
    fn from(e: AuditError) -> Self {
        Error::Audit(e)
    }
}

impl RunError {
    pub fn code(&self) -> u8 {
        match self {
            RunError::Invalid(_) | RunError::OtherRunbook { .. } => exit::INVALID,
            RunError::State(e) => e.code(),
            RunError::Changed { .. } | RunError::Undecided { .. } => exit::DECISION,
            RunError::NeedsConsole { .. } => exit::NEEDS_CONSOLE,
            RunError::StepFailed { .. } | RunError::CheckFailed { .. } => exit::FAILED,
            RunError::Refused { .. } | RunError::Blocked { .. } => exit::PREREQUISITE,
        }
    }
}

impl StateError {
    pub fn code(&self) -> u8 {
        match self {
            StateError::Read { .. } => exit::NO_INPUT,
            StateError::Corrupt { .. } | StateError::Format { .. } => exit::INVALID,
            StateError::Write { .. } => exit::CANNOT_WRITE,
            StateError::Locked { .. } => exit::BUSY,
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
            AuditError::UnknownKind { .. } | AuditError::WriteSumsWithoutHash => exit::USAGE,
            AuditError::WriteSums { .. } => exit::CANNOT_WRITE,
        }
    }
}

/// How a run that did not fail ended, as an exit code.
pub fn ending(e: crate::run::Ending) -> u8 {
    use crate::run::Ending;
    match e {
        Ending::Complete | Ending::Stopped => exit::SUCCESS,
        Ending::Unmet => exit::PREREQUISITE,
        Ending::Interrupted => exit::INTERRUPTED,
    }
}
