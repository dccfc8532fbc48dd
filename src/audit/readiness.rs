//! The readiness matrix: for each runbook, and each user-data option where there is a choice,
//! whether its backups are there and usable today, and why not. What each needs is the table
//! [`MATRIX`]: changing a requirement is changing a line.

use super::artifact::{Artifact, ArtifactKind};
use super::finding::Severity;
use super::selection::Choice;
use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    /// Not needed here (the Response Group restore without Response Group).
    NotApplicable,
    Ready,
    /// Can run, but something needs attention: a backup is stale, guessed, or an option is missing.
    Degraded,
    NotReady,
}

impl Status {
    pub fn name(self) -> &'static str {
        match self {
            Status::NotApplicable => "n/a",
            Status::Ready => "ready",
            Status::Degraded => "degraded",
            Status::NotReady => "not ready",
        }
    }
}

/// One backup a runbook row needs, and what it is needed for.
struct Need {
    kind: ArtifactKind,
    /// Needed only where Response Group is deployed.
    response_group_only: bool,
    why: &'static str,
}

const fn need(kind: ArtifactKind, why: &'static str) -> Need {
    Need {
        kind,
        response_group_only: false,
        why,
    }
}

const fn rgs(why: &'static str) -> Need {
    Need {
        kind: ArtifactKind::RgsExport,
        response_group_only: true,
        why,
    }
}

struct Row {
    runbook: &'static str,
    /// The user-data restore option (A: SQL restore of `rtc`, B: DBImpExp import).
    option: Option<&'static str>,
    needs: &'static [Need],
}

use ArtifactKind::*;
const CMS: Need = need(CsConfiguration, "the CMS is restored from it");
const LIS: Need = need(LisConfiguration, "the location (E9-1-1) data is restored from it");
const RTC: Need = need(RtcDatabase, "option A restores `rtc` from it");
const USERS: Need = need(UserData, "option B imports the user data from it");
const RGS: Need = rgs("the Response Group configuration is restored from it");
const FILES: Need = need(FileStore, "the File Store is restored from it");

const MATRIX: &[Row] = &[
    Row {
        runbook: "cms-move",
        option: None,
        needs: &[
            need(CsConfiguration, "Move-CsManagementServer needs it"),
            need(LisConfiguration, "Move-CsManagementServer needs it"),
            need(
                UserData,
                "the user data restore to another pool (DBImpExp import) is impossible without it",
            ),
            rgs("the Response Group configuration cannot be moved to the new pool without it"),
        ],
    },
    Row {
        runbook: "cms-restore",
        option: Some("A"),
        needs: &[CMS, LIS, RTC, RGS, FILES],
    },
    Row {
        runbook: "cms-restore",
        option: Some("B"),
        needs: &[CMS, LIS, USERS, RGS, FILES],
    },
    Row {
        runbook: "backend-restore",
        option: Some("A"),
        needs: &[RTC, RGS],
    },
    Row {
        runbook: "backend-restore",
        option: Some("B"),
        needs: &[USERS, RGS],
    },
    Row {
        runbook: "rgs-restore",
        option: None,
        needs: &[RGS],
    },
];

/// The kinds some row needs (with Response Group deployed or not).
pub fn needed_kinds(response_group: bool) -> Vec<ArtifactKind> {
    let mut kinds: Vec<ArtifactKind> = MATRIX
        .iter()
        .flat_map(|r| r.needs.iter())
        .filter(|n| response_group || !n.response_group_only)
        .map(|n| n.kind)
        .collect();
    kinds.sort();
    kinds.dedup();
    kinds
}

/// One row of the matrix.
#[derive(Debug, Clone, Serialize)]
pub struct Readiness {
    pub runbook: &'static str,
    pub option: Option<&'static str>,
    pub status: Status,
    /// Why it is not ready or degraded, one sentence per backup.
    pub reasons: Vec<String>,
    /// The backup used for each input: kind -> path.
    pub uses: BTreeMap<&'static str, String>,
}

/// A runbook's status: its best option, but degraded if another option is not ready.
#[derive(Debug, Clone, Serialize)]
pub struct RunbookStatus {
    pub runbook: &'static str,
    pub status: Status,
}

pub fn evaluate(
    choices: &BTreeMap<ArtifactKind, Choice>,
    artifacts: &[Artifact],
    response_group: bool,
) -> Vec<Readiness> {
    MATRIX
        .iter()
        .map(|row| {
            let needs: Vec<&Need> = row
                .needs
                .iter()
                .filter(|n| response_group || !n.response_group_only)
                .collect();
            let mut readiness = Readiness {
                runbook: row.runbook,
                option: row.option,
                status: Status::Ready,
                reasons: Vec::new(),
                uses: BTreeMap::new(),
            };
            if needs.is_empty() {
                readiness.status = Status::NotApplicable;
                readiness
                    .reasons
                    .push("Response Group is not deployed (features.response_group is false)".into());
            }
            for need in needs {
                let (status, reasons) = judge(need, choices, artifacts);
                readiness.status = readiness.status.max(status);
                readiness.reasons.extend(reasons);
                if let Some(c) = choices.get(&need.kind) {
                    readiness
                        .uses
                        .insert(need.kind.id(), artifacts[c.artifact].path.clone());
                }
            }
            readiness
        })
        .collect()
}

fn judge(
    need: &Need,
    choices: &BTreeMap<ArtifactKind, Choice>,
    artifacts: &[Artifact],
) -> (Status, Vec<String>) {
    let Some(choice) = choices.get(&need.kind) else {
        return (
            Status::NotReady,
            vec![format!("no {}: {}", need.kind.title(), need.why)],
        );
    };
    let a = &artifacts[choice.artifact];
    let at_least = |s: Severity| a.problems.iter().filter(move |p| p.severity() >= s);
    if !a.usable() {
        let reasons = at_least(Severity::Error)
            .map(|p| format!("`{}`: {}; {}", a.path, p.message(), need.why))
            .collect();
        return (Status::NotReady, reasons);
    }
    let mut reasons: Vec<String> = at_least(Severity::Warning)
        .map(|p| format!("`{}`: {}", a.path, p.message()))
        .collect();
    if let Some(named) = &choice.instead_of {
        reasons.push(format!(
            "`{}` is used instead of `{named}`, which the environment file names (see the findings)",
            a.path
        ));
    }
    (
        if reasons.is_empty() {
            Status::Ready
        } else {
            Status::Degraded
        },
        reasons,
    )
}

pub fn summarize(rows: &[Readiness]) -> Vec<RunbookStatus> {
    let mut out: Vec<RunbookStatus> = Vec::new();
    for row in rows {
        if out.last().is_some_and(|r| r.runbook == row.runbook) {
            continue;
        }
        let statuses: Vec<Status> = rows
            .iter()
            .filter(|r| r.runbook == row.runbook)
            .map(|r| r.status)
            .collect();
        let best = statuses.iter().copied().min().unwrap_or(Status::NotApplicable);
        let worst = statuses.iter().copied().max().unwrap_or(Status::NotApplicable);
        // One option out of reach is worth attention even when the other works.
        let status = if best == worst {
            best
        } else {
            best.max(Status::Degraded)
        };
        out.push(RunbookStatus {
            runbook: row.runbook,
            status,
        });
    }
    out
}
