//! The operator at a real terminal: dialoguer menus for the questions `run` asks.

use crate::render::plan::PlannedStep;
use crate::render::text::step_name;
use crate::run::interrupt;
use crate::run::operator::{Blocked, CheckElsewhere, CheckFailed, Operator, Resume, StepAction};
use crate::run::state::Verdict;
use dialoguer::{Confirm, Input, Select, theme::ColorfulTheme};
use std::io::Write as _;

pub struct Terminal {
    theme: ColorfulTheme,
    screen: Screen,
}

impl Default for Terminal {
    fn default() -> Self {
        Self {
            theme: theme(capabilities().unicode),
            screen: Screen::default(),
        }
    }
}

/// Standard output, with the heartbeat on standard error while a command runs (see
/// [`Operator::busy`]): output is printed above it as it comes.
#[derive(Default)]
pub struct Screen {
    spinner: Option<indicatif::ProgressBar>,
}

impl Screen {
    fn show(&self, text: &str) {
        let write = || {
            let mut out = anstream::stdout();
            let _ = out.write_all(text.as_bytes());
            let _ = out.flush();
        };
        match &self.spinner {
            Some(s) => s.suspend(write),
            None => write(),
        }
    }

    fn busy(&mut self, what: &str) {
        self.spinner = Some(heartbeat(what));
    }

    fn idle(&mut self) {
        if let Some(s) = self.spinner.take() {
            s.finish_and_clear();
        }
    }
}

/// What this terminal can show.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Capabilities {
    /// Glyphs beyond ASCII (✔ ❯ ·): only where the locale says UTF-8.
    pub unicode: bool,
    /// Columns to wrap text at: the terminal's width, or 100 when output is piped.
    pub width: usize,
}

/// The one place that decides whether lyncdr may print Unicode glyphs and how wide it may
/// write. Unix: the locale (`LC_ALL`, else `LC_CTYPE`, else `LANG`) names UTF-8. Windows: the
/// console is in code page 65001 (a 2008 R2 console in code page 437 or 850 has no ✔).
pub fn capabilities() -> Capabilities {
    // The locale on Linux, the console's code page on Windows (65001 only; 437 and 850 have no
    // arrows or check marks): src/console.
    let unicode = crate::console::unicode_glyphs();
    let term = dialoguer::console::Term::stdout();
    let width = if term.is_term() {
        term.size_checked()
            .map_or(100, |(_, cols)| usize::from(cols).clamp(40, 200))
    } else {
        100
    };
    Capabilities { unicode, width }
}

/// dialoguer's colourful theme, its glyphs replaced by ASCII where Unicode cannot be shown.
fn theme(unicode: bool) -> ColorfulTheme {
    use dialoguer::console::style;
    let mut t = ColorfulTheme::default();
    if !unicode {
        let glyph = |g: &str| style(g.to_string()).for_stderr();
        t.prompt_suffix = glyph(">").black().bright();
        t.success_prefix = glyph("+").green();
        t.success_suffix = glyph(":").black().bright();
        t.error_prefix = glyph("x").red();
        t.active_item_prefix = glyph(">").green();
        t.checked_item_prefix = glyph("[x]").green();
        t.unchecked_item_prefix = glyph("[ ]").magenta();
        t.picked_item_prefix = glyph(">").green();
    }
    t
}

impl Terminal {
    /// A typed reason; `Some("")` when the operator gave none (back to the menu), `None` for
    /// Esc or Ctrl-C.
    fn reason(&self, question: &str) -> Option<String> {
        answered(
            Input::<String>::with_theme(&self.theme)
                .with_prompt(format!(
                    "{question} (recorded in the state and the report; empty to go back)"
                ))
                .allow_empty(true)
                .interact_text()
                .map(Some),
        )
        .map(|r| r.trim().to_owned())
    }

    fn select(&self, prompt: &str, items: &[&str], default: usize) -> Option<usize> {
        answered(
            Select::with_theme(&self.theme)
                .with_prompt(prompt)
                .items(items)
                .default(default)
                .interact_opt(),
        )
    }
}

/// The answer, or `None` for Esc, `q` and Ctrl-C. In a menu the terminal is raw, so Ctrl-C
/// arrives as a key, not a signal: it is recorded as the interrupt it is, and the cursor the
/// menu hid is shown again.
fn answered<T>(result: dialoguer::Result<Option<T>>) -> Option<T> {
    match result {
        // A Ctrl-C pressed while the menu was being drawn (the terminal not raw yet) came as a
        // signal: it wins over the key that ended the menu.
        Ok(_) if interrupt::requested() => {
            show_cursor();
            None
        }
        Ok(answer) => answer,
        Err(dialoguer::Error::IO(e)) => {
            if e.kind() == std::io::ErrorKind::Interrupted {
                interrupt::request();
            }
            show_cursor();
            None
        }
    }
}

fn show_cursor() {
    let _ = dialoguer::console::Term::stderr().show_cursor();
    let _ = dialoguer::console::Term::stdout().show_cursor();
}

impl Drop for Terminal {
    fn drop(&mut self) {
        show_cursor();
    }
}

impl Operator for Terminal {
    fn show(&mut self, text: &str) {
        self.screen.show(text);
    }

    fn busy(&mut self, what: &str) {
        self.screen.busy(what);
    }

    fn idle(&mut self) {
        self.screen.idle();
    }

    fn step_action(&mut self, step: &PlannedStep, can_run: bool) -> StepAction {
        let mut items: Vec<(&str, StepAction)> = Vec::new();
        if can_run {
            items.push(("Run it now", StepAction::Run));
        }
        items.push(("I ran it by hand: mark it done", StepAction::DoneByHand));
        if step.skippable {
            items.push(("Skip this step", StepAction::Skip));
        }
        items.push(("Stop here (run again later to resume)", StepAction::Stop));
        let labels: Vec<&str> = items.iter().map(|i| i.0).collect();
        let prompt = if can_run {
            format!("{} -- What now?", step_name(step))
        } else {
            format!(
                "{} -- No runner on this machine: run the command on the server, then",
                step_name(step)
            )
        };
        match self.select(&prompt, &labels, 0) {
            Some(i) => items[i].1.clone(),
            None => StepAction::Stop,
        }
    }

    fn manual_done(&mut self, step: &PlannedStep) -> bool {
        self.select(
            &format!("{} -- This step is done by hand.", step_name(step)),
            &["Done", "Stop here (run again later to resume)"],
            0,
        ) == Some(0)
    }

    fn choose_option(&mut self, step: &PlannedStep, default: usize) -> Option<usize> {
        let labels: Vec<String> = step
            .options
            .iter()
            .map(|o| format!("Option {}: {}", o.info.id, o.info.title))
            .collect();
        let mut refs: Vec<&str> = labels.iter().map(String::as_str).collect();
        refs.push("Stop here");
        match self.select(
            &format!(
                "{} -- Which option? (the environment's choice is selected)",
                step_name(step)
            ),
            &refs,
            default,
        ) {
            Some(i) if i < step.options.len() => Some(i),
            _ => None,
        }
    }

    fn blocked(&mut self, step: &PlannedStep, _problems: &[String], wants_event: bool) -> Blocked {
        let mut items = vec!["Check again"];
        if wants_event {
            items.push("Give an event log export (.evtx or XML)");
        }
        items.push("I attest it holds (recorded as an attestation, not evidence)");
        items.push("Stop here");
        let prompt = format!("{} -- This step is blocked.", step_name(step));
        let Some(i) = self.select(&prompt, &items, 0) else {
            return Blocked::Stop;
        };
        match items[i] {
            "Check again" => Blocked::Recheck,
            "Stop here" => Blocked::Stop,
            s if s.starts_with("Give") => {
                let path: Option<String> = answered(
                    Input::with_theme(&self.theme)
                        .with_prompt("Path of the export")
                        .interact_text()
                        .map(Some),
                );
                path.map_or(Blocked::Stop, |p| Blocked::Evidence(p.trim().into()))
            }
            _ => {
                let sure = answered(
                    Confirm::with_theme(&self.theme)
                        .with_prompt("Attest without evidence? Your name and the time are recorded.")
                        .default(false)
                        .interact_opt(),
                );
                if interrupt::requested() {
                    Blocked::Stop
                } else if sure == Some(true) {
                    Blocked::Attest
                } else {
                    Blocked::Recheck
                }
            }
        }
    }

    fn confirm(&mut self, statement: &str) -> bool {
        answered(
            Confirm::with_theme(&self.theme)
                .with_prompt(format!("Confirm: {statement}"))
                .default(false)
                .interact_opt(),
        ) == Some(true)
    }

    fn resume(&mut self, step: &PlannedStep, what: &str, can_verify: bool, check: Option<Verdict>) -> Resume {
        #[derive(Clone)]
        enum Item {
            Do(Resume),
            /// Mark it done after a typed reason.
            Reason,
        }
        let passed = check == Some(Verdict::Passed);
        let mut items: Vec<(&str, Item)> = Vec::new();
        if passed {
            items.push((
                "It took effect: mark it done (its check just passed)",
                Item::Do(Resume::MarkDone(
                    "its read-only check passed when run on request".into(),
                )),
            ));
        }
        items.push((
            "Stop here (it stays undecided; run again later)",
            Item::Do(Resume::Stop),
        ));
        items.push(("Run it again", Item::Do(Resume::Retry)));
        if can_verify {
            items.push(("Run its read-only check now", Item::Do(Resume::Verify)));
        }
        items.push(("Show its commands and check", Item::Do(Resume::Show)));
        if !passed {
            items.push((
                "It took effect: mark it done (you type why; recorded)",
                Item::Reason,
            ));
        }
        let labels: Vec<&str> = items.iter().map(|i| i.0).collect();
        let after = match check {
            Some(v) => format!("; its check just now: {}", v.name()),
            None => String::new(),
        };
        let prompt = format!("{} {what}{after}. What now?", step_name(step));
        loop {
            let Some(i) = self.select(&prompt, &labels, 0) else {
                return Resume::Stop;
            };
            match items[i].1.clone() {
                Item::Do(r) => return r,
                Item::Reason => match self.reason("Why do you say it took effect?") {
                    Some(r) if r.is_empty() => continue,
                    Some(r) => return Resume::MarkDone(r),
                    None => return Resume::Stop,
                },
            }
        }
    }

    fn check_failed(&mut self, step: &PlannedStep) -> CheckFailed {
        let items = [
            "Stop here (run again later: the check runs first)",
            "Check again (after fixing it by hand)",
            "Show the check",
            "Mark it done anyway (an override: you type why; recorded with your name)",
        ];
        let prompt = format!(
            "{}: its check FAILED, so the step is not done. What now?",
            step_name(step)
        );
        loop {
            match self.select(&prompt, &items, 0) {
                Some(1) => return CheckFailed::Again,
                Some(2) => return CheckFailed::Show,
                Some(3) => match self.reason("Why mark it done although its check failed?") {
                    Some(r) if r.is_empty() => continue,
                    Some(r) => return CheckFailed::Override(r),
                    None => return CheckFailed::Stop,
                },
                _ => return CheckFailed::Stop,
            }
        }
    }

    fn check_elsewhere(&mut self, step: &PlannedStep, place: &str) -> CheckElsewhere {
        let prompt = format!(
            "{} -- Run the check on {place}. What did it say?",
            step_name(step)
        );
        let items = [
            ("It passed (OK)", CheckElsewhere::Passed),
            ("It failed", CheckElsewhere::Failed),
            ("Stop here", CheckElsewhere::Stop),
        ];
        let labels: Vec<&str> = items.iter().map(|i| i.0).collect();
        match self.select(&prompt, &labels, 0) {
            Some(i) => items[i].1.clone(),
            None => CheckElsewhere::Stop,
        }
    }

    fn operator_name(&mut self) -> Option<String> {
        let name: Option<String> = answered(
            Input::with_theme(&self.theme)
                .with_prompt("Your name, for the record of who did what (or set LYNCDR_OPERATOR)")
                .interact_text()
                .map(Some),
        );
        name.map(|n| n.trim().to_owned()).filter(|n| !n.is_empty())
    }
}

/// Who is at the keyboard: `--operator`, else LYNCDR_OPERATOR, USER or USERNAME; `None` when
/// nothing says (a run then asks once).
pub fn known_operator(given: Option<String>) -> Option<String> {
    given
        .or_else(|| std::env::var("LYNCDR_OPERATOR").ok())
        .or_else(|| std::env::var("USER").ok())
        .or_else(|| std::env::var("USERNAME").ok())
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
}

/// [`known_operator`], or "unknown operator".
pub fn operator_name(given: Option<String>) -> String {
    known_operator(given).unwrap_or_else(|| "unknown operator".into())
}

/// For `--yes` (and any run without a terminal): prints, never asks. The core answers every
/// question itself when `--yes` is set, so these are only reached without it.
#[derive(Default)]
pub struct Unattended(Screen);

impl Operator for Unattended {
    fn show(&mut self, text: &str) {
        self.0.show(text);
    }
    fn busy(&mut self, what: &str) {
        self.0.busy(what);
    }
    fn idle(&mut self) {
        self.0.idle();
    }
    fn step_action(&mut self, _: &PlannedStep, _: bool) -> StepAction {
        StepAction::Stop
    }
    fn manual_done(&mut self, _: &PlannedStep) -> bool {
        false
    }
    fn choose_option(&mut self, _: &PlannedStep, _: usize) -> Option<usize> {
        None
    }
    fn blocked(&mut self, _: &PlannedStep, _: &[String], _: bool) -> Blocked {
        Blocked::Stop
    }
    fn confirm(&mut self, _: &str) -> bool {
        false
    }
    fn resume(&mut self, _: &PlannedStep, _: &str, _: bool, _: Option<Verdict>) -> Resume {
        Resume::Stop
    }
    fn check_failed(&mut self, _: &PlannedStep) -> CheckFailed {
        CheckFailed::Stop
    }
    fn check_elsewhere(&mut self, _: &PlannedStep, _: &str) -> CheckElsewhere {
        CheckElsewhere::Stop
    }
    fn operator_name(&mut self) -> Option<String> {
        None
    }
}

/// A spinner on standard error with the step and the time since it started, ticking by itself
/// (a DBImpExp import or an rtc restore may print nothing for an hour). indicatif draws nothing
/// when standard error is not a terminal, so piped output stays plain.
fn heartbeat(what: &str) -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::with_draw_target(None, indicatif::ProgressDrawTarget::stderr());
    if let Ok(style) = indicatif::ProgressStyle::with_template("{spinner} {msg}, for {elapsed}") {
        let style = if capabilities().unicode {
            style
        } else {
            style.tick_chars("|/-\\ ")
        };
        bar.set_style(style);
    }
    bar.set_message(crate::decode::printable(what));
    bar.enable_steady_tick(std::time::Duration::from_millis(250));
    bar
}

/// A bar on standard error with bytes done, throughput and time left.
pub struct ProgressBar(indicatif::ProgressBar);

impl ProgressBar {
    pub fn stderr() -> Self {
        let bar = indicatif::ProgressBar::with_draw_target(Some(0), indicatif::ProgressDrawTarget::stderr());
        if let Ok(style) = indicatif::ProgressStyle::with_template(
            "{spinner} checking backups [{bar:30}] {bytes}/{total_bytes} {binary_bytes_per_sec} eta {eta}",
        ) {
            bar.set_style(style.progress_chars("=> "));
        }
        Self(bar)
    }
}

impl crate::audit::Progress for ProgressBar {
    fn start(&self, total_bytes: u64) {
        self.0.set_length(total_bytes);
    }

    fn advance(&self, bytes: u64) {
        self.0.inc(bytes);
    }

    fn finish(&self) {
        self.0.finish_and_clear();
    }
}
