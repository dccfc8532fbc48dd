//! Retention of backup sets: keep the last `backups.keep_sets` complete sets and every set
//! younger than `backups.keep_days` days; never the set the job has just written, never the
//! newest complete set; never anything that is not a set lyncdr wrote. A set named in the
//! future ([`set::CLOCK_TOLERANCE`]) is kept and counts for nothing: it is neither the newest
//! set nor one of the last N, so one such folder cannot make every genuine set look old.
//!
//! Only folders [`set::read`] accepts are candidates: a `lyncdr-YYYYMMDD-HHMMSSZ` folder (not a
//! link) holding a regular `manifest.json`. A set's age is the time in its name (when the job
//! started), not a file time anyone can touch. With the deployment's public key, only sets that
//! verify are complete: a planted set is never the newest one that retention protects. An incomplete set newer than the newest complete
//! one is kept for inspection. With neither key set nothing is deleted. Deletion does not follow
//! links: the set folder is checked not to be one, and `std::fs::remove_dir_all` removes a link
//! found inside it as a link (std documents it; the race was fixed in Rust 1.58.1).

use super::set::{self, SetInfo};
use super::signing::PublicKey;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Policy {
    pub keep_sets: Option<u64>,
    pub keep_days: Option<u64>,
}

impl Policy {
    pub fn is_off(&self) -> bool {
        self.keep_sets.is_none() && self.keep_days.is_none()
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    pub name: String,
    pub path: PathBuf,
    /// Why it is kept, or `None`: it is deleted.
    pub keep: Option<&'static str>,
}

/// What to do with each set (oldest first) at `now`; `written` is the set this job has just
/// written, never deleted whatever its name says.
pub fn decide(
    sets: &[SetInfo],
    policy: Policy,
    now: jiff::Timestamp,
    written: Option<&str>,
) -> Vec<Decision> {
    let newest = set::newest_complete(sets, now).map(|s| s.name.clone());
    let complete: Vec<&str> = sets
        .iter()
        .filter(|s| s.is_complete() && !s.in_future(now))
        .map(|s| s.name.as_str())
        .collect();
    let last_n: Vec<&str> = match policy.keep_sets {
        Some(n) => complete
            .iter()
            .rev()
            .take(usize::try_from(n).unwrap_or(usize::MAX))
            .copied()
            .collect(),
        None => Vec::new(),
    };
    sets.iter()
        .map(|s| {
            let keep = if policy.is_off() {
                Some("retention is off (backups.keep_sets and backups.keep_days are not set)")
            } else if written == Some(s.name.as_str()) {
                Some("the set this job has just written")
            } else if s.in_future(now) {
                Some("named in the future: kept and reported, never counted")
            } else if newest.as_deref() == Some(s.name.as_str()) {
                Some("the newest complete set")
            } else if last_n.contains(&s.name.as_str()) {
                Some("one of the last backups.keep_sets complete sets")
            } else if policy.keep_days.is_some_and(|d| {
                now.duration_since(s.started).as_secs()
                    < i64::try_from(d.saturating_mul(86_400)).unwrap_or(i64::MAX)
            }) {
                Some("younger than backups.keep_days")
            } else if !s.is_complete() && newest.as_deref().is_none_or(|n| s.name.as_str() > n) {
                Some("incomplete and newer than the newest complete set: kept for inspection")
            } else {
                None
            };
            Decision {
                name: s.name.clone(),
                path: s.path.clone(),
                keep,
            }
        })
        .collect()
}

/// Applies [`decide`] to the sets in `dir`; the names deleted, and the errors met.
pub fn apply(
    dir: &Path,
    policy: Policy,
    now: jiff::Timestamp,
    written: Option<&str>,
    key: Option<&PublicKey>,
) -> (Vec<String>, Vec<String>) {
    let sets = match set::list(dir, key) {
        Ok(s) => s,
        Err(e) => return (Vec::new(), vec![format!("cannot list `{}`: {e}", dir.display())]),
    };
    let mut deleted = Vec::new();
    let mut errors = Vec::new();
    for d in decide(&sets, policy, now, written) {
        if d.keep.is_some() {
            continue;
        }
        // Read again right before deleting: still a real folder with a manifest?
        if set::read(&d.path, key).is_none() {
            continue;
        }
        match std::fs::remove_dir_all(&d.path) {
            Ok(()) => deleted.push(d.name),
            Err(e) => errors.push(format!("cannot delete `{}`: {e}", d.path.display())),
        }
    }
    (deleted, errors)
}
