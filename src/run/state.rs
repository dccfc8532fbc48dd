//! The checkpoint: what happened to each step of a run, written after every change so a crash
//! never loses a decision or repeats a step. Versioned, written atomically (temporary file,
//! fsync, rename, fsync of the folder), locked so two runs cannot share it, and never
//! overwritten when it cannot be read.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fs::{self, File};
use std::io::Write as _;
use std::path::{Path, PathBuf};

/// Format 2 added the `checking` status, check records, option membership and environment
/// values; format 1 files are read as they are (every field new in 2 has a default). Format 3
/// seals every step record ([`super::seal`]) and adds the run's id and the `edited` status; the
/// records of a format 1 or 2 file were written before seals and are trusted as they are (as
/// before), then sealed when the state is next written.
pub const FORMAT: u32 = 3;
/// The first format whose records are sealed.
const SEALED: u32 = 3;
/// Far above any real run (command output kept per step is bounded by the runner).
const MAX_STATE_BYTES: u64 = 256 << 20;
const READS: [u32; 3] = [1, 2, 3];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Pending,
    Running,
    Done,
    Skipped,
    Failed,
    Interrupted,
    /// The commands finished (exit 0); the step's read-only check has not passed yet.
    Checking,
    /// Its record was changed outside lyncdr (its seal did not verify): whatever it said, it is
    /// never trusted as done or skipped, and is decided as a step that may have run.
    Edited,
}

impl Status {
    pub fn name(self) -> &'static str {
        match self {
            Status::Pending => "pending",
            Status::Running => "running",
            Status::Done => "done",
            Status::Skipped => "skipped",
            Status::Failed => "failed",
            Status::Interrupted => "interrupted",
            Status::Checking => "checking",
            Status::Edited => "edited",
        }
    }
    /// Finished one way or the other: a resume moves past it.
    pub fn is_settled(self) -> bool {
        matches!(self, Status::Done | Status::Skipped)
    }
    /// Started, and not known to have ended well: a decision (or its check) is owed.
    pub fn needs_decision(self) -> bool {
        matches!(
            self,
            Status::Running | Status::Interrupted | Status::Failed | Status::Checking | Status::Edited
        )
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CommandRecord {
    pub language: String,
    pub command: String,
    pub exit_code: Option<i32>,
    pub output: String,
    pub started_at: String,
    pub finished_at: Option<String>,
}

/// One run of a step's read-only check, or the operator's word for a check run elsewhere.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CheckRecord {
    pub at: String,
    pub operator: String,
    pub verdict: Verdict,
    /// Where it ran: "here" (by lyncdr) or the place the operator ran it.
    #[serde(rename = "where")]
    pub place: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exit_code: Option<i32>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub output: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    Passed,
    Failed,
    /// Run by the operator elsewhere (the rebuilt server), confirmed as passed.
    Confirmed,
    /// Failed, and the operator marked the step done anyway (with a typed reason).
    Overridden,
    /// A rehearsal (`--yes` with no PowerShell here): nobody ran it and nobody confirmed it.
    Rehearsed,
}

impl Verdict {
    pub fn name(self) -> &'static str {
        match self {
            Verdict::Passed => "passed",
            Verdict::Failed => "FAILED",
            Verdict::Confirmed => "confirmed by the operator",
            Verdict::Overridden => "FAILED, overridden by the operator",
            Verdict::Rehearsed => "not run (rehearsal)",
        }
    }
}

/// How a step came to be done: the report and `status` say it, and the end of a run counts
/// the ways that are not "lyncdr ran it and its check passed".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum How {
    /// lyncdr ran its commands here (or it is a choice or a section).
    Ran,
    /// The operator did it by hand (a manual step, or no runner here) and said so.
    ByHand,
    /// It failed or was interrupted, and the operator marked it done with a typed reason.
    MarkedDone,
    /// Marked done with `lyncdr resolve --done`.
    Resolved,
    /// A rehearsal (`--yes` with no PowerShell here): nothing ran.
    Rehearsed,
}

impl How {
    pub fn name(self) -> &'static str {
        match self {
            How::Ran => "run by lyncdr",
            How::ByHand => "done by hand",
            How::MarkedDone => "marked done by the operator after a failure",
            How::Resolved => "marked done with `lyncdr resolve --done`",
            How::Rehearsed => "rehearsed: nothing ran",
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StepRecord {
    pub id: String,
    pub label: String,
    pub title: String,
    pub status: Status,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operator: Option<String>,
    /// Why skipped, how it was done (run by lyncdr, by hand), the option chosen.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    #[serde(default)]
    pub attempts: u32,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub commands: Vec<CommandRecord>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub evidence: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub checks: Vec<CheckRecord>,
    /// For a choice step: the environment key it sets.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub choice: Option<String>,
    /// For a step inside an option: `KEY=ID` of that option.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub option: Option<String>,
    /// A section (an included runbook's heading): nothing to do, done when reached.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub section: bool,
    /// How it was done (set with `done`; absent in files written before it existed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub how: Option<How>,
    /// The record's seal ([`super::seal`]), only in the file: taken out and checked when the
    /// file is read, made anew for every record when it is written. Always `None` in memory.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seal: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Decision {
    pub at: String,
    pub operator: String,
    pub step: Option<String>,
    pub what: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct State {
    pub format: u32,
    /// Random, made when the run starts (format 3): every record's seal covers it, so a record
    /// copied from another run's state does not verify here.
    #[serde(default)]
    pub run_id: String,
    pub runbook: String,
    pub title: String,
    pub environment: String,
    pub started_at: String,
    /// Hash of each input the plan was built from: runbooks, templates, environment.
    pub fingerprint: BTreeMap<String, String>,
    /// The environment's values as the plan saw them (key -> value), to say what changed.
    #[serde(default)]
    pub values: BTreeMap<String, String>,
    /// Options chosen during the run (choice key -> option id).
    #[serde(default)]
    pub choices: BTreeMap<String, String>,
    pub steps: Vec<StepRecord>,
    #[serde(default)]
    pub decisions: Vec<Decision>,
    /// A rehearsal: `--yes` where no PowerShell runs, so nothing ran and nobody confirmed
    /// anything. Kept in a state file of its own (see [`rehearsal_path`]).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub rehearsal: bool,
}

impl StepRecord {
    /// Marked done only with a typed reason (issue 18): the step failed, or its last check did.
    /// `lyncdr resolve --done` asks for `--reason` then, and every hint that offers it says so.
    pub fn done_needs_reason(&self) -> bool {
        self.status == Status::Failed || self.checks.last().is_some_and(|c| c.verdict == Verdict::Failed)
    }

    /// The `--done` of `lyncdr resolve` as a hint offers it for this step: with `--reason
    /// "..."` where [`Self::done_needs_reason`].
    pub fn done_flag(&self) -> &'static str {
        if self.done_needs_reason() {
            "--done --reason \"...\""
        } else {
            "--done"
        }
    }
}

impl State {
    pub fn step(&self, id: &str) -> Option<&StepRecord> {
        self.steps.iter().find(|s| s.id == id)
    }
    pub fn step_mut(&mut self, id: &str) -> Option<&mut StepRecord> {
        self.steps.iter_mut().find(|s| s.id == id)
    }

    /// What binds a record's seal to this run. The choices too: an option changed by hand
    /// would change which steps the plan skips.
    fn identity(&self) -> Identity<'_> {
        Identity {
            run_id: &self.run_id,
            runbook: &self.runbook,
            environment: &self.environment,
            started_at: &self.started_at,
            fingerprint: &self.fingerprint,
            choices: &self.choices,
            rehearsal: self.rehearsal,
        }
    }

    /// A copy of the state as it is written: every record sealed.
    fn sealed(&self) -> State {
        let mut out = self.clone();
        out.steps.iter_mut().for_each(|r| r.seal = None);
        let seals: Vec<_> = out
            .steps
            .iter()
            .map(|r| super::seal::of(&out.identity(), r))
            .collect();
        for (r, seal) in out.steps.iter_mut().zip(seals) {
            r.seal = seal;
        }
        out
    }

    /// Take each record's seal out and check it; a record whose seal does not verify is
    /// [`Status::Edited`]. A file of a format before seals (no seal, no run id) is trusted as
    /// it is, as it was before; one that says so but carries seals is checked.
    fn unseal(&mut self) {
        let found: Vec<Option<String>> = self.steps.iter_mut().map(|r| r.seal.take()).collect();
        if self.format < SEALED && self.run_id.is_empty() && found.iter().all(Option::is_none) {
            return self.migrate();
        }
        let problems: Vec<_> = (self.steps.iter().zip(&found))
            .map(|(r, f)| super::seal::check(&self.identity(), r, f.as_deref()).err())
            .collect();
        for (r, problem) in self.steps.iter_mut().zip(problems) {
            if let Some(problem) = problem {
                r.mark_edited(problem);
            }
        }
        self.format = FORMAT;
    }

    /// A state file written before seals: its records are trusted as they are (they cannot be
    /// checked), the run gets its id, and the next write seals them. Recorded as a decision.
    fn migrate(&mut self) {
        if !self.steps.is_empty() {
            self.decisions.push(Decision {
                at: super::now(),
                operator: "lyncdr".into(),
                step: None,
                what: format!(
                    "state file of format {} read: its step records were written before records were sealed and are trusted as they are; sealed from now on",
                    self.format
                ),
            });
        }
        self.run_id = super::seal::new_run_id();
        self.format = FORMAT;
    }
}

/// See [`State::identity`].
#[derive(Serialize)]
struct Identity<'a> {
    run_id: &'a str,
    runbook: &'a str,
    environment: &'a str,
    started_at: &'a str,
    fingerprint: &'a BTreeMap<String, String>,
    choices: &'a BTreeMap<String, String>,
    rehearsal: bool,
}

impl StepRecord {
    /// Its seal did not verify: never trusted as what it says; what it said is kept in the note.
    fn mark_edited(&mut self, problem: super::seal::Problem) {
        self.note = Some(format!(
            "its record was changed outside lyncdr ({problem}; it said `{}`)",
            self.status.name()
        ));
        self.status = Status::Edited;
    }

    /// For an [`Status::Edited`] step: what to say about it, with the commands that decide it.
    pub fn edited_warning(&self, state: &Path) -> Option<String> {
        if self.status != Status::Edited {
            return None;
        }
        let what = self
            .note
            .as_deref()
            .unwrap_or("its record was changed outside lyncdr");
        Some(format!(
            "step `{}`: {what}, so it is not trusted and may have run: resolve with `{}` (it took effect) or `{}` (run it again)",
            self.id,
            resolve_command(state, &self.id, self.done_flag()),
            resolve_command(state, &self.id, "--retry"),
        ))
    }
}

/// The `lyncdr resolve` command that settles step `id` of the run in `state`, as typed.
pub fn resolve_command(state: &Path, id: &str, how: &str) -> String {
    format!("lyncdr resolve {id} {how} --state {}", state.display())
}

#[derive(Debug, thiserror::Error)]
pub enum StateError {
    #[error("cannot read state file `{path}`: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("state file `{path}` is damaged and was not changed: {problem}")]
    Corrupt { path: PathBuf, problem: String },
    #[error("state file `{path}` has format {found}; this lyncdr reads format {FORMAT}")]
    Format { path: PathBuf, found: u32 },
    #[error("cannot write state file `{path}`: {source}")]
    Write { path: PathBuf, source: std::io::Error },
    #[error(
        "state file `{path}` has {links} names (hard links); a run is locked by the state file's name, so a run under another name would share it unseen"
    )]
    Linked { path: PathBuf, links: u64 },
    #[error("cannot write the run log `{path}`: {source}")]
    Log { path: PathBuf, source: std::io::Error },
    #[error("another lyncdr run is using `{path}`{holder}")]
    Locked { path: PathBuf, holder: String },
    #[error(
        "the command of step `{step}` that an earlier run of `{path}` started still runs (process {pid}); that run ended without waiting for it"
    )]
    CommandStillRuns { path: PathBuf, step: String, pid: u32 },
}

impl StateError {
    /// What to do about it, printed after the message as `= hint:`.
    pub fn hint(&self) -> Option<String> {
        match self {
            StateError::Corrupt { path, .. } => Some(format!(
                "if it cannot be repaired, move it aside to start over; `{}.lock` and the run log beside it keep the history",
                path.display()
            )),
            StateError::Linked { path, .. } => Some(format!(
                "make it a file of its own (the other names keep the old copy): {}",
                crate::fsx::own_copy_hint(path)
            )),
            StateError::Locked { .. } => {
                Some("wait for it to finish, or stop it; two runs must never share a state file".into())
            }
            StateError::CommandStillRuns { pid, .. } => Some(format!(
                "wait for process {pid} to end (or stop it), then run again to resume; two commands of one recovery must never run side by side"
            )),
            StateError::Read { .. }
            | StateError::Format { .. }
            | StateError::Write { .. }
            | StateError::Log { .. } => None,
        }
    }
}

/// Read a state file; `Ok(None)` when there is none yet. A file that cannot be parsed is an
/// error and is left exactly as it is.
pub fn load(path: &Path) -> Result<Option<State>, StateError> {
    check_path(path)?;
    let bytes = match fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => {
            return Err(StateError::Read {
                path: path.into(),
                source,
            });
        }
    };
    parse(path, &bytes)
}

/// A state file that exists must be a regular file of a state file's size: a FIFO or a device
/// (`/dev/zero`) would never end. Checked before the lock, so nothing is created beside it.
///
/// And it must have one name. The lock is `<state>.lock`, taken by name, so a hard link to the
/// state file under another name would let a second run share it unseen. Locking the state
/// file's own inode instead cannot work: every save replaces the file by a rename (a new inode),
/// so the lock would stay on the old one. A file with more than one link is refused instead;
/// the check is made again under the lock ([`lock`]), where no run of ours can add a name.
pub fn check_path(path: &Path) -> Result<(), StateError> {
    check_links(path)?;
    match fs::metadata(path) {
        Ok(m) if !m.is_file() => {
            return Err(StateError::Corrupt {
                path: path.into(),
                problem: "it is not a regular file".into(),
            });
        }
        Ok(m) if m.len() > MAX_STATE_BYTES => {
            return Err(StateError::Corrupt {
                path: path.into(),
                problem: format!("it is {} bytes, more than a state file ever holds", m.len()),
            });
        }
        _ => {}
    }
    Ok(())
}

fn check_links(path: &Path) -> Result<(), StateError> {
    let links = match crate::fsx::open_read(path).and_then(|f| crate::fsx::link_count(&f)) {
        Ok(n) => n,
        // Missing, or not a regular file: check_path says which.
        Err(_) => return Ok(()),
    };
    if links > 1 {
        return Err(StateError::Linked {
            path: path.into(),
            links,
        });
    }
    Ok(())
}

/// The folder the state file is in. `.lyncdr` beside the environment file, and a folder lyncdr
/// creates for `--state`, is private ([`crate::fsx::private_dir`]): the run's scripts and lock
/// live there. A folder the operator names with `--state` that already exists is theirs, and
/// has only to be a real folder.
pub fn prepare_folder(path: &Path) -> Result<(), StateError> {
    let err = |source| StateError::Write {
        path: path.into(),
        source,
    };
    let dir = crate::atomic::folder_of(path);
    let ours = dir.file_name() == Some(std::ffi::OsStr::new(PRIVATE_FOLDER));
    if ours || fs::symlink_metadata(&dir).is_err() {
        if let Some(parent) = dir.parent().filter(|p| !p.as_os_str().is_empty()) {
            fs::create_dir_all(parent).map_err(err)?;
        }
        crate::fsx::private_dir(&dir).map_err(err)
    } else {
        crate::atomic::check_folder(&dir).map_err(err)
    }
}

fn parse(path: &Path, bytes: &[u8]) -> Result<Option<State>, StateError> {
    let value: serde_json::Value = serde_json::from_slice(bytes).map_err(|e| StateError::Corrupt {
        path: path.into(),
        problem: format!("{e} (truncated or edited?)"),
    })?;
    let found = value
        .get("format")
        .and_then(serde_json::Value::as_u64)
        .unwrap_or(0) as u32;
    if !READS.contains(&found) {
        return Err(StateError::Format {
            path: path.into(),
            found,
        });
    }
    let mut state: State = serde_json::from_value(value).map_err(|e| StateError::Corrupt {
        path: path.into(),
        problem: e.to_string(),
    })?;
    state.unseal();
    Ok(Some(state))
}

/// Write `state` to `path` so that a crash at any moment leaves either the old or the new
/// file, complete: temporary file in the same folder, fsync, rename over, fsync the folder.
/// Every record is sealed as it is written ([`super::seal`]).
pub fn save(path: &Path, state: &State) -> Result<(), StateError> {
    let err = |source| StateError::Write {
        path: path.into(),
        source,
    };
    let mut text = serde_json::to_vec_pretty(&state.sealed()).map_err(|e| err(std::io::Error::other(e)))?;
    text.push(b'\n');
    prepare_folder(path)?;
    crate::atomic::write_atomic(path, &text).map_err(err)
}

/// An exclusive lock on `<state>.lock`, held for the life of the run. The OS releases it when
/// the process ends, however it ends (SIGKILL too), so a lock that can be taken means no run is
/// live.
pub struct Lock {
    _file: File,
}

/// Opened never through a link, and only when it is a regular file of ours with one name: the
/// lock is cut and written, so a planted link must not make that happen to another file.
fn open_lock(path: &Path) -> Result<(File, PathBuf), StateError> {
    let lock_path = lock_path(path);
    prepare_folder(path)?;
    let file = crate::fsx::open_write(&lock_path, crate::fsx::Write::Update).map_err(|source| {
        StateError::Write {
            path: lock_path.clone(),
            source,
        }
    })?;
    Ok((file, lock_path))
}

pub fn lock(path: &Path) -> Result<Lock, StateError> {
    let (mut file, lock_path) = open_lock(path)?;
    match file.try_lock() {
        Ok(()) => {
            // A name added since check_path (none of ours can be: they need this lock).
            check_links(path)?;
            let _ = file.set_len(0);
            let _ = writeln!(file, "{}", std::process::id());
            remove_stale_temporaries(path);
            Ok(Lock { _file: file })
        }
        Err(_) => {
            let holder = read_holder(&lock_path)
                .map(|s| s.trim().to_owned())
                .filter(|s| !s.is_empty())
                .map(|pid| format!(" (process {pid})"))
                .unwrap_or_default();
            Err(StateError::Locked {
                path: path.into(),
                holder,
            })
        }
    }
}

/// The process id the holder wrote in the lock (a few bytes, never through a link).
fn read_holder(lock_path: &Path) -> Option<String> {
    use std::io::Read as _;
    let mut text = String::new();
    crate::fsx::open_read(lock_path)
        .and_then(|f| f.take(64).read_to_string(&mut text))
        .ok()?;
    Some(text)
}

/// Is a run holding the state file now? (Takes the lock for a moment when none does.)
pub fn is_live(path: &Path) -> bool {
    if !lock_path(path).exists() {
        return false;
    }
    match crate::fsx::open_write(&lock_path(path), crate::fsx::Write::Update) {
        Ok(f) => matches!(f.try_lock(), Err(fs::TryLockError::WouldBlock)),
        Err(_) => false,
    }
}

/// The private folder beside an environment file: state, locks, logs and scripts of `run` and
/// `backup`.
pub const PRIVATE_FOLDER: &str = ".lyncdr";

/// Where a run keeps its state unless told otherwise: `.lyncdr/RUNBOOK.json` beside the
/// environment file, so the state does not depend on the folder lyncdr was started from.
pub fn default_path(env_file: &Path, runbook: &str) -> PathBuf {
    private_folder(env_file).join(format!("{runbook}.json"))
}

/// The [`PRIVATE_FOLDER`] beside `env_file`.
pub fn private_folder(env_file: &Path) -> PathBuf {
    env_file.parent().unwrap_or(Path::new("")).join(PRIVATE_FOLDER)
}

/// Where a rehearsal keeps its state unless told otherwise: `.lyncdr/RUNBOOK.rehearsal.json`,
/// so a rehearsal never resumes (or spoils) the real run's state.
pub fn rehearsal_path(env_file: &Path, runbook: &str) -> PathBuf {
    default_path(env_file, &format!("{runbook}.rehearsal"))
}

/// Temporary files a killed run left behind (`.NAME.<random>.tmp`, as [`crate::atomic`] names
/// them); only called under the lock, so none of them can belong to a live writer.
fn remove_stale_temporaries(path: &Path) {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
        return;
    };
    for entry in fs::read_dir(dir).into_iter().flatten().flatten() {
        let file = entry.file_name();
        if crate::atomic::is_temporary_of(&file.to_string_lossy(), name) {
            let _ = fs::remove_file(entry.path());
        }
    }
}

/// The run log beside the state file (`STATE.log`), opened to append: never through a link,
/// only a regular file of ours with one name ([`crate::fsx::open_write`]).
pub fn open_log(path: &Path) -> Result<File, StateError> {
    prepare_folder(path)?;
    let log = path.with_extension("log");
    crate::fsx::open_write(&log, crate::fsx::Write::Append)
        .map_err(|source| StateError::Log { path: log, source })
}

pub fn lock_path(path: &Path) -> PathBuf {
    let mut p = path.as_os_str().to_owned();
    p.push(".lock");
    PathBuf::from(p)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> State {
        State {
            format: FORMAT,
            run_id: "r1".into(),
            runbook: "rgs-restore".into(),
            title: "t".into(),
            environment: "e.yaml".into(),
            started_at: "2026-11-25T08:00:00Z".into(),
            fingerprint: BTreeMap::new(),
            values: BTreeMap::new(),
            choices: BTreeMap::new(),
            steps: vec![],
            decisions: vec![],
            rehearsal: false,
        }
    }

    #[test]
    fn round_trips_and_refuses_damage() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.json");
        assert!(load(&path).unwrap().is_none());
        save(&path, &sample()).unwrap();
        assert_eq!(load(&path).unwrap().unwrap().runbook, "rgs-restore");
        let text = fs::read(&path).unwrap();
        fs::write(&path, &text[..text.len() / 2]).unwrap();
        assert!(matches!(load(&path), Err(StateError::Corrupt { .. })));
        assert_eq!(
            fs::read(&path).unwrap(),
            &text[..text.len() / 2],
            "left as it was"
        );
    }

    fn with_steps() -> State {
        let step = |id: &str, status| StepRecord {
            id: id.into(),
            label: String::new(),
            title: "t".into(),
            status,
            started_at: None,
            finished_at: None,
            operator: None,
            note: None,
            attempts: 1,
            commands: vec![],
            evidence: vec![],
            checks: vec![],
            choice: None,
            option: None,
            section: false,
            how: None,
            seal: None,
        };
        State {
            steps: vec![step("a", Status::Done), step("b", Status::Failed)],
            ..sample()
        }
    }

    /// Save, change the file's JSON with `edit`, load: the statuses read.
    fn edited(state: &State, edit: impl FnOnce(&mut serde_json::Value)) -> Vec<Status> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.json");
        save(&path, state).unwrap();
        let mut v: serde_json::Value = serde_json::from_slice(&fs::read(&path).unwrap()).unwrap();
        edit(&mut v);
        fs::write(&path, serde_json::to_vec(&v).unwrap()).unwrap();
        let loaded = load(&path).unwrap().unwrap();
        assert!(loaded.steps.iter().all(|r| r.seal.is_none()), "taken out");
        loaded.steps.iter().map(|r| r.status).collect()
    }

    /// Issue 20 item 10: a hand-edited record is not trusted; an untouched one is.
    #[test]
    fn a_record_changed_outside_lyncdr_is_edited() {
        let s = with_steps();
        use Status::{Done, Edited, Failed};
        assert_eq!(edited(&s, |_| {}), [Done, Failed]);
        assert_eq!(
            edited(&s, |v| v["steps"][1]["status"] = "done".into()),
            [Done, Edited]
        );
        assert_eq!(
            edited(&s, |v| v["steps"][0]["attempts"] = 2.into()),
            [Edited, Failed]
        );
        let unsealed = |v: &mut serde_json::Value| {
            v["steps"][1].as_object_mut().unwrap().remove("seal");
        };
        assert_eq!(edited(&s, unsealed), [Done, Edited]);
        // The run's identity is covered: a changed choice or another run's id breaks every seal.
        assert_eq!(edited(&s, |v| v["run_id"] = "r2".into()), [Edited, Edited]);
        assert_eq!(edited(&s, |v| v["choices"]["k"] = "b".into()), [Edited, Edited]);
        // A sealed file that says it is of an older format is still checked.
        let downgraded = |v: &mut serde_json::Value| {
            v["format"] = 2.into();
            v["steps"][1]["status"] = "done".into();
        };
        assert_eq!(edited(&s, downgraded), [Done, Edited]);
    }

    #[test]
    fn an_edited_record_says_what_it_said_and_how_to_resolve_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.json");
        save(&path, &with_steps()).unwrap();
        let text = fs::read_to_string(&path).unwrap();
        fs::write(&path, text.replacen("\"failed\"", "\"done\"", 1)).unwrap();
        let loaded = load(&path).unwrap().unwrap();
        let warning = loaded.steps[1].edited_warning(Path::new("s.json")).unwrap();
        assert_eq!(
            warning,
            "step `b`: its record was changed outside lyncdr (seal does not match; it said `done`), so it is not trusted and may have run: resolve with `lyncdr resolve b --done --state s.json` (it took effect) or `lyncdr resolve b --retry --state s.json` (run it again)"
        );
        assert_eq!(loaded.steps[0].edited_warning(Path::new("s.json")), None);
    }

    /// A format 2 file (no seals, no run id) is trusted as before, and sealed when written.
    #[test]
    fn a_state_file_of_format_2_is_migrated() {
        let mut old = serde_json::to_value(with_steps()).unwrap();
        old["format"] = 2.into();
        old.as_object_mut().unwrap().remove("run_id");
        old["steps"][1]["status"] = "done".into();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.json");
        fs::write(&path, serde_json::to_vec(&old).unwrap()).unwrap();
        let s = load(&path).unwrap().unwrap();
        assert_eq!((s.format, s.steps[1].status), (FORMAT, Status::Done));
        assert_eq!(s.run_id.len(), 32);
        assert!(s.decisions[0].what.contains("state file of format 2 read"));
        save(&path, &s).unwrap();
        let text = fs::read_to_string(&path).unwrap();
        assert_eq!(text.matches("\"seal\"").count(), 2, "{text}");
        assert_eq!(load(&path).unwrap().unwrap().steps[1].status, Status::Done);
    }

    /// Issue 10: the temporary file had a predictable name (`.NAME.PID.tmp`) and was opened
    /// through whatever link stood there.
    #[cfg(unix)]
    #[test]
    fn a_link_planted_at_the_old_temporary_name_is_not_written_through() {
        let dir = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        let victim = outside.path().join("victim");
        fs::write(&victim, b"precious").unwrap();
        let path = dir.path().join("s.json");
        let planted = dir.path().join(format!(".s.json.{}.tmp", std::process::id()));
        std::os::unix::fs::symlink(&victim, &planted).unwrap();
        save(&path, &sample()).unwrap();
        assert_eq!(fs::read(&victim).unwrap(), b"precious");
        assert!(fs::symlink_metadata(&path).unwrap().is_file());
        assert_eq!(load(&path).unwrap().unwrap().runbook, "rgs-restore");
    }

    #[test]
    fn a_second_lock_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.json");
        std::fs::write(dir.path().join(".s.json.12345.tmp"), b"half a state").unwrap();
        let _first = lock(&path).unwrap();
        assert!(
            !dir.path().join(".s.json.12345.tmp").exists(),
            "a killed run's temporary is cleaned up"
        );
        // flock locks are per open file description, so a second open in-process conflicts too.
        assert!(is_live(&path));
        assert!(matches!(lock(&path), Err(StateError::Locked { .. })));
    }

    /// Issue 20 item 10: `b.json`, a hard link to `a.json`, took `b.json.lock` while a run held
    /// `a.json.lock`: two runs wrote one state. A second name is refused, also under the lock.
    #[test]
    fn a_state_file_with_a_second_name_is_not_locked() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (dir.path().join("a.json"), dir.path().join("b.json"));
        save(&a, &sample()).unwrap();
        let _first = lock(&a).unwrap();
        fs::hard_link(&a, &b).unwrap();
        assert!(matches!(check_path(&b), Err(StateError::Linked { links: 2, .. })));
        assert!(matches!(lock(&b), Err(StateError::Linked { links: 2, .. })));
        fs::remove_file(&b).unwrap();
        check_path(&a).unwrap();
    }

    /// The run log and the lock are never opened through a link planted in their place.
    #[cfg(unix)] // Symbolic links need no privilege on Unix only.
    #[test]
    fn a_link_planted_as_the_lock_or_the_log_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let victim = dir.path().join("victim");
        fs::write(&victim, b"precious").unwrap();
        let path = dir.path().join("s.json");
        std::os::unix::fs::symlink(&victim, lock_path(&path)).unwrap();
        std::os::unix::fs::symlink(&victim, path.with_extension("log")).unwrap();
        assert!(matches!(lock(&path), Err(StateError::Write { .. })));
        assert!(matches!(open_log(&path), Err(StateError::Log { .. })));
        assert_eq!(fs::read(&victim).unwrap(), b"precious");
    }

    /// `.lyncdr` is private: made 0700, and refused when others may write to it.
    #[cfg(unix)] // Mode bits; Windows checks the DACL (src/fsx/windows.rs).
    #[test]
    fn the_state_folder_beside_the_environment_is_private() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().unwrap();
        let path = default_path(&dir.path().join("contoso.yaml"), "cms-move");
        save(&path, &sample()).unwrap();
        let folder = path.parent().unwrap();
        assert_eq!(fs::metadata(folder).unwrap().permissions().mode() & 0o777, 0o700);
        fs::set_permissions(folder, fs::Permissions::from_mode(0o777)).unwrap();
        let err = save(&path, &sample()).unwrap_err().to_string();
        assert!(err.contains("is not private"), "{err}");
    }
}
