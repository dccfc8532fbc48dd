//! Exit codes, one place: the constants, and [`TABLE`], which `--help` prints and README repeats
//! (a test holds them equal, and `tests/exit_codes.rs` produces every row). Which error exits
//! with which code is decided from the error's type in [`super::error`].
//!
//! 0, 1 and 2 are the audit's verdicts (ready, degraded, not ready: a monitoring plugin's OK,
//! WARNING and CRITICAL); 3 to 6 are how `run` stopped; an error that is not a verdict (a usage
//! error, an invalid or missing input, an output that cannot be written) exits with one of the
//! BSD `sysexits.h` codes from 64 up, so monitoring never takes it for a verdict.

use crate::audit::{Status, exit_code_for};

pub const SUCCESS: u8 = 0;
/// audit: some runbook or option is degraded.
pub const DEGRADED: u8 = exit_code_for(Status::Degraded);
/// audit: some runbook or option is not ready.
pub const NOT_READY: u8 = exit_code_for(Status::NotReady);
/// run: a decision is needed first (a failed or interrupted step, or a changed runbook or
/// environment), also when the operator stopped at such a step.
pub const DECISION: u8 = 3;
/// run: a prerequisite is not met and `--yes` was given (or a dry run found one); bundle: a
/// backup `--backups DIR` should hold is missing or the audit calls it unusable.
pub const PREREQUISITE: u8 = 4;
/// run: a command failed and `--yes` was given.
pub const FAILED: u8 = 5;
/// run: a step asks questions (its cmdlet prompts) and there is no terminal to answer them, or
/// `--yes` met a step nothing here can run.
pub const NEEDS_CONSOLE: u8 = 6;
/// The command line is wrong (`EX_USAGE`): clap's errors, a bad option value, a request the
/// run's state does not allow.
pub const USAGE: u8 = 64;
/// An input is invalid (`EX_DATAERR`): a runbook, template, environment file or value, or a
/// state file that is damaged or belongs to another run.
pub const INVALID: u8 = 65;
/// An input is missing or cannot be read (`EX_NOINPUT`): the audited folder, a state file.
pub const NO_INPUT: u8 = 66;
/// An output cannot be written (`EX_CANTCREAT`): the state file, the bundle, `SHA256SUMS`.
pub const CANNOT_WRITE: u8 = 73;
/// Another run holds the state file, or another backup job the folder of sets (`EX_TEMPFAIL`:
/// try again when it has ended).
pub const BUSY: u8 = 75;
/// run: stopped with Ctrl-C (at a prompt, between steps or during a command; 128 + SIGINT, as
/// shells report it). The state is saved.
pub const INTERRUPTED: u8 = 130;

/// Every exit code with its meaning: the one table `--help` prints and README repeats (a test
/// holds them equal).
pub const TABLE: [(u8, &str); 13] = [
    (SUCCESS, "success (audit, backup: ready)"),
    (DEGRADED, "audit, backup: degraded"),
    (
        NOT_READY,
        "audit: not ready; backup: not ready, or the set is incomplete",
    ),
    (
        DECISION,
        "run: a decision is needed first (a failed or interrupted step, also when you stopped at one, or the runbook or environment changed since the checkpoint)",
    ),
    (
        PREREQUISITE,
        "run: a prerequisite is not met (with --yes, or a --dry-run that found any); bundle --backups: a backup is missing or unusable",
    ),
    (
        FAILED,
        "run: a command or a step's check failed and --yes was given",
    ),
    (
        NEEDS_CONSOLE,
        "run: a step asks questions and there is no terminal to answer them, or --yes met a step nothing here can run",
    ),
    (
        USAGE,
        "usage error: an unknown command, option or runbook, a bad option value, or a request the run's state does not allow",
    ),
    (
        INVALID,
        "invalid input: a runbook, template, environment file or value, or a state file that is damaged or belongs to another run",
    ),
    (
        NO_INPUT,
        "an input is missing or cannot be read: the environment file, the backup folder (audit, bundle --backups), a state file",
    ),
    (
        CANNOT_WRITE,
        "an output cannot be written: the state file, the bundle folder or zip, SHA256SUMS, a backup set in --to, the task file or script folder",
    ),
    (
        BUSY,
        "another lyncdr run holds the state file, or a command a killed run started still runs; backup: another job writes to --to",
    ),
    (
        INTERRUPTED,
        "run: interrupted with Ctrl-C (the state is saved; run again to resume); backup: interrupted (the set stays incomplete)",
    ),
];
