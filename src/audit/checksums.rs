//! The checksum step: every checksum file found (`sums.rs` reads the format) is verified against
//! the hashes the thorough pass computed; a mismatch is a problem of the artifact holding the
//! file. Then, with `--write-sums`, a fresh `SHA256SUMS` is written, unless the old checksums
//! disagree with the files (writing new ones would hide the damage).

use super::AuditOptions;
use super::error::AuditError;
use super::finding::Problem;
use super::hash::Sha256Digest;
use super::inventory::Inventory;
use super::scan::Scan;
use crate::sums::{self, SumsFile};
use serde::Serialize;
use std::collections::HashMap;
use std::fmt::Write as _;

/// Files listed but missing reported one finding each, per checksum file; the rest are counted.
const MISSING_SHOWN: usize = 20;

#[derive(Debug, Clone, Default, Serialize)]
pub struct Checksums {
    /// Whether the files were hashed (not with --no-hash).
    pub hashed: bool,
    /// The checksum files found.
    pub files: Vec<String>,
    pub verified: usize,
    pub mismatched: usize,
    pub listed_but_missing: usize,
    pub not_covered: usize,
    /// The checksum file written by --write-sums.
    pub written: Option<String>,
}

impl Checksums {
    /// One line for the text report.
    pub fn describe(&self) -> String {
        let files = self
            .files
            .iter()
            .map(|f| format!("`{f}`"))
            .collect::<Vec<_>>()
            .join(", ");
        let mut text = match (self.hashed, self.files.is_empty()) {
            (false, _) => "checksums not verified (--no-hash)".to_owned(),
            (true, true) => "no checksum file".to_owned(),
            (true, false) => format!("{} file(s) verified against {files}", self.verified),
        };
        for (n, what) in [
            (self.mismatched, "mismatched"),
            (self.listed_but_missing, "listed but missing"),
        ] {
            if n > 0 {
                let _ = write!(text, ", {n} {what}");
            }
        }
        if let Some(w) = &self.written {
            let _ = write!(text, "; wrote `{w}`");
        }
        text
    }
}

/// Verifies every checksum file against the computed hashes, then writes `SHA256SUMS` if asked.
pub fn check(
    opts: &AuditOptions,
    scan: &Scan,
    inventory: &mut Inventory,
    digests: &[Option<Sha256Digest>],
) -> Result<Checksums, AuditError> {
    let mut tally = Checksums {
        hashed: opts.hash,
        ..Checksums::default()
    };
    let mut parsed = Vec::new();
    for &i in &inventory.sums_files {
        let file = &scan.files[i];
        tally.files.push(file.rel.clone());
        if !opts.hash {
            // Nothing to verify against: not read at all.
            continue;
        }
        match super::open::listed(&file.path).and_then(|f| SumsFile::read(&file.rel, f)) {
            Ok(sums) => parsed.push(sums),
            Err(e) => inventory.general.push((
                Some(file.rel.clone()),
                None,
                Problem::Unreadable { error: e.to_string() },
            )),
        }
    }
    if !opts.hash {
        if !tally.files.is_empty() {
            inventory.general.push((None, None, Problem::NotVerified));
        }
        return Ok(tally);
    }
    // Checksum files name files as `sha256sum` wrote them; match as this system's folders do
    // (exactly; ignoring case on Windows), else ignoring case (they may come from Windows).
    let checked: Vec<usize> = (0..scan.files.len())
        .filter(|&i| inventory.owner[i].is_some())
        .collect();
    let exact: HashMap<std::borrow::Cow<str>, usize> = checked
        .iter()
        .map(|&i| (crate::fsx::name_key(&scan.files[i].rel), i))
        .collect();
    let folded: HashMap<String, usize> = checked
        .iter()
        .map(|&i| (scan.files[i].rel.to_lowercase(), i))
        .collect();
    let mut covered = vec![false; scan.files.len()];
    for sums in &parsed {
        if let Some(detail) = &sums.cut {
            let problem = Problem::Suspicious {
                entry: None,
                detail: detail.clone(),
            };
            inventory.general.push((Some(sums.path.clone()), None, problem));
        }
        for &line in &sums.bad_lines {
            inventory
                .general
                .push((Some(sums.path.clone()), None, Problem::SumsSyntax { line }));
        }
        let mut missing_here = 0;
        for entry in &sums.entries {
            let found = exact
                .get(crate::fsx::name_key(&entry.target).as_ref())
                .or_else(|| folded.get(&entry.target.to_lowercase()));
            let Some(&i) = found else {
                tally.listed_but_missing += 1;
                missing_here += 1;
                if missing_here > MISSING_SHOWN {
                    // Counted in the summary line; a finding each would grow with the file.
                    continue;
                }
                let name = entry.target.clone();
                inventory.general.push((
                    Some(sums.path.clone()),
                    None,
                    Problem::ListedButMissing {
                        sums: sums.path.clone(),
                        name,
                        line: entry.line,
                    },
                ));
                continue;
            };
            covered[i] = true;
            match digests[i] {
                Some(actual) if actual == entry.digest => tally.verified += 1,
                Some(actual) => {
                    tally.mismatched += 1;
                    let problem = Problem::ChecksumMismatch {
                        sums: sums.path.clone(),
                        file: None,
                        expected: entry.digest.to_string(),
                        actual: actual.to_string(),
                    };
                    inventory.attach(scan, i, problem);
                }
                // Unreadable: already a finding of its own.
                None => {}
            }
        }
    }
    // A set's `COMPLETE` certifies its `SHA256SUMS`: it is never listed there, and never
    // "put there later" (moving it out would make the set incomplete).
    let is_set = scan.files.iter().any(|f| f.rel == crate::artifact::SET_MANIFEST);
    let uncovered: Vec<&str> = checked
        .iter()
        .filter(|&&i| !covered[i])
        .map(|&i| scan.files[i].rel.as_str())
        .filter(|rel| !(is_set && *rel == crate::artifact::SET_COMPLETE))
        .collect();
    tally.not_covered = uncovered.len();
    if parsed.is_empty() && tally.files.is_empty() {
        if !opts.write_sums {
            inventory.general.push((None, None, Problem::NoSums));
        }
    } else if !uncovered.is_empty() && !opts.write_sums {
        let examples = uncovered.iter().take(3).map(|s| s.to_string()).collect();
        inventory.general.push((
            None,
            None,
            Problem::NotCovered {
                count: uncovered.len(),
                examples,
            },
        ));
    }

    if opts.write_sums {
        if tally.mismatched + tally.listed_but_missing > 0 {
            let reason = format!(
                "{} file(s) disagree with the existing checksums; writing new ones would hide that",
                tally.mismatched + tally.listed_but_missing
            );
            inventory
                .general
                .push((None, None, Problem::SumsNotWritten { reason }));
        } else {
            let files: Vec<(String, Sha256Digest)> = checked
                .iter()
                .filter_map(|&i| digests[i].map(|d| (scan.files[i].rel.clone(), d)))
                .collect();
            // Into the folder's real path: an audited folder given as a link (a mount point's
            // alias) is fine, and the write then goes to a folder with no link in its path.
            let real = crate::fsx::canonicalize(&opts.dir).unwrap_or_else(|_| opts.dir.clone());
            let comments = parsed
                .iter()
                .find(|s| s.path == sums::SUMS_NAME)
                .map(|s| s.comments.clone())
                .unwrap_or_default();
            sums::write(&real, &comments, &files).map_err(|source| AuditError::WriteSums {
                path: opts.dir.join(sums::SUMS_NAME),
                source,
            })?;
            inventory.general.push((
                Some(sums::SUMS_NAME.into()),
                None,
                Problem::SumsWritten {
                    name: sums::SUMS_NAME.into(),
                    files: files.len(),
                    added: uncovered.len(),
                    examples: uncovered.iter().take(3).map(|s| s.to_string()).collect(),
                },
            ));
            tally.written = Some(sums::SUMS_NAME.into());
        }
    }
    Ok(tally)
}
