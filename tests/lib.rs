//! The one integration-test binary: every test module shares the [`Test`] builder.

#[path = "standin/artifacts.rs"]
mod artifacts;
mod audit;
mod backup;
mod backup_script;
mod builder;
mod bundle;
// The stand-in Lync Management Shell is a Unix program driven through pseudo-terminals and
// signals: its self-tests and the tests that run lyncdr against it build on Unix only, so the
// test binary still builds (and the rest runs) on Windows.
#[cfg(unix)]
mod checks;
mod diagnostics;
mod environments;
mod escaping;
mod evtx;
mod exit_codes;
mod fuzz;
mod hostile;
mod modules;
mod plan;
mod powershell;
#[cfg(unix)]
mod run;
mod source_mapping;
#[cfg(unix)]
mod standin;

pub use builder::Test;
