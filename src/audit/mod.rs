//! `lyncdr audit`: could we recover today? Checks a backup folder against every runbook.
//!
//! The pipeline, one file per step:
//! `scan` lists the folder -> `inventory` identifies each file (`identify`: first bytes; the
//! environment file's names win) -> `examine` reads every file once, in parallel, to validate it
//! (`zipcheck`, `dbimpexp` via `xmlstream`/`utf16`, `mtf`) and hash it (`hash`) -> `sums` verifies
//! and writes checksum files -> `selection` picks the artifact each runbook input uses and checks
//! its age -> `readiness` fills the matrix -> `report` renders it. Problems are [`finding`]s.

mod artifact;
mod checksums;
mod dbimpexp;
mod duration;
mod error;
mod examine;
mod filestore;
mod finding;
mod hash;
mod held;
mod identify;
mod inventory;
pub mod mtf;
pub mod open;
mod progress;
mod readiness;
mod report;
mod scan;
mod selection;
mod xmlstream;
mod zipcheck;
pub mod zipend;

pub use crate::artifact::ArtifactKind;
pub use artifact::{Artifact, Details, IdentifiedBy};
pub use checksums::Checksums;
pub use duration::format_duration;
pub use error::AuditError;
pub use finding::{Finding, Problem, Severity};
pub use hash::{BLOCK, Sha256Digest, hash_file};
pub use inventory::{check_and_hash, check_named};
pub use progress::{Progress, Silent};
pub use readiness::{Readiness, RunbookStatus, Status};
pub use report::{AuditReport, FORMAT_VERSION, exit_code_for};

use crate::env::Value;
use crate::runbook::needs::BackupNeeds;
use inventory::Inventory;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// What to audit and how; the command line and environment file fill it in.
#[derive(Debug, Clone)]
pub struct AuditOptions {
    pub dir: PathBuf,
    /// From the environment file: the file name of each kind it names.
    pub named: Vec<(ArtifactKind, String)>,
    /// What each runbook needs of the backups (from the checked runbooks: the readiness rows).
    pub runbooks: Vec<BackupNeeds>,
    pub max_age: Duration,
    /// The time ages are measured at (injected so tests are deterministic).
    pub now: jiff::Timestamp,
    /// Hash every file and verify checksum files (false with --no-hash).
    pub hash: bool,
    /// Write `SHA256SUMS` in `dir`.
    pub write_sums: bool,
    /// `dir` is a backup set whose `SHA256SUMS` `lyncdr backup` wrote and sealed in its
    /// `COMPLETE` marker: `--write-sums` is refused there, so no advice says it
    /// ([`Problem::action_in_set`]).
    pub sealed_sums: bool,
    /// Response Group is deployed (the RGS export is needed); true when no environment file says.
    pub response_group: bool,
    /// The environment file's values (key -> value): the conditions of the runbooks' backup
    /// prerequisites and requirements that name them are decided (`edition == enterprise`).
    pub facts: BTreeMap<String, Value>,
    /// Show a progress bar on standard error.
    pub progress: bool,
}

/// Audits `opts.dir` without showing progress (the command line passes a bar to [`audit_with`]).
pub fn audit(opts: &AuditOptions) -> Result<AuditReport, AuditError> {
    audit_with(opts, &Silent)
}

/// Audits `opts.dir`, reporting the bytes hashed and parsed to `progress`.
pub fn audit_with(opts: &AuditOptions, progress: &dyn Progress) -> Result<AuditReport, AuditError> {
    if opts.write_sums && !opts.hash {
        return Err(AuditError::WriteSumsWithoutHash);
    }
    let scan = scan::scan(&opts.dir)?;
    let mut inventory = Inventory::build(&scan, &opts.named);
    let outcomes = examine::examine_all(&scan.files, &inventory.plans, opts.hash, progress)?;
    let digests: Vec<Option<Sha256Digest>> = outcomes.iter().map(|o| o.sha256).collect();
    inventory.absorb(&scan, outcomes);
    let checksums = checksums::check(opts, &scan, &mut inventory, &digests)?;

    let choices = selection::choose(&mut inventory.artifacts, &inventory.named, opts.now, opts.max_age);
    let rows = readiness::rows(&opts.runbooks, opts.response_group, &opts.facts);
    for kind in readiness::needed_kinds(&rows) {
        if !choices.contains_key(&kind) {
            inventory
                .general
                .push((None, Some(kind), Problem::Missing { kind }));
        }
    }
    let rows = readiness::evaluate(&rows, &choices, &inventory.artifacts);
    let runbooks = readiness::summarize(&rows);
    // The folder of sets the audited set is in, for the advice that fits a set.
    let sets = opts.sealed_sums.then(|| {
        opts.dir
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."))
    });
    let findings = findings(&inventory, sets);
    // The report lists artifacts by kind, in runbook order, then by path; unknown files last.
    inventory
        .artifacts
        .sort_by(|a, b| (a.kind.is_none(), a.kind, &a.path).cmp(&(b.kind.is_none(), b.kind, &b.path)));
    let status = report::overall(&runbooks, &findings);
    Ok(AuditReport {
        format_version: FORMAT_VERSION,
        dir: opts.dir.display().to_string(),
        audited_at: opts.now,
        max_age: duration::format_duration(opts.max_age),
        max_age_seconds: opts.max_age.as_secs(),
        response_group: opts.response_group,
        status,
        exit_code: report::exit_code_for(status),
        runbooks,
        readiness: rows,
        artifacts: inventory.artifacts,
        findings,
        checksums,
    })
}

/// Every problem as a finding, errors first. A damaged file that only its name made look like a
/// backup, and that no runbook uses, is a warning: the folder may hold unrelated files.
fn findings(inventory: &Inventory, sets: Option<&Path>) -> Vec<Finding> {
    let mut out: Vec<Finding> = Vec::new();
    for a in &inventory.artifacts {
        let demote = a.identified_by == IdentifiedBy::FileName && a.used_for.is_none();
        for p in &a.problems {
            let severity = if demote {
                p.severity().min(Severity::Warning)
            } else {
                p.severity()
            };
            out.push(Finding::new(Some(&a.path), a.kind, p, severity).in_set(p, sets));
        }
    }
    for (path, kind, p) in &inventory.general {
        out.push(Finding::new(path.as_deref(), *kind, p, p.severity()).in_set(p, sets));
    }
    out.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then_with(|| a.path.cmp(&b.path))
            .then_with(|| a.code.cmp(b.code))
    });
    out
}
