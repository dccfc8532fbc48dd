//! lyncdr: disaster-recovery runbooks for Microsoft Lync Server 2010.
//!
//! Data flows one way: runbook YAML -> [`runbook::raw`] -> checked [`runbook::Runbook`];
//! environment YAML -> typed [`env::Environment`]; both -> [`render::plan::Plan`] with every
//! command rendered through [`escape`]; then the front end ([`front`]: the command line, the
//! subcommands, the terminal, the exit codes) prints it (`plan`) or acts on it. No core module
//! imports the front end (`tests/modules.rs`).

pub mod artifact;
pub mod atomic;
pub mod audit;
pub mod backup;
pub mod bundle;
pub mod cmdlets;
pub mod console;
pub mod decode;
pub mod diagnostic;
pub mod digest;
pub mod env;
pub mod escape;
pub mod front;
pub mod fsx;
pub mod markdown;
pub mod process;
pub mod render;
pub mod run;
pub mod runbook;
pub mod secret;
pub mod source;
pub mod suggest;
pub mod sums;
pub mod utf16;
pub mod windows_text;
pub mod wrap;
pub mod wrapper;
pub mod yaml;

pub use front::run;
