//! The thorough pass: each file read to its end once, validated for its kind and hashed, several
//! files at a time across the cores, largest first so the longest file starts first.

use super::artifact::Details;
use super::dbimpexp;
use super::error::AuditError;
use super::finding::Problem;
use super::hash::{self, Sha256Digest};
use super::mtf::{self, BackupSets, MtfError, SetScanner};
use super::progress::Progress;
use super::scan::ScannedFile;
use super::zipcheck;
use crate::artifact::ArtifactKind;
use std::io::{self, BufReader};
use std::path::Path;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

/// What to read a file for, besides its hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Plan {
    /// Nothing to validate (or validation already decided from the first bytes).
    HashOnly,
    /// An export zip: every entry, with CRCs and the entries its kind holds.
    Zip(ArtifactKind),
    /// The DBImpExp XML, parsed to its end (and hashed on the way).
    UserData,
    /// An uncompressed SQL Server backup: its end-of-set block, and every backup set in it
    /// (read to its end even without hashing).
    SqlBackup,
}

/// What the thorough pass learned about one file.
#[derive(Debug, Default)]
pub struct Outcome {
    pub details: Option<Details>,
    pub problems: Vec<Problem>,
    pub sha256: Option<Sha256Digest>,
    /// The backup sets of a SQL Server backup.
    pub backup_sets: Option<BackupSets>,
}

/// Examines `files[i]` according to `plans[i]` (`None`: skip), one thread per core.
pub fn examine_all(
    files: &[ScannedFile],
    plans: &[Option<Plan>],
    hash: bool,
    progress: &dyn Progress,
) -> Result<Vec<Outcome>, AuditError> {
    let mut jobs: Vec<usize> = (0..files.len())
        .filter(|&i| needs_reading(plans[i], hash))
        .collect();
    // Parsing XML costs several times what hashing does; weigh it so it starts early.
    let cost = |i: usize| {
        files[i]
            .size
            .saturating_mul(if plans[i] == Some(Plan::UserData) { 4 } else { 1 })
    };
    jobs.sort_by_key(|&i| std::cmp::Reverse(cost(i)));
    let total = jobs
        .iter()
        .filter(|&&i| hash || matches!(plans[i], Some(Plan::UserData | Plan::SqlBackup)))
        .map(|&i| files[i].size)
        .sum();
    progress.start(total);

    let results: Vec<Mutex<Outcome>> = files.iter().map(|_| Mutex::new(Outcome::default())).collect();
    let next = AtomicUsize::new(0);
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(jobs.len())
        .max(1);
    let worker = || {
        // One read buffer per thread, reused for every file: a folder of many small files (the
        // File Store) must not allocate a block per file.
        let mut buf = vec![0; hash::BLOCK];
        while let Some(&i) = jobs.get(next.fetch_add(1, Ordering::Relaxed)) {
            let outcome = examine(
                &files[i],
                plans[i].unwrap_or(Plan::HashOnly),
                hash,
                progress,
                &mut buf,
            );
            if let Ok(mut slot) = results[i].lock() {
                *slot = outcome;
            }
        }
    };
    let finished = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads).map(|_| s.spawn(worker)).collect();
        // Join every worker before judging, so none is left running.
        let joined: Vec<bool> = handles.into_iter().map(|h| h.join().is_ok()).collect();
        joined.iter().all(|ok| *ok)
    });
    progress.finish();
    if !finished {
        return Err(AuditError::Worker);
    }
    Ok(results
        .into_iter()
        .map(|m| m.into_inner().unwrap_or_default())
        .collect())
}

/// What the end of an uncompressed SQL Server backup proves wrong: cut short, or no complete
/// backup set. Read here in the thorough pass, and by [`super::inventory::check_named`] for `run`.
pub fn tail_problem(path: &Path, size: u64) -> Option<Problem> {
    match super::open::listed(path) {
        Ok(f) => tail_problem_in(&f, size),
        Err(e) => Some(Problem::Unreadable { error: e.to_string() }),
    }
}

/// [`tail_problem`] of the file open in `file`.
pub fn tail_problem_in(file: &std::fs::File, size: u64) -> Option<Problem> {
    match mtf::check_tail(&mut BufReader::new(file), size) {
        Ok(()) | Err(MtfError::NotABackup) => None,
        Err(MtfError::Truncated(detail)) => Some(Problem::TruncatedBackup { detail }),
        Err(MtfError::Corrupt(detail)) => Some(Problem::CorruptBackup { detail }),
        Err(MtfError::Io(e)) => Some(Problem::Unreadable { error: e.to_string() }),
    }
}

fn needs_reading(plan: Option<Plan>, hash: bool) -> bool {
    match plan {
        None => false,
        Some(Plan::HashOnly) => hash,
        Some(_) => true,
    }
}

fn examine(file: &ScannedFile, plan: Plan, hash: bool, progress: &dyn Progress, buf: &mut [u8]) -> Outcome {
    let mut outcome = Outcome::default();
    let unreadable = |e: io::Error| Problem::Unreadable { error: e.to_string() };
    match plan {
        Plan::UserData => {
            // Parsed and hashed in one read.
            match dbimpexp::check_user_data(&file.path, hash, progress, buf) {
                Ok(checked) => {
                    outcome.details = checked.summary.map(|s| s.into_details());
                    outcome.problems.extend(checked.problem);
                    outcome.sha256 = checked.sha256;
                }
                Err(e) => outcome.problems.push(unreadable(e)),
            }
            return outcome;
        }
        Plan::Zip(kind) => match zipcheck::check_zip(&file.path, kind) {
            Ok(check) => {
                outcome.details = Some(Details::Zip {
                    entries: check.entries,
                    uncompressed_bytes: check.uncompressed_bytes,
                    doc_items: check.doc_items,
                });
                outcome.problems.extend(check.problems);
            }
            Err(e) => outcome.problems.push(unreadable(e)),
        },
        Plan::SqlBackup => {
            outcome.problems.extend(tail_problem(&file.path, file.size));
            // The sets are found in the pass that hashes the file: a tag compare per 512 bytes.
            let mut scanner = SetScanner::new();
            match hash::read_blocks(&file.path, hash, progress, buf, |block| scanner.feed(block)) {
                Ok(digest) => {
                    outcome.sha256 = digest;
                    outcome.backup_sets = Some(scanner.finish());
                }
                Err(e) => outcome.problems.push(unreadable(e)),
            }
            return outcome;
        }
        Plan::HashOnly => {}
    }
    if hash {
        match hash::hash_file(&file.path, progress, buf) {
            Ok(d) => outcome.sha256 = Some(d),
            Err(e) => outcome.problems.push(unreadable(e)),
        }
    }
    outcome
}
