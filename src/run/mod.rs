//! `lyncdr run`: the guided recovery. The plan is walked step by step ([`session`]): before each
//! step its prerequisites are checked against evidence ([`gates`]), the operator decides, the
//! [`runner`] runs its commands inside the step wrapper, its read-only check decides whether it
//! is done ([`check`]), and every change is checkpointed ([`state`]) before and after, so a crash
//! never loses a step or repeats one.

pub mod backup;
mod builtin;
mod check;
mod child;
mod error;
pub mod evidence;
pub mod fingerprint;
mod gates;
pub mod interrupt;
pub mod operator;
pub mod report;
pub mod runner;
mod seal;
mod session;
pub mod state;
mod step;

use std::path::PathBuf;
use std::time::Duration;

pub use error::{RunError, RunOutcome};
pub use session::run;

/// Seals the folder (path, its pool and Back End, environment, environment file, library, key
/// file): the lines to show.
pub type SealFn = fn(
    &std::path::Path,
    (&str, &str),
    &crate::env::Environment,
    &std::path::Path,
    &crate::runbook::Library,
    Option<&std::path::Path>,
) -> Result<Vec<String>, String>;

pub struct RunConfig {
    pub runbook: String,
    pub env: PathBuf,
    pub sets: Vec<String>,
    pub state: PathBuf,
    pub dry_run: bool,
    pub yes: bool,
    /// A rehearsal ([`is_rehearsal`]): nothing runs, every step is counted as rehearsed.
    pub rehearsal: bool,
    pub accept_changes: bool,
    /// `--operator`, LYNCDR_OPERATOR, USER or USERNAME; `None`: ask once (or "unknown operator").
    pub operator: Option<String>,
    pub programs: runner::Programs,
    pub backups: Option<PathBuf>,
    pub evidence: Vec<PathBuf>,
    pub timeout: Duration,
    /// Standard input and output are a terminal: a step that asks questions can take it.
    pub console: bool,
    /// The backup job's signing key (`--key`): `finish` signs the baseline it seals with it.
    pub key: Option<PathBuf>,
    /// How a baseline is sealed as a set (`crate::backup::seal::for_run`, given by the front
    /// end: the run does not depend on the backup job); `None`: the step fails, saying so.
    pub seal: Option<SealFn>,
}

/// `--yes` where no PowerShell runs: a rehearsal of the whole runbook, in which nothing is run
/// and nobody confirms anything. On a Front End (PowerShell here) `--yes` runs everything for
/// real.
pub fn is_rehearsal(yes: bool, programs: &runner::Programs) -> bool {
    yes && !runner::available(&programs.powershell)
}

pub fn now() -> String {
    jiff::Timestamp::now()
        .round(jiff::Unit::Second)
        .unwrap_or_else(|_| jiff::Timestamp::now())
        .to_string()
}
