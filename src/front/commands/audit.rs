//! `lyncdr audit DIR`: could we recover today? Wires the command line to [`crate::audit`].

use super::{CommandError, Error, print};
use crate::artifact::ArtifactKind;
use crate::audit::{AuditOptions, Silent, audit_with};
use crate::env::{DEFAULT_MAX_BACKUP_AGE, Environment, Value, value::parse_duration};
use crate::front::cli::Format;
use crate::run::backup::file_name;
use crate::runbook::Library;
use std::io::IsTerminal as _;
use std::path::Path;

pub struct Args<'a> {
    /// The runbooks whose needs make the readiness matrix (`--runbooks DIR` or the built-in).
    pub library: &'a Library,
    pub dir: &'a Path,
    pub env: Option<&'a Path>,
    pub format: Format,
    pub max_age: Option<&'a str>,
    pub no_hash: bool,
    pub write_sums: bool,
}

pub fn run(a: Args) -> Result<u8, Error> {
    let env = a.env.map(|p| Environment::read(p, &[])).transpose()?;
    let named = env
        .iter()
        .flat_map(|e| {
            ArtifactKind::NAMED.into_iter().filter_map(|kind| {
                e.get(kind.env_key())
                    .map(|v| (kind, file_name(&v.value.display()).to_owned()))
            })
        })
        .collect();
    let max_age = match a.max_age {
        Some(s) => parse_duration(s).map_err(|problem| CommandError::BadValue {
            option: "--max-age",
            problem,
        })?,
        None => env
            .as_ref()
            .map_or(DEFAULT_MAX_BACKUP_AGE, |e| e.max_backup_age().limit),
    };
    let response_group = env
        .as_ref()
        .and_then(|e| e.get("features.response_group"))
        .map(|v| v.value == Value::Bool(true))
        .unwrap_or(true);
    let opts = AuditOptions {
        dir: a.dir.to_path_buf(),
        named,
        runbooks: a.library.backup_needs(),
        max_age,
        now: jiff::Timestamp::now(),
        hash: !a.no_hash,
        write_sums: a.write_sums,
        response_group,
        facts: env
            .iter()
            .flat_map(|e| &e.values)
            .map(|(key, entry)| (key.clone(), entry.value.clone()))
            .collect(),
        progress: std::io::stderr().is_terminal(),
    };
    let bar = opts.progress.then(crate::front::terminal::ProgressBar::stderr);
    let progress: &dyn crate::audit::Progress = match &bar {
        Some(b) => b,
        None => &Silent,
    };
    let report = audit_with(&opts, progress)?;
    match a.format {
        // File and entry names come from the backup folder: no control character may act on
        // the terminal.
        Format::Text => print(&crate::decode::printable(&report.to_text())),
        Format::Json => print(&(super::plan::json(&report.to_json()) + "\n")),
    }
    Ok(report.exit_code())
}
