//! The plan as an operator reads it under stress: numbered steps with the source's letters,
//! where each runs, warnings before the commands they concern, commands indented and set apart
//! so they copy cleanly, skipped steps marked and their commands commented out.

use super::plan::{Kind, Plan, PlannedStep, RenderedCommand};
use crate::decode::one_line;
use crate::runbook::Language;
use anstyle::{AnsiColor, Style};
use std::fmt::Write as _;

const BOLD: Style = Style::new().bold();
const DIM: Style = Style::new().dimmed();
const WARN: Style = AnsiColor::Red.on_default().bold();
const SKIP: Style = AnsiColor::Yellow.on_default();
const CHOSEN: Style = AnsiColor::Green.on_default().bold();

/// Columns the text may fill: the terminal's width less a margin, 96 when piped (see
/// [`set_width`]).
static WIDTH: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(96);

/// Wrap at `columns` (the terminal's width, which the front end finds; the core cannot ask).
pub fn set_width(columns: usize) {
    WIDTH.store(
        columns.saturating_sub(4).max(36),
        std::sync::atomic::Ordering::Relaxed,
    );
}

fn width() -> usize {
    WIDTH.load(std::sync::atomic::Ordering::Relaxed)
}

pub fn plan(p: &Plan) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{BOLD}{}: {}{BOLD:#}", p.runbook, p.title);
    if let Some(d) = &p.deployment {
        let _ = writeln!(
            out,
            "Deployment: {} (environment {})",
            one_line(d),
            one_line(&p.environment)
        );
    }
    let _ = writeln!(out, "Source: {}", one_line(&p.source));
    let active = p.steps.iter().filter(|s| !s.skipped).count();
    let _ = writeln!(
        out,
        "Steps: {} ({} to do, {} skipped)",
        p.steps.len(),
        active,
        p.steps.len() - active
    );
    out.push('\n');
    wrap(&mut out, &p.summary, "");
    if !p.prerequisites.is_empty() {
        let _ = writeln!(out, "\n{BOLD}Before you start{BOLD:#}");
        for pr in &p.prerequisites {
            let _ = writeln!(out, "  [ ] {}", prerequisite_line(pr));
        }
    }
    for s in &p.steps {
        out.push('\n');
        step(&mut out, s, p.steps.len(), true);
    }
    out
}

fn prerequisite_line(p: &super::plan::PlannedPrerequisite) -> String {
    match &p.path {
        Some(path) => format!("{}: {path}", p.description),
        None => p.description.clone(),
    }
}

/// One step as `plan` prints it (used by `run` before each step).
pub fn step_block(s: &PlannedStep, total: usize) -> String {
    let mut out = String::new();
    step(&mut out, s, total, true);
    out
}

/// A step as `run` shows it before asking what to do: [`step_block`] without the text of its
/// read-only check, which runs by itself afterwards (the run log has it; a menu shows it on
/// request), so a long check never pushes the step's title and warnings off the screen.
pub fn step_block_for_run(s: &PlannedStep, total: usize) -> String {
    let mut out = String::new();
    step(&mut out, s, total, false);
    out
}

/// How every question of `run` names its step: `Step 7 (E.B.2) Title [id]`.
pub fn step_name(s: &PlannedStep) -> String {
    let label = if s.label.is_empty() {
        String::new()
    } else {
        format!(" ({})", s.label)
    };
    format!("Step {}{label} {} [{}]", s.number, s.title, s.id)
}

/// `A. `, `E.B.2 `: how a step's source letter leads its title.
pub fn label_prefix(label: &str) -> String {
    match label {
        "" => String::new(),
        l if l.contains('.') => format!("{l} "),
        l => format!("{l}. "),
    }
}

fn step(out: &mut String, s: &PlannedStep, total: usize, with_check: bool) {
    let label = label_prefix(&s.label);
    let indent = "   ";
    if s.skipped {
        let _ = writeln!(
            out,
            "{SKIP}Step {} of {total} -- {label}{}  [SKIPPED]{SKIP:#}",
            s.number, s.title
        );
        if let Some(r) = &s.reason {
            let _ = writeln!(out, "{indent}{SKIP}Skipped: {r}{SKIP:#}");
        }
    } else {
        let tag = match (s.kind.clone(), s.manual) {
            (Kind::Choice, _) => "  [CHOOSE]",
            (Kind::Section, _) => "",
            (Kind::Action, true) => "  [MANUAL]",
            (Kind::Action, false) => "",
        };
        let _ = writeln!(
            out,
            "{BOLD}Step {} of {total} -- {label}{}{tag}{BOLD:#}",
            s.number, s.title
        );
    }
    if !matches!(s.kind, Kind::Section) {
        let _ = writeln!(out, "{indent}Runs on: {}", s.runs_on.describe());
    }
    if !s.explanation.is_empty() && !s.skipped {
        wrap(out, &s.explanation, indent);
    }
    for o in &s.options {
        let mark = if o.chosen {
            format!("  {CHOSEN}<- chosen{CHOSEN:#}")
        } else {
            String::new()
        };
        let _ = writeln!(out, "{indent}Option {}: {}{mark}", o.info.id, o.info.title);
        wrap(out, &o.info.tradeoffs, "       ");
    }
    if let Some(key) = &s.choice {
        let _ = writeln!(
            out,
            "{indent}{DIM}(chosen with `{key}` in the environment or --set {key}=...){DIM:#}"
        );
    }
    for p in &s.prerequisites {
        let _ = writeln!(out, "{indent}Requires: {}", prerequisite_line(p));
    }
    for w in &s.warnings {
        let _ = write!(out, "{indent}{WARN}WARNING:{WARN:#} ");
        wrap_rest(out, w, indent);
    }
    for n in &s.notes {
        let _ = write!(out, "{indent}Note: ");
        wrap_rest(out, n, indent);
    }
    if s.interactive && !s.skipped {
        let _ = writeln!(
            out,
            "{indent}Takes the console: the command asks you questions; answer them in this window."
        );
    }
    if let Some(b) = &s.builtin {
        let _ = write!(out, "{indent}lyncdr does this step itself, nothing to type: ");
        wrap_rest(out, &b.describe(), indent);
    }
    for c in &s.commands {
        command(out, c, s.skipped);
    }
    match &s.verify {
        Some(v) if with_check => {
            let _ = writeln!(out, "{indent}Check afterwards (read-only):");
            command(out, v, s.skipped);
        }
        Some(v) => {
            let _ = writeln!(
                out,
                "{indent}Check afterwards (read-only, {} lines): runs by itself after the step.",
                v.text.lines().count()
            );
        }
        None => {}
    }
}

fn command(out: &mut String, c: &RenderedCommand, skipped: bool) {
    let what = match c.language {
        Language::Powershell => "PowerShell",
        Language::Sql => "T-SQL (SQL Server Management Studio, or sqlcmd -x)",
        Language::Cmd => "cmd.exe",
    };
    let heading = if c.alternative {
        format!("or the same from {what}")
    } else {
        what.to_owned()
    };
    let _ = writeln!(out, "   {DIM}{heading}:{DIM:#}\n");
    // A skipped step's commands are commented out, so copying them by mistake runs nothing.
    let prefix = match (skipped, c.language) {
        (false, _) => "",
        (true, Language::Powershell) => "# ",
        (true, Language::Sql) => "-- ",
        (true, Language::Cmd) => "REM ",
    };
    for line in c.text.lines() {
        let _ = writeln!(out, "       {prefix}{line}");
    }
    out.push('\n');
}

/// Word-wrap `text` (paragraphs kept) with every line indented.
pub fn wrap(out: &mut String, text: &str, indent: &str) {
    // Paragraphs, and list items (`- ...`) on lines of their own, keep their breaks.
    let mut paras: Vec<String> = Vec::new();
    for block in text.split("\n\n") {
        let mut cur = String::new();
        for line in block.lines() {
            if line.trim_start().starts_with("- ") && !cur.is_empty() {
                paras.push(std::mem::take(&mut cur));
            }
            cur.push_str(line);
            cur.push('\n');
        }
        paras.push(cur);
    }
    for para in &paras {
        // A list item keeps its shape: its continuation lines hang under its text.
        let item = para.trim_start().starts_with("- ");
        let hang = if item { 2 } else { 0 };
        let lines = crate::wrap::words(para, width().saturating_sub(indent.len() + hang));
        for (i, line) in lines.iter().enumerate() {
            let pad = if i > 0 && item { "  " } else { "" };
            let _ = writeln!(out, "{indent}{pad}{line}");
        }
    }
}

/// Like [`wrap`], for text that follows a label already written on the current line.
fn wrap_rest(out: &mut String, text: &str, indent: &str) {
    let mut tmp = String::new();
    wrap(&mut tmp, text, &format!("{indent}  "));
    let _ = write!(out, "{}", tmp.trim_start());
}
