//! One function per subcommand; each returns an exit code or an [`Error`].

mod audit;
mod backup;
mod plan;
mod run;
mod schedule;
mod show;
mod validate;

use crate::front::cli::{Cli, Command};
pub use crate::front::command_error::CommandError;
pub use crate::front::error::Error;
use crate::runbook::Library;

/// ` --env FILE` for a hint that repeats the command, or nothing.
fn env_arg(env: Option<&std::path::Path>) -> String {
    env.map(|e| format!(" --env {}", e.display())).unwrap_or_default()
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
            let files = run::state_files(state, env.as_deref(), None);
            run::status(&files, env.as_deref(), format)
        }
        Command::Report { runbook, state, env } => {
            let env_arg = env_arg(env.as_deref());
            let file = run::one_state_file(state, env.as_deref(), runbook.as_deref(), |p| {
                let stem = p.file_stem().map(|s| s.to_string_lossy()).unwrap_or_default();
                match stem.strip_suffix(".rehearsal") {
                    // A rehearsal is chosen by its state file (RUNBOOK names both).
                    Some(_) => format!("lyncdr report --state {}", p.display()),
                    None => format!("lyncdr report {stem}{env_arg}"),
                }
            })?;
            run::report(&file)
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
            let flag = match how {
                run::Resolution::Done => "--done",
                run::Resolution::Rechoose => "--rechoose",
                run::Resolution::Retry => "--retry",
            };
            let file = run::one_state_file(state, env.as_deref(), None, |p| {
                format!("lyncdr resolve {step} {flag} --state {}", p.display())
            })?;
            run::resolve(&step, how, &file, operator)
        }
        Command::Bundle {
            runbook,
            env,
            out,
            zip,
            backups,
        } => plan::bundle(&library()?, &runbook, &env, backups.as_deref(), &out, zip),
        Command::Backup(args) if args.task.is_some() || args.script.is_some() => {
            schedule::write(&library()?, args)
        }
        Command::Backup(args) => backup::run(&library()?, args),
        Command::Audit {
            dir,
            env,
            format,
            max_age,
            no_hash,
            write_sums,
            all,
        } => audit::run(audit::Args {
            library: &library()?,
            dir: &dir,
            env: env.as_deref(),
            format,
            max_age: max_age.as_deref(),
            no_hash,
            write_sums,
            all,
        })
        .inspect_err(|e| {
            // A tool reading the JSON report learns why there is none (stderr has the same).
            if format == crate::front::cli::Format::Json {
                print(&(plan::json(&e.to_json()) + "\n"));
            }
        }),
    }
}

/// Write to stdout; colour only on a terminal and never with NO_COLOR (anstream decides).
pub fn print(text: &str) {
    use std::io::Write as _;
    let _ = anstream::stdout().write_all(text.as_bytes());
}

/// `--step-timeout` and `--codepage`, as `run` and `backup` take them for the runner.
fn runner_options(
    step_timeout: &str,
    codepage: &str,
) -> Result<(std::time::Duration, crate::decode::CodePage), Error> {
    let timeout =
        crate::env::value::parse_duration(step_timeout).map_err(|problem| CommandError::BadValue {
            option: "--step-timeout",
            problem,
        })?;
    let codepage = crate::decode::CodePage::parse(codepage).map_err(|problem| CommandError::BadValue {
        option: "--codepage",
        problem,
    })?;
    Ok((timeout, codepage))
}
