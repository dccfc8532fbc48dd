//! `Invoke-Recovery.ps1`, the driver: runs the step scripts in order on Windows PowerShell 2.0.
//!
//! The file has three parts: a header (comment-based help and parameters, one parameter per
//! choice: [`super::header`]), the bundle's data (steps, options and prerequisites as hashtable
//! literals, every value through [`escape::powershell`]: here; a backup checked with
//! `--backups DIR` carries the `Size` and `Sha256` of the checked file), and fixed code, the same in every
//! bundle ([`CODE`], the PowerShell file `driver.ps1` beside this one).
//!
//! Checkpoint format (`Invoke-Recovery.checkpoint.txt`, ASCII, CRLF, append-only so a crash
//! can at worst cut the last line short, which the reader ignores): a header line
//! `lyncdr-checkpoint<TAB>1<TAB><SHA-256 of SHA256SUMS>` tying it to this bundle, then lines
//! `run<TAB>time`, `option<TAB>parameter<TAB>value`, `start|done|fail<TAB>step id<TAB>time`,
//! times in UTC, round-trip format (`2011-11-27T02:15:00.0000000Z`).

use super::outline::{Entry, Outline, Prereq, RuntimeTest};
use super::script::place;
use super::text::{Ps, lines, wrap};
use crate::escape;
use crate::render::plan::Kind;
use crate::runbook::PrereqKind;

/// The line that marks a folder as written by lyncdr (any format version).
pub const MARKER: &str = "$LyncdrBundleFormat = ";

fn lit(value: &str) -> String {
    escape::powershell(value)
}

/// `@('a', 'b')` of the lines of `text`.
fn lines_literal(text: &str) -> String {
    let items: Vec<String> = wrap(text, 90).iter().map(|l| lit(l)).collect();
    format!("@({})", items.join(", "))
}

fn bool_literal(b: bool) -> &'static str {
    if b { "$true" } else { "$false" }
}

fn when_literal(when: &[RuntimeTest]) -> String {
    let items: Vec<String> = when
        .iter()
        .map(|t| {
            format!(
                "@{{ Parameter = {}; Test = {}; Value = {} }}",
                lit(&t.parameter),
                lit(if t.equals { "eq" } else { "ne" }),
                lit(&t.value)
            )
        })
        .collect();
    format!("@({})", items.join(", "))
}

fn prereq_literal(ps: &mut Ps, indent: &str, p: &Prereq) {
    let common = format!(
        "Description = {}; When = {}",
        lit(&p.description),
        when_literal(&p.when)
    );
    let line = match &p.kind {
        PrereqKind::Backup { artifact } => format!(
            "@{{ Kind = 'backup'; Artifact = {}; Key = {}; Path = {}; ReadBySqlServer = {}; Size = {}; Sha256 = {}; {common} }}",
            lit(artifact.id()),
            lit(artifact.env_key()),
            p.path.as_deref().map_or("$null".to_owned(), lit),
            bool_literal(artifact.read_by_sql_server()),
            p.pinned
                .as_ref()
                .map_or("$null".to_owned(), |x| x.size.to_string()),
            p.pinned
                .as_ref()
                .map_or("$null".to_owned(), |x| lit(&x.sha256.to_string()))
        ),
        PrereqKind::Event {
            id, provider, log, ..
        } => format!(
            "@{{ Kind = 'event'; Event = {id}; Provider = {}; Log = {}; AfterStep = {}; Domains = @({}); Computers = @({}); {common} }}",
            lit(provider),
            lit(log),
            p.after_step.as_deref().map_or("$null".to_owned(), lit),
            p.domains.iter().map(|d| lit(d)).collect::<Vec<_>>().join(", "),
            p.computers.iter().map(|c| lit(c)).collect::<Vec<_>>().join(", ")
        ),
        PrereqKind::Confirm { statement } => format!(
            "@{{ Kind = 'confirm'; Statement = {}; {common} }}",
            lit(statement)
        ),
        PrereqKind::NotAfter { step } => format!("@{{ Kind = 'not-after'; Step = {}; {common} }}", lit(step)),
    };
    ps.code(format!("{indent}{line}"));
}

fn prereqs_literal(ps: &mut Ps, indent: &str, name: &str, list: &[Prereq]) {
    if list.is_empty() {
        ps.code(format!("{indent}{name} = @()"));
        return;
    }
    ps.code(format!("{indent}{name} = @("));
    for p in list {
        prereq_literal(ps, &format!("{indent}    "), p);
    }
    ps.code(format!("{indent})"));
}

fn step_literal(ps: &mut Ps, e: &Entry) {
    let s = e.step;
    let kind = match s.kind {
        Kind::Action => "action",
        Kind::Choice => "choice",
        Kind::Section => "section",
    };
    let runs_on = crate::runbook::RunsOn::ALL
        .iter()
        .find(|(_, r)| *r == s.runs_on)
        .map_or("operator", |(n, _)| n);
    let mut files: Vec<String> = e.script().into_iter().collect();
    files.extend(e.side_files.iter().map(|f| f.name.clone()));
    let files: Vec<String> = files.iter().map(|f| lit(f)).collect();
    ps.code("    @{");
    ps.code(format!("        Number = {}", lit(&e.number)));
    ps.code(format!("        Id = {}", lit(&s.id)));
    ps.code(format!(
        "        Heading = {}",
        lit(&lines(&e.heading()).join(" "))
    ));
    ps.code(format!("        Kind = {}", lit(kind)));
    ps.code(format!(
        "        File = {}",
        e.script().as_deref().map_or("$null".to_owned(), lit)
    ));
    ps.code(format!("        Files = @({})", files.join(", ")));
    ps.code(format!("        RunsOn = {}", lit(runs_on)));
    ps.code(format!("        Place = {}", lit(&place(e))));
    ps.code(format!(
        "        Manual = {}",
        bool_literal(s.by_hand_without_lyncdr())
    ));
    // A step without commands (manual, with at most its read-only check) can always run again.
    let safe = s.idempotent || s.commands.is_empty();
    ps.code(format!("        SafeToRepeat = {}", bool_literal(safe)));
    ps.code(format!(
        "        TakesBaseline = {}",
        bool_literal(e.takes_baseline)
    ));
    ps.code(format!("        When = {}", when_literal(&e.when)));
    prereqs_literal(ps, "        ", "Prerequisites", &e.prerequisites);
    ps.code("    }");
}

pub fn render(outline: &Outline) -> String {
    let plan = outline.plan;
    let mut ps = Ps::new();

    super::header::write(&mut ps, outline);
    ps.code("$ErrorActionPreference = 'Stop'");
    ps.code(format!("{MARKER}{}", super::FORMAT_VERSION));
    ps.code("$BundleFolder = Split-Path -Parent $MyInvocation.MyCommand.Definition");
    ps.code("$DryRun = [bool]$WhatIfPreference");
    ps.blank();

    ps.code(
        "# ---------------------------------------------------------------------------------------------",
    );
    ps.code("# This bundle (generated)");
    ps.blank();
    ps.code(format!("$Runbook = {}", lit(&plan.runbook)));
    ps.code(format!("$RunbookTitle = {}", lit(&lines(&plan.title).join(" "))));
    ps.code(format!(
        "# backups.max_age{}",
        if outline.max_age.from_env {
            " from the environment file"
        } else {
            " is not set: lyncdr's default"
        }
    ));
    ps.code(format!(
        "$MaxBackupAge = [TimeSpan]::FromSeconds({})",
        outline.max_age.seconds
    ));
    ps.code(format!("$MaxBackupAgeText = {}", lit(&outline.max_age.text)));
    ps.code("# recovery.started_at: events older than this are not evidence ($null: the first run of this script)");
    ps.code(format!(
        "$RecoveryStartedAt = {}",
        outline
            .recovery_started
            .as_deref()
            .map_or("$null".to_owned(), lit)
    ));
    ps.code("# backups.baseline: this recovery's baseline folder is this and the UTC stamp of its first run");
    ps.code(format!(
        "$BaselinePrefix = {}",
        outline
            .baseline
            .as_ref()
            .map_or("$null".to_owned(), |(_, prefix)| lit(prefix))
    ));
    ps.code(
        "# lyncdr bundle --backups: the backups were checked as lyncdr audit does when the bundle was made",
    );
    ps.code(format!(
        "$BackupsAudited = {}",
        bool_literal(outline.audited.is_some())
    ));
    ps.code(format!(
        "$NeedsLync = {}",
        bool_literal(
            outline
                .steps
                .iter()
                .any(|e| e.stem.is_some() && e.step.runs_on == crate::runbook::RunsOn::FrontEnd)
        )
    ));
    ps.blank();
    if outline.choices.is_empty() {
        ps.code("$Choices = @()");
    } else {
        ps.code("$Choices = @(");
        for c in &outline.choices {
            ps.code("    @{");
            ps.code(format!("        Parameter = {}", lit(&c.parameter)));
            ps.code(format!("        Key = {}", lit(&c.key)));
            ps.code(format!("        Step = {}", lit(&c.step_id)));
            ps.code(format!("        Title = {}", lit(&lines(&c.title).join(" "))));
            ps.code(format!(
                "        Default = {}",
                c.default.as_deref().map_or("$null".to_owned(), lit)
            ));
            ps.code("        Options = @(");
            for o in &c.options {
                ps.code(format!(
                    "            @{{ Id = {}; Title = {}; Tradeoffs = {} }}",
                    lit(&o.id),
                    lit(&lines(&o.title).join(" ")),
                    lines_literal(&o.tradeoffs)
                ));
            }
            ps.code("        )");
            ps.code("    }");
        }
        ps.code(")");
    }
    ps.blank();
    prereqs_literal(&mut ps, "", "$Prerequisites", &outline.prerequisites);
    ps.blank();
    ps.code("$Steps = @(");
    for e in &outline.steps {
        step_literal(&mut ps, e);
    }
    ps.code(")");
    ps.blank();
    ps.block(FILE_SHA256);
    ps.blank();
    ps.block(CODE);
    ps.into_string()
}

/// The driver's code, the same in every bundle: a PowerShell file of its own, so it is read,
/// linted and parsed as PowerShell. Windows PowerShell 2.0 only (see `ps2.rs`); the tests parse
/// it and check it against that list.
pub const CODE: &str = include_str!("driver.ps1");

/// The SHA-256 of a file in PowerShell 2.0, streamed: the driver's and the backup script's one
/// function (a PowerShell file of its own, parsed and checked like `driver.ps1`).
pub const FILE_SHA256: &str = include_str!("file-sha256.ps1");
