//! One step of a run: what its recorded status says to do, a choice, a manual confirmation, or
//! its commands through the runner, then its check ([`super::check`]).

use super::check::AfterCheck;
use super::error::{RunError, RunOutcome};
use super::operator::{Resume, StepAction};
use super::runner::{self, Phase};
use super::session::{Flow, Session};
use super::state::{CommandRecord, How, Status};
use super::{interrupt, now};
use crate::render::plan::{Kind, PlannedStep};
use crate::render::text;
use crate::runbook::Language;

/// What the operator decided for a step that failed or was interrupted.
enum Settled {
    Retry,
    Leave(Flow),
}

/// How the step's commands ended, as the step sees it.
enum Outcome {
    Ok,
    Interrupted,
    Failed(String),
}

impl Session<'_> {
    pub(super) fn visit(&mut self, step: &PlannedStep, total: usize) -> Result<Flow, RunError> {
        if interrupt::requested() {
            return Ok(self.stopped(step));
        }
        let status = self.state.step(&step.id).map_or(Status::Pending, |r| r.status);
        let name = display_name(step);
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
            Status::Checking => {
                // The commands finished; only the read-only check is owed, and it is safe to run.
                self.op.show(&format!(
                    "\nStep {name} ran to its end; its check has not passed yet.\n"
                ));
                self.op.show(&text::step_block_for_run(step, total));
                if self.cfg.dry_run {
                    self.op.show("  (dry run: its check would run here)\n");
                    return Ok(Flow::Next);
                }
                let how = self.state.step(&step.id).and_then(|r| r.how).unwrap_or(How::Ran);
                return self.after_commands(step, how, how.name());
            }
            Status::Running | Status::Interrupted | Status::Failed | Status::Edited => {
                if let Some(flow) = self.undecided(step, status, total)? {
                    return Ok(flow);
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
        self.op.show(&text::step_block_for_run(step, total));
        if let Some(flow) = self.prerequisites(step)? {
            return Ok(flow);
        }
        match step.kind {
            Kind::Section => {
                self.finish(&step.id, Status::Done, "section")?;
                Ok(Flow::Next)
            }
            Kind::Choice => self.choose(step),
            Kind::Action => self.act(step, total),
        }
    }

    /// A step found running, interrupted or failed: never re-run without a decision. `None`:
    /// run it again; `Some`: where to go.
    fn undecided(
        &mut self,
        step: &PlannedStep,
        status: Status,
        total: usize,
    ) -> Result<Option<Flow>, RunError> {
        let what = match status {
            Status::Failed => {
                let why = self.state.step(&step.id).and_then(|r| r.note.clone());
                match why {
                    Some(why) => format!("failed ({why})"),
                    None => "failed".to_owned(),
                }
            }
            Status::Edited => {
                "had its record changed outside lyncdr (it may have run, in part or in full)".to_owned()
            }
            _ => "was interrupted (it may have run in part or in full)".to_owned(),
        };
        let name = display_name(step);
        self.op.show(&format!(
            "\n!!! Step {name} {what}. It is not re-run without a decision.\n"
        ));
        self.op.show(&text::step_block_for_run(step, total));
        if self.cfg.dry_run {
            self.op.show("  (dry run: it would need a decision here)\n");
            return Ok(Some(Flow::Next));
        }
        if self.cfg.yes {
            if step.idempotent {
                self.decide(
                    Some(&step.id),
                    format!("re-run after it {what} (idempotent step, --yes)"),
                );
                return Ok(None);
            }
            return Err(RunError::Undecided {
                step: step.id.clone(),
                what,
                has_check: step.verify.is_some(),
                // A failed step (or one whose check failed) is marked done with a reason only.
                resolve_done: self.resolve_command(
                    &step.id,
                    self.state.step(&step.id).map_or("--done", |r| r.done_flag()),
                ),
                resolve_retry: self.resolve_command(&step.id, "--retry"),
            });
        }
        Ok(match self.settle(step, &what, total)? {
            Settled::Retry => None,
            Settled::Leave(flow) => Some(flow),
        })
    }

    /// Ask what to do with a step that failed or was interrupted (`what`). Stopping is the
    /// default; marking it done needs a typed reason, recorded with the operator's name.
    fn settle(&mut self, step: &PlannedStep, what: &str, total: usize) -> Result<Settled, RunError> {
        let can_verify = step.verify.is_some() && self.check_runs_here(step);
        let mut check = None;
        loop {
            match self.op.resume(step, what, can_verify, check) {
                Resume::MarkDone(reason) => {
                    let reason = reason.trim();
                    if reason.is_empty() {
                        self.op
                            .show("  Not marked done: a reason is needed (it goes into the record).\n");
                        continue;
                    }
                    self.decide(Some(&step.id), format!("marked done after it {what}: {reason}"));
                    let note = format!("marked done by the operator after it {what}: {reason}");
                    return Ok(Settled::Leave(self.after_commands(
                        step,
                        How::MarkedDone,
                        &note,
                    )?));
                }
                Resume::Retry => {
                    self.decide(Some(&step.id), format!("run again after it {what}"));
                    return Ok(Settled::Retry);
                }
                Resume::Verify => match self.check_here(step)? {
                    Some(verdict) => check = Some(verdict),
                    None => return Ok(Settled::Leave(self.stopped(step))),
                },
                Resume::Show => self.op.show(&text::step_block(step, total)),
                Resume::Stop => return Ok(Settled::Leave(self.stopped(step))),
            }
        }
    }

    /// The command that settles an undecided step, for messages.
    pub(super) fn resolve_command(&self, step: &str, how: &str) -> String {
        super::state::resolve_command(&self.cfg.state, step, how)
    }

    fn choose(&mut self, step: &PlannedStep) -> Result<Flow, RunError> {
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

    fn act(&mut self, step: &PlannedStep, total: usize) -> Result<Flow, RunError> {
        let runnable: Vec<_> = step
            .commands
            .iter()
            .filter(|c| !c.alternative && c.language != Language::Cmd)
            .cloned()
            .collect();
        if (runnable.is_empty() && step.builtin.is_none()) || step.manual {
            if self.cfg.dry_run {
                self.op
                    .show("  (dry run: the operator would confirm this step here)\n");
                return Ok(Flow::Next);
            }
            let done = self.cfg.yes || self.op.manual_done(step);
            if !done {
                return Ok(self.stopped(step));
            }
            let (how, note) = match (self.cfg.yes, self.cfg.rehearsal) {
                (_, true) => (How::Rehearsed, "rehearsal: nobody did it"),
                (true, false) => (How::ByHand, "confirmed (--yes)"),
                (false, false) => (How::ByHand, "done by hand, confirmed by the operator"),
            };
            return self.after_commands(step, how, note);
        }
        // A step for the server being rebuilt runs there, never here (it would act on this host).
        // lyncdr's own step runs wherever lyncdr does, except in a rehearsal.
        let can_run = if step.builtin.is_some() {
            !self.cfg.rehearsal
        } else {
            step.runs_on != crate::runbook::RunsOn::RebuiltServer
                && runnable.iter().all(|c| match c.language {
                    Language::Powershell => runner::available(&self.cfg.programs.powershell),
                    Language::Sql => {
                        runner::available(&self.cfg.programs.sqlcmd) && step.sql_server.is_some()
                    }
                    Language::Cmd => false,
                })
        };
        let takes_console = step.interactive && runnable.iter().any(|c| c.language == Language::Powershell);
        if self.cfg.dry_run {
            self.op.show(match (can_run, takes_console) {
                (true, true) => "  (dry run: would run here, on your terminal: it asks questions)\n",
                (true, false) => "  (dry run: would run here)\n",
                _ => "  (dry run: no runner here; the operator would run it by hand)\n",
            });
            return Ok(Flow::Next);
        }
        if can_run && takes_console && !self.cfg.console {
            return Err(RunError::NeedsConsole {
                step: step.id.clone(),
                resolve_done: self.resolve_command(&step.id, "--done"),
            });
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
                StepAction::DoneByHand if self.cfg.rehearsal => {
                    return self.after_commands(
                        step,
                        How::Rehearsed,
                        "rehearsal: no runner here, nothing ran",
                    );
                }
                StepAction::DoneByHand if self.cfg.yes => {
                    // A real run (PowerShell is here) cannot run this step: nobody may count it
                    // as done for the operator.
                    return Err(RunError::NoRunner {
                        step: step.id.clone(),
                        resolve_done: self.resolve_command(&step.id, "--done"),
                    });
                }
                StepAction::DoneByHand => {
                    return self.after_commands(step, How::ByHand, "run by hand, confirmed by the operator");
                }
                StepAction::Run => {}
            }
            if interrupt::requested() {
                return Ok(self.stopped(step));
            }
            // Checkpoint first: from here on the step may have run.
            let operator = self.operator.clone();
            self.record(&step.id, |r| {
                r.status = Status::Running;
                r.started_at = Some(now());
                r.finished_at = None;
                r.operator = Some(operator);
                r.attempts += 1;
            })?;
            if takes_console {
                self.op.show("  This step asks questions: answer them below.\n");
            }
            let mut outcome = Outcome::Ok;
            if let Some(builtin) = &step.builtin
                && let Err(why) = self.builtin(builtin)
            {
                outcome = Outcome::Failed(why);
            }
            for c in &runnable {
                match self.execute(step, c.language, &c.text, Phase::Step).ending {
                    runner::Ending::Exited(0) => {}
                    runner::Ending::Interrupted => {
                        outcome = Outcome::Interrupted;
                        break;
                    }
                    // A step on the console gets the terminal's Ctrl-C too and ends with an
                    // error; the flag says it was the operator's Ctrl-C, not a failure.
                    _ if interrupt::requested() => {
                        outcome = Outcome::Interrupted;
                        break;
                    }
                    other => {
                        outcome = Outcome::Failed(describe(&other));
                        break;
                    }
                }
            }
            match outcome {
                Outcome::Ok => return self.after_commands(step, How::Ran, How::Ran.name()),
                Outcome::Interrupted => {
                    self.finish(&step.id, Status::Interrupted, "interrupted with Ctrl-C")?;
                    self.op.show(&format!(
                        "\nInterrupted (Ctrl-C) during step `{}`: it is recorded as interrupted and will not be re-run without a decision. The state is saved in {}: run the same command again to resume.\n",
                        step.id,
                        self.cfg.state.display()
                    ));
                    return Ok(Flow::Exit(RunOutcome::Interrupted));
                }
                Outcome::Failed(why) => {
                    self.finish(&step.id, Status::Failed, why.clone())?;
                    self.op.show(&format!("\n!!! Step {} failed: {why}\n", step.id));
                    if self.cfg.yes {
                        return Err(RunError::StepFailed {
                            step: step.id.clone(),
                            why,
                            resolve_retry: self.resolve_command(&step.id, "--retry"),
                        });
                    }
                    match self.settle(step, &format!("failed ({why})"), total)? {
                        Settled::Retry => continue,
                        Settled::Leave(flow) => return Ok(flow),
                    }
                }
            }
        }
    }

    /// The commands ran (or the operator says they did): the step is done only when its check
    /// passes, or the operator overrides a failing one.
    pub(super) fn after_commands(
        &mut self,
        step: &PlannedStep,
        how: How,
        note: &str,
    ) -> Result<Flow, RunError> {
        if step.verify.is_some() {
            let note = format!("{note}; its check is pending");
            self.record(&step.id, |r| {
                r.status = Status::Checking;
                r.note = Some(note);
                r.how = Some(how);
            })?;
        }
        match self.check(step)? {
            AfterCheck::Done(verdict) => {
                let note = match verdict {
                    Some(v) => format!("{note}; check {v}"),
                    None => note.to_owned(),
                };
                if let Some(r) = self.state.step_mut(&step.id) {
                    r.how = Some(how);
                }
                self.finish(&step.id, Status::Done, note)?;
                Ok(Flow::Next)
            }
            AfterCheck::Leave(flow) => Ok(flow),
        }
    }

    /// Run one command, streaming its output; the step's commands are recorded in the state.
    pub(super) fn execute(
        &mut self,
        step: &PlannedStep,
        language: Language,
        text: &str,
        phase: Phase,
    ) -> runner::Execution {
        let scratch = super::session::scratch(&self.cfg.state);
        let job = runner::Job {
            language,
            text,
            sql_server: step.sql_server.as_deref(),
            runbook: &self.cfg.runbook,
            step: &step.id,
            phase,
            console: phase == Phase::Step && step.interactive && language == Language::Powershell,
            scratch: &scratch,
            timeout: self.cfg.timeout,
        };
        let started = now();
        self.op.show(match phase {
            Phase::Check => "  --- read-only check ---\n",
            Phase::Step if job.console => "  --- on your terminal (a transcript is kept) ---\n",
            Phase::Step => "  --- output ---\n",
        });
        // A step on the console owns the terminal: no heartbeat over its questions.
        if !job.console {
            self.op.busy(&format!(
                "{} -- {}",
                text::step_name(step),
                match phase {
                    Phase::Check => "its check",
                    Phase::Step => "running",
                }
            ));
        }
        let op = &mut *self.op;
        let exec = runner::run(&self.cfg.programs, &job, &mut |line| {
            tracing::info!(target: "lyncdr::output", step = job.step, phase = phase.name(), "{line}");
            op.show(&format!("  | {}\n", crate::decode::printable(line)));
        });
        self.op.idle();
        if job.console {
            for line in exec.output.lines() {
                tracing::info!(target: "lyncdr::output", step = job.step, phase = phase.name(), "{line}");
            }
        }
        self.op.show(&format!("  --- {} ---\n", describe(&exec.ending)));
        if phase == Phase::Step {
            let code = match exec.ending {
                runner::Ending::Exited(c) => Some(c),
                _ => None,
            };
            let rec = CommandRecord {
                language: format!("{language:?}").to_lowercase(),
                command: text.to_owned(),
                exit_code: code,
                output: exec.output.clone(),
                started_at: started,
                finished_at: Some(now()),
            };
            let _ = self.record(&step.id, |r| r.commands.push(rec));
        }
        exec
    }
}

pub(super) fn display_name(step: &PlannedStep) -> String {
    if step.label.is_empty() {
        step.id.clone()
    } else {
        format!("{} ({})", step.label, step.id)
    }
}

pub(super) fn describe(e: &runner::Ending) -> String {
    match e {
        runner::Ending::Exited(0) => "finished".into(),
        runner::Ending::Exited(c) => format!("exit code {c}"),
        runner::Ending::TimedOut => "timed out (the step's time limit, --step-timeout)".into(),
        runner::Ending::Interrupted => "interrupted".into(),
        runner::Ending::NotStarted(why) => format!("not started: {why}"),
    }
}
