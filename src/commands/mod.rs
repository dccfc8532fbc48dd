//! One function per subcommand; each returns an exit code or an [`Error`].

mod audit;
mod plan;
mod run;
mod schedule;
mod show;
mod validate;

use crate::cli::{Cli, Command};
use crate::diagnostic::Diagnostics;
use crate::exit;
use crate::runbook::Library;
use std::fmt;

#[derive(Debug)]
pub enum Error {
    /// Problems in runbooks, environment files or values (exit 2).
    Invalid(Diagnostics),
    /// Anything else, with its exit code.
    Other { message: String, code: u8 },
}

impl Error {
    pub fn code(&self) -> u8 {
        match self {
            Error::Invalid(_) => exit::INVALID,
            Error::Other { code, .. } => *code,
        }
    }
}

impl From<Diagnostics> for Error {
    fn from(d: Diagnostics) -> Self {
        Error::Invalid(d)
    }
}

impl From<crate::diagnostic::Diagnostic> for Error {
    fn from(d: crate::diagnostic::Diagnostic) -> Self {
        Error::Invalid(d.into())
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Invalid(d) => write!(f, "{d}"),
            Error::Other { message, .. } => writeln!(f, "error: {message}"),
        }
    }
}

pub fn dispatch(cli: Cli) -> Result<u8, Error> {
    let g = &cli.global;
    let library = || Library::load(g.runbooks.as_deref(), g.templates.as_deref());
    match cli.command {
        Command::List => show::list(&library()?),
        Command::Show { runbook } => show::show(&library()?, &runbook),
        Command::Plan { runbook, env, format } => plan::plan(&library()?, &runbook, &env, format),
        Command::Validate { files } => {
            validate::validate(g.runbooks.as_deref(), g.templates.as_deref(), &files)
        }
        Command::Run(args) => run::run(&library()?, args, g.verbose),
        Command::Status { state, env, format } => {
            run::status(&run::state_files(state, env.as_deref(), true)?, format)
        }
        Command::Report { state, env } => {
            let files = run::state_files(state, env.as_deref(), false)?;
            run::report(&files[0])
        }
        Command::Resolve {
            step,
            done,
            retry: _,
            rechoose,
            state,
            env,
            operator,
        } => {
            let how = match (done, rechoose) {
                (true, _) => run::Resolution::Done,
                (_, true) => run::Resolution::Rechoose,
                _ => run::Resolution::Retry,
            };
            let files = run::state_files(state, env.as_deref(), false)?;
            run::resolve(&step, how, &files[0], operator)
        }
        Command::Bundle {
            runbook,
            env,
            out,
            zip,
        } => plan::bundle(&library()?, &runbook, &env, &out, zip),
        Command::Backup(args) => schedule::write(&library()?, args),
        Command::Audit {
            dir,
            env,
            format,
            max_age,
            no_hash,
            write_sums,
        } => audit::run(audit::Args {
            dir: &dir,
            env: env.as_deref(),
            format,
            max_age: max_age.as_deref(),
            no_hash,
            write_sums,
        }),
    }
}

/// Write to stdout; colour only on a terminal and never with NO_COLOR (anstream decides).
pub fn print(text: &str) {
    use std::io::Write as _;
    let _ = anstream::stdout().write_all(text.as_bytes());
}
