//! The front end: the command line ([`cli`]), one function per subcommand ([`commands`]), the
//! terminal ([`terminal`]), the exit codes ([`exit`]) and the one top-level [`error::Error`]
//! every phase's error is lifted into. It turns arguments into calls of the core (`runbook`,
//! `env`, `render`, `run`, `bundle`, `audit`, ...), which never imports it.

pub mod cli;
pub mod command_error;
pub mod commands;
pub mod error;
pub mod exit;
pub mod terminal;

use clap::Parser;
use std::ffi::OsString;

/// Parse arguments, run the command, print any error once, and return the exit code.
pub fn run(args: impl IntoIterator<Item = OsString>) -> u8 {
    let cli = match cli::Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() {
                exit::USAGE
            } else {
                exit::SUCCESS
            };
        }
    };
    // The plan's and the run's text wrap at the terminal's width (100 columns when piped).
    crate::render::text::set_width(terminal::capabilities().width);
    match commands::dispatch(cli) {
        Ok(code) => code,
        Err(e) => {
            use std::io::Write as _;
            // Errors quote file names, YAML lines and values: no control character among them
            // may act on the terminal.
            let _ = write!(anstream::stderr(), "{}", crate::decode::printable(&e.to_string()));
            e.code()
        }
    }
}
