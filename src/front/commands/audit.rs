//! `lyncdr audit DIR`: could we recover today? Wires the command line to [`crate::audit`].

use super::{CommandError, Error, print};
use crate::artifact::ArtifactKind;
use crate::audit::{AuditOptions, Silent, Status, audit_with};
use crate::backup::set;
use crate::env::{DEFAULT_MAX_BACKUP_AGE, Environment, Value, value::parse_duration};
use crate::front::exit;
use crate::front::json::Output;
use crate::run::backup::file_name;
use crate::runbook::Library;
use std::io::IsTerminal as _;
use std::path::Path;

pub struct Args<'a> {
    /// The runbooks whose needs make the readiness matrix (`--runbooks DIR` or the built-in).
    pub library: &'a Library,
    pub dir: &'a Path,
    pub env: Option<&'a Path>,
    pub out: &'a Output,
    pub max_age: Option<&'a str>,
    pub no_hash: bool,
    pub write_sums: bool,
    /// A folder of sets: every set with its verdict.
    pub all: bool,
}

pub fn run(a: Args) -> Result<u8, Error> {
    let env = a.env.map(|p| Environment::read(p, &[])).transpose()?;
    let mut named: Vec<(ArtifactKind, String)> = env
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
    let key = env
        .as_ref()
        .map(crate::backup::signing::from_env)
        .transpose()
        .map_err(|problem| CommandError::BadValue {
            option: "--env",
            problem,
        })?
        .flatten();
    let sets_folder = set::is_folder_of_sets(a.dir);
    let this_set = set::read(a.dir, key.as_ref());
    if sets_folder || this_set.is_some() {
        // A set's files have fixed names (docs/backup-set.md), whatever the environment names.
        let pool = env
            .as_ref()
            .and_then(|e| e.get("pools.failed"))
            .map(|v| v.value.display());
        named = set::named(pool.as_deref());
    }
    if (sets_folder || this_set.is_some()) && a.write_sums {
        return Err(CommandError::SumsOfASet {
            instead: a.out.typed.without("--write-sums", false).to_string(),
        }
        .into());
    }
    if a.all && !sets_folder {
        return Err(CommandError::NotAFolderOfSets {
            dir: a.dir.to_path_buf(),
        }
        .into());
    }
    let mut dir = a.dir.to_path_buf();
    let mut header = String::new();
    // What the choice passed over (sets named in the future, newer sets not sound or not
    // authenticated) and an unauthenticated choice: reported, and the verdict at least degraded.
    let mut notes = Vec::new();
    let mut passed = Vec::new();
    if sets_folder {
        let sets = set::list(a.dir, key.as_ref()).map_err(|e| CommandError::Unreadable {
            path: a.dir.to_path_buf(),
            problem: e.to_string(),
        })?;
        let now = jiff::Timestamp::now();
        // The newest set whose files still match its SHA256SUMS: a changed or truncated file
        // makes the choice fall back to the set before, and say why.
        // With an environment, only a set of its pool and Back End.
        // The audit asks whether a recovery could start today: `recovery.started_at` (a past
        // recovery's, in a reused environment file) does not exclude tonight's set here.
        let whose = env
            .as_ref()
            .and_then(set::Whose::of)
            .map(|w| set::Whose { before: None, ..w });
        let (chosen, fell_back) = set::newest_sound(&sets, now, whose.as_ref());
        passed = set::passed_over(&sets, chosen, now);
        passed.extend(fell_back);
        notes = set::concerns(&sets, chosen, now);
        let newest = chosen.map(|s| s.name.clone());
        if a.all {
            let base = options(&a, &env, a.dir, named, max_age, response_group);
            return history(&a, &sets, newest.as_deref(), &base);
        }
        let Some(newest) = newest else {
            return Ok(no_sound_set(&a, &sets, &passed));
        };
        header = format!(
            "Backup set {newest} (the newest complete set in {})\n",
            a.dir.display()
        );
        for n in &passed {
            header.push_str(&format!("note: {n}\n"));
        }
        for n in &notes {
            header.push_str(&format!("warning: {n}\n"));
        }
        header.push('\n');
        dir = a.dir.join(&newest);
    }
    let opts = AuditOptions {
        // A set's SHA256SUMS is `lyncdr backup`'s: the advice must not say --write-sums.
        sealed_sums: sets_folder || this_set.is_some(),
        ..options(&a, &env, &dir, named, max_age, response_group)
    };
    let bar = opts.progress.then(crate::front::terminal::ProgressBar::stderr);
    let progress: &dyn crate::audit::Progress = match &bar {
        Some(b) => b,
        None => &Silent,
    };
    let report = audit_with(&opts, progress)?;
    // A set audited on its own says whether it is complete: a set killed half-way is never
    // taken for a good one, whatever its files look like.
    let incomplete = match &this_set {
        Some(info) => match &info.state {
            set::State::Incomplete(why) => Some(why.clone()),
            set::State::Unauthenticated(why) => {
                notes.push(format!("this set is unauthenticated: {why}"));
                None
            }
            set::State::Complete => {
                notes.extend(set::unauthenticated(info));
                None
            }
        },
        None => None,
    };
    // File and entry names come from the backup folder: no control character may act on the
    // terminal.
    if !a.out.is_json() {
        let mut text = header + &report.to_text();
        if this_set.is_some() {
            for n in &notes {
                text.push_str(&format!("warning: {n}\n"));
            }
        }
        if let Some(why) = &incomplete {
            text.push_str(&format!(
                "This backup set is INCOMPLETE ({why}): not ready (exit {})\n",
                exit::NOT_READY
            ));
        }
        print(&crate::decode::printable(&text));
    } else {
        let mut json = report.to_json();
        if let Some(o) = json.as_object_mut() {
            if let Some(why) = &incomplete {
                o.insert("set_incomplete".into(), why.clone().into());
            }
            if !notes.is_empty() {
                o.insert("set_warnings".into(), notes.clone().into());
            }
            if !passed.is_empty() {
                o.insert("sets_passed_over".into(), passed.clone().into());
            }
        }
        a.out.result(json);
    }
    Ok(if incomplete.is_some() {
        exit::NOT_READY
    } else if !notes.is_empty() {
        report.exit_code().max(exit::DEGRADED)
    } else {
        report.exit_code()
    })
}

/// A folder of sets without one complete, sound set: why each set was passed over; not ready.
fn no_sound_set(a: &Args, sets: &[set::SetInfo], passed: &[String]) -> u8 {
    let refused: Vec<(&str, &str, &str)> = sets
        .iter()
        .filter_map(|s| Some((s.name.as_str(), s.state.label(), s.state.why()?)))
        .collect();
    if a.out.is_json() {
        let refused: Vec<_> = refused
            .iter()
            .map(|(set, state, why)| serde_json::json!({"set": set, "state": state, "why": why}))
            .collect();
        a.out.result(serde_json::json!({
            "dir": a.dir.display().to_string(), "status": Status::NotReady,
            "no_sound_set": true, "sets": refused, "sets_passed_over": passed,
        }));
        return exit::NOT_READY;
    }
    let mut out = format!("No complete, sound backup set in {}:\n", a.dir.display());
    for (set, state, why) in &refused {
        out.push_str(&format!("  {set}  {state}: {why}\n"));
    }
    for n in passed {
        out.push_str(&format!("  {n}\n"));
    }
    out.push_str(&format!(
        "\nResult: {} (exit {})\n",
        Status::NotReady.name(),
        exit::NOT_READY
    ));
    print(&crate::decode::printable(&out));
    exit::NOT_READY
}

/// The audit's options from the command line and the environment file, for the folder `dir`.
fn options(
    a: &Args,
    env: &Option<Environment>,
    dir: &Path,
    named: Vec<(ArtifactKind, String)>,
    max_age: std::time::Duration,
    response_group: bool,
) -> AuditOptions {
    AuditOptions {
        dir: dir.to_path_buf(),
        named,
        runbooks: a.library.backup_needs(),
        max_age,
        now: jiff::Timestamp::now(),
        hash: !a.no_hash,
        write_sums: a.write_sums,
        sealed_sums: false,
        response_group,
        facts: env.as_ref().map(Environment::facts).unwrap_or_default(),
        progress: std::io::stderr().is_terminal(),
    }
}

/// `--all`: every set of a folder of sets with its verdict; the exit code is the newest complete
/// set's (not ready when there is none).
fn history(a: &Args, sets: &[set::SetInfo], newest: Option<&str>, base: &AuditOptions) -> Result<u8, Error> {
    let mut rows = Vec::new();
    let mut code = exit::NOT_READY;
    let mut any_future = false;
    for s in sets.iter().rev() {
        let (state, status, detail) = match &s.state {
            _ if s.in_future(base.now) => {
                any_future = true;
                (
                    "future",
                    Status::NotReady,
                    "named in the future: never taken as the newest set".to_owned(),
                )
            }
            set::State::Incomplete(why) | set::State::Unauthenticated(why) => {
                (s.state.label(), Status::NotReady, why.clone())
            }
            set::State::Complete => {
                let opts = AuditOptions {
                    dir: s.path.clone(),
                    write_sums: false,
                    sealed_sums: true,
                    progress: false,
                    ..base.clone()
                };
                match audit_with(&opts, &Silent) {
                    Ok(r) if s.verified => {
                        if newest == Some(s.name.as_str()) {
                            code = r.exit_code();
                        }
                        ("complete", r.status, String::new())
                    }
                    // No key checked it: never ready silently.
                    Ok(r) => {
                        if newest == Some(s.name.as_str()) {
                            code = r.exit_code().max(exit::DEGRADED);
                        }
                        (
                            "complete",
                            r.status.max(Status::Degraded),
                            "unauthenticated: no `backups.signing_key` to verify it".to_owned(),
                        )
                    }
                    Err(e) => ("complete", Status::NotReady, e.to_string()),
                }
            }
        };
        rows.push((
            s.name.clone(),
            state,
            status,
            detail,
            newest == Some(s.name.as_str()),
        ));
    }
    if !a.out.is_json() {
        let mut out = format!("Backup sets in {} (newest first):\n", a.dir.display());
        for (name, state, status, detail, is_newest) in &rows {
            let mark = if *is_newest { "  <- newest complete" } else { "" };
            let detail = if detail.is_empty() {
                String::new()
            } else {
                format!(" ({detail})")
            };
            out.push_str(&format!(
                "  {}  {state:<10}  {:<9}{}{mark}\n",
                crate::decode::one_line(name),
                status.name(),
                crate::decode::one_line(&detail)
            ));
        }
        print(&crate::decode::printable(&out));
    } else {
        let list: Vec<serde_json::Value> = rows
                .iter()
                .map(|(name, state, status, detail, is_newest)| {
                    // The status as every JSON output spells it (serde: `not-ready`), not the
                    // text's `not ready`.
                    serde_json::json!({"set": name, "state": state, "status": status, "detail": detail, "newest_complete": is_newest})
                })
                .collect();
        a.out
            .result(serde_json::json!({"dir": a.dir.display().to_string(), "sets": list}));
    }
    Ok(if any_future {
        code.max(exit::DEGRADED)
    } else {
        code
    })
}
