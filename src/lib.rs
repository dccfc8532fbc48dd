//! lyncdr: disaster-recovery runbooks for Microsoft Lync Server 2010.
//!
//! Data flows one way: runbook YAML -> [`runbook::raw`] -> checked [`runbook::Runbook`];
//! environment YAML -> typed [`env::Environment`]; both -> [`render::plan::Plan`] with every
//! command rendered through [`escape`]; then a front end prints it (`plan`) or acts on it.

pub mod atomic;
pub mod audit;
pub mod backup;
pub mod bundle;
pub mod cli;
pub mod cmdlets;
pub mod commands;
pub mod decode;
pub mod diagnostic;
pub mod env;
pub mod escape;
pub mod exit;
pub mod render;
pub mod run;
pub mod runbook;
pub mod source;
pub mod suggest;
pub mod terminal;
pub mod wrapper;

use clap::Parser;
use std::ffi::OsString;

/// Parse arguments, run the command, print any error once, and return the exit code.
pub fn run(args: impl IntoIterator<Item = OsString>) -> u8 {
    let cli = match cli::Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() {
                exit::INVALID
            } else {
                exit::SUCCESS
            };
        }
    };
    match commands::dispatch(cli) {
        Ok(code) => code,
        Err(e) => {
            use std::io::Write as _;
            // Errors quote file names, YAML lines and values: no control character among them
            // may act on the terminal.
            let _ = write!(anstream::stderr(), "{}", decode::printable(&e.to_string()));
            e.code()
        }
    }
}
