//! The front end: the command line ([`cli`]), one function per subcommand ([`commands`]), the
//! terminal ([`terminal`]), the exit codes ([`exit`]) and the one top-level [`error::Error`]
//! every phase's error is lifted into. It turns arguments into calls of the core (`runbook`,
//! `env`, `render`, `run`, `bundle`, `audit`, ...), which never imports it.

pub mod cli;
pub mod command_error;
pub mod commands;
pub mod error;
pub mod exit;
pub mod json;
pub mod terminal;
pub mod typed;

use std::ffi::OsString;

/// Parse arguments, run the command, print any error once, and return the exit code. With
/// `--format json` an error is also the JSON envelope on stdout ([`json`]).
pub fn run(args: impl IntoIterator<Item = OsString>) -> u8 {
    let args: Vec<OsString> = args.into_iter().collect();
    let (cli, output) = match cli::parse(&args) {
        Ok(parsed) => parsed,
        Err(e) => return refused(&e, &args),
    };
    // The plan's and the run's text wrap at the terminal's width (100 columns when piped).
    crate::render::text::set_width(terminal::capabilities().width);
    match commands::dispatch(cli, &output) {
        Ok(code) => code,
        Err(e) => {
            use std::io::Write as _;
            // Errors quote file names, YAML lines and values: no control character among them
            // may act on the terminal.
            let _ = write!(anstream::stderr(), "{}", crate::decode::printable(&e.to_string()));
            if output.is_json() {
                output.error(json::ErrorObject::from(&e));
            }
            e.code()
        }
    }
}

/// A command line clap refused (or `--help`, `--version`): its text, and with `--format json`
/// the error envelope too.
fn refused(e: &clap::Error, args: &[OsString]) -> u8 {
    let _ = e.print();
    if !e.use_stderr() {
        return exit::SUCCESS;
    }
    if let Some(output) = cli::json_requested(args) {
        output.error(json::ErrorObject::usage(&e.render().to_string()));
    }
    exit::USAGE
}
