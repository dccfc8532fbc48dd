//! `lyncdr run`: the guided recovery. The plan is walked step by step; before each step its
//! prerequisites are checked against evidence, the operator decides, the runner runs, and every
//! change is checkpointed before and after, so a crash never loses a step or repeats one.

pub mod backup;
pub mod evidence;
pub mod fingerprint;
pub mod operator;
pub mod report;
pub mod runner;
pub mod state;

use crate::commands::Error;
use crate::diagnostic::Diagnostics;
use crate::env::Environment;
use crate::exit;
use crate::render::plan::{Kind, Plan, PlannedStep};
use crate::render::text;
use crate::runbook::{Language, Library, PrereqKind};
use operator::{Blocked, Operator, Resume, StepAction};
use state::{CommandRecord, Decision, State, Status, StepRecord};
use std::path::PathBuf;
use std::time::Duration;

pub struct RunConfig {
    pub runbook: String,
    pub env: PathBuf,
    pub sets: Vec<String>,
    pub state: PathBuf,
    pub dry_run: bool,
    pub yes: bool,
    pub accept_changes: bool,
    pub operator: String,
    pub programs: runner::Programs,
    pub backups: Option<PathBuf>,
    pub evidence: Vec<PathBuf>,
    pub timeout: Duration,
}

pub fn now() -> String {
    jiff::Timestamp::now()
        .round(jiff::Unit::Second)
        .unwrap_or_else(|_| jiff::Timestamp::now())
        .to_string()
}

fn stop(message: impl Into<String>, code: u8) -> Error {
    Error::Other {
        message: message.into(),
        code,
    }
}

struct Session<'a> {
    cfg: RunConfig,
    lib: &'a Library,
    env: Environment,
    state: State,
    op: &'a mut dyn Operator,
    /// The runbook's own prerequisites are checked before the first step this session visits.
    runbook_prerequisites_checked: bool,
}

pub fn run(cfg: RunConfig, lib: &Library, op: &mut dyn Operator) -> Result<u8, Error> {
    let runbook = lib.get(&cfg.runbook)?;
    let env = Environment::read(&cfg.env, &cfg.sets)?;
    let print = fingerprint::of(lib, runbook, &env, &cfg.sets);
    let _lock = if cfg.dry_run {
        None
    } else {
        Some(state::lock(&cfg.state).map_err(io)?)
    };
    let existing = state::load(&cfg.state).map_err(io)?;
    let resumed = existing.is_some();
    let state = match existing {
        Some(mut s) => {
            if s.runbook != cfg.runbook {
                return Err(stop(
                    format!(
                        "state file `{}` belongs to a run of `{}`, not `{}`\n  = hint: give another --state FILE for this runbook",
                        cfg.state.display(),
                        s.runbook,
                        cfg.runbook
                    ),
                    exit::INVALID,
                ));
            }
            let changes = fingerprint::diff(&s.fingerprint, &print);
            if !changes.is_empty() {
                if !cfg.accept_changes {
                    return Err(stop(
                        format!(
                            "the runbook or environment changed since this run was checkpointed:\n{}\n  = hint: review the changes; then resume with --accept-changes, or start over with another --state FILE",
                            changes
                                .iter()
                                .map(|c| format!("  - {c}"))
                                .collect::<Vec<_>>()
                                .join("\n")
                        ),
                        exit::INVALID,
                    ));
                }
                s.decisions.push(Decision {
                    at: now(),
                    operator: cfg.operator.clone(),
                    step: None,
                    what: format!("accepted changes: {}", changes.join("; ")),
                });
                s.fingerprint = print;
            }
            s
        }
        None => State {
            format: state::FORMAT,
            runbook: runbook.id.clone(),
            title: runbook.title.clone(),
            environment: env.source.name.clone(),
            started_at: now(),
            fingerprint: print,
            choices: Default::default(),
            steps: Vec::new(),
            decisions: Vec::new(),
        },
    };
    let mut s = Session {
        cfg,
        lib,
        env,
        state,
        op,
        runbook_prerequisites_checked: false,
    };
    let mut plan = s.plan()?;
    s.reconcile(&plan);
    if s.cfg.yes {
        s.op.show("\n*** --yes: every confirmation is answered yes and every choice taken from the environment. ***\n*** For rehearsals and tests: prerequisites are still checked, and a failing one stops the run. ***\n\n");
    }
    if s.cfg.dry_run {
        s.op.show(
            "*** Dry run: prerequisites are checked, nothing is run and no checkpoint is written. ***\n\n",
        );
    }
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
    let done = s.state.steps.iter().filter(|r| r.status == Status::Done).count();
    let skipped = s
        .state
        .steps
        .iter()
        .filter(|r| r.status == Status::Skipped)
        .count();
    if s.cfg.dry_run {
        s.op.show(&format!(
            "\nDry run complete: {} steps walked, {skipped} would be skipped. Nothing was run or written.\n",
            plan.steps.len()
        ));
    } else {
        s.op.show(&format!(
            "\nRecovery complete: {done} steps done, {skipped} skipped. Report: lyncdr report --state {}\n",
            s.cfg.state.display()
        ));
    }
    Ok(exit::SUCCESS)
}

fn io(e: state::StateError) -> Error {
    let code = if matches!(e, state::StateError::Locked { .. }) {
        exit::IO
    } else {
        exit::INVALID
    };
    Error::Other {
        message: e.to_string(),
        code,
    }
}

enum Flow {
    Next,
    Replan,
    Exit(u8),
}

impl Session<'_> {
    fn plan(&self) -> Result<Plan, Error> {
        let mut sets = self.cfg.sets.clone();
        sets.extend(self.state.choices.iter().map(|(k, v)| format!("{k}={v}")));
        let env = Environment::parse(self.env.source.clone(), &sets)?;
        let runbook = self.lib.get(&self.cfg.runbook)?;
        Plan::build(runbook, &env, &self.lib.templates).map_err(|d: Diagnostics| d.into())
    }

    /// Make the state list every step of the plan, in plan order, keeping what is recorded.
    fn reconcile(&mut self, plan: &Plan) {
        let mut steps = Vec::with_capacity(plan.steps.len());
        for p in &plan.steps {
            let rec = self
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
                });
            steps.push(rec);
        }
        self.state.steps = steps;
    }

    fn save(&self) -> Result<(), Error> {
        if self.cfg.dry_run {
            return Ok(());
        }
        state::save(&self.cfg.state, &self.state).map_err(io)
    }

    fn record(&mut self, id: &str, f: impl FnOnce(&mut StepRecord)) -> Result<(), Error> {
        if let Some(r) = self.state.step_mut(id) {
            f(r);
        }
        self.save()
    }

    fn decide(&mut self, step: Option<&str>, what: impl Into<String>) {
        let what = what.into();
        tracing::info!(step = step.unwrap_or("-"), operator = %self.cfg.operator, "{what}");
        self.state.decisions.push(Decision {
            at: now(),
            operator: self.cfg.operator.clone(),
            step: step.map(str::to_owned),
            what,
        });
    }

    fn finish(&mut self, id: &str, status: Status, note: impl Into<String>) -> Result<(), Error> {
        let operator = self.cfg.operator.clone();
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

    fn readiness(&mut self, plan: &Plan, resumed: bool) {
        let mut out = format!("{}: {}\n", plan.runbook, plan.title);
        if resumed {
            let done = self.state.steps.iter().filter(|r| r.status.is_settled()).count();
            out.push_str(&format!(
                "Resuming the run started {}: {done} of {} steps already done or skipped.\n",
                self.state.started_at,
                plan.steps.len()
            ));
        }
        out.push_str("\nReadiness (prerequisites checked now; each is checked again before its step):\n");
        let mut any = false;
        let all = plan.prerequisites.iter().map(|p| (None, p)).chain(
            plan.steps
                .iter()
                .filter(|s| !s.skipped)
                .flat_map(|s| s.prerequisites.iter().map(move |p| (Some(s), p))),
        );
        for (step, p) in all {
            any = true;
            let at = step
                .map(|s| format!(" [step {}]", if s.label.is_empty() { &s.id } else { &s.label }))
                .unwrap_or_default();
            let verdict = match self.check(p, step.map(|s| s.id.as_str())) {
                Check::Ok(e) => format!("ok      {}{at}: {e}", p.description),
                Check::Problem(why) => format!("MISSING {}{at}: {why}", p.description),
                Check::Ask => format!("ASK     {}{at}", p.description),
            };
            out.push_str(&format!("  {verdict}\n"));
        }
        if !any {
            out.push_str("  (none)\n");
        }
        self.op.show(&out);
    }

    fn visit(&mut self, step: &PlannedStep, total: usize) -> Result<Flow, Error> {
        let status = self.state.step(&step.id).map_or(Status::Pending, |r| r.status);
        let name = if step.label.is_empty() {
            step.id.clone()
        } else {
            format!("{} ({})", step.label, step.id)
        };
        match status {
            Status::Done | Status::Skipped => {
                let r = self.state.step(&step.id);
                let when = r.and_then(|r| r.finished_at.clone()).unwrap_or_default();
                let who = r.and_then(|r| r.operator.clone()).unwrap_or_default();
                self.op.show(&format!(
                    "  already {}: step {name} {} ({when}, {who})\n",
                    status.name(),
                    step.title
                ));
                return Ok(Flow::Next);
            }
            Status::Running | Status::Interrupted | Status::Failed => {
                let what = match status {
                    Status::Failed => "failed",
                    _ => "was interrupted (it may have run in part or in full)",
                };
                self.op.show(&format!(
                    "\n!!! Step {name} {what}. It is not re-run without a decision.\n"
                ));
                self.op.show(&text::step_block(step, total));
                if self.cfg.yes {
                    if step.idempotent {
                        self.decide(
                            Some(&step.id),
                            "re-run after interruption (idempotent step, --yes)",
                        );
                    } else {
                        return Err(stop(
                            format!(
                                "step `{}` {what} and is not marked idempotent, so --yes will not re-run it\n  = hint: check it by hand{}, then `lyncdr resolve {} --done --state {}` (it took effect) or `--retry` (run it again)",
                                step.id,
                                if step.verify.is_some() {
                                    " (the read-only check above)"
                                } else {
                                    ""
                                },
                                step.id,
                                self.cfg.state.display()
                            ),
                            exit::IO,
                        ));
                    }
                } else if self.cfg.dry_run {
                    self.op.show("  (dry run: it would need a decision here)\n");
                    return Ok(Flow::Next);
                } else {
                    loop {
                        match self.op.resume(step, status, step.verify.is_some()) {
                            Resume::MarkDone => {
                                self.decide(Some(&step.id), format!("marked done after it {what}"));
                                self.finish(
                                    &step.id,
                                    Status::Done,
                                    "marked done by the operator after an interruption",
                                )?;
                                return Ok(Flow::Next);
                            }
                            Resume::Retry => {
                                self.decide(Some(&step.id), "retry");
                                break;
                            }
                            Resume::Verify => {
                                if let Some(v) = &step.verify {
                                    self.execute_one(step, Language::Powershell, &v.text.clone(), true);
                                }
                            }
                            Resume::Stop => return Ok(self.stopped(step)),
                        }
                    }
                }
            }
            Status::Pending => {}
        }
        if step.skipped {
            let reason = step.reason.clone().unwrap_or_default();
            self.op
                .show(&format!("  skipped: step {name} {} -- {reason}\n", step.title));
            self.finish(&step.id, Status::Skipped, reason)?;
            return Ok(Flow::Next);
        }
        self.op.show("\n");
        self.op.show(&text::step_block(step, total));
        if let Some(flow) = self.prerequisites(step)? {
            return Ok(flow);
        }
        match step.kind {
            Kind::Section => {
                self.finish(&step.id, Status::Done, "section")?;
                Ok(Flow::Next)
            }
            Kind::Choice => self.choose(step),
            Kind::Action => self.act(step),
        }
    }

    fn stopped(&mut self, step: &PlannedStep) -> Flow {
        let name = if step.label.is_empty() {
            format!("`{}`", step.id)
        } else {
            format!("{} (`{}`)", step.label, step.id)
        };
        self.op.show(&format!(
            "\nStopped at step {name}. Nothing is lost: run the same command again to resume.\n"
        ));
        Flow::Exit(exit::SUCCESS)
    }

    fn choose(&mut self, step: &PlannedStep) -> Result<Flow, Error> {
        let key = step.choice.clone().unwrap_or_default();
        let default = step.options.iter().position(|o| o.chosen).unwrap_or(0);
        let picked = if self.cfg.yes || self.cfg.dry_run {
            Some(default)
        } else {
            self.op.choose_option(step, default)
        };
        let Some(picked) = picked else {
            return Ok(self.stopped(step));
        };
        let option = step.options[picked].info.id.clone();
        self.decide(
            Some(&step.id),
            format!("chose option {option}: {}", step.options[picked].info.title),
        );
        let replan = picked != default;
        self.state.choices.insert(key.clone(), option.clone());
        self.finish(&step.id, Status::Done, format!("option {option} chosen ({key})"))?;
        Ok(if replan { Flow::Replan } else { Flow::Next })
    }

    fn act(&mut self, step: &PlannedStep) -> Result<Flow, Error> {
        let runnable: Vec<_> = step
            .commands
            .iter()
            .filter(|c| !c.alternative && c.language != Language::Cmd)
            .cloned()
            .collect();
        if runnable.is_empty() || step.manual {
            if self.cfg.dry_run {
                self.op
                    .show("  (dry run: the operator would confirm this step here)\n");
                return Ok(Flow::Next);
            }
            let done = self.cfg.yes || self.op.manual_done(step);
            if !done {
                return Ok(self.stopped(step));
            }
            let how = if self.cfg.yes {
                "confirmed (--yes)"
            } else {
                "done by hand, confirmed by the operator"
            };
            self.finish(&step.id, Status::Done, how)?;
            return Ok(Flow::Next);
        }
        let can_run = runnable.iter().all(|c| match c.language {
            Language::Powershell => runner::available(&self.cfg.programs.powershell),
            Language::Sql => runner::available(&self.cfg.programs.sqlcmd) && step.sql_server.is_some(),
            Language::Cmd => false,
        });
        if self.cfg.dry_run {
            self.op.show(if can_run {
                "  (dry run: would run here)\n"
            } else {
                "  (dry run: no runner here; the operator would run it by hand)\n"
            });
            return Ok(Flow::Next);
        }
        loop {
            let action = if self.cfg.yes {
                if can_run {
                    StepAction::Run
                } else {
                    StepAction::DoneByHand
                }
            } else {
                self.op.step_action(step, can_run)
            };
            match action {
                StepAction::Stop => return Ok(self.stopped(step)),
                StepAction::Skip => {
                    if !step.skippable {
                        self.op.show("  This step cannot be skipped.\n");
                        continue;
                    }
                    self.decide(Some(&step.id), "skipped by the operator");
                    self.finish(&step.id, Status::Skipped, "skipped by the operator")?;
                    return Ok(Flow::Next);
                }
                StepAction::DoneByHand => {
                    let note = if self.cfg.yes {
                        "no runner here: counted as done (--yes rehearsal)"
                    } else {
                        "run by hand, confirmed by the operator"
                    };
                    self.finish(&step.id, Status::Done, note)?;
                    return Ok(Flow::Next);
                }
                StepAction::Run => {}
            }
            // Checkpoint first: from here on the step may have run.
            let operator = self.cfg.operator.clone();
            self.record(&step.id, |r| {
                r.status = Status::Running;
                r.started_at = Some(now());
                r.finished_at = None;
                r.operator = Some(operator);
                r.attempts += 1;
            })?;
            let mut result = Ending2::Ok;
            for c in &runnable {
                match self.execute_one(step, c.language, &c.text, false) {
                    runner::Ending::Exited(0) => {}
                    runner::Ending::Interrupted => {
                        result = Ending2::Interrupted;
                        break;
                    }
                    other => {
                        result = Ending2::Failed(describe(&other));
                        break;
                    }
                }
            }
            match result {
                Ending2::Ok => {
                    self.finish(&step.id, Status::Done, "run by lyncdr")?;
                    return Ok(Flow::Next);
                }
                Ending2::Interrupted => {
                    self.finish(&step.id, Status::Interrupted, "interrupted with Ctrl-C")?;
                    return Err(stop(
                        format!(
                            "interrupted during step `{}`; it is recorded as interrupted and will not be re-run without a decision",
                            step.id
                        ),
                        exit::INTERRUPTED,
                    ));
                }
                Ending2::Failed(why) => {
                    self.finish(&step.id, Status::Failed, why.clone())?;
                    self.op.show(&format!("\n!!! Step {} failed: {why}\n", step.id));
                    if self.cfg.yes {
                        return Err(stop(format!("step `{}` failed: {why}", step.id), exit::FAILED));
                    }
                    match self.op.resume(step, Status::Failed, false) {
                        Resume::Retry => {
                            self.decide(Some(&step.id), "retry after failure");
                            continue;
                        }
                        Resume::MarkDone => {
                            self.decide(Some(&step.id), "marked done after a failure");
                            self.finish(
                                &step.id,
                                Status::Done,
                                "marked done by the operator after a failure",
                            )?;
                            return Ok(Flow::Next);
                        }
                        Resume::Verify | Resume::Stop => return Ok(self.stopped(step)),
                    }
                }
            }
        }
    }

    /// Run one command, streaming its output; a verify check is not recorded as the step's run.
    fn execute_one(
        &mut self,
        step: &PlannedStep,
        language: Language,
        text: &str,
        verify: bool,
    ) -> runner::Ending {
        let scratch = self.cfg.state.with_extension("tmp");
        let job = runner::Job {
            language,
            text,
            sql_server: step.sql_server.as_deref(),
            runbook: &self.cfg.runbook,
            step: &step.id,
            scratch: &scratch,
            timeout: self.cfg.timeout,
        };
        let started = now();
        self.op.show(if verify {
            "  --- read-only check ---\n"
        } else {
            "  --- output ---\n"
        });
        let op = &mut *self.op;
        let exec = runner::run(&self.cfg.programs, &job, &mut |line| {
            tracing::info!(target: "lyncdr::output", step = job.step, "{line}");
            op.show(&format!("  | {line}\n"));
        });
        self.op.show(&format!("  --- {} ---\n", describe(&exec.ending)));
        if !verify {
            let code = match exec.ending {
                runner::Ending::Exited(c) => Some(c),
                _ => None,
            };
            let rec = CommandRecord {
                language: format!("{language:?}").to_lowercase(),
                command: text.to_owned(),
                exit_code: code,
                output: exec.output,
                started_at: started,
                finished_at: Some(now()),
            };
            let _ = self.record(&step.id, |r| r.commands.push(rec));
        }
        exec.ending
    }

    /// Check the step's prerequisites (and the runbook's, before the first step); `Some` to leave.
    fn prerequisites(&mut self, step: &PlannedStep) -> Result<Option<Flow>, Error> {
        let mut list: Vec<_> = step.prerequisites.clone();
        if !self.runbook_prerequisites_checked {
            self.runbook_prerequisites_checked = true;
            list.extend(self.plan()?.prerequisites);
        }
        for p in &list {
            loop {
                match self.check(p, Some(&step.id)) {
                    Check::Ok(evidence) => {
                        self.op.show(&format!("  ok: {} -- {evidence}\n", p.description));
                        let line = format!("{}: {evidence}", p.description);
                        self.record(&step.id, |r| {
                            if !r.evidence.contains(&line) {
                                r.evidence.push(line);
                            }
                        })?;
                        break;
                    }
                    Check::Ask => {
                        let PrereqKind::Confirm { statement } = &p.kind else {
                            break;
                        };
                        if self.cfg.dry_run {
                            break;
                        }
                        if self.cfg.yes || self.op.confirm(statement) {
                            let how = if self.cfg.yes {
                                "confirmed (--yes)"
                            } else {
                                "confirmed by the operator"
                            };
                            let line = format!("{}: {how}", p.description);
                            self.decide(Some(&step.id), line.clone());
                            self.record(&step.id, |r| r.evidence.push(line))?;
                            break;
                        }
                        return Ok(Some(self.stopped(step)));
                    }
                    Check::Problem(why) => {
                        // Option A (the SQL restore) is only advice where the runbook offers it.
                        let option_a = self
                            .plan()?
                            .steps
                            .iter()
                            .any(|s| s.options.iter().any(|o| o.info.id == "A"));
                        let hint = hint_for(&p.kind, option_a);
                        self.op.show(&format!(
                            "  BLOCKED: {} -- {why}\n  How to satisfy it: {hint}\n",
                            p.description
                        ));
                        if self.cfg.dry_run {
                            break;
                        }
                        if self.cfg.yes {
                            return Err(stop(
                                format!(
                                    "step `{}` is blocked: {} -- {why}\n  = hint: {hint}",
                                    step.id, p.description
                                ),
                                exit::PREREQUISITE,
                            ));
                        }
                        let wants_event = matches!(p.kind, PrereqKind::Event { .. });
                        match self.op.blocked(step, std::slice::from_ref(&why), wants_event) {
                            Blocked::Recheck => continue,
                            Blocked::Evidence(path) => {
                                // A file that cannot be read is refused here, so it cannot
                                // spoil every later check.
                                match evidence::read(&path) {
                                    Ok(_) => self.cfg.evidence.push(path),
                                    Err(why) => self.op.show(&format!("  Not used: {why}\n")),
                                }
                                continue;
                            }
                            Blocked::Attest => {
                                let line = format!(
                                    "{}: ATTESTED by the operator, not proven ({why})",
                                    p.description
                                );
                                self.decide(Some(&step.id), line.clone());
                                self.record(&step.id, |r| r.evidence.push(line))?;
                                break;
                            }
                            Blocked::Stop => return Ok(Some(self.stopped(step))),
                        }
                    }
                }
            }
        }
        Ok(None)
    }

    fn check(&self, p: &crate::render::plan::PlannedPrerequisite, step: Option<&str>) -> Check {
        match &p.kind {
            PrereqKind::Backup { artifact, env } => {
                let Some(path) = &p.path else {
                    return Check::Problem(format!("`{env}` is not set"));
                };
                // On Windows the path itself may be reachable; elsewhere a local copy stands in.
                let native = std::path::Path::new(path.as_str());
                let dir = match (&self.cfg.backups, native.parent()) {
                    (Some(dir), _) => dir.clone(),
                    (None, Some(parent)) if cfg!(windows) && native.exists() => parent.to_path_buf(),
                    _ => {
                        return Check::Problem(format!(
                            "cannot see `{path}` from here: give --backups DIR, a local copy of the backup folder"
                        ));
                    }
                };
                let dir = &dir;
                let max_age = self.env.get("backups.max_age").and_then(|e| match &e.value {
                    crate::env::Value::Duration(d, _) => Some(*d),
                    _ => None,
                });
                match backup::check(artifact, path, dir, max_age) {
                    Ok(found) => Check::Ok(format!(
                        "{} ({} bytes{})",
                        found.path.display(),
                        found.size,
                        found
                            .age
                            .map(|a| format!(", {} old", backup::human(a)))
                            .unwrap_or_default()
                    )),
                    Err(why) => Check::Problem(why),
                }
            }
            PrereqKind::Event {
                id,
                provider,
                after_step,
                ..
            } => {
                let (after, since) = self.event_threshold(after_step.as_deref(), step);
                if self.cfg.evidence.is_empty() {
                    return Check::Problem(format!(
                        "no event log evidence given (--evidence FILE); the event must be newer than {since}"
                    ));
                }
                let mut events = Vec::new();
                for f in &self.cfg.evidence {
                    match evidence::read(f) {
                        Ok(e) => events.extend(e),
                        Err(why) => return Check::Problem(why),
                    }
                }
                match evidence::find(&events, *id, provider, after) {
                    Some(e) => Check::Ok(format!(
                        "event {id} from {} at {} on {}",
                        e.provider,
                        e.time.map(|t| t.to_string()).unwrap_or_default(),
                        e.computer
                    )),
                    None => {
                        let older = events.iter().filter(|e| e.id == *id).count();
                        let files = self
                            .cfg
                            .evidence
                            .iter()
                            .map(|p| p.display().to_string())
                            .collect::<Vec<_>>()
                            .join(", ");
                        Check::Problem(if older > 0 {
                            format!(
                                "{files} holds event {id} only from before {since}: that sync is not the one after the rebuild"
                            )
                        } else {
                            format!("no event {id} from {provider} in {files}")
                        })
                    }
                }
            }
            PrereqKind::Confirm { .. } => Check::Ask,
        }
    }

    /// Events count only when newer than the step named by `after_step` (its completion), or the
    /// start of the recovery (`recovery.started_at`, else the start of this run).
    fn event_threshold(
        &self,
        after_step: Option<&str>,
        step: Option<&str>,
    ) -> (Option<jiff::Timestamp>, String) {
        if let Some(target) = after_step {
            let prefix = step
                .and_then(|s| s.rsplit_once('.'))
                .map(|(p, _)| format!("{p}."));
            let candidates = [prefix.map(|p| format!("{p}{target}")), Some(target.to_owned())];
            for c in candidates.into_iter().flatten() {
                if let Some(r) = self.state.step(&c)
                    && let Some(t) = r.finished_at.as_deref().and_then(|t| t.parse().ok())
                {
                    return (
                        Some(t),
                        format!(
                            "the end of step `{c}` ({})",
                            r.finished_at.as_deref().unwrap_or("")
                        ),
                    );
                }
            }
        }
        if let Some(e) = self.env.get("recovery.started_at")
            && let crate::env::Value::Timestamp(t) = e.value
        {
            return (Some(t), format!("the start of the recovery ({t})"));
        }
        let t = self.state.started_at.parse().ok();
        (t, format!("the start of this run ({})", self.state.started_at))
    }
}

enum Ending2 {
    Ok,
    Interrupted,
    Failed(String),
}

enum Check {
    Ok(String),
    Problem(String),
    Ask,
}

fn describe(e: &runner::Ending) -> String {
    match e {
        runner::Ending::Exited(0) => "finished".into(),
        runner::Ending::Exited(c) => format!("exit code {c}"),
        runner::Ending::TimedOut => "timed out (the step's time limit, --step-timeout)".into(),
        runner::Ending::Interrupted => "interrupted".into(),
        runner::Ending::NotStarted(why) => format!("not started: {why}"),
    }
}

fn hint_for(kind: &PrereqKind, option_a: bool) -> String {
    match kind {
        PrereqKind::Backup { env, .. } => format!(
            "put the backup where `{env}` says (or in the --backups folder), not empty, of the right kind and newer than backups.max_age"
        ),
        PrereqKind::Event { .. } => {
            let mut hint = "run Update-CsUserDatabase on a Front End server and wait for event 30024 from LS User Replicator in the Lync Server log; export it (wevtutil qe \"Lync Server\" /q:\"*[System[(EventID=30024)]]\" /f:xml > 30024.xml) and give it with --evidence.".to_owned();
            if option_a {
                hint.push_str(" Or take option A, the SQL restore of rtc, which does not need it.");
            }
            hint
        }
        PrereqKind::Confirm { .. } => "confirm it".into(),
    }
}
