//! The audit's result: the readiness matrix, the artifacts, the findings, and the checksum tally,
//! as a table for people or JSON for monitoring, with the exit status that sums it up.

use super::artifact::{Artifact, Details};
use super::checksums::Checksums;
use super::finding::{Finding, Severity};
use super::readiness::{Readiness, RunbookStatus, Status};
use crate::decode::one_line;
use jiff::Timestamp;
use serde::Serialize;
use std::fmt::Write as _;

/// Version of the JSON report's shape; bumped when a field changes meaning or goes away.
pub const FORMAT_VERSION: u32 = 1;

#[derive(Debug, Clone, Serialize)]
pub struct AuditReport {
    pub format_version: u32,
    pub dir: String,
    pub audited_at: Timestamp,
    pub max_age: String,
    pub max_age_seconds: u64,
    pub response_group: bool,
    /// Everything taken together: the worst runbook, and at least degraded if any finding is an
    /// error (a damaged backup no runbook uses still needs attention).
    pub status: Status,
    pub exit_code: u8,
    pub runbooks: Vec<RunbookStatus>,
    pub readiness: Vec<Readiness>,
    pub artifacts: Vec<Artifact>,
    /// Errors first.
    pub findings: Vec<Finding>,
    pub checksums: Checksums,
}

impl AuditReport {
    pub fn exit_code(&self) -> u8 {
        self.exit_code
    }

    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or(serde_json::Value::Null)
    }

    pub fn to_text(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "Backup audit of `{}`", self.dir);
        let _ = writeln!(
            out,
            "at {}, maximum age {}; {}",
            time(self.audited_at),
            self.max_age,
            self.checksums.describe()
        );

        let _ = writeln!(out, "\nReadiness");
        let mut rows = vec![[
            "RUNBOOK".to_owned(),
            "OPTION".into(),
            "STATUS".into(),
            "WHY".into(),
        ]];
        for r in &self.readiness {
            let mut reasons = r.reasons.iter();
            let first = reasons.next().cloned().unwrap_or_default();
            rows.push([
                r.runbook.clone(),
                r.option.clone().unwrap_or_default(),
                r.status.name().into(),
                first,
            ]);
            for more in reasons {
                rows.push([String::new(), String::new(), String::new(), more.clone()]);
            }
        }
        table(&mut out, &rows);

        let _ = writeln!(out, "\nArtifacts (* used by the runbooks)");
        let mut rows = vec![[
            "KIND".to_owned(),
            "FILE".into(),
            "SIZE".into(),
            "TAKEN".into(),
            "DETAILS".into(),
        ]];
        for a in &self.artifacts {
            let used = if a.used_for.is_some() { "* " } else { "  " };
            rows.push([
                a.kind.map_or("-", |k| k.id()).into(),
                format!("{used}{}", a.path),
                size(a.size),
                a.taken_at().map(time).unwrap_or_default(),
                details(a),
            ]);
        }
        table(&mut out, &rows);

        if !self.findings.is_empty() {
            let _ = writeln!(out, "\nFindings");
            for f in &self.findings {
                // File and entry names come from the folder: one line each, whatever they hold.
                let what = match &f.path {
                    Some(p) => format!("`{}`: {}", one_line(p), one_line(&f.message)),
                    None => one_line(&f.message),
                };
                let _ = writeln!(out, "  {:<8} {what}", f.severity.name());
                if let Some(action) = &f.action {
                    let _ = writeln!(out, "  {:<8} do: {}", "", one_line(action));
                }
            }
        }
        let _ = writeln!(out, "\nResult: {} (exit {})", self.status.name(), self.exit_code);
        out
    }
}

/// The exit status for an overall status: 0 ready, 1 degraded, 2 not ready, as monitoring
/// plugins report OK, WARNING and CRITICAL. The one definition: the exit-code table
/// (`front::exit`) reads it, and no other error exits with these codes.
pub const fn exit_code_for(status: Status) -> u8 {
    match status {
        Status::NotApplicable | Status::Ready => 0,
        Status::Degraded => 1,
        Status::NotReady => 2,
    }
}

/// The overall status: the worst runbook, and at least degraded when any finding is an error.
pub fn overall(runbooks: &[RunbookStatus], findings: &[Finding]) -> Status {
    let worst = runbooks
        .iter()
        .map(|r| r.status)
        .max()
        .unwrap_or(Status::Ready)
        .max(Status::Ready);
    if findings.iter().any(|f| f.severity == Severity::Error) {
        worst.max(Status::Degraded)
    } else {
        worst
    }
}

fn details(a: &Artifact) -> String {
    let text = a.details.describe();
    match &a.details {
        Details::FileStore(s) if !s.service_folders.is_empty() => {
            format!("{text} in {}", s.service_folders.join(", "))
        }
        _ => text,
    }
}

fn time(t: Timestamp) -> String {
    t.strftime("%Y-%m-%d %H:%M UTC").to_string()
}

fn size(bytes: u64) -> String {
    let units = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < units.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.1} {}", units[unit])
    }
}

/// Left-aligned columns, two spaces apart, indented by two; the last column is not padded.
fn table<const N: usize>(out: &mut String, rows: &[[String; N]]) {
    let rows: Vec<[String; N]> = rows.iter().map(|r| r.clone().map(|c| one_line(&c))).collect();
    let mut widths = [0; N];
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    for row in &rows {
        let mut line = String::new();
        for (i, cell) in row.iter().enumerate() {
            if i + 1 == N {
                line.push_str("  ");
                line.push_str(cell);
            } else {
                let _ = write!(line, "  {cell:<w$}", w = widths[i]);
            }
        }
        let _ = writeln!(out, "{}", line.trim_end());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(size(0), "0 B");
        assert_eq!(size(1023), "1023 B");
        assert_eq!(size(1536), "1.5 KiB");
        assert_eq!(size(3 << 30), "3.0 GiB");
    }
}
