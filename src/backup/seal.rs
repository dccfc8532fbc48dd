//! The end of a set: the audit of its files (which writes `SHA256SUMS` from the hashes it takes)
//! and `COMPLETE` with its signature. The nightly job ends every set with [`audit`] and
//! [`complete`]; `finish` ends a recovery's baseline with [`seal`] (issue 17 item 10), so a
//! baseline verifies exactly as a nightly set does.
//!
//! `finish` takes its baseline with the backup runbook's own steps into this run's
//! `backups.baseline` folder (`backups.folder\baseline\lyncdr-YYYYMMDD-HHMMSSZ`, named after the
//! run's start). [`seal`] then writes what the job writes after its steps: `manifest.json`
//! (whose set it is, when it started and finished, its files), `SHA256SUMS`, `COMPLETE` and,
//! given the job's key, the signature. `lyncdr run` does it as the step `seal-baseline`;
//! `lyncdr backup --seal DIR` does it for a baseline a bundle took.

use super::set::{self, Manifest, StepRecord};
use super::signing::{self, PublicKey, SecretKey};
use crate::audit::{self, AuditOptions, AuditReport, Status};
use crate::env::{Environment, Value};
use crate::runbook::Library;
use std::path::Path;

/// Audits the set at `path` (every file read once) and writes its `SHA256SUMS` from the hashes.
pub fn audit(path: &Path, env: &Environment, library: &Library, pool: &str) -> Result<AuditReport, String> {
    let opts = AuditOptions {
        dir: path.to_path_buf(),
        named: set::named(Some(pool)),
        runbooks: library.backup_needs(),
        facts: env.facts(),
        max_age: env.max_backup_age().limit,
        now: jiff::Timestamp::now(),
        hash: true,
        write_sums: true,
        // Written now, sealed only by the COMPLETE marker after the audit.
        sealed_sums: false,
        response_group: env
            .get("features.response_group")
            .is_none_or(|v| v.value == Value::Bool(true)),
        progress: false,
    };
    audit::audit(&opts).map_err(|e| e.to_string())
}

/// Writes `COMPLETE` for the set at `path` whose manifest is `manifest` (bytes as written), with
/// the signature line when there is a key: last, atomically.
pub fn complete(path: &Path, manifest: &[u8], secret: Option<&SecretKey>) -> Result<(), String> {
    let sums = path.join(set::SUMS);
    let mut marker =
        set::marker_for(path, manifest).map_err(|e| format!("cannot read `{}`: {e}", sums.display()))?;
    if let Some(secret) = secret {
        marker += &secret.signature_line(marker.as_bytes());
    }
    let marker_path = path.join(set::COMPLETE);
    crate::atomic::write_atomic(&marker_path, marker.as_bytes())
        .map_err(|e| format!("cannot write `{}`: {e}", marker_path.display()))
}

/// What [`seal`] did.
#[derive(Debug)]
pub struct Sealed {
    /// The audit's verdict on the set; `None` when it was sealed already.
    pub status: Option<Status>,
    /// Signed with the deployment's key (and verified with the environment's public key).
    pub signed: bool,
    /// It was sealed already (a resumed or repeated step): nothing was written.
    pub already: bool,
    /// What to tell the operator, one line each.
    pub lines: Vec<String>,
}

/// Seals the baseline folder `path` as a set: the folder must be a set's name (the run's start)
/// and lyncdr's own content so far. `env_file` is the environment file's path (its name and
/// hash go into the manifest); `secret`, when given, must be the key the environment's
/// `backups.signing_key` names. Sealing a folder sealed already checks it and writes nothing.
pub fn seal(
    path: &Path,
    whose: &set::Whose,
    env: &Environment,
    env_file: &Path,
    library: &Library,
    secret: Option<&SecretKey>,
) -> Result<Sealed, String> {
    let public = signing::from_env(env)?;
    if let (Some(p), Some(s)) = (&public, secret)
        && *p != s.public()
    {
        return Err(format!(
            "the key in --key is not the one `{}` names (its public key is {})",
            signing::KEY,
            s.public()
        ));
    }
    let name = folder_name(path)?;
    if std::fs::symlink_metadata(path.join(set::COMPLETE)).is_ok() {
        return sealed_already(path, public.as_ref());
    }
    if whose.pool.is_empty() || whose.sql_server.is_empty() {
        return Err("no pool or Back End names whose set this is: a set records it".into());
    }
    let started = set::parse_name(&name).ok_or("unreachable: checked by folder_name")?;
    let files: Vec<String> = files(path)?;
    if files.is_empty() {
        return Err(format!(
            "`{}` holds no backups: the baseline steps wrote nothing there",
            path.display()
        ));
    }
    let env_bytes = std::fs::read(env_file).unwrap_or_default();
    let manifest = Manifest {
        lyncdr_backup_set: set::FORMAT_VERSION,
        lyncdr_version: env!("CARGO_PKG_VERSION").into(),
        host: set::host(),
        started: started.to_string(),
        finished: jiff::Timestamp::now().to_string(),
        environment: set::EnvironmentInfo {
            file: env_file
                .file_name()
                .map_or_else(String::new, |n| n.to_string_lossy().into_owned()),
            sha256: crate::digest::sha256_hex(&env_bytes),
            deployment: env.get("deployment").map(|e| e.value.display()),
        },
        pool: Some(whose.pool.clone()),
        sql_server: Some(whose.sql_server.clone()),
        steps: vec![StepRecord {
            id: "baseline".into(),
            status: "ok".into(),
            files,
            detail: Some("the recovery's baseline, taken by finish with the backup runbook's steps".into()),
        }],
        complete: true,
    };
    let manifest_bytes = manifest.to_json().into_bytes();
    let manifest_path = path.join(set::MANIFEST);
    crate::atomic::write_atomic(&manifest_path, &manifest_bytes)
        .map_err(|e| format!("cannot write `{}`: {e}", manifest_path.display()))?;
    let report = audit(path, env, library, &whose.pool)?;
    complete(path, &manifest_bytes, secret)?;
    let mut lines = vec![format!(
        "Sealed `{}` as a backup set: {}",
        path.display(),
        report.status.name()
    )];
    lines.extend(unsigned(public.as_ref(), secret, path, env_file));
    Ok(Sealed {
        status: Some(report.status),
        signed: secret.is_some(),
        already: false,
        lines,
    })
}

/// [`seal`] as `lyncdr run` does it (the run does not depend on the backup job's modules: the
/// front end hands it this function): the set of `(pool, sql_server)`, the key loaded from
/// `key`, the lines to show.
pub fn for_run(
    path: &Path,
    (pool, sql_server): (&str, &str),
    env: &Environment,
    env_file: &Path,
    library: &Library,
    key: Option<&Path>,
) -> Result<Vec<String>, String> {
    let secret = key
        .map(|k| SecretKey::load(k).map_err(|e| format!("cannot use the signing key `{}`: {e}", k.display())))
        .transpose()?;
    let whose = set::Whose {
        pool: pool.to_owned(),
        sql_server: sql_server.to_owned(),
        before: None,
    };
    seal(path, &whose, env, env_file, library, secret.as_ref()).map(|s| s.lines)
}

/// The set's folder name, checked: a real folder (never a link) named as a set is.
fn folder_name(path: &Path) -> Result<String, String> {
    let meta =
        std::fs::symlink_metadata(path).map_err(|e| format!("cannot read `{}`: {e}", path.display()))?;
    if !meta.is_dir() || crate::fsx::is_link(&meta) {
        return Err(format!(
            "`{}` is not a folder (a link is never sealed)",
            path.display()
        ));
    }
    path.file_name()
        .and_then(|n| n.to_str())
        .filter(|n| set::parse_name(n).is_some())
        .map(str::to_owned)
        .ok_or_else(|| {
            format!(
                "`{}` is not named as a set is ({}YYYYMMDD-HHMMSSZ)",
                path.display(),
                set::PREFIX
            )
        })
}

/// The names in the set folder, the set's own files apart; a link is refused.
fn files(path: &Path) -> Result<Vec<String>, String> {
    let mut names = Vec::new();
    let read = std::fs::read_dir(path).map_err(|e| format!("cannot list `{}`: {e}", path.display()))?;
    for entry in read {
        let entry = entry.map_err(|e| format!("cannot list `{}`: {e}", path.display()))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if [set::MANIFEST, set::SUMS, set::COMPLETE].contains(&name.as_str()) {
            continue;
        }
        if std::fs::symlink_metadata(entry.path()).is_ok_and(|m| crate::fsx::is_link(&m)) {
            return Err(format!(
                "`{}` is a link: a set holds files, never links",
                entry.path().display()
            ));
        }
        names.push(name);
    }
    names.sort();
    Ok(names)
}

/// A folder with `COMPLETE` already: sealed when it reads as a complete set, else refused.
fn sealed_already(path: &Path, public: Option<&PublicKey>) -> Result<Sealed, String> {
    let info = set::read(path, public)
        .ok_or_else(|| format!("`{}` has `COMPLETE` but no manifest lyncdr wrote", path.display()))?;
    match &info.state {
        set::State::Complete => Ok(Sealed {
            status: None,
            signed: info.verified,
            already: true,
            lines: vec![format!("`{}` is sealed already: a complete set", path.display())],
        }),
        other => Err(format!(
            "`{}` has `COMPLETE` but is not a complete set ({}): not sealed again; move the folder aside and take the baseline again",
            path.display(),
            other.why().unwrap_or(other.label())
        )),
    }
}

/// Why a sealed set is unsigned, when it is, and the command that takes a signed baseline
/// instead (into the folder of sets two levels above `path`, `DIR\baseline\lyncdr-...`).
fn unsigned(
    public: Option<&PublicKey>,
    secret: Option<&SecretKey>,
    path: &Path,
    env_file: &Path,
) -> Option<String> {
    let sets = path.parent().and_then(Path::parent).unwrap_or(path);
    match (public, secret) {
        (_, Some(_)) => None,
        (Some(_), None) => Some(format!(
            "unauthenticated: no --key, so the set is not signed, and audit and --backup-set will not count it as genuine; for a signed baseline, as the backup job's account run: lyncdr backup --env \"{}\" --to \"{}\" --baseline --key KEY (KEY: the file `{}` is the public key of)",
            env_file.display(),
            sets.display(),
            signing::KEY
        )),
        (None, None) => Some(format!(
            "unauthenticated: the environment names no `{}` (lyncdr backup --new-key)",
            signing::KEY
        )),
    }
}
