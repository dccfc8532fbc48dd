//! "Check afterwards": a step is done when its read-only check passes. The check runs after the
//! step ran and after the operator marked it done; its output and verdict are shown and kept in
//! the state (and the report). A check of a step that runs on another machine (the server being
//! rebuilt) would test the wrong host here: it is shown for the operator to run there and
//! confirm. A failing check keeps the step from `done`: check again, mark it done anyway (an
//! override, recorded with the operator's name), or stop.

use super::error::RunError;
use super::operator::{CheckElsewhere, CheckFailed};
use super::runner::{self, Phase};
use super::session::{Flow, Session};
use super::state::{CheckRecord, Status, Verdict};
use super::{interrupt, now};
use crate::render::plan::PlannedStep;
use crate::runbook::{Language, RunsOn};

pub(super) enum AfterCheck {
    /// The step is done; the check's verdict for its note (`None`: it has no check).
    Done(Option<&'static str>),
    /// The run leaves here (stopped, interrupted).
    Leave(Flow),
}

impl Session<'_> {
    /// Can the step's check run on this machine (it checks this host, and PowerShell is here)?
    pub(super) fn check_runs_here(&self, step: &PlannedStep) -> bool {
        step.runs_on != RunsOn::RebuiltServer && runner::available(&self.cfg.programs.powershell)
    }

    /// Run the step's check here once, at the operator's request: record it and print its
    /// verdict. `None` when Ctrl-C stopped it.
    pub(super) fn check_here(&mut self, step: &PlannedStep) -> Result<Option<Verdict>, RunError> {
        let Some(verify) = step.verify.clone() else {
            return Ok(Some(Verdict::Failed));
        };
        if interrupt::requested() {
            return Ok(None);
        }
        let Some((verdict, exit_code, output)) = self.run_check(step, &verify.text) else {
            return Ok(None);
        };
        self.record_check(step, verdict, exit_code, output, "here".to_owned())?;
        Ok(Some(verdict))
    }

    /// The check's verdict, exit code and output; `None` when Ctrl-C stopped it.
    fn run_check(&mut self, step: &PlannedStep, text: &str) -> Option<(Verdict, Option<i32>, String)> {
        let exec = self.execute(step, Language::Powershell, text, Phase::Check);
        let verdict = match exec.ending {
            runner::Ending::Exited(0) => Verdict::Passed,
            runner::Ending::Interrupted => return None,
            _ if interrupt::requested() => return None,
            _ => Verdict::Failed,
        };
        let code = match exec.ending {
            runner::Ending::Exited(c) => Some(c),
            _ => None,
        };
        Some((verdict, code, exec.output))
    }

    fn record_check(
        &mut self,
        step: &PlannedStep,
        verdict: Verdict,
        exit_code: Option<i32>,
        output: String,
        place: String,
    ) -> Result<(), RunError> {
        let rec = CheckRecord {
            at: now(),
            operator: if self.cfg.yes && verdict == Verdict::Confirmed {
                format!("{} (--yes)", self.operator)
            } else {
                self.operator.clone()
            },
            verdict,
            place,
            exit_code,
            output,
        };
        tracing::info!(step = %step.id, verdict = verdict.name(), "check");
        self.record(&step.id, |r| r.checks.push(rec))?;
        self.op.show(&format!(
            "  check of {}: {}\n",
            crate::render::text::step_name(step),
            verdict.name()
        ));
        Ok(())
    }

    pub(super) fn check(&mut self, step: &PlannedStep) -> Result<AfterCheck, RunError> {
        let Some(verify) = step.verify.clone() else {
            return Ok(AfterCheck::Done(None));
        };
        let here = self.check_runs_here(step);
        loop {
            if interrupt::requested() {
                return Ok(AfterCheck::Leave(self.stopped(step)));
            }
            let (verdict, exit_code, output, place) = if here {
                let Some((verdict, code, output)) = self.run_check(step, &verify.text) else {
                    return Ok(AfterCheck::Leave(self.stopped(step)));
                };
                (verdict, code, output, "here".to_owned())
            } else {
                let place = if step.runs_on == RunsOn::RebuiltServer {
                    step.runs_on.describe().to_owned()
                } else {
                    "a Front End server (no PowerShell runner here)".to_owned()
                };
                let verdict = if self.cfg.rehearsal {
                    Verdict::Rehearsed
                } else if self.cfg.yes {
                    Verdict::Confirmed
                } else {
                    // The operator must run it there: the script is shown right above the question.
                    self.op.show(&format!(
                        "  --- check afterwards: run this read-only check on {place}, not here ---\n"
                    ));
                    self.op.show(&check_text(&verify.text));
                    match self.op.check_elsewhere(step, &place) {
                        CheckElsewhere::Passed => Verdict::Confirmed,
                        CheckElsewhere::Failed => Verdict::Failed,
                        CheckElsewhere::Stop => return Ok(AfterCheck::Leave(self.stopped(step))),
                    }
                };
                (verdict, None, String::new(), place)
            };
            self.record_check(step, verdict, exit_code, output, place)?;
            if verdict != Verdict::Failed {
                return Ok(AfterCheck::Done(Some(verdict.name())));
            }
            if self.cfg.yes {
                self.finish(
                    &step.id,
                    Status::Checking,
                    "its commands finished, but its check failed",
                )?;
                return Err(RunError::CheckFailed {
                    step: step.id.clone(),
                });
            }
            match self.check_failed(step) {
                CheckFailed::Again => continue,
                CheckFailed::Override(reason) => {
                    self.decide(
                        Some(&step.id),
                        format!("marked done although its check failed (override): {reason}"),
                    );
                    if let Some(r) = self.state.step_mut(&step.id)
                        && let Some(last) = r.checks.last_mut()
                    {
                        last.verdict = Verdict::Overridden;
                    }
                    return Ok(AfterCheck::Done(Some(Verdict::Overridden.name())));
                }
                CheckFailed::Stop | CheckFailed::Show => {
                    return Ok(AfterCheck::Leave(self.stopped(step)));
                }
            }
        }
    }

    /// Ask what to do about a failed check until the answer is one the core can act on: a
    /// request to see the check prints it, an override without a reason is refused.
    fn check_failed(&mut self, step: &PlannedStep) -> CheckFailed {
        loop {
            match self.op.check_failed(step) {
                CheckFailed::Show => {
                    if let Some(v) = &step.verify {
                        self.op.show(&check_text(&v.text));
                    }
                }
                CheckFailed::Override(reason) if reason.trim().is_empty() => {
                    self.op
                        .show("  Not overridden: a reason is needed (it goes into the record).\n");
                }
                CheckFailed::Override(reason) => return CheckFailed::Override(reason.trim().to_owned()),
                other => return other,
            }
        }
    }
}

/// A check's script, indented as the plan shows commands.
fn check_text(text: &str) -> String {
    let mut out = String::from("\n");
    for line in text.lines() {
        out.push_str("       ");
        out.push_str(line);
        out.push('\n');
    }
    out.push('\n');
    out
}
