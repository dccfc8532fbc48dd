//! The after-action report: a Markdown account of a run from its state file: timeline, who
//! confirmed what, the option taken, the prerequisite evidence, every command with its output.

//!
//! Everything in it that came from outside lyncdr (runbook titles, notes, names, evidence,
//! commands and their output) goes through [`crate::markdown`], so it stays text.

use super::state::{How, State, Status, Verdict};
use crate::markdown::{code, fence, text};
use std::fmt::Write as _;

fn duration(start: Option<&str>, end: Option<&str>) -> String {
    let (Some(a), Some(b)) = (
        start.and_then(|s| s.parse::<jiff::Timestamp>().ok()),
        end.and_then(|s| s.parse::<jiff::Timestamp>().ok()),
    ) else {
        return String::new();
    };
    let secs = (b.as_second() - a.as_second()).max(0);
    crate::audit::format_duration(std::time::Duration::from_secs(secs.unsigned_abs()))
}

/// What the end of a run and the report's header count besides "done": everything that is
/// not "lyncdr ran it and its check passed".
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Tally {
    /// Checks that failed and were overridden by the operator.
    pub overrides: usize,
    /// Check runs that failed (an overridden one included).
    pub failed_checks: usize,
    /// Prerequisites the operator attested without evidence.
    pub attestations: usize,
    /// Steps the operator did by hand (or a manual step confirmed).
    pub by_hand: usize,
    /// Steps that failed or were interrupted and were marked done by the operator.
    pub marked_done: usize,
}

impl Tally {
    pub fn of(s: &State) -> Tally {
        let checks = || s.steps.iter().flat_map(|r| &r.checks);
        let done_how = |h: How| {
            s.steps
                .iter()
                .filter(|r| r.status == Status::Done && r.how == Some(h))
                .count()
        };
        Tally {
            overrides: checks().filter(|c| c.verdict == Verdict::Overridden).count(),
            failed_checks: checks()
                .filter(|c| matches!(c.verdict, Verdict::Failed | Verdict::Overridden))
                .count(),
            attestations: s
                .steps
                .iter()
                .flat_map(|r| &r.evidence)
                .filter(|e| e.contains("ATTESTED"))
                .count(),
            by_hand: done_how(How::ByHand),
            marked_done: done_how(How::MarkedDone) + done_how(How::Resolved),
        }
    }

    /// The counts that are not zero, as one list (`""` when all are).
    pub fn list(&self) -> String {
        let parts: Vec<String> = [
            (self.overrides, "failed check(s) overridden by the operator"),
            (self.failed_checks, "check run(s) failed"),
            (self.attestations, "prerequisite(s) attested without evidence"),
            (self.by_hand, "step(s) done by hand"),
            (
                self.marked_done,
                "step(s) marked done by the operator after a failure or interruption",
            ),
        ]
        .iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, what)| format!("{n} {what}"))
        .collect();
        parts.join(", ")
    }

    /// [`Tally::list`] as a sentence to append to a summary (`""` when there is nothing).
    pub fn sentence(&self) -> String {
        match self.list() {
            l if l.is_empty() => String::new(),
            l => format!(" Of note: {l}."),
        }
    }
}

pub fn markdown(s: &State) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# {} report: {} ({})\n",
        if s.rehearsal { "Rehearsal" } else { "Recovery" },
        text(&s.title),
        code(&s.runbook)
    );
    if s.rehearsal {
        let _ = writeln!(
            out,
            "- REHEARSAL: `--yes` with no PowerShell on the machine; nothing was run and nothing was confirmed"
        );
    }
    let _ = writeln!(out, "- Environment: {}", code(&s.environment));
    let _ = writeln!(out, "- Started: {}", s.started_at);
    let last = s.steps.iter().filter_map(|r| r.finished_at.as_deref()).max();
    if let Some(last) = last {
        let _ = writeln!(out, "- Last activity: {last}");
    }
    let count = |st: Status| s.steps.iter().filter(|r| r.status == st).count();
    let edited = match count(Status::Edited) {
        0 => String::new(),
        n => format!(", {n} changed outside lyncdr (not trusted)"),
    };
    let _ = writeln!(
        out,
        "- Steps: {} done, {} skipped, {} pending, {} failed, {} interrupted{edited}",
        count(Status::Done),
        count(Status::Skipped),
        count(Status::Pending),
        count(Status::Failed),
        count(Status::Interrupted) + count(Status::Running) + count(Status::Checking)
    );
    let tally = Tally::of(s).list();
    if !tally.is_empty() {
        let _ = writeln!(out, "- Of note: {tally}");
    }
    if !s.choices.is_empty() {
        let chosen: Vec<String> = s
            .choices
            .iter()
            .map(|(k, v)| format!("{} = {}", code(k), text(v)))
            .collect();
        let _ = writeln!(out, "- Options taken: {}", chosen.join(", "));
    }
    let _ = writeln!(out, "\n## Timeline\n");
    let _ = writeln!(
        out,
        "| # | Step | Status | Started | Finished | Duration | Operator | Note |"
    );
    let _ = writeln!(
        out,
        "|---|------|--------|---------|----------|----------|----------|------|"
    );
    for (i, r) in s.steps.iter().enumerate() {
        let label = if r.label.is_empty() {
            code(&r.id)
        } else {
            format!("{} {}", text(&r.label), code(&r.id))
        };
        let _ = writeln!(
            out,
            "| {} | {label} {} | {} | {} | {} | {} | {} | {} |",
            i + 1,
            text(&r.title),
            r.status.name(),
            r.started_at.as_deref().unwrap_or(""),
            r.finished_at.as_deref().unwrap_or(""),
            duration(r.started_at.as_deref(), r.finished_at.as_deref()),
            text(r.operator.as_deref().unwrap_or("")),
            text(r.note.as_deref().unwrap_or("")),
        );
    }
    if !s.decisions.is_empty() {
        let _ = writeln!(out, "\n## Decisions\n");
        for d in &s.decisions {
            let step = d
                .step
                .as_deref()
                .map(|s| format!(" (step {})", code(s)))
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "- {} {}{step}: {}",
                text(&d.at),
                text(&d.operator),
                text(&d.what)
            );
        }
    }
    let evidence: Vec<_> = s.steps.iter().filter(|r| !r.evidence.is_empty()).collect();
    if !evidence.is_empty() {
        let _ = writeln!(out, "\n## Prerequisite evidence\n");
        for r in evidence {
            for e in &r.evidence {
                let _ = writeln!(out, "- {}: {}", code(&r.id), code(e));
            }
        }
    }
    let checked: Vec<_> = s.steps.iter().filter(|r| !r.checks.is_empty()).collect();
    if !checked.is_empty() {
        let _ = writeln!(out, "\n## Checks\n");
        for r in checked {
            for c in &r.checks {
                let exit = c
                    .exit_code
                    .map(|c| format!(", exit code {c}"))
                    .unwrap_or_default();
                let _ = writeln!(
                    out,
                    "- {}: {} at {} ({}, {}{exit})",
                    code(&r.id),
                    c.verdict.name(),
                    text(&c.at),
                    text(&c.place),
                    text(&c.operator)
                );
                if !c.output.trim().is_empty() {
                    let fence = fence(&c.output);
                    let _ = writeln!(out, "\n  {fence}text");
                    for line in c.output.trim_end().lines() {
                        let _ = writeln!(out, "  {line}");
                    }
                    let _ = writeln!(out, "  {fence}");
                }
            }
        }
    }
    let _ = writeln!(out, "\n## Commands and output\n");
    let mut any = false;
    for r in s.steps.iter().filter(|r| !r.commands.is_empty()) {
        any = true;
        let _ = writeln!(
            out,
            "### {} {}\n",
            text(if r.label.is_empty() { &r.id } else { &r.label }),
            text(&r.title)
        );
        for c in &r.commands {
            let code = c
                .exit_code
                .map_or("none (did not finish)".into(), |c| c.to_string());
            let _ = writeln!(
                out,
                "{} to {} ({}), exit code {code}:\n",
                c.started_at,
                c.finished_at.as_deref().unwrap_or("?"),
                duration(Some(&c.started_at), c.finished_at.as_deref())
            );
            let fence = fence(&format!("{}\n{}", c.command, c.output));
            let _ = writeln!(
                out,
                "{fence}{}\n{}\n{fence}\n",
                text(&c.language),
                c.command.trim_end()
            );
            let _ = writeln!(out, "Output:\n\n{fence}text\n{}\n{fence}\n", c.output.trim_end());
        }
    }
    if !any {
        let _ = writeln!(out, "No command was run by lyncdr.");
    }
    out
}
