//! What the run asks of the person at the keyboard. The core calls this trait; the terminal
//! front end (`front::terminal`) implements it with dialoguer, tests with a script.

use crate::render::plan::PlannedStep;
use crate::run::state::Verdict;
use std::path::PathBuf;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StepAction {
    /// Run the commands with the runner.
    Run,
    /// The operator ran them by hand (copy-ready text was shown).
    DoneByHand,
    Skip,
    Stop,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Blocked {
    Recheck,
    Evidence(PathBuf),
    /// The operator attests the prerequisite holds; recorded as an attestation, not evidence.
    Attest,
    Stop,
}

/// What to do with a step that failed or was interrupted. Only an explicit choice with a
/// typed reason marks it done; the default of every menu is to stop.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resume {
    /// It took effect: done, for the reason the operator typed (recorded in the state and the
    /// report). An empty reason is refused by the core.
    MarkDone(String),
    Retry,
    /// Run the step's read-only verify command, print its verdict, then ask again.
    Verify,
    /// Print the step's commands and check in full, then ask again.
    Show,
    Stop,
}

/// A step's check failed here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CheckFailed {
    /// Run the check again (after fixing something by hand).
    Again,
    /// Mark the step done anyway, for the reason the operator typed: recorded as an override
    /// with the operator's name. An empty reason is refused by the core.
    Override(String),
    /// Print the step's check in full, then ask again.
    Show,
    Stop,
}

/// A step's check must run on another machine: what did it say there?
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CheckElsewhere {
    Passed,
    Failed,
    Stop,
}

/// Every question returns its "stop" answer when the operator presses Ctrl-C or Esc; the core
/// then tells a Ctrl-C (see [`super::interrupt`]) from a plain stop.
pub trait Operator {
    /// Print text (a step, a summary, command output) for the operator.
    fn show(&mut self, text: &str);
    fn step_action(&mut self, step: &PlannedStep, can_run: bool) -> StepAction;
    /// A manual step: `true` when done, `false` to stop.
    fn manual_done(&mut self, step: &PlannedStep) -> bool;
    /// Pick an option of a choice step (`default` is the environment's); `None` to stop.
    fn choose_option(&mut self, step: &PlannedStep, default: usize) -> Option<usize>;
    fn blocked(&mut self, step: &PlannedStep, problems: &[String], wants_event: bool) -> Blocked;
    /// A confirmation prerequisite: `true` when the operator confirms the statement.
    fn confirm(&mut self, statement: &str) -> bool;
    /// A step found running, interrupted or failed (`what` says which, and why): what now?
    /// `check` is the verdict of the read-only check run just now at the operator's request.
    fn resume(&mut self, step: &PlannedStep, what: &str, can_verify: bool, check: Option<Verdict>) -> Resume;
    fn check_failed(&mut self, step: &PlannedStep) -> CheckFailed;
    fn check_elsewhere(&mut self, step: &PlannedStep, place: &str) -> CheckElsewhere;
    /// Who is at the keyboard, asked once when nothing else says it.
    fn operator_name(&mut self) -> Option<String>;
    /// A command of `what` (a step or its check) starts and its output is piped through
    /// [`Operator::show`]: a terminal shows a heartbeat (elapsed time) until [`Operator::idle`].
    fn busy(&mut self, _what: &str) {}
    /// The command started with [`Operator::busy`] ended.
    fn idle(&mut self) {}
}
