//! The one integration-test binary: every test module shares the [`Test`] builder.

#[path = "standin/artifacts.rs"]
mod artifacts;
mod audit;
mod backup;
mod backup_script;
mod builder;
mod bundle;
mod checks;
// lyncdr in a Windows console: glyphs and code pages (a ConPTY under wine).
#[cfg(windows)]
mod conhost;
mod diagnostics;
mod environments;
mod escaping;
mod evtx;
mod exit_codes;
// Planted links and folders of other accounts through Unix modes, uids and the Unix stand-in.
#[cfg(unix)]
mod fsx;
mod fuzz;
mod hostile;
mod json_output;
mod modules;
// Issue 18's tests drive lyncdr in pseudo-terminals against the stand-in shell (Unix only).
#[cfg(unix)]
mod operator;
mod plan;
mod powershell;
mod procedures;
mod pty;
mod run;
mod seal;
mod source_mapping;
mod standin;
mod windows_imports;

pub use builder::Test;
