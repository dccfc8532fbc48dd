//! What goes into a bundle, decided once from the plan, the runbook and the environment: which
//! steps are in it and under which file names, which conditions the driver decides at run time
//! (the options: a parameter per choice key), and the prerequisites it checks before each step.
//!
//! A condition on a choice key becomes a run-time test, so the bundle holds the scripts of
//! every option; any other condition (a feature that is off) is decided here, and a step that
//! fails one is left out and listed as not applicable. Rendered text comes from the [`Plan`];
//! conditions come from the [`Runbook`], because the plan has already decided the options.

use super::BundleError;
use super::audited::{self, Audited, Pinned};
use crate::env::{Environment, Value};
use crate::render::plan::{Kind, Plan, PlannedStep};
use crate::runbook::condition::Test;
use crate::runbook::{Condition, Language, OptionInfo, PrereqKind, Prerequisite, Runbook, Step, StepRef};
use std::collections::BTreeMap;
use std::path::Path;

/// The driver's own parameters: a choice parameter must not take one of these names.
const RESERVED: [&str; 14] = [
    "From",
    "Only",
    "StateFolder",
    "EventWaitMinutes",
    "WhatIf",
    "Confirm",
    "Verbose",
    "Debug",
    "ErrorAction",
    "WarningAction",
    "ErrorVariable",
    "WarningVariable",
    "OutVariable",
    "OutBuffer",
];

pub struct Outline<'a> {
    pub plan: &'a Plan,
    /// The steps in the bundle, in run order.
    pub steps: Vec<Entry<'a>>,
    /// Steps left out because a condition other than an option fails.
    pub omitted: Vec<Omitted>,
    pub choices: Vec<Choice>,
    /// The runbook's own prerequisites, checked before the first step.
    pub prerequisites: Vec<Prereq>,
    pub max_age: MaxAge,
    /// `recovery.started_at` (RFC 3339, UTC), when the environment sets it.
    pub recovery_started: Option<String>,
    /// With `--backups DIR`: every backup checked there, once each; `None` without it.
    pub audited: Option<Vec<Audited>>,
    /// `backups.baseline` as the plan rendered it before the run starts, and the prefix the
    /// driver completes with the stamp of its first run ([`crate::env::baseline`]).
    pub baseline: Option<(String, String)>,
}

pub struct MaxAge {
    pub seconds: u64,
    /// As the environment wrote it (`7d`).
    pub text: String,
    pub from_env: bool,
}

pub struct Entry<'a> {
    pub step: &'a PlannedStep,
    /// The plan's step number, zero-padded to the width of the last one (`04`).
    pub number: String,
    /// For an action step: the file name without extension (`04-install-configured-databases`).
    pub stem: Option<String>,
    /// A file per T-SQL or cmd.exe command (or check) that is run, beside the step script.
    pub side_files: Vec<SideFile>,
    /// `FQDN\instance` for steps with T-SQL.
    pub sql_server: Option<String>,
    /// Its commands or check name this run's baseline folder: the driver passes it.
    pub takes_baseline: bool,
    /// Run only when these hold (all of them).
    pub when: Vec<RuntimeTest>,
    pub prerequisites: Vec<Prereq>,
}

/// A command kept in its own file (`.sql` for sqlcmd, `.cmd` for cmd.exe) and run from the
/// step script.
pub struct SideFile {
    pub name: String,
    pub language: Language,
    /// Its index in the step's commands; `None` for the step's check.
    pub command: Option<usize>,
}

impl Entry<'_> {
    pub fn side_file(&self, command: Option<usize>) -> Option<&SideFile> {
        self.side_files.iter().find(|f| f.command == command)
    }

    pub fn script(&self) -> Option<String> {
        self.stem.as_ref().map(|s| format!("{s}.ps1"))
    }

    /// `E.B.2 Import the user data with DBImpExp`, `A. Rebuild ...`, or the title alone.
    pub fn heading(&self) -> String {
        format!(
            "{}{}",
            crate::render::text::label_prefix(&self.step.label),
            self.step.title
        )
    }
}

/// A condition on a choice, decided by the driver from its parameter.
#[derive(Debug, Clone)]
pub struct RuntimeTest {
    pub parameter: String,
    pub key: String,
    pub equals: bool,
    pub value: String,
}

impl RuntimeTest {
    pub fn describe(&self) -> String {
        let not = if self.equals { "" } else { "not " };
        format!(
            "only if option {} is {not}chosen for `{}` (-{} {})",
            self.value, self.key, self.parameter, self.value
        )
    }
}

pub struct Prereq {
    pub kind: PrereqKind,
    pub description: String,
    /// For a backup: its path from the environment.
    pub path: Option<String>,
    /// For a backup checked with `--backups DIR` that the driver can read: the size and SHA-256
    /// of the file that was checked.
    pub pinned: Option<Pinned>,
    /// For an event: the step id (already resolved by the runbook checker) it must follow.
    pub after_step: Option<StepRef>,
    /// For an event: the Active Directory domains that each need one (`user_domains`).
    pub domains: Vec<String>,
    /// For an event: the Front End servers whose logs are read (`computers:`); empty: this server.
    pub computers: Vec<String>,
    pub when: Vec<RuntimeTest>,
}

pub struct Choice {
    pub parameter: String,
    pub key: String,
    pub step_id: String,
    pub title: String,
    /// The option the environment chose.
    pub default: Option<String>,
    pub options: Vec<OptionInfo>,
}

#[derive(Debug, Clone)]
pub struct Omitted {
    pub number: usize,
    pub id: String,
    pub title: String,
    pub reason: String,
}

enum Verdict {
    Applies(Vec<RuntimeTest>),
    NotApplicable(String),
}

impl<'a> Outline<'a> {
    /// `backups`: the `--backups DIR` to check every backup prerequisite in (see [`audited`]).
    pub fn new(
        plan: &'a Plan,
        runbook: &Runbook,
        env: &Environment,
        backups: Option<&Path>,
    ) -> Result<Self, BundleError> {
        let width = plan.steps.len().to_string().len().max(2);
        let mut choices: Vec<Choice> = Vec::new();
        let mut steps = Vec::new();
        let mut omitted = Vec::new();
        for planned in &plan.steps {
            // Plan::build makes one planned step per runbook step, with the same id.
            let Some(step) = runbook.steps.iter().find(|s| s.id == planned.id) else {
                continue;
            };
            let params = parameters(&choices);
            let when = match judge(&step.when, env, &params) {
                Verdict::Applies(when) => when,
                Verdict::NotApplicable(reason) => {
                    omitted.push(Omitted {
                        number: planned.number,
                        id: planned.id.clone(),
                        title: planned.title.clone(),
                        reason,
                    });
                    continue;
                }
            };
            if let Some(key) = &planned.choice
                && !params.contains_key(key)
            {
                choices.push(choice(planned, key, &choices));
            }
            let params = parameters(&choices);
            let prerequisites = step
                .prerequisites
                .iter()
                .filter_map(|p| prereq(p, env, &params))
                .collect();
            let number = format!("{:0width$}", planned.number);
            let mut entry = Entry {
                step: planned,
                stem: None,
                side_files: Vec::new(),
                sql_server: None,
                takes_baseline: false,
                when,
                prerequisites,
                number,
            };
            if matches!(planned.kind, Kind::Action) {
                check_rendered(planned, step)?;
                let stem = format!("{}-{}", entry.number, file_safe(&planned.id));
                entry.side_files = side_files(planned, &stem);
                if entry.side_files.iter().any(|f| f.language == Language::Sql) {
                    entry.sql_server = Some(sql_server(step, env)?);
                }
                entry.stem = Some(stem);
            }
            steps.push(entry);
        }
        let params = parameters(&choices);
        let mut prerequisites: Vec<Prereq> = runbook
            .prerequisites
            .iter()
            .filter_map(|p| prereq(p, env, &params))
            .collect();
        let audited = match backups {
            Some(dir) => Some(pin(&mut steps, &mut prerequisites, dir)?),
            None => None,
        };
        let age = env.max_backup_age();
        let max_age = MaxAge {
            seconds: age.limit.as_secs(),
            text: age.text,
            from_env: age.set,
        };
        let baseline = crate::env::baseline::unstarted(env);
        if let Some((value, _)) = &baseline {
            for e in &mut steps {
                e.takes_baseline = takes(e.step, value);
            }
        }
        let recovery_started = match env.get("recovery.started_at").map(|e| &e.value) {
            Some(Value::Timestamp(t)) => Some(t.to_string()),
            _ => None,
        };
        Ok(Outline {
            plan,
            steps,
            omitted,
            choices,
            prerequisites,
            max_age,
            recovery_started,
            audited,
            baseline,
        })
    }
}

/// Whether `step` names the baseline folder `value`: as one literal of its language, or as the
/// start of one (a file in it, `'...\rtc.bak'`).
fn takes(step: &PlannedStep, value: &str) -> bool {
    step.builtin.is_some()
        || step
            .commands
            .iter()
            .chain(&step.verify)
            .any(|c| c.text.contains(&literal_start(c.language, value)))
}

/// A literal of `value` in `language` without its closing quote: what a literal of the folder
/// and of a path in it both start with.
pub fn literal_start(language: Language, value: &str) -> String {
    let mut l = literal(language, value);
    if language != Language::Cmd {
        l.pop();
    }
    l
}

/// `value` as the templates of `language` render it.
pub fn literal(language: Language, value: &str) -> String {
    match language {
        Language::Powershell => crate::escape::powershell(value),
        Language::Sql => crate::escape::sql_literal(value),
        Language::Cmd => crate::escape::cmd_argument(value),
    }
}

/// Check every backup prerequisite (the runbook's first, then the steps' in order) in `dir`,
/// each backup once, and pin the ones the driver reads; the checked backups in that order.
fn pin(steps: &mut [Entry<'_>], runbook: &mut [Prereq], dir: &Path) -> Result<Vec<Audited>, BundleError> {
    // A folder that is not there would otherwise read as every backup missing from it.
    match std::fs::metadata(dir) {
        Ok(m) if m.is_dir() => {}
        Ok(_) => {
            return Err(BundleError::BackupsFolder {
                path: dir.to_owned(),
                problem: "not a folder".into(),
            });
        }
        Err(e) => {
            return Err(BundleError::BackupsFolder {
                path: dir.to_owned(),
                problem: e.to_string(),
            });
        }
    }
    let mut done: Vec<Audited> = Vec::new();
    let all = runbook
        .iter_mut()
        .chain(steps.iter_mut().flat_map(|e| e.prerequisites.iter_mut()));
    for p in all {
        let (PrereqKind::Backup { artifact }, Some(path)) = (&p.kind, &p.path) else {
            continue;
        };
        let a = match done.iter().find(|a| a.kind == *artifact && a.path == *path) {
            Some(a) => a.clone(),
            None => {
                let a = audited::check(*artifact, path, dir)?;
                done.push(a.clone());
                a
            }
        };
        p.pinned = a.pinned;
    }
    Ok(done)
}

/// The files for the step's T-SQL and cmd.exe commands that are run (alternatives are only
/// shown, inside the script): `04-x.sql`, or `04-x-1.sql`, `04-x-2.sql` when there are several.
fn side_files(planned: &PlannedStep, stem: &str) -> Vec<SideFile> {
    let run: Vec<(Option<usize>, Language)> = planned
        .commands
        .iter()
        .enumerate()
        .filter(|(_, c)| !c.alternative)
        .map(|(i, c)| (Some(i), c.language))
        .chain(planned.verify.iter().map(|v| (None, v.language)))
        .filter(|(_, l)| *l != Language::Powershell)
        .collect();
    run.iter()
        .map(|&(command, language)| {
            let same: Vec<_> = run.iter().filter(|(_, l)| *l == language).collect();
            let ext = language.extension();
            let name = match same.iter().position(|(c, _)| *c == command) {
                Some(k) if same.len() > 1 => format!("{stem}-{}.{ext}", k + 1),
                _ => format!("{stem}.{ext}"),
            };
            SideFile {
                name,
                language,
                command,
            }
        })
        .collect()
}

/// Choice key -> driver parameter.
fn parameters(choices: &[Choice]) -> BTreeMap<String, String> {
    choices
        .iter()
        .map(|c| (c.key.clone(), c.parameter.clone()))
        .collect()
}

fn choice(planned: &PlannedStep, key: &str, taken: &[Choice]) -> Choice {
    let base: String = key
        .rsplit('.')
        .next()
        .unwrap_or(key)
        .split('_')
        .filter(|w| !w.is_empty())
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                .unwrap_or_default()
        })
        .collect();
    let valid = base.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && base.chars().all(|c| c.is_ascii_alphanumeric());
    let base = if valid { base } else { "Option".to_owned() };
    let free = |name: &str| {
        !RESERVED.iter().any(|r| r.eq_ignore_ascii_case(name))
            && !taken.iter().any(|c| c.parameter.eq_ignore_ascii_case(name))
    };
    let parameter = if free(&base) {
        base
    } else {
        (2..)
            .map(|n| format!("{base}{n}"))
            .find(|n| free(n))
            .unwrap_or_default()
    };
    Choice {
        parameter,
        key: key.to_owned(),
        step_id: planned.id.clone(),
        title: planned.title.clone(),
        default: planned
            .options
            .iter()
            .find(|o| o.chosen)
            .map(|o| o.info.id.clone()),
        options: planned.options.iter().map(|o| o.info.clone()).collect(),
    }
}

/// Split conditions into run-time tests (on a choice key) and conditions decided now.
fn judge(conds: &[Condition], env: &Environment, params: &BTreeMap<String, String>) -> Verdict {
    let mut runtime = Vec::new();
    for c in conds {
        if let Some(parameter) = params.get(&c.key) {
            let (equals, value) = match &c.test {
                Test::Equals(v) => (true, v.clone()),
                Test::Differs(v) => (false, v.clone()),
                // A choice key is compared with `==`/`!=`; the runbook checker refuses the rest.
                Test::IsTrue | Test::IsFalse | Test::IsSet | Test::SameAs { .. } => continue,
            };
            runtime.push(RuntimeTest {
                parameter: parameter.clone(),
                key: c.key.clone(),
                equals,
                value,
            });
            continue;
        }
        match env.get(&c.key) {
            None => return Verdict::NotApplicable(format!("`{}` is not set", c.key)),
            Some(e) if !c.holds(&e.value, c.other_key().and_then(|k| env.get(k)).map(|o| &o.value)) => {
                return Verdict::NotApplicable(format!(
                    "`{c}` does not hold: `{}` is {}",
                    c.key,
                    e.value.display()
                ));
            }
            Some(_) => {}
        }
    }
    Verdict::Applies(runtime)
}

fn prereq(p: &Prerequisite, env: &Environment, params: &BTreeMap<String, String>) -> Option<Prereq> {
    let Verdict::Applies(when) = judge(&p.when, env, params) else {
        return None;
    };
    let path = match &p.kind {
        PrereqKind::Backup { artifact } => env.get(artifact.env_key()).map(|e| e.value.display()),
        _ => None,
    };
    let after_step = match &p.kind {
        PrereqKind::Event {
            after_step: Some(target),
            ..
        } => Some(target.clone()),
        _ => None,
    };
    let domains = match (&p.kind, env.get("user_domains").map(|e| &e.value)) {
        (PrereqKind::Event { .. }, Some(crate::env::Value::List(items))) => items.clone(),
        _ => Vec::new(),
    };
    let computers = match &p.kind {
        PrereqKind::Event {
            computers: Some(key), ..
        } => match env.get(key).map(|e| &e.value) {
            Some(crate::env::Value::List(items)) => items.clone(),
            _ => Vec::new(),
        },
        _ => Vec::new(),
    };
    Some(Prereq {
        kind: p.kind.clone(),
        description: p.describe(),
        path,
        pinned: None,
        after_step,
        domains,
        computers,
        when,
    })
}

/// The runbook binds the Back End as the input `sql_server` (`sql.backend.server`, derived
/// from `sql.backend.fqdn` and `.instance`); a step's T-SQL runs there.
fn sql_server(step: &Step, env: &Environment) -> Result<String, BundleError> {
    step.inputs
        .iter()
        .find(|i| i.name == "sql_server")
        .and_then(|i| env.get(&i.env))
        .map(|e| e.value.display())
        .ok_or_else(|| BundleError::NoSqlServer {
            step: step.id.clone(),
        })
}

/// Every command and check of the runbook step must have been rendered into the plan.
fn check_rendered(planned: &PlannedStep, step: &Step) -> Result<(), BundleError> {
    if planned.commands.len() < step.commands.len() || (step.verify.is_some() && planned.verify.is_none()) {
        return Err(BundleError::Unrendered {
            step: planned.id.clone(),
            reason: planned
                .reason
                .clone()
                .unwrap_or_else(|| "a value it needs is not set".to_owned()),
        });
    }
    Ok(())
}

/// A step id as part of a file name (ids are already `[a-z0-9.-]`; anything else becomes `-`).
fn file_safe(id: &str) -> String {
    id.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '.' {
                c
            } else {
                '-'
            }
        })
        .collect()
}
