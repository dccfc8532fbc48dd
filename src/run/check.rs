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
    pub(super) fn check(&mut self, step: &PlannedStep) -> Result<AfterCheck, RunError> {
        let Some(verify) = step.verify.clone() else {
            return Ok(AfterCheck::Done(None));
        };
        let here =
            step.runs_on != RunsOn::RebuiltServer && super::runner::available(&self.cfg.programs.powershell);
        loop {
            if interrupt::requested() {
                return Ok(AfterCheck::Leave(self.stopped(step)));
            }
            let (verdict, exit_code, output, place) = if here {
                let exec = self.execute(step, Language::Powershell, &verify.text, Phase::Check);
                let verdict = match exec.ending {
                    runner::Ending::Exited(0) => Verdict::Passed,
                    runner::Ending::Interrupted => return Ok(AfterCheck::Leave(self.stopped(step))),
                    _ => Verdict::Failed,
                };
                let code = match exec.ending {
                    runner::Ending::Exited(c) => Some(c),
                    _ => None,
                };
                (verdict, code, exec.output, "here".to_owned())
            } else {
                let place = if step.runs_on == RunsOn::RebuiltServer {
                    step.runs_on.describe().to_owned()
                } else {
                    "a Front End server (no PowerShell runner here)".to_owned()
                };
                self.op.show(&format!(
                    "  --- check afterwards: run the read-only check shown above on {place}, not here ---\n"
                ));
                let verdict = if self.cfg.yes {
                    Verdict::Confirmed
                } else {
                    match self.op.check_elsewhere(step, &place) {
                        CheckElsewhere::Passed => Verdict::Confirmed,
                        CheckElsewhere::Failed => Verdict::Failed,
                        CheckElsewhere::Stop => return Ok(AfterCheck::Leave(self.stopped(step))),
                    }
                };
                (verdict, None, String::new(), place)
            };
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
            self.op.show(&format!("  check {}\n", verdict.name()));
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
            match self.op.check_failed(step) {
                CheckFailed::Again => continue,
                CheckFailed::Override => {
                    self.decide(Some(&step.id), "marked done although its check failed (override)");
                    if let Some(r) = self.state.step_mut(&step.id)
                        && let Some(last) = r.checks.last_mut()
                    {
                        last.verdict = Verdict::Overridden;
                    }
                    return Ok(AfterCheck::Done(Some(Verdict::Overridden.name())));
                }
                CheckFailed::Stop => return Ok(AfterCheck::Leave(self.stopped(step))),
            }
        }
    }
}
