//! Exit codes, one place. Documented in `--help` and README.

pub const SUCCESS: u8 = 0;
/// audit: some runbook or option is degraded.
pub const DEGRADED: u8 = 1;
/// Invalid runbook, environment file or value (also clap's usage errors); audit: not ready.
pub const INVALID: u8 = 2;
/// I/O or usage error (audit); run: an interrupted step needs a decision.
pub const IO: u8 = 3;
/// run: a prerequisite is not met and `--yes` was given.
pub const PREREQUISITE: u8 = 4;
/// run: a command failed and `--yes` was given.
pub const FAILED: u8 = 5;
/// run: a step asks questions (its cmdlet prompts) and there is no terminal to answer them.
pub const NEEDS_CONSOLE: u8 = 6;
/// run: stopped with Ctrl-C (at a prompt, between steps or during a command; 128 + SIGINT, as
/// shells report it). The state is saved.
pub const INTERRUPTED: u8 = 130;

/// Every exit code with its meaning: the one table `--help` prints and README repeats (a test
/// holds them equal).
pub const TABLE: [(u8, &str); 8] = [
    (SUCCESS, "success (audit, backup: ready)"),
    (DEGRADED, "audit, backup: degraded"),
    (
        INVALID,
        "invalid runbook, environment file or value; usage error; audit: not ready; backup: not ready or the set is incomplete",
    ),
    (
        IO,
        "I/O error (audit; backup: the folder of sets cannot be used); run: an interrupted step needs a decision, or another run holds the state file",
    ),
    (
        PREREQUISITE,
        "run: a prerequisite is not met (with --yes, or a --dry-run that found any)",
    ),
    (
        FAILED,
        "run: a command or a step's check failed and --yes was given",
    ),
    (
        NEEDS_CONSOLE,
        "run: a step asks questions and there is no terminal to answer them",
    ),
    (
        INTERRUPTED,
        "run: interrupted with Ctrl-C (the state is saved; run again to resume); backup: interrupted (the set stays incomplete)",
    ),
];
