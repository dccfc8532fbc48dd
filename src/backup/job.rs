//! The backup job: one complete backup set into a new folder, checked by the audit.
//!
//! The job is the `backup` runbook (`runbooks/backup.yaml`): its steps are unattended and
//! idempotent, rendered by the same [`Plan`] as `plan`, `run` and `bundle` (same templates, same
//! escaping), each command run by the same runner as `lyncdr run` ([`runner::run`]: the step
//! wrapper, the output decoding, the time limit). The job gives the runbook the set folder
//! ([`set::SET_KEY`]) and points every `backups.*` key at its fixed file name in the set
//! ([`set::artifact_paths`]), so the keys the recovery reads are the ones the backup wrote.
//!
//! Order: create the set folder (new; an existing one stops the job before anything is
//! written) -> run every step (a failed step is recorded and the others still run) -> write
//! `manifest.json` -> audit the set (the code of `lyncdr audit`), which hashes every file once
//! and writes `SHA256SUMS` from those hashes -> only when every step succeeded, `COMPLETE`,
//! last and atomically. A job killed before that rename leaves a set with no marker, which
//! nothing takes for a complete one.

use super::lock;
use super::retention::{self, Policy};
use super::set::{self, Manifest, StepRecord};
use super::signing::{self, PublicKey, SecretKey};
use crate::audit::{AuditReport, Status};
use crate::env::{Entry, Environment, Origin, Value};
use crate::render::plan::Plan;
use crate::run::interrupt;
use crate::run::runner::{self, Ending, Job, Phase, Programs};
use crate::runbook::{Language, Library};
use std::collections::BTreeSet;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The runbook the job runs.
pub const RUNBOOK: &str = "backup";

pub struct Config {
    pub env: PathBuf,
    pub sets: Vec<String>,
    /// The folder of sets (`--to`), as this machine sees it; for the SQL Server service it must
    /// be a share (a UNC path) its account can write.
    pub to: PathBuf,
    pub programs: Programs,
    pub timeout: Duration,
    /// Append the verdict line to this file.
    pub log: Option<PathBuf>,
    /// The set signing key (`--key FILE`, made by `--new-key`).
    pub key: Option<PathBuf>,
    /// Write the verdict line to the Windows Application event log (`eventcreate`, run through
    /// the runner like any step).
    pub event_log: bool,
    /// A baseline (`--baseline`, the end of a recovery): the set goes into
    /// `<to>\`[`set::BASELINE_FOLDER`], and no retention runs, there or among the nightly sets.
    pub baseline: bool,
    pub now: jiff::Timestamp,
}

impl Config {
    /// The folder the set is written in: `--to`, or its baseline folder.
    pub fn sets_folder(&self) -> PathBuf {
        if self.baseline {
            self.to.join(set::BASELINE_FOLDER)
        } else {
            self.to.clone()
        }
    }
}

#[derive(Debug)]
pub struct Outcome {
    pub name: String,
    pub path: PathBuf,
    pub complete: bool,
    pub failed: Vec<String>,
    pub status: Status,
    /// Stopped by Ctrl-C or SIGTERM: the set stays incomplete.
    pub interrupted: bool,
    /// The one line for the event log / log file.
    pub line: String,
    pub report: Option<AuditReport>,
    pub deleted: Vec<String>,
    pub warnings: Vec<String>,
}

/// Why the job could not take a set at all (nothing, or only an empty folder, was written).
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error("{0}")]
    Invalid(crate::diagnostic::Diagnostics),
    #[error("cannot use `{path}` as the folder of backup sets: {cause}")]
    Folder { path: String, cause: String },
    #[error("the set folder `{path}` already exists; the job writes only into a new folder")]
    Exists { path: String },
    #[error("cannot write `{path}`: {cause}")]
    Write { path: String, cause: String },
    #[error("{0}")]
    Key(String),
    #[error("another backup job is writing to `{to}` ({holder}); one job per folder of sets at a time")]
    Busy { to: String, holder: String },
}

impl From<crate::diagnostic::Diagnostics> for BackupError {
    fn from(d: crate::diagnostic::Diagnostics) -> Self {
        BackupError::Invalid(d)
    }
}

impl From<crate::diagnostic::Diagnostic> for BackupError {
    fn from(d: crate::diagnostic::Diagnostic) -> Self {
        BackupError::Invalid(d.into())
    }
}

fn write_err(path: &Path, e: impl std::fmt::Display) -> BackupError {
    BackupError::Write {
        path: path.display().to_string(),
        cause: e.to_string(),
    }
}

/// The set folder as the commands see it: `--to` as given, joined with this system's separator.
fn joined(to: &Path, name: &str) -> String {
    let to = to.display().to_string();
    let sep = std::path::MAIN_SEPARATOR;
    format!("{}{sep}{name}", to.trim_end_matches(['\\', '/']))
}

/// Names of the files and folders directly in `dir`.
fn entries(dir: &Path) -> BTreeSet<String> {
    std::fs::read_dir(dir)
        .map(|d| {
            d.filter_map(Result::ok)
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default()
}

/// Gives the `backup` runbook its set folder and points every `backups.*` key at its fixed file
/// name in it (the job, and `plan backup` with `backups.set`); the pool's FQDN.
pub fn point_at_set(env: &mut Environment, set_folder: &str) -> String {
    let pool = env
        .get("pools.failed")
        .map(|e| e.value.display())
        .unwrap_or_default();
    let derived = |v: String| Entry {
        value: Value::Text(v),
        at: None,
        origin: Origin::Derived,
    };
    for (key, p) in set::artifact_paths(set_folder, &pool) {
        env.values.insert(key.to_owned(), derived(p));
    }
    env.values
        .insert(set::SET_KEY.to_owned(), derived(set_folder.to_owned()));
    pool
}

/// Runs the job. `echo` receives every line of the steps' output and lyncdr's progress lines.
///
/// Every night leaves a line: when the job cannot take a set at all (an invalid environment, a
/// key problem, `--to` unusable, another job busy, the set folder already there), the reason
/// still goes to `--log` and to the event log (event 102), as a set's verdict does.
pub fn run(library: &Library, cfg: &Config, echo: &mut dyn FnMut(&str)) -> Result<Outcome, BackupError> {
    take_set(library, cfg, echo).inspect_err(|e| {
        let line = format!(
            "lyncdr backup: {}; no set was taken: {e} ({})",
            Status::NotReady.name(),
            cfg.to.display()
        );
        // Its own folder: the job that holds `--to` may have a command running in the job's
        // folder, and the runner starts nothing there while it runs.
        let scratch = crate::run::state::private_folder(&cfg.env).join("backup.refused");
        for w in record(cfg, &scratch, Status::NotReady, &line) {
            echo(&format!("warning: {w}"));
        }
    })
}

/// Where the job writes its scripts: a private folder beside the environment file, as `run`.
fn scratch_of(cfg: &Config) -> PathBuf {
    crate::run::state::private_folder(&cfg.env).join("backup.scripts")
}

/// The verdict line to `--log` and the event log; the warnings when it could not be written.
fn record(cfg: &Config, scratch: &Path, status: Status, line: &str) -> Vec<String> {
    let mut warnings = Vec::new();
    if let Some(log) = &cfg.log {
        // Never through a link, only into a regular file of ours (src/fsx).
        let r = crate::fsx::open_write(log, crate::fsx::Write::Append)
            .and_then(|mut f| writeln!(f, "{} {line}", jiff::Timestamp::now()));
        if let Err(e) = r {
            warnings.push(format!("cannot append to `{}`: {e}", log.display()));
        }
    }
    if cfg.event_log {
        if let Err(e) = runner::scratch_dir(scratch) {
            warnings.push(format!("the event log line was not written: {e}"));
        } else {
            warnings.extend(event(cfg, scratch, status, line));
        }
    }
    warnings
}

fn take_set(library: &Library, cfg: &Config, echo: &mut dyn FnMut(&str)) -> Result<Outcome, BackupError> {
    let mut env = Environment::read(&cfg.env, &cfg.sets)?;
    let runbook = library.get(RUNBOOK)?;
    let (public, secret) = keys(cfg, &env)?;
    // `--log` is checked first, never through a link: a log that cannot be written safely stops
    // the job before it starts (its line then goes to the event log only).
    if let Some(log) = &cfg.log {
        crate::fsx::open_write(log, crate::fsx::Write::Append).map_err(|e| write_err(log, e))?;
    }
    // The private folders beside the environment file, checked before anything runs.
    let private = crate::run::state::private_folder(&cfg.env);
    for dir in [private.clone(), scratch_of(cfg)] {
        runner::scratch_dir(&dir).map_err(|e| write_err(&dir, e))?;
    }
    crate::atomic::check_folder(&cfg.to).map_err(|e| BackupError::Folder {
        path: cfg.to.display().to_string(),
        cause: e.to_string(),
    })?;
    // Held until retention is done: a second job would delete the set this one writes.
    let _lock = lock::take(
        &cfg.to,
        &format!("{} process {} since {}", set::host(), std::process::id(), cfg.now),
    )
    .map_err(|e| match e {
        lock::LockError::Busy { holder, .. } => BackupError::Busy {
            to: cfg.to.display().to_string(),
            holder,
        },
        lock::LockError::Io { path, cause } => write_err(&path, cause),
    })?;
    let name = set::folder_name(cfg.now);
    let sets_folder = cfg.sets_folder();
    if cfg.baseline {
        match std::fs::create_dir(&sets_folder) {
            Err(e) if e.kind() != std::io::ErrorKind::AlreadyExists => {
                return Err(write_err(&sets_folder, e));
            }
            _ => {}
        }
        crate::atomic::check_folder(&sets_folder).map_err(|e| BackupError::Folder {
            path: sets_folder.display().to_string(),
            cause: e.to_string(),
        })?;
    }
    let path = sets_folder.join(&name);
    match std::fs::create_dir(&path) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            return Err(BackupError::Exists {
                path: path.display().to_string(),
            });
        }
        Err(e) => return Err(write_err(&path, e)),
    }
    echo(&format!(
        "{} {name} in {}",
        if cfg.baseline {
            "Baseline set"
        } else {
            "Backup set"
        },
        sets_folder.display()
    ));
    let env_bytes = std::fs::read(&cfg.env).unwrap_or_default();
    let mut manifest = Manifest {
        lyncdr_backup_set: set::FORMAT_VERSION,
        lyncdr_version: env!("CARGO_PKG_VERSION").into(),
        host: set::host(),
        started: cfg.now.to_string(),
        finished: String::new(),
        environment: set::EnvironmentInfo {
            file: cfg
                .env
                .file_name()
                .map_or_else(String::new, |n| n.to_string_lossy().into_owned()),
            sha256: crate::digest::sha256_hex(&env_bytes),
            deployment: env.get("deployment").map(|e| e.value.display()),
        },
        pool: set::Whose::of(&env).map(|w| w.pool),
        sql_server: set::Whose::of(&env).map(|w| w.sql_server),
        steps: Vec::new(),
        complete: false,
    };
    // A manifest from the start, rewritten after every step: a job killed at any point leaves
    // a set lyncdr recognises as its own and incomplete, never a folder that looks like plain
    // backups.
    let manifest_path = path.join(set::MANIFEST);
    crate::atomic::write_atomic(&manifest_path, manifest.to_json().as_bytes())
        .map_err(|e| write_err(&manifest_path, e))?;

    // The runbook writes into the set: its folder, and each artifact at its fixed name. The
    // commands get the absolute path, whatever folder they start in.
    let to = std::path::absolute(&sets_folder).unwrap_or_else(|_| sets_folder.clone());
    let windows_set = joined(&to, &name);
    let pool = point_at_set(&mut env, &windows_set);
    let plan = Plan::build(runbook, &env, &library.templates)?;

    // Scripts are written in a private folder beside the environment file, as `run` does.
    let scratch = scratch_of(cfg);
    runner::scratch_dir(&scratch).map_err(|e| write_err(&scratch, e))?;

    // Ctrl-C (or SIGTERM from a scheduler) stops the running command through the runner, as in
    // `lyncdr run`; the job then stops, and the set stays incomplete.
    let _ = interrupt::install();
    let mut interrupted = false;
    let mut log_lines: Vec<String> = Vec::new();
    for step in &plan.steps {
        if interrupt::requested() {
            interrupted = true;
            break;
        }
        if step.skipped {
            // Said, not only recorded: a step that does not apply to this pool (xds where its
            // Back End does not hold the CMS) is a decision the admin should see every night.
            let why = step.reason.as_deref().unwrap_or("it does not apply");
            echo(&format!("[{}] skipped: {why}", step.id));
            log_lines.push(format!("== {} skipped: {why}", step.id));
            manifest.steps.push(StepRecord {
                id: step.id.clone(),
                status: "skipped".into(),
                files: Vec::new(),
                detail: step.reason.clone(),
            });
            continue;
        }
        echo(&format!("[{}] {}", step.id, step.title));
        log_lines.push(format!("== {} ({})", step.id, step.title));
        let before = entries(&path);
        let mut failure = None;
        for c in step.commands.iter().filter(|c| !c.alternative) {
            let job = Job {
                language: c.language,
                text: &c.text,
                sql_server: match c.language {
                    Language::Sql => step.sql_server.as_deref(),
                    _ => None,
                },
                runbook: RUNBOOK,
                step: &step.id,
                phase: Phase::Step,
                console: false,
                scratch: &scratch,
                timeout: cfg.timeout,
            };
            let exec = runner::run(&cfg.programs, &job, &mut |line| {
                echo(&format!("    {line}"));
            });
            log_lines.extend(exec.output.lines().map(str::to_owned));
            let why = match exec.ending {
                Ending::Exited(0) => None,
                Ending::Exited(n) => Some(format!("exited with code {n}")),
                Ending::TimedOut => Some(format!("did not finish within {}s", cfg.timeout.as_secs())),
                Ending::Interrupted => Some("was interrupted".to_owned()),
                Ending::NotStarted(why) => Some(format!("could not be started: {why}")),
            };
            if let Some(why) = why {
                let program = match c.language {
                    Language::Sql => &cfg.programs.sqlcmd,
                    _ => &cfg.programs.powershell,
                };
                failure = Some(format!("{program} {why}"));
                break;
            }
        }
        let files: Vec<String> = entries(&path).difference(&before).cloned().collect();
        let status = if failure.is_some() { "failed" } else { "ok" };
        echo(&format!("[{}] {status}", step.id));
        log_lines.push(format!("== {} {status}", step.id));
        manifest.steps.push(StepRecord {
            id: step.id.clone(),
            status: status.into(),
            files,
            detail: failure,
        });
        if let Err(e) = crate::atomic::write_atomic(&manifest_path, manifest.to_json().as_bytes()) {
            echo(&format!(
                "warning: cannot update `{}`: {e}",
                manifest_path.display()
            ));
        }
    }

    // The steps' output stays in the set (hashed with it): what the job saw, night by night.
    let mut warnings = Vec::new();
    let log_path = path.join("backup.log");
    if let Err(e) = crate::atomic::write_atomic(&log_path, (log_lines.join("\n") + "\n").as_bytes()) {
        warnings.push(format!("cannot write `{}`: {e}", log_path.display()));
    }
    let failed: Vec<String> = manifest.failed_steps().into_iter().map(str::to_owned).collect();
    let complete = failed.is_empty() && !interrupted && !interrupt::requested();
    manifest.finished = jiff::Timestamp::now().to_string();
    manifest.complete = complete;
    let manifest_bytes = manifest.to_json().into_bytes();
    crate::atomic::write_atomic(&manifest_path, &manifest_bytes).map_err(|e| write_err(&manifest_path, e))?;

    // The audit reads every file once: it validates and hashes, and writes SHA256SUMS from the
    // same hashes, so the set is hashed once.
    echo("Auditing the set (lyncdr audit) and writing SHA256SUMS");
    let report = if interrupted {
        None
    } else {
        match super::seal::audit(&path, &env, library, &pool) {
            Ok(r) => Some(r),
            Err(e) => {
                warnings.push(format!("the audit of the set failed: {e}"));
                None
            }
        }
    };
    let sums_ok = report.is_some();
    if complete && sums_ok {
        super::seal::complete(&path, &manifest_bytes, secret.as_ref()).map_err(|cause| {
            BackupError::Write {
                path: path.display().to_string(),
                cause,
            }
        })?;
    }

    let mut status = match &report {
        Some(r) if complete => r.status,
        _ => Status::NotReady,
    };
    // Without a public key in the environment no reader can tell this set from a planted one.
    let unauthenticated = public.is_none().then(|| {
        format!(
            "unauthenticated: the environment names no `{}` (lyncdr backup --new-key)",
            signing::KEY
        )
    });
    if unauthenticated.is_some() {
        status = status.max(Status::Degraded);
    }
    // Retention runs only after a complete set, so a bad night never shrinks the history; a
    // baseline is kept whatever the nightly policy says, and never counts among the sets.
    let mut deleted = Vec::new();
    let policy = policy(&env);
    if complete && sums_ok && !policy.is_off() && !cfg.baseline {
        let (d, errors) = retention::apply(&cfg.to, policy, cfg.now, Some(&name), public.as_ref());
        deleted = d;
        warnings.extend(errors);
    }
    let (status, future, still_complete) = after_retention(
        cfg,
        &path,
        complete && sums_ok,
        status,
        public.as_ref(),
        &mut warnings,
    );

    let mut line = format!("lyncdr backup {name}: {}", status.name());
    if !failed.is_empty() {
        line.push_str(&format!(
            "; set incomplete, failed step(s): {}",
            failed.join(", ")
        ));
    } else if interrupted {
        line.push_str("; set incomplete, the job was interrupted");
    } else if !sums_ok {
        line.push_str("; set incomplete, the audit could not run");
    }
    if let Some(r) = &report {
        let not_ready: Vec<String> = r
            .runbooks
            .iter()
            .filter(|s| s.status != Status::Ready && s.status != Status::NotApplicable)
            .map(|s| format!("{} {}", s.runbook, s.status.name()))
            .collect();
        if !not_ready.is_empty() {
            line.push_str(&format!("; audit: {}", not_ready.join(", ")));
        }
    }
    for note in future.iter().chain(&unauthenticated) {
        line.push_str(&format!("; {note}"));
    }
    line.push_str(&format!(" ({})", path.display()));

    warnings.extend(record(cfg, &scratch, status, &line));
    Ok(Outcome {
        name,
        path,
        complete: still_complete,
        failed,
        status,
        interrupted,
        line,
        report,
        deleted,
        warnings,
    })
}

/// The verdict once retention has run: a set named in the future makes it at least degraded
/// (each reported in the verdict line), and the set counts as complete only while it is still on disk and
/// still complete: "Set complete" is never said of a set that is gone.
fn after_retention(
    cfg: &Config,
    path: &Path,
    complete: bool,
    mut status: Status,
    key: Option<&PublicKey>,
    warnings: &mut Vec<String>,
) -> (Status, Vec<String>, bool) {
    let future = set::list(&cfg.sets_folder(), key)
        .map(|sets| set::future_sets(&sets, jiff::Timestamp::now()))
        .unwrap_or_default();
    if !future.is_empty() {
        status = status.max(Status::Degraded);
    }
    let still = complete && set::read(path, key).is_some_and(|s| s.is_complete());
    if complete && !still {
        status = Status::NotReady;
        warnings.push(format!(
            "the set `{}` is no longer complete on disk",
            path.display()
        ));
    }
    (status, future, still)
}

/// The environment's public key and the job's secret (`--key`), checked to belong together
/// before anything is written: a job that signs with another key, or not at all where the
/// environment expects signed sets, would write sets every reader refuses.
fn keys(cfg: &Config, env: &Environment) -> Result<(Option<PublicKey>, Option<SecretKey>), BackupError> {
    let public = signing::from_env(env).map_err(BackupError::Key)?;
    let secret = match &cfg.key {
        Some(path) => Some(SecretKey::load(path).map_err(|e| {
            BackupError::Key(format!("cannot use the signing key `{}`: {e}", path.display()))
        })?),
        None => None,
    };
    match (&public, &secret) {
        (Some(_), None) => Err(BackupError::Key(format!(
            "the environment names `{}`: give the job its secret key with --key FILE (readers take only signed sets)",
            signing::KEY
        ))),
        (Some(p), Some(s)) if *p != s.public() => Err(BackupError::Key(format!(
            "the key in --key is not the one `{}` names (its public key is {})",
            signing::KEY,
            s.public()
        ))),
        _ => Ok((public, secret)),
    }
}

/// `backups.keep_sets` and `backups.keep_days` from the environment.
pub fn policy(env: &Environment) -> Policy {
    let int = |k: &str| match env.get(k).map(|e| &e.value) {
        Some(Value::Integer(n)) => Some(*n),
        _ => None,
    };
    Policy {
        keep_sets: int("backups.keep_sets"),
        keep_days: int("backups.keep_days"),
    }
}

/// Event IDs in the Application log, source `lyncdr` (eventcreate takes 1-1000).
pub const EVENT_READY: u16 = 100;
pub const EVENT_DEGRADED: u16 = 101;
pub const EVENT_NOT_READY: u16 = 102;

/// Writes `line` to the Application event log through the runner: `eventcreate` creates the
/// `lyncdr` source on first use (Write-EventLog would need `New-EventLog` first). A warning when
/// it could not.
fn event(cfg: &Config, scratch: &Path, status: Status, line: &str) -> Option<String> {
    let (kind, id) = match status {
        Status::Ready | Status::NotApplicable => ("INFORMATION", EVENT_READY),
        Status::Degraded => ("WARNING", EVENT_DEGRADED),
        Status::NotReady => ("ERROR", EVENT_NOT_READY),
    };
    let text = format!(
        "& eventcreate.exe /T {kind} /ID {id} /L APPLICATION /SO lyncdr /D {}\nif ($LASTEXITCODE -ne 0) {{ throw ('eventcreate failed with exit code ' + $LASTEXITCODE) }}",
        crate::escape::powershell(line)
    );
    let job = Job {
        language: Language::Powershell,
        text: &text,
        sql_server: None,
        runbook: RUNBOOK,
        step: "event-log",
        phase: Phase::Step,
        console: false,
        scratch,
        timeout: Duration::from_secs(60),
    };
    match runner::run(&cfg.programs, &job, &mut |_| {}).ending {
        Ending::Exited(0) => None,
        other => Some(format!("the event log line was not written ({other:?})")),
    }
}
