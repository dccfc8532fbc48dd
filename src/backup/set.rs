//! One backup set on disk (format in `docs/backup-set.md`): its folder name, its manifest, its
//! completion marker, and the listing of a folder of sets with the newest complete one. The
//! writer (the job) and every reader (audit, retention, `--backup-set`) use these types, so the
//! format is written down once.
//!
//! A set is *complete* only when `COMPLETE` exists, parses, names format 1, and the SHA-256 it
//! records for `manifest.json` and `SHA256SUMS` match those files, and the manifest says
//! `complete: true`: a set killed at any moment before the marker's rename has no marker.

use super::signing::{self, PublicKey};
use crate::artifact::ArtifactKind;
use serde::{Deserialize, Serialize};
use std::io::{self, Read as _};
use std::path::{Path, PathBuf};

/// The format version in `manifest.json` (`lyncdr_backup_set`) and on `COMPLETE`'s first line.
pub const FORMAT_VERSION: u64 = 1;
pub const MANIFEST: &str = crate::artifact::SET_MANIFEST;
pub const COMPLETE: &str = crate::artifact::SET_COMPLETE;
pub const SUMS: &str = "SHA256SUMS";
pub use crate::artifact::SET_PREFIX as PREFIX;
/// Caps on what listing sets reads, whatever the number of sets (a manifest of a few dozen steps
/// is a few KiB; `SHA256SUMS` is about 100 bytes a file, so 64 MiB is half a million files).
/// Larger is not a set lyncdr wrote: reported, never parsed or hashed.
pub const MAX_MANIFEST: u64 = crate::artifact::MAX_SET_MANIFEST;
pub const MAX_MARKER: u64 = 4 << 10;
pub const MAX_SUMS: u64 = 64 << 20;
/// How far ahead of the reader's clock a set's start may lie and still count: clocks of the
/// Front End and of the machine reading the sets drift by seconds, not by a quarter of an hour.
/// A set named later than that (a clock once ahead, or a folder anyone who can write to the
/// share made) never counts as the newest set nor toward `backups.keep_sets`: otherwise
/// retention would delete every genuine set after it, night after night.
pub const CLOCK_TOLERANCE: jiff::SignedDuration = jiff::SignedDuration::from_mins(15);

/// Each artifact key with its path in the set folder `set_folder` (joined with `\\`, as Windows
/// writes paths). The names are [`ArtifactKind::set_path`]'s.
pub fn artifact_paths(set_folder: &str, pool: &str) -> Vec<(&'static str, String)> {
    ArtifactKind::NAMED
        .into_iter()
        .map(|kind| (kind.env_key(), kind.in_set(set_folder, pool)))
        .collect()
}

/// The audit's (artifact kind, file name) pairs for a set: the fixed names, so the audit looks
/// each artifact up by name. Without the pool, the RGS export is found by its content.
pub fn named(pool: Option<&str>) -> Vec<(ArtifactKind, String)> {
    ArtifactKind::NAMED
        .into_iter()
        .filter_map(|kind| {
            let file = kind.set_path();
            let file = match pool {
                Some(p) => file.replace("{pool}", p),
                None if file.contains("{pool}") => return None,
                None => file.to_owned(),
            };
            Some((kind, file))
        })
        .collect()
}

pub use crate::artifact::BASELINE_FOLDER;

/// This computer's name, for the manifest.
pub(super) fn host() -> String {
    ["COMPUTERNAME", "HOSTNAME"]
        .iter()
        .find_map(|v| std::env::var(v).ok().filter(|s| !s.is_empty()))
        .or_else(|| {
            std::fs::read_to_string("/etc/hostname")
                .ok()
                .map(|s| s.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown".into())
}

/// The environment key the job sets to the set folder (as Windows sees it) for the `backup`
/// runbook's templates.
pub const SET_KEY: &str = "backups.set";

/// The folder name of a set started at `t`.
pub fn folder_name(t: jiff::Timestamp) -> String {
    format!("{PREFIX}{}", t.strftime("%Y%m%d-%H%M%SZ"))
}

/// The start time a set folder's name records, if it is a set folder name.
pub fn parse_name(name: &str) -> Option<jiff::Timestamp> {
    let rest = name.strip_prefix(PREFIX)?;
    if rest.len() != 16 || !rest.ends_with('Z') {
        return None;
    }
    let dt = jiff::civil::DateTime::strptime("%Y%m%d-%H%M%S", &rest[..15]).ok()?;
    dt.to_zoned(jiff::tz::TimeZone::UTC).ok().map(|z| z.timestamp())
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Manifest {
    pub lyncdr_backup_set: u64,
    pub lyncdr_version: String,
    pub host: String,
    pub started: String,
    pub finished: String,
    pub environment: EnvironmentInfo,
    /// Whose set it is: the pool (`pools.failed`) and its Back End's SQL Server
    /// (`sql.backend.server`, `fqdn\instance`). Absent in sets from before issue 17, which
    /// `--backup-set` therefore never takes for a pool.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pool: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sql_server: Option<String>,
    pub steps: Vec<StepRecord>,
    pub complete: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct EnvironmentInfo {
    pub file: String,
    pub sha256: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deployment: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct StepRecord {
    pub id: String,
    /// `ok`, `failed` or `skipped` (a step whose condition does not hold in this deployment).
    pub status: String,
    pub files: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

impl Manifest {
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default() + "\n"
    }

    pub fn failed_steps(&self) -> Vec<&str> {
        self.steps
            .iter()
            .filter(|s| s.status == "failed")
            .map(|s| s.id.as_str())
            .collect()
    }
}

use crate::digest::sha256_hex;

/// The text of `COMPLETE` for these manifest and sums bytes.
pub fn marker_text(manifest: &[u8], sums: &[u8]) -> String {
    marker_of(&sha256_hex(manifest), &sha256_hex(sums))
}

fn marker_of(manifest_hex: &str, sums_hex: &str) -> String {
    format!("lyncdr backup set {FORMAT_VERSION}\nmanifest {manifest_hex}\nsums {sums_hex}\n")
}

/// SHA-256 of a set's `SHA256SUMS`, read in blocks by the audit's hasher through its bounded
/// no-follow opening: refused above [`MAX_SUMS`] before a byte is hashed (a sparse 8 GiB file
/// took half a minute per set).
pub fn sha256_file(path: &Path) -> io::Result<String> {
    let size = crate::audit::open::listed(path)?.metadata()?.len();
    if size > MAX_SUMS {
        return Err(too_large(path, size, MAX_SUMS));
    }
    let mut buf = vec![0u8; crate::audit::BLOCK];
    Ok(crate::audit::hash_file(path, &crate::audit::Silent, &mut buf)?.to_string())
}

/// `COMPLETE` for the set at `path` whose manifest is `manifest` (bytes as written).
pub fn marker_for(path: &Path, manifest: &[u8]) -> io::Result<String> {
    Ok(marker_of(&sha256_hex(manifest), &sha256_file(&path.join(SUMS))?))
}

fn too_large(path: &Path, size: u64, cap: u64) -> io::Error {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    io::Error::other(format!(
        "`{name}` is {size} bytes, more than the {cap} a set's `{name}` may have: not read"
    ))
}

/// A small file of the set read whole through the audit's no-follow opening (never a link or a
/// FIFO), refused above `cap` before reading.
pub fn read_capped(path: &Path, cap: u64) -> io::Result<Vec<u8>> {
    let file = crate::audit::open::listed(path)?;
    let size = file.metadata()?.len();
    if size > cap {
        return Err(too_large(path, size, cap));
    }
    let mut bytes = Vec::new();
    file.take(cap + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > cap {
        return Err(too_large(path, bytes.len() as u64, cap));
    }
    Ok(bytes)
}

/// What a folder under a folder of sets is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum State {
    /// Marker present and matching, manifest says complete, and, when the reader has the
    /// deployment's public key, signed with it.
    Complete,
    /// A set lyncdr wrote (it has a manifest) that is not complete, and why (a signature that
    /// does not verify is here: the set is not what the job wrote).
    Incomplete(String),
    /// Complete, but the reader has the deployment's public key and the set carries no
    /// signature (made before the key existed, or by `Backup-Lync.ps1`): listed and said so,
    /// never the newest good set, since anyone can write such a set.
    Unauthenticated(String),
}

impl State {
    pub fn label(&self) -> &'static str {
        match self {
            State::Complete => "complete",
            State::Incomplete(_) => "incomplete",
            State::Unauthenticated(_) => "unauthenticated",
        }
    }

    pub fn why(&self) -> Option<&str> {
        match self {
            State::Complete => None,
            State::Incomplete(why) | State::Unauthenticated(why) => Some(why),
        }
    }
}

#[derive(Debug, Clone)]
pub struct SetInfo {
    pub name: String,
    pub path: PathBuf,
    pub started: jiff::Timestamp,
    pub state: State,
    /// When the job finished (the manifest's `finished`).
    pub finished: Option<jiff::Timestamp>,
    /// The pool and SQL Server the manifest names (see [`Manifest::pool`]).
    pub pool: Option<String>,
    pub sql_server: Option<String>,
    /// The signature verified with the reader's public key. A complete set read without a key
    /// is complete but not verified: readers say it is unauthenticated (at most degraded).
    pub verified: bool,
}

impl SetInfo {
    pub fn is_complete(&self) -> bool {
        self.state == State::Complete
    }

    /// Why the set is too new for a recovery that started at `whose.before`, if it is: it did
    /// not finish before then (or does not say when it finished).
    pub fn after(&self, whose: &Whose) -> Option<String> {
        let before = whose.before?;
        match self.finished {
            Some(f) if f < before => None,
            _ => Some(format!(
                "it did not finish before the recovery started ({before:.0}, `recovery.started_at`): it may hold the empty databases the recovery made"
            )),
        }
    }

    /// Why the set is not one of `whose` (pool, SQL Server), if it is not: another pool's rtc
    /// would restore another pool's users over this one's (every pool's database is `rtc`).
    /// Names compare as Windows does, without regard to case.
    pub fn foreign(&self, whose: &Whose) -> Option<String> {
        let differs = |a: &Option<String>, b: &str| !a.as_deref().is_some_and(|a| a.eq_ignore_ascii_case(b));
        if differs(&self.pool, &whose.pool) || differs(&self.sql_server, &whose.sql_server) {
            Some(format!(
                "a set of pool `{}` on `{}`, not of this environment's `{}` on `{}`",
                self.pool.as_deref().unwrap_or("(not recorded)"),
                self.sql_server.as_deref().unwrap_or("(not recorded)"),
                whose.pool,
                whose.sql_server
            ))
        } else {
            None
        }
    }

    /// Started later than `now` (beyond [`CLOCK_TOLERANCE`]): the name and the manifest agree
    /// (a set whose manifest says otherwise is not complete), so the name's time is the set's.
    pub fn in_future(&self, now: jiff::Timestamp) -> bool {
        self.started > now + CLOCK_TOLERANCE
    }
}

/// Reads one set folder: `None` when it is not a set lyncdr wrote (a name that is not a set
/// name, a link, not a folder, or no `manifest.json`), which nothing may delete or audit as a set.
/// `key` is the deployment's public key (`backups.signing_key`), when the reader has one.
pub fn read(path: &Path, key: Option<&PublicKey>) -> Option<SetInfo> {
    let name = path.file_name()?.to_str()?.to_owned();
    let started = parse_name(&name)?;
    let meta = std::fs::symlink_metadata(path).ok()?;
    if !meta.is_dir() || crate::fsx::is_link(&meta) {
        return None;
    }
    let manifest_path = path.join(MANIFEST);
    if !std::fs::symlink_metadata(&manifest_path).is_ok_and(|m| m.is_file() && !crate::fsx::is_link(&m)) {
        return None;
    }
    // Only what a listing needs is kept (the manifest is dropped here): memory stays bounded
    // by one capped manifest, whatever the number of sets.
    let mut whose = (None, None);
    let mut finished = None;
    let state = match read_capped(&manifest_path, MAX_MANIFEST) {
        Err(e) => State::Incomplete(format!("`{MANIFEST}` cannot be read: {e}")),
        Ok(bytes) => match serde_json::from_slice::<Manifest>(&bytes) {
            Err(e) => State::Incomplete(format!("`{MANIFEST}` is not a set manifest: {e}")),
            Ok(m) => {
                let state = check(path, &bytes, &m, key);
                whose = (m.pool, m.sql_server);
                finished = m.finished.parse().ok();
                state
            }
        },
    };
    Some(SetInfo {
        name,
        path: path.to_owned(),
        started,
        verified: key.is_some() && state == State::Complete,
        state,
        finished,
        pool: whose.0,
        sql_server: whose.1,
    })
}

fn check(path: &Path, manifest_bytes: &[u8], m: &Manifest, key: Option<&PublicKey>) -> State {
    if m.lyncdr_backup_set != FORMAT_VERSION {
        return State::Incomplete(format!(
            "set format {} is not the one this lyncdr reads ({FORMAT_VERSION})",
            m.lyncdr_backup_set
        ));
    }
    if let Some(why) = disagreement(path, m) {
        return State::Incomplete(why);
    }
    if !m.complete {
        let failed = m.failed_steps();
        return State::Incomplete(if failed.is_empty() {
            "the manifest says the set is incomplete".into()
        } else {
            format!("step(s) failed: {}", failed.join(", "))
        });
    }
    let marker = match read_capped(&path.join(COMPLETE), MAX_MARKER) {
        Ok(b) => b,
        Err(_) => return State::Incomplete(format!("no `{COMPLETE}` marker (the job did not finish)")),
    };
    let expected = match marker_for(path, manifest_bytes) {
        Ok(m) => m,
        Err(e) => return State::Incomplete(format!("`{SUMS}` cannot be read: {e}")),
    };
    let Some(signature) = marker.strip_prefix(expected.as_bytes()) else {
        return State::Incomplete(format!(
            "`{COMPLETE}` does not match `{MANIFEST}` and `{SUMS}` (changed after the job finished)"
        ));
    };
    authenticate(expected.as_bytes(), signature, key)
}

/// The set's signature line (what follows the three lines of `COMPLETE`) checked with `key`.
fn authenticate(marker: &[u8], signature: &[u8], key: Option<&PublicKey>) -> State {
    let Some(key) = key else {
        return State::Complete;
    };
    if signature.is_empty() {
        return State::Unauthenticated(
            "not signed (made before `backups.signing_key` existed, or by Backup-Lync.ps1): anyone who can write to the share could have made it".into(),
        );
    }
    let line = std::str::from_utf8(signature).unwrap_or_default();
    let verified = line
        .strip_prefix(signing::SIGNATURE_PREFIX)
        .and_then(|l| l.strip_suffix('\n'))
        .is_some_and(|hex| key.verifies(marker, hex));
    if verified {
        State::Complete
    } else {
        State::Incomplete(format!(
            "its signature does not verify with `{}`: not a set this deployment's job wrote (planted, or changed)",
            signing::KEY
        ))
    }
}

/// Why the folder's name and the manifest's `started` do not name the same second, if they do
/// not: a set renamed (or copied under a newer name) is not the set its manifest describes.
fn disagreement(path: &Path, m: &Manifest) -> Option<String> {
    let name = path.file_name()?.to_str()?;
    let agrees = m
        .started
        .parse::<jiff::Timestamp>()
        .is_ok_and(|t| folder_name(t) == name);
    (!agrees).then(|| {
        format!(
            "the folder's name and the manifest's start time ({:?}) disagree (renamed or copied)",
            m.started
        )
    })
}

/// Does `dir` look like a folder of sets (at least one set folder lyncdr wrote directly in it)
/// rather than one backup folder? A folder holding a `manifest.json` itself is a set, not a
/// folder of sets.
pub fn is_folder_of_sets(dir: &Path) -> bool {
    !dir.join(MANIFEST).exists() && !list(dir, None).unwrap_or_default().is_empty()
}

/// The sets directly in `dir`, oldest first, checked with `key`. Folders that are not sets
/// lyncdr wrote are left out.
pub fn list(dir: &Path, key: Option<&PublicKey>) -> io::Result<Vec<SetInfo>> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        if let Some(info) = read(&entry.path(), key) {
            out.push(info);
        }
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}

/// Why a complete set is not authenticated, if it is not: the reader had no key to check it.
pub fn unauthenticated(info: &SetInfo) -> Option<String> {
    (info.is_complete() && !info.verified).then(|| {
        format!(
            "set `{}` is unauthenticated: the environment names no `{}` to verify it with (see `lyncdr backup --new-key`)",
            info.name,
            signing::KEY
        )
    })
}

/// The newest complete set of a listing at `now`: never one named in the future.
pub fn newest_complete(sets: &[SetInfo], now: jiff::Timestamp) -> Option<&SetInfo> {
    sets.iter().rev().find(|s| s.is_complete() && !s.in_future(now))
}

/// Why the complete set `info` is not sound, if it is not: a file its `SHA256SUMS` lists is
/// missing, unreadable, or no longer has the SHA-256 recorded there (truncated, or changed
/// after `COMPLETE`, which certifies `SHA256SUMS`, not the files). Reads every listed file once.
pub fn unsound(info: &SetInfo) -> Option<String> {
    // The one checksum-file reader, line by line within its bounds, on the audit's opening.
    let sums = crate::audit::open::listed(&info.path.join(SUMS))
        .and_then(|file| crate::sums::SumsFile::read(SUMS, file));
    let sums = match sums {
        Ok(s) => s,
        Err(e) => return Some(format!("`{SUMS}` cannot be read: {e}")),
    };
    if let Some(cut) = &sums.cut {
        return Some(format!("`{SUMS}`: {cut}"));
    }
    if let Some(line) = sums.bad_lines.first() {
        return Some(format!("`{SUMS}` line {line} is not a checksum line"));
    }
    let mut buf = vec![0u8; crate::audit::BLOCK];
    for entry in &sums.entries {
        let inside = entry
            .target
            .split('/')
            .all(|c| !c.is_empty() && c != "." && c != "..");
        if !inside {
            return Some(format!("`{SUMS}` lists `{}`, outside the set", entry.target));
        }
        let file = info.path.join(&entry.target);
        match crate::audit::hash_file(&file, &crate::audit::Silent, &mut buf) {
            Err(e) => return Some(format!("`{}` cannot be read: {e}", entry.target)),
            Ok(d) if d != entry.digest => {
                return Some(format!(
                    "`{}` changed since the set was completed (its SHA-256 is not the one in `{SUMS}`)",
                    entry.target
                ));
            }
            Ok(_) => {}
        }
    }
    None
}

/// The pool and SQL Server an environment describes: the sets a recovery of it may take.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Whose {
    pub pool: String,
    pub sql_server: String,
    /// `recovery.started_at`: a recovery takes only a set that finished before it started (the
    /// nightly task may run during the recovery and back up the empty databases
    /// `Install-CsDatabase` made).
    pub before: Option<jiff::Timestamp>,
}

impl Whose {
    pub fn of(env: &crate::env::Environment) -> Option<Whose> {
        let get = |k: &str| env.get(k).map(|e| e.value.display());
        let before = match env.get("recovery.started_at").map(|e| &e.value) {
            Some(crate::env::Value::Timestamp(t)) => Some(*t),
            _ => None,
        };
        Some(Whose {
            pool: get("pools.failed")?,
            sql_server: get("sql.backend.server")?,
            before,
        })
    }
}

/// The newest complete set at `now` that is also sound ([`unsound`]) and, given `whose`, of
/// that pool and server, falling back set by set; with a line for each newer complete set
/// passed over, and why.
pub fn newest_sound<'s>(
    sets: &'s [SetInfo],
    now: jiff::Timestamp,
    whose: Option<&Whose>,
) -> (Option<&'s SetInfo>, Vec<String>) {
    let mut fell_back = Vec::new();
    for s in sets.iter().rev().filter(|s| s.is_complete() && !s.in_future(now)) {
        if let Some(why) = whose.and_then(|w| s.foreign(w).or_else(|| s.after(w))) {
            fell_back.push(format!("newer set `{}` not taken: {why}", s.name));
            continue;
        }
        match unsound(s) {
            None => return (Some(s), fell_back),
            Some(why) => fell_back.push(format!("newer set `{}` not taken: unsound: {why}", s.name)),
        }
    }
    (None, fell_back)
}

/// What makes a choice at `now` at most degraded: sets named in the future, and the chosen set
/// unauthenticated (no key checked it).
pub fn concerns(sets: &[SetInfo], chosen: Option<&SetInfo>, now: jiff::Timestamp) -> Vec<String> {
    let mut out = future_sets(sets, now);
    out.extend(chosen.and_then(unauthenticated));
    out
}

/// Every newer set the choice `chosen` passed over, and why (incomplete, changed since
/// `COMPLETE`, a signature that does not verify, unauthenticated): said, not a concern by itself.
pub fn passed_over(sets: &[SetInfo], chosen: Option<&SetInfo>, now: jiff::Timestamp) -> Vec<String> {
    let mut out = Vec::new();
    for s in sets.iter().rev() {
        if chosen.is_some_and(|c| c.name == s.name) {
            break;
        }
        if let Some(why) = s.state.why().filter(|_| !s.in_future(now)) {
            out.push(format!(
                "newer set `{}` not taken: {}: {why}",
                s.name,
                s.state.label()
            ));
        }
    }
    out
}

/// The sets of a listing named in the future at `now`, each with the line that reports it.
pub fn future_sets(sets: &[SetInfo], now: jiff::Timestamp) -> Vec<String> {
    sets.iter()
        .filter(|s| s.in_future(now))
        .map(|s| {
            format!(
                "set `{}` is named in the future (after {now:.0}): a clock that was ahead, or a folder someone else made; kept, never taken as the newest set",
                s.name
            )
        })
        .collect()
}

/// The set `--backup-set DIR` takes, and how the runbooks' keys point into it.
#[derive(Debug, Clone)]
pub struct Chosen {
    pub name: String,
    /// The set as this machine sees it.
    pub path: PathBuf,
    /// `KEY=VALUE` overrides for every backup key.
    pub sets: Vec<String>,
    /// What the operator must be told: sets passed over and why, an unauthenticated choice.
    pub notes: Vec<String>,
}

/// `--backup-set DIR`: the newest complete set in DIR (checked with `key`), with the `--set`
/// overrides that point the runbooks' backup keys at it, `windows_folder` (the environment's
/// `backups.folder`, DIR as the servers see it) standing for DIR.
pub fn overrides(
    dir: &Path,
    windows_folder: &str,
    pool: &str,
    key: Option<&PublicKey>,
    whose: Option<&Whose>,
) -> Result<Chosen, String> {
    // DIR naming one set: the operator's choice overrides the time rule (said), never the
    // other checks: complete, authenticated where a key is set, of this pool, sound.
    if let Some(one) = read(dir, key) {
        let explicit = whose.map(|w| Whose {
            before: None,
            ..w.clone()
        });
        let (chosen, mut notes) = newest_sound(
            std::slice::from_ref(&one),
            jiff::Timestamp::now(),
            explicit.as_ref(),
        );
        if chosen.is_none() {
            let why = notes
                .pop()
                .or_else(|| one.state.why().map(str::to_owned))
                .unwrap_or_default();
            return Err(format!("the set `{}` cannot be used: {why}", dir.display()));
        }
        let mut chosen = overrides_for(&one, windows_folder, pool, notes);
        chosen.notes.extend(
            whose
                .and_then(|w| one.after(w))
                .map(|why| format!("set `{}` named explicitly, taken although {why}", one.name)),
        );
        chosen.notes.extend(unauthenticated(&one));
        return Ok(chosen);
    }
    let sets =
        list(dir, key).map_err(|e| format!("cannot read the folder of sets `{}`: {e}", dir.display()))?;
    let now = jiff::Timestamp::now();
    let (newest, fell_back) = newest_sound(&sets, now, whose);
    let newest = newest.ok_or_else(|| {
        format!(
            "`{}` holds no complete, sound backup set (`lyncdr audit {} --all` lists them){}",
            dir.display(),
            dir.display(),
            fell_back.iter().map(|f| format!("; {f}")).collect::<String>()
        )
    })?;
    let notes = [passed_over(&sets, Some(newest), now), fell_back].concat();
    let mut chosen = overrides_for(newest, windows_folder, pool, notes);
    chosen.notes.extend(concerns(&sets, Some(newest), now));
    Ok(chosen)
}

/// The overrides pointing every backup key into `set`, `windows_folder\<set name>`.
fn overrides_for(set: &SetInfo, windows_folder: &str, pool: &str, notes: Vec<String>) -> Chosen {
    let set_folder = format!("{}\\{}", windows_folder.trim_end_matches('\\'), set.name);
    let sets = artifact_paths(&set_folder, pool)
        .into_iter()
        .map(|(key, path)| format!("{key}={path}"))
        .collect();
    Chosen {
        name: set.name.clone(),
        path: set.path.clone(),
        sets,
        notes,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_sort_by_time() {
        let t: jiff::Timestamp = "2026-11-25T02:15:00Z".parse().unwrap();
        assert_eq!(folder_name(t), "lyncdr-20261125-021500Z");
        assert_eq!(parse_name("lyncdr-20261125-021500Z"), Some(t));
        assert_eq!(parse_name("lyncdr-20261125-021500"), None);
        assert_eq!(parse_name("backup-20261125-021500Z"), None);
        assert_eq!(parse_name("lyncdr-2026112x-021500Z"), None);
    }

    #[test]
    fn marker_names_both_hashes() {
        let d = tempfile::tempdir().unwrap();
        std::fs::write(d.path().join(SUMS), b"s").unwrap();
        assert_eq!(marker_for(d.path(), b"m").unwrap(), marker_text(b"m", b"s"));
        let m = marker_text(b"m", b"s");
        assert!(m.starts_with("lyncdr backup set 1\nmanifest "), "{m}");
        assert!(m.contains(&format!("sums {}", sha256_hex(b"s"))));
    }
}
