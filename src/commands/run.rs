//! `run`, `status`, `report`, `resolve`: the guided recovery and its state file.

use super::{Error, print};
use crate::cli::{Format, RunArgs};
use crate::exit;
use crate::run::state::{self, Decision, Status};
use crate::run::{RunConfig, report, runner};
use crate::runbook::Library;
use crate::terminal::{Terminal, Unattended, operator_name};
use std::io::IsTerminal as _;
use std::path::{Path, PathBuf};

pub fn run(lib: &Library, a: RunArgs, verbose: u8) -> Result<u8, Error> {
    let timeout = crate::env::value::parse_duration(&a.step_timeout).map_err(|e| Error::Other {
        message: format!("--step-timeout: {e}"),
        code: exit::INVALID,
    })?;
    let state = a
        .state
        .unwrap_or_else(|| PathBuf::from(".lyncdr").join(format!("{}.json", a.runbook)));
    let _log = init_log(if a.dry_run { None } else { Some(&state) }, verbose);
    let cfg = RunConfig {
        runbook: a.runbook,
        env: a.env.env,
        sets: a.env.set,
        state,
        dry_run: a.dry_run,
        yes: a.yes,
        accept_changes: a.accept_changes,
        operator: operator_name(a.operator),
        programs: runner::Programs {
            powershell: a.powershell,
            sqlcmd: a.sqlcmd,
        },
        backups: a.backups,
        evidence: a.evidence,
        timeout,
    };
    if a.yes || a.dry_run || !std::io::stdin().is_terminal() {
        if !a.yes && !a.dry_run {
            return Err(Error::Other {
                message: "`lyncdr run` asks questions, and standard input is not a terminal\n  = hint: run it in a terminal, or pass --yes (rehearsal) or --dry-run".into(),
                code: exit::INVALID,
            });
        }
        crate::run::run(cfg, lib, &mut Unattended)
    } else {
        crate::run::run(cfg, lib, &mut Terminal::default())
    }
}

/// The full log beside the state file (`STATE.log`, appended to), and `-v`/`-vv` on stderr.
fn init_log(state: Option<&Path>, verbose: u8) -> Option<()> {
    use tracing_subscriber::prelude::*;
    let file = state.and_then(|state| {
        let path = state.with_extension("log");
        if let Some(dir) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).ok()?;
        }
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .ok()
    });
    let file_layer = file.map(|f| {
        tracing_subscriber::fmt::layer()
            .with_writer(std::sync::Mutex::new(f))
            .with_ansi(false)
    });
    let level = match verbose {
        0 => None,
        1 => Some(tracing::Level::INFO),
        _ => Some(tracing::Level::DEBUG),
    };
    let screen = level.map(|l| {
        tracing_subscriber::fmt::layer()
            .with_writer(std::io::stderr)
            .with_filter(tracing_subscriber::filter::LevelFilter::from_level(l))
    });
    tracing_subscriber::registry()
        .with(file_layer)
        .with(screen)
        .try_init()
        .ok()
}

pub fn status(path: &Path, format: Format) -> Result<u8, Error> {
    let s = load(path)?;
    match format {
        Format::Json => {
            let steps: Vec<_> = s
                .steps
                .iter()
                .map(|r| {
                    serde_json::json!({
                        "id": r.id, "label": r.label, "title": r.title, "status": r.status,
                        "started_at": r.started_at, "finished_at": r.finished_at,
                        "operator": r.operator, "note": r.note, "attempts": r.attempts,
                    })
                })
                .collect();
            let v = serde_json::json!({"runbook": s.runbook, "environment": s.environment, "started_at": s.started_at, "choices": s.choices, "steps": steps});
            print(&(super::plan::json(&v) + "\n"));
        }
        Format::Text => {
            let mut out = format!("{} ({}), started {}\n\n", s.title, s.runbook, s.started_at);
            for (i, r) in s.steps.iter().enumerate() {
                let label = if r.label.is_empty() {
                    String::new()
                } else {
                    format!("{} ", r.label)
                };
                let when = r.finished_at.as_deref().or(r.started_at.as_deref()).unwrap_or("");
                out.push_str(&format!(
                    "{:>3}. {:<11} {label}{} [{}] {when}\n",
                    i + 1,
                    r.status.name(),
                    r.title,
                    r.id
                ));
            }
            print(&out);
        }
    }
    Ok(exit::SUCCESS)
}

pub fn report(path: &Path) -> Result<u8, Error> {
    print(&report::markdown(&load(path)?));
    Ok(exit::SUCCESS)
}

pub fn resolve(step: &str, done: bool, path: &Path, operator: Option<String>) -> Result<u8, Error> {
    let _lock = state::lock(path).map_err(|e| Error::Other {
        message: e.to_string(),
        code: exit::IO,
    })?;
    let mut s = load(path)?;
    let operator = operator_name(operator);
    let Some(r) = s.step_mut(step) else {
        let ids: Vec<&str> = s.steps.iter().map(|r| r.id.as_str()).collect();
        let hint = crate::suggest::closest(step, ids.iter().copied())
            .map(|h| format!("did you mean `{h}`?"))
            .unwrap_or_else(|| "`lyncdr status` lists the steps".into());
        return Err(Error::Other {
            message: format!("the run has no step `{step}`\n  = hint: {hint}"),
            code: exit::INVALID,
        });
    };
    if !matches!(r.status, Status::Running | Status::Interrupted | Status::Failed) {
        return Err(Error::Other {
            message: format!(
                "step `{step}` is {}, not interrupted or failed: nothing to resolve",
                r.status.name()
            ),
            code: exit::INVALID,
        });
    }
    let what = if done {
        "resolved: it took effect, marked done"
    } else {
        "resolved: to be run again"
    };
    if done {
        r.status = Status::Done;
        r.finished_at = Some(crate::run::now());
        r.note = Some("marked done with `lyncdr resolve --done`".into());
    } else {
        r.status = Status::Pending;
        r.note = Some("to be run again (`lyncdr resolve --retry`)".into());
    }
    r.operator = Some(operator.clone());
    s.decisions.push(Decision {
        at: crate::run::now(),
        operator,
        step: Some(step.into()),
        what: what.into(),
    });
    state::save(path, &s).map_err(|e| Error::Other {
        message: e.to_string(),
        code: exit::IO,
    })?;
    print(&format!("step `{step}` {what}\n"));
    Ok(exit::SUCCESS)
}

/// The state file given, or the only one `lyncdr run` left in `.lyncdr/` (its default place).
pub fn state_file(given: Option<PathBuf>) -> Result<PathBuf, Error> {
    if let Some(p) = given {
        return Ok(p);
    }
    let found: Vec<PathBuf> = std::fs::read_dir(".lyncdr")
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    match found.as_slice() {
        [one] => Ok(one.clone()),
        [] => Err(Error::Other {
            message: "no state file in .lyncdr/ here\n  = hint: give --state FILE, the state file of the run"
                .into(),
            code: exit::INVALID,
        }),
        many => Err(Error::Other {
            message: format!(
                "several runs in .lyncdr/: {}\n  = hint: choose one with --state FILE",
                many.iter()
                    .map(|p| p.display().to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            code: exit::INVALID,
        }),
    }
}

fn load(path: &Path) -> Result<state::State, Error> {
    match state::load(path) {
        Ok(Some(s)) => Ok(s),
        Ok(None) => Err(Error::Other {
            message: format!("no state file `{}`", path.display()),
            code: exit::INVALID,
        }),
        Err(e) => Err(Error::Other {
            message: e.to_string(),
            code: exit::INVALID,
        }),
    }
}
