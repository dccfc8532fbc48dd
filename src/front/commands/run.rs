//! `run`, `status`, `report`, `resolve`: the guided recovery and its state file.

use super::{CommandError, Error, print};
use crate::front::cli::RunArgs;
use crate::front::exit;
use crate::front::json::Output;
use crate::front::terminal::{Terminal, Unattended, known_operator, operator_name};
use crate::run::state::{self, Decision, State, Status};
use crate::run::{RunConfig, report, runner};
use crate::runbook::Library;
use std::io::IsTerminal as _;
use std::path::{Path, PathBuf};

pub fn run(lib: &Library, a: RunArgs, verbose: u8) -> Result<u8, Error> {
    let (timeout, codepage) = super::runner_options(&a.step_timeout, a.codepage.as_deref())?;
    let programs = runner::Programs {
        powershell: a.powershell,
        sqlcmd: a.sqlcmd,
        codepage,
    };
    let rehearsal = crate::run::is_rehearsal(a.yes, &programs);
    let state = a.state.unwrap_or_else(|| {
        if rehearsal {
            state::rehearsal_path(&a.env.env, &a.runbook)
        } else {
            state::default_path(&a.env.env, &a.runbook)
        }
    });
    // A state file reached through a link is locked and written where it really is: two names
    // for one file must not make two locks (and an atomic rename must not replace the link).
    let state = match std::fs::symlink_metadata(&state) {
        Ok(m) if crate::fsx::is_link(&m) => crate::fsx::canonicalize(&state).unwrap_or(state),
        _ => state,
    };
    // Nothing is created beside the state file (log, lock) for a runbook that does not exist.
    lib.get(&a.runbook)?;
    state::check_path(&state)?;
    let log = if a.dry_run {
        None
    } else {
        Some(state::open_log(&state)?)
    };
    let _log = init_log(log, verbose);
    let console = std::io::stdin().is_terminal() && std::io::stdout().is_terminal();
    // `--backup-set DIR`: the paths from its newest complete set; that set is the local view
    // (`--backups`) unless one is given.
    let (sets, set_folder) = super::plan::overrides(&a.env)?;
    let cfg = RunConfig {
        runbook: a.runbook,
        env: a.env.env,
        sets,
        state,
        dry_run: a.dry_run,
        yes: a.yes,
        rehearsal,
        accept_changes: a.accept_changes,
        operator: known_operator(a.operator),
        programs,
        backups: a.backups.or(set_folder),
        evidence: a.evidence,
        timeout,
        console,
        key: a.key,
        seal: Some(crate::backup::seal::for_run),
    };
    if a.yes || a.dry_run || !std::io::stdin().is_terminal() {
        if !a.yes && !a.dry_run {
            return Err(CommandError::NoTerminal.into());
        }
        crate::run::run(cfg, lib, &mut Unattended::default())
    } else {
        crate::run::run(cfg, lib, &mut Terminal::default())
    }
    .map(crate::front::error::outcome)
    .map_err(Error::from)
}

/// The run log beside the state file (`STATE.log`, appended to): lyncdr's own records and the
/// steps' output; library debug lines only with -vv. `-v`/`-vv` also print to stderr.
fn init_log(file: Option<std::fs::File>, verbose: u8) -> Option<()> {
    use tracing_subscriber::filter::{LevelFilter, Targets};
    use tracing_subscriber::prelude::*;
    let file_filter = if verbose >= 2 {
        Targets::new().with_default(LevelFilter::DEBUG)
    } else {
        Targets::new().with_target("lyncdr", LevelFilter::INFO)
    };
    let file_layer = file.map(|f| {
        tracing_subscriber::fmt::layer()
            .with_writer(std::sync::Mutex::new(f))
            .with_ansi(false)
            .with_filter(file_filter)
    });
    let level = match verbose {
        0 => None,
        1 => Some(tracing::Level::INFO),
        _ => Some(tracing::Level::DEBUG),
    };
    let screen = level.map(|l| {
        tracing_subscriber::fmt::layer()
            .with_writer(std::io::stderr)
            .with_filter(LevelFilter::from_level(l))
    });
    tracing_subscriber::registry()
        .with(file_layer)
        .with(screen)
        .try_init()
        .ok()
}

/// A step's status as it is now: `running` with no live run means the run that recorded it is
/// gone (killed, crashed), so the step was interrupted. (`checking` stays: its commands ended;
/// its check is owed, and the next run runs it first.)
fn status_now(s: Status, live: bool) -> Status {
    match s {
        Status::Running if !live => Status::Interrupted,
        other => other,
    }
}

/// The commands that settle an undecided step, each as typed (none for a settled step).
/// `status` is the step's status now ([`status_now`]); `--done` carries `--reason` where it
/// needs one.
fn decide_commands(path: &Path, r: &state::StepRecord, status: Status) -> Vec<String> {
    let resolve = |how: &str| state::resolve_command(path, &r.id, how);
    let done = resolve(r.done_flag());
    match status {
        Status::Failed | Status::Interrupted | Status::Running | Status::Edited => {
            vec![done, resolve("--retry")]
        }
        // The next `lyncdr run` runs its check first; or the operator says it took effect.
        Status::Checking => vec![done],
        _ => Vec::new(),
    }
}

pub fn status(paths: &[PathBuf], env: Option<&Path>, output: &Output) -> Result<u8, Error> {
    if paths.is_empty() {
        // Nothing started yet is an answer, not an error.
        if output.is_json() {
            output.result(serde_json::json!({ "runs": [] }));
        } else {
            let folder = runs_folder(env);
            let env = env.map_or("FILE".into(), |e| e.display().to_string());
            print(&format!(
                "No run has been started in {} yet. `lyncdr list` names the runbooks; lyncdr run RUNBOOK --env {env} (RUNBOOK one of them) starts one.\n",
                folder.display()
            ));
        }
        return Ok(exit::SUCCESS);
    }
    let mut runs = Vec::new();
    for p in paths {
        runs.push((p, load(p)?, state::is_live(p)));
    }
    if output.is_json() {
        let all: Vec<_> = runs.iter().map(|(p, s, live)| status_json(p, s, *live)).collect();
        let v = if let [one] = all.as_slice() {
            one.clone()
        } else {
            serde_json::json!({ "runs": all })
        };
        output.result(v);
    } else {
        let mut out = String::new();
        for (i, (p, s, live)) in runs.iter().enumerate() {
            if i > 0 {
                out.push('\n');
            }
            out.push_str(&status_text(p, s, *live));
        }
        print(&crate::decode::printable(&out));
    }
    Ok(exit::SUCCESS)
}

fn status_json(path: &Path, s: &State, live: bool) -> serde_json::Value {
    let steps: Vec<_> = s
        .steps
        .iter()
        .map(|r| {
            let status = status_now(r.status, live);
            let mut v = serde_json::json!({
                "id": r.id, "label": r.label, "title": r.title, "status": status,
                "started_at": r.started_at, "finished_at": r.finished_at,
                "operator": r.operator, "note": r.note, "attempts": r.attempts,
                "how": r.how,
            });
            if status != r.status {
                v["recorded_status"] = serde_json::json!(r.status);
            }
            if let Some(c) = r.checks.last() {
                v["check"] = serde_json::json!(c.verdict);
            }
            let decide = decide_commands(path, r, status);
            if !decide.is_empty() {
                v["decide"] = serde_json::json!(decide);
            }
            v
        })
        .collect();
    serde_json::json!({
        "state": path.display().to_string(), "live": live, "runbook": s.runbook,
        "environment": s.environment, "started_at": s.started_at, "choices": s.choices,
        "rehearsal": s.rehearsal, "steps": steps,
    })
}

fn status_text(path: &Path, s: &State, live: bool) -> String {
    let mut out = format!(
        "{}{} ({}), started {}; state {}{}\n",
        if s.rehearsal {
            "REHEARSAL (nothing was run or confirmed): "
        } else {
            ""
        },
        s.title,
        s.runbook,
        s.started_at,
        path.display(),
        if live { " (a run is active now)" } else { "" }
    );
    for (k, v) in &s.choices {
        out.push_str(&format!("Option chosen: {k} = {v}\n"));
    }
    out.push('\n');
    let mut decide = Vec::new();
    for (i, r) in s.steps.iter().enumerate() {
        let status = status_now(r.status, live);
        let label = if r.label.is_empty() {
            String::new()
        } else {
            format!("{} ", r.label)
        };
        let when = r.finished_at.as_deref().or(r.started_at.as_deref()).unwrap_or("");
        let check = r
            .checks
            .last()
            .map(|c| format!(" (check {})", c.verdict.name()))
            .unwrap_or_default();
        let how = match r.how {
            Some(h) if status == Status::Done => format!(" -- {}", h.name()),
            _ => String::new(),
        };
        out.push_str(&format!(
            "{:>3}. {:<11} {label}{} [{}] {when}{check}{how}\n",
            i + 1,
            status.name(),
            r.title,
            r.id
        ));
        for cmd in decide_commands(path, r, status) {
            decide.push(format!("  {cmd}"));
        }
    }
    let edited: Vec<String> = s.steps.iter().filter_map(|r| r.edited_warning(path)).collect();
    if !edited.is_empty() {
        out.push_str(
            "\nChanged outside lyncdr (not trusted; each is decided as a step that may have run):\n",
        );
        out.push_str(&edited.iter().map(|l| format!("  {l}\n")).collect::<String>());
    }
    if !decide.is_empty() {
        out.push_str("\nTo decide (--done: it took effect, after a failure with --reason saying how you know; --retry: run it again; a step in checking has its check run first by the next lyncdr run):\n");
        out.push_str(&decide.join("\n"));
        out.push('\n');
    }
    out
}

pub fn report(path: &Path) -> Result<u8, Error> {
    print(&crate::decode::printable(&report::markdown(&load(path)?)));
    Ok(exit::SUCCESS)
}

/// What `lyncdr resolve` does to a step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolution {
    /// It took effect: done, for the reason given (`--reason`), if any.
    Done(Option<String>),
    /// It did not: pending, run again.
    Retry,
    /// A choice: forget the option taken, so the next run asks again.
    Rechoose,
}

pub fn resolve(step: &str, how: Resolution, path: &Path, operator: Option<String>) -> Result<u8, Error> {
    let _lock = state::lock(path)?;
    let mut s = load(path)?;
    let operator = operator_name(operator);
    let Some(r) = s.step_mut(step) else {
        let ids: Vec<&str> = s.steps.iter().map(|r| r.id.as_str()).collect();
        return Err(CommandError::NoStep {
            step: step.into(),
            suggestion: crate::suggest::closest(step, ids.iter().copied()).map(str::to_owned),
        }
        .into());
    };
    let what = match &how {
        Resolution::Rechoose => rechoose(&mut s, step)?,
        Resolution::Done(_) | Resolution::Retry => {
            // Under the lock: a `running` step here belongs to a run that is gone. A pending
            // step can be done by hand (after exit 6, or with no runner): `--done` records that.
            let open = r.status.needs_decision();
            let done = matches!(how, Resolution::Done(_));
            if !(open || done && r.status == Status::Pending) {
                return Err(CommandError::NothingToResolve {
                    step: step.into(),
                    status: r.status.name(),
                }
                .into());
            }
            r.operator = Some(operator.clone());
            match &how {
                Resolution::Done(reason) => mark_done(r, reason.as_deref(), path)?,
                _ => {
                    r.status = Status::Pending;
                    r.note = Some("to be run again (`lyncdr resolve --retry`)".into());
                    "resolved: to be run again".to_owned()
                }
            }
        }
    };
    s.decisions.push(Decision {
        at: crate::run::now(),
        operator,
        step: Some(step.into()),
        what: what.clone(),
    });
    state::save(path, &s)?;
    print(&format!("step `{step}` {what}\n"));
    Ok(exit::SUCCESS)
}

/// `resolve --done`: done once its check passes (the next run runs the check, read-only,
/// first). After a failure, or a check that failed, only for a reason typed with `--reason`
/// (issue 18: a failed step is never done by default), recorded in the note and the decision.
fn mark_done(r: &mut state::StepRecord, reason: Option<&str>, path: &Path) -> Result<String, Error> {
    let reason = reason.map(str::trim).filter(|t| !t.is_empty());
    if r.done_needs_reason() && reason.is_none() {
        return Err(CommandError::ReasonNeeded {
            step: r.id.clone(),
            what: if r.status == Status::Failed {
                "it failed"
            } else {
                "its check failed"
            },
            state: path.to_path_buf(),
        }
        .into());
    }
    let why = reason.map(|t| format!(": {t}")).unwrap_or_default();
    r.status = Status::Checking;
    r.finished_at = Some(crate::run::now());
    r.note = Some(format!(
        "marked done with `lyncdr resolve --done`{why}; its check runs next"
    ));
    r.how = Some(crate::run::state::How::Resolved);
    Ok(format!(
        "resolved: it took effect{why}; the next `lyncdr run` runs its check, then goes on"
    ))
}

/// Forget the option a choice step took, while none of that option's steps has started: the
/// choice step and every step of its options become pending again (a step of the option not
/// taken was recorded skipped), and the next run asks (or takes the environment's option).
fn rechoose(s: &mut State, step: &str) -> Result<String, Error> {
    let Some(key) = s.step(step).and_then(|r| r.choice.clone()) else {
        let choices: Vec<String> = s
            .steps
            .iter()
            .filter(|r| r.choice.is_some())
            .map(|r| r.id.clone())
            .collect();
        return Err(CommandError::NotAChoice {
            step: step.into(),
            choices,
        }
        .into());
    };
    let Some(chosen) = s.choices.get(&key).cloned() else {
        return Err(CommandError::NotChosen { step: step.into() }.into());
    };
    let prefix = format!("{key}=");
    let started: Vec<String> = s
        .steps
        .iter()
        .filter(|r| r.option.as_deref() == Some(&format!("{key}={chosen}")))
        .filter(|r| !r.section)
        .filter(|r| r.attempts > 0 || !matches!(r.status, Status::Pending | Status::Skipped))
        .map(|r| format!("`{}` ({})", r.id, r.status.name()))
        .collect();
    if !started.is_empty() {
        return Err(CommandError::OptionStarted {
            step: step.into(),
            chosen,
            started,
        }
        .into());
    }
    for r in s.steps.iter_mut() {
        if r.id == step || r.option.as_deref().is_some_and(|o| o.starts_with(&prefix)) {
            r.status = Status::Pending;
            r.finished_at = None;
            r.note = None;
        }
    }
    s.choices.remove(&key);
    Ok(format!(
        "resolved: option {chosen} ({key}) withdrawn; the next run asks for the option again"
    ))
}

/// The state files of the runs a command may work on: the one given; else the runs in
/// `.lyncdr/` beside the environment file (with `--env`) or in the current folder, only
/// `RUNBOOK`'s when one is named (a rehearsal's is `RUNBOOK.rehearsal`). Possibly none.
pub fn state_files(given: Option<PathBuf>, env: Option<&Path>, runbook: Option<&str>) -> Vec<PathBuf> {
    if let Some(p) = given {
        return vec![p];
    }
    let dir = runs_folder(env);
    let mut found: Vec<PathBuf> = std::fs::read_dir(&dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .filter(|p| {
            let stem = p.file_stem().and_then(|s| s.to_str()).unwrap_or("");
            runbook.is_none_or(|r| stem == r)
        })
        .collect();
    found.sort();
    found
}

/// The folder of the runs beside `env` (or here).
fn runs_folder(env: Option<&Path>) -> PathBuf {
    match env {
        Some(env) => state::default_path(env, "x")
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from(".lyncdr")),
        None => PathBuf::from(".lyncdr"),
    }
}

/// The one run a command works on (see [`state_files`]); with several, the error names the
/// command that chooses each: `again` turns a state file into it.
pub fn one_state_file(
    given: Option<PathBuf>,
    env: Option<&Path>,
    runbook: Option<&str>,
    again: impl Fn(&Path) -> String,
) -> Result<PathBuf, Error> {
    let mut found = state_files(given, env, runbook);
    match found.len() {
        0 => Err(CommandError::NoStateFile {
            dir: runs_folder(env),
        }
        .into()),
        1 => Ok(found.remove(0)),
        _ => Err(CommandError::SeveralRuns {
            dir: runs_folder(env),
            choose: found.iter().map(|p| again(p)).collect(),
            found,
        }
        .into()),
    }
}

fn load(path: &Path) -> Result<State, Error> {
    match state::load(path) {
        Ok(Some(s)) => Ok(s),
        Ok(None) => Err(CommandError::StateNotFound { path: path.into() }.into()),
        Err(e) => Err(e.into()),
    }
}
