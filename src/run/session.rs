//! One session of a run: load or resume the state, walk the plan, keep the checkpoint. The
//! per-step work is in [`super::step`], prerequisites in [`super::gates`], checks in
//! [`super::check`].

use super::error::{RunError, RunOutcome};
use super::operator::Operator;
use super::state::{self, Decision, State, Status, StepRecord};
use super::{RunConfig, child, fingerprint, interrupt, now};
use crate::env::Environment;
use crate::render::plan::{Plan, PlannedStep};
use crate::runbook::Library;
use std::collections::BTreeMap;

pub(super) struct Session<'a> {
    pub cfg: RunConfig,
    pub lib: &'a Library,
    pub env: Environment,
    pub state: State,
    pub op: &'a mut dyn Operator,
    pub operator: String,
    /// The runbook's own prerequisites are checked before the first step this session visits.
    pub runbook_prerequisites_checked: bool,
    /// Dry run: every prerequisite found unmet, in order (step, what, why).
    pub unmet: Vec<String>,
}

pub(super) enum Flow {
    Next,
    Replan,
    Exit(RunOutcome),
}

pub fn run(cfg: RunConfig, lib: &Library, op: &mut dyn Operator) -> Result<RunOutcome, RunError> {
    let runbook = lib.get(&cfg.runbook)?;
    let env = Environment::read(&cfg.env, &cfg.sets)?;
    let print = fingerprint::of(lib, runbook, &env, &cfg.sets);
    let values = values_of(&env);
    if !cfg.dry_run {
        let _ = interrupt::install();
    }
    state::check_path(&cfg.state)?;
    let _lock = if cfg.dry_run {
        None
    } else {
        Some(state::lock(&cfg.state)?)
    };
    // The folder the steps' scripts run from: private, checked before anything runs.
    if !cfg.dry_run {
        let dir = scratch(&cfg.state);
        super::runner::scratch_dir(&dir).map_err(|source| state::StateError::Write { path: dir, source })?;
    }
    if !cfg.dry_run
        && let Some((c, pid)) = child::still_running(&scratch(&cfg.state))
    {
        return Err(state::StateError::CommandStillRuns {
            path: cfg.state.clone(),
            step: c.step,
            pid,
        }
        .into());
    }
    let existing = state::load(&cfg.state)?;
    let resumed = existing.is_some();
    let mut pending_decision = None;
    let state = match existing {
        Some(mut s) => {
            if s.rehearsal != cfg.rehearsal {
                return Err(RunError::RehearsalMix {
                    path: cfg.state.clone(),
                    rehearsal_file: s.rehearsal,
                });
            }
            if s.runbook != cfg.runbook {
                return Err(RunError::OtherRunbook {
                    path: cfg.state.clone(),
                    found: s.runbook.clone(),
                    wanted: cfg.runbook.clone(),
                });
            }
            let mut changes = fingerprint::diff(&s.fingerprint, &print);
            if !changes.is_empty() {
                changes.extend(value_changes(&s.values, &values));
                if !cfg.accept_changes {
                    return Err(RunError::Changed { changes });
                }
                pending_decision = Some(format!("accepted changes: {}", changes.join("; ")));
                s.fingerprint = print;
            }
            s.values = values;
            s
        }
        None => State {
            format: state::FORMAT,
            run_id: super::seal::new_run_id(),
            runbook: runbook.id.clone(),
            title: runbook.title.clone(),
            environment: env.source.name.clone(),
            started_at: now(),
            fingerprint: print,
            values,
            choices: Default::default(),
            steps: Vec::new(),
            decisions: Vec::new(),
            rehearsal: cfg.rehearsal,
        },
    };
    // Asked once per run: a resume takes the name the state last recorded.
    let recorded = state
        .decisions
        .iter()
        .rev()
        .map(|d| d.operator.as_str())
        .chain(state.steps.iter().filter_map(|r| r.operator.as_deref()))
        .find(|n| *n != "unknown operator")
        .map(str::to_owned);
    let operator = match cfg.operator.clone().or(recorded) {
        Some(name) => name,
        None if cfg.yes || cfg.dry_run => "unknown operator".to_owned(),
        None => {
            let name = op.operator_name();
            // Ctrl-C at the name: the run never started, so nothing is written.
            if interrupt::requested() {
                op.show("\nInterrupted (Ctrl-C) before the run started; nothing was written.\n");
                return Ok(RunOutcome::Interrupted);
            }
            name.unwrap_or_else(|| "unknown operator".to_owned())
        }
    };
    let mut s = Session {
        cfg,
        lib,
        env,
        state,
        op,
        operator,
        runbook_prerequisites_checked: false,
        unmet: Vec::new(),
    };
    if let Some(what) = pending_decision {
        s.decide(None, what);
    }
    let mut plan = s.plan()?;
    s.reconcile(&plan);
    if s.cfg.rehearsal {
        s.op.show("\n*** REHEARSAL: --yes and no PowerShell here, so nothing is run and nothing is confirmed. ***\n*** Every step is walked and recorded as rehearsed, in a state file of its own; prerequisites are still checked. ***\n\n");
    } else if s.cfg.yes {
        s.op.show("\n*** --yes with PowerShell here: every step RUNS FOR REAL, every confirmation is answered yes ***\n*** and every choice taken from the environment. Prerequisites are still checked, and a failing one stops the run. ***\n\n");
    }
    if s.cfg.dry_run {
        s.op.show(
            "*** Dry run: prerequisites are checked, nothing is run and no checkpoint is written. ***\n\n",
        );
    } else if !resumed {
        s.op.show(&format!(
            "Starting a new run; state in {}\n",
            s.cfg.state.display()
        ));
    } else {
        s.op.show(&format!("Resuming the run in {}\n", s.cfg.state.display()));
    }
    s.warn_edited();
    s.warn_old_start();
    s.readiness(&plan, resumed);
    s.save()?;
    let mut i = 0;
    while i < plan.steps.len() {
        let step = plan.steps[i].clone();
        match s.visit(&step, plan.steps.len())? {
            Flow::Next => i += 1,
            Flow::Replan => {
                plan = s.plan()?;
                s.reconcile(&plan);
                i += 1;
            }
            Flow::Exit(code) => return Ok(code),
        }
    }
    let count = |st: Status| s.state.steps.iter().filter(|r| r.status == st).count();
    let (done, skipped) = (count(Status::Done), count(Status::Skipped));
    if s.cfg.dry_run {
        s.op.show(&format!(
            "\nDry run complete: {} steps walked, {skipped} would be skipped. Nothing was run or written.\n",
            plan.steps.len()
        ));
        if !s.unmet.is_empty() {
            let mut out = format!(
                "\nNot ready: {} prerequisite(s) are not met now:\n",
                s.unmet.len()
            );
            for u in &s.unmet {
                out.push_str(&format!("  - {u}\n"));
            }
            s.op.show(&out);
            return Ok(RunOutcome::Unmet);
        }
    } else if s.state.rehearsal {
        s.op.show(&format!(
            "\nRehearsal complete: {} steps walked, {skipped} skipped; nothing was run or confirmed. Report: lyncdr report --state {}\n",
            done,
            s.cfg.state.display()
        ));
    } else {
        s.op.show(&format!(
            "\nRecovery complete: {done} steps done, {skipped} skipped.{} Report: lyncdr report --state {}\n",
            super::report::Tally::of(&s.state).sentence(),
            s.cfg.state.display()
        ));
    }
    Ok(RunOutcome::Complete)
}

/// Every environment value as text, for "what changed" on a resume.
/// The run's private folder for scripts, transcripts and the running command's record.
pub(super) fn scratch(state: &std::path::Path) -> std::path::PathBuf {
    state.with_extension("tmp")
}

fn values_of(env: &Environment) -> BTreeMap<String, String> {
    env.values
        .iter()
        .map(|(k, e)| (k.clone(), e.value.display()))
        .collect()
}

fn value_changes(old: &BTreeMap<String, String>, new: &BTreeMap<String, String>) -> Vec<String> {
    let mut out = Vec::new();
    for (k, v) in new {
        match old.get(k) {
            None if !old.is_empty() => out.push(format!("environment `{k}`: (not set) -> {v}")),
            Some(o) if o != v => out.push(format!("environment `{k}`: {o} -> {v}")),
            _ => {}
        }
    }
    for (k, o) in old.iter().filter(|(k, _)| !new.contains_key(*k)) {
        out.push(format!("environment `{k}`: {o} -> (not set)"));
    }
    out
}

impl Session<'_> {
    pub fn plan(&self) -> Result<Plan, RunError> {
        let mut sets = self.cfg.sets.clone();
        sets.extend(self.state.choices.iter().map(|(k, v)| format!("{k}={v}")));
        let mut env = Environment::parse(self.env.source.clone(), &sets)?;
        // Decided once per run, from the start the state records: a resume gets the same folder.
        env.start_run(&self.state.started_at);
        let runbook = self.lib.get(&self.cfg.runbook)?;
        Ok(Plan::build(runbook, &env, &self.lib.templates)?)
    }

    /// Make the state list every step of the plan, in plan order, keeping what is recorded.
    pub fn reconcile(&mut self, plan: &Plan) {
        let mut steps = Vec::with_capacity(plan.steps.len());
        for p in &plan.steps {
            let mut rec = self
                .state
                .steps
                .iter()
                .find(|r| r.id == p.id)
                .cloned()
                .unwrap_or(StepRecord {
                    id: p.id.clone(),
                    label: p.label.clone(),
                    title: p.title.clone(),
                    status: Status::Pending,
                    started_at: None,
                    finished_at: None,
                    operator: None,
                    note: None,
                    attempts: 0,
                    commands: Vec::new(),
                    evidence: Vec::new(),
                    checks: Vec::new(),
                    choice: None,
                    option: None,
                    section: false,
                    how: None,
                    seal: None,
                });
            rec.choice = p.choice.clone();
            rec.option = p.option.as_ref().map(|(k, v)| format!("{k}={v}"));
            rec.section = matches!(p.kind, crate::render::plan::Kind::Section);
            steps.push(rec);
        }
        self.state.steps = steps;
    }

    /// Name every step whose record was changed outside lyncdr, before the walk reaches it.
    fn warn_edited(&mut self) {
        let lines: Vec<String> = (self.state.steps.iter())
            .filter_map(|r| r.edited_warning(&self.cfg.state))
            .map(|l| format!("  {l}\n"))
            .collect();
        if lines.is_empty() {
            return;
        }
        tracing::warn!("{} step record(s) changed outside lyncdr", lines.len());
        self.op.show(&crate::decode::printable(&format!(
            "\n!!! {} step record(s) of this state file were changed outside lyncdr; none of them is trusted, each is decided as a step that may have run:\n{}",
            lines.len(),
            lines.concat()
        )));
    }

    /// `recovery.started_at` months ago (the example environment's date, copied along) would
    /// let an event log entry from long before this recovery prove a step: say so.
    fn warn_old_start(&mut self) {
        let Some(crate::env::Value::Timestamp(t)) = self.env.get("recovery.started_at").map(|e| &e.value)
        else {
            return;
        };
        let days = t.duration_until(jiff::Timestamp::now()).as_hours() / 24;
        if days > 30 {
            self.op.show(&format!(
                "WARNING: recovery.started_at is {t}, {days} days ago: event log entries from long before this recovery would count as evidence. Set it to when this recovery started (or remove it: the start of the run is used).\n"
            ));
        }
    }

    pub fn save(&self) -> Result<(), RunError> {
        if self.cfg.dry_run {
            return Ok(());
        }
        Ok(state::save(&self.cfg.state, &self.state)?)
    }

    pub fn record(&mut self, id: &str, f: impl FnOnce(&mut StepRecord)) -> Result<(), RunError> {
        if let Some(r) = self.state.step_mut(id) {
            f(r);
        }
        self.save()
    }

    pub fn decide(&mut self, step: Option<&str>, what: impl Into<String>) {
        let what = what.into();
        tracing::info!(step = step.unwrap_or("-"), operator = %self.operator, "{what}");
        self.state.decisions.push(Decision {
            at: now(),
            operator: self.operator.clone(),
            step: step.map(str::to_owned),
            what,
        });
    }

    pub fn finish(&mut self, id: &str, status: Status, note: impl Into<String>) -> Result<(), RunError> {
        let operator = self.operator.clone();
        let note = note.into();
        tracing::info!(step = id, status = status.name(), "{note}");
        self.record(id, |r| {
            r.status = status;
            r.finished_at = Some(now());
            r.started_at.get_or_insert_with(now);
            r.operator = Some(operator);
            r.note = Some(note);
        })
    }

    /// The operator stopped at `step` (a menu's "Stop here", Esc, or Ctrl-C): the state is
    /// saved already; say how to go on. Ctrl-C ends with [`RunOutcome::Interrupted`].
    pub fn stopped(&mut self, step: &PlannedStep) -> Flow {
        let name = if step.label.is_empty() {
            format!("`{}`", step.id)
        } else {
            format!("{} (`{}`)", step.label, step.id)
        };
        let _ = self.save();
        let undecided = (self.state.step(&step.id)).is_some_and(|r| r.status.needs_decision());
        if interrupt::requested() {
            tracing::info!(step = %step.id, "interrupted with Ctrl-C");
            self.op.show(&format!(
                "\nInterrupted (Ctrl-C) at step {name}. The state is saved in {}: run the same command again to resume.\n",
                self.cfg.state.display()
            ));
            return Flow::Exit(RunOutcome::Interrupted);
        }
        if undecided {
            let done = self.state.step(&step.id).map_or("--done", |r| r.done_flag());
            self.op.show(&format!(
                "\nStopped at step {name}, which still needs a decision. Nothing is lost: run the same command again to decide, or settle it with `{}` (it took effect) or `{}` (run it again).\n",
                self.resolve_command(&step.id, done),
                self.resolve_command(&step.id, "--retry"),
            ));
            return Flow::Exit(RunOutcome::Undecided);
        }
        self.op.show(&format!(
            "\nStopped at step {name}. Nothing is lost: run the same command again to resume.\n"
        ));
        Flow::Exit(RunOutcome::Stopped)
    }
}
