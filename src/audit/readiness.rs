//! The readiness matrix: for each runbook, and each user-data option where there is a choice,
//! whether its backups are there and usable today, and why not. What each needs comes from the
//! checked runbooks ([`crate::runbook::needs`]): a new runbook or prerequisite needs no change
//! here.

use super::artifact::Artifact;
use super::finding::Severity;
use super::selection::Choice;
use crate::artifact::ArtifactKind;
use crate::env::Value;
use crate::runbook::Condition;
use crate::runbook::needs::BackupNeeds;
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

/// One row of the matrix before it is judged: a runbook under one option, and the backups it
/// needs there.
pub struct Row {
    runbook: String,
    /// The option chosen for each of the runbook's choices (A: SQL restore of `rtc`, B: DBImpExp
    /// import), joined with `, ` where a runbook has more than one choice.
    option: Option<String>,
    needs: Vec<Need>,
    /// Why the runbook does not apply here (a `requires:` that does not hold).
    not_applicable: Option<String>,
}

struct Need {
    kind: ArtifactKind,
    why: String,
}

/// The rows for `runbooks`: one per runbook that needs a backup, and per option where it offers
/// a choice. A condition is decided where the audit knows the fact (the row's option, a value of
/// the environment file in `facts`, whether Response Group is deployed); any other condition is
/// taken to hold, so the audit asks for a backup rather than miss one.
pub fn rows(runbooks: &[BackupNeeds], response_group: bool, facts: &BTreeMap<String, Value>) -> Vec<Row> {
    let mut out = Vec::new();
    for rb in runbooks {
        let mut combos: Vec<Vec<(&str, &str)>> = vec![Vec::new()];
        for choice in &rb.choices {
            combos = combos
                .iter()
                .flat_map(|c| {
                    choice.options.iter().map(move |o| {
                        let mut c = c.clone();
                        c.push((choice.key.as_str(), o.as_str()));
                        c
                    })
                })
                .collect();
        }
        for combo in combos {
            let known = |c: &Condition| -> Option<bool> {
                if let Some((_, option)) = combo.iter().find(|(key, _)| *key == c.key) {
                    return Some(c.holds(&Value::Text((*option).to_owned()), None));
                }
                if c.key == RESPONSE_GROUP {
                    return Some(c.holds(&Value::Bool(response_group), None));
                }
                facts
                    .get(&c.key)
                    .map(|v| c.holds(v, c.other_key().and_then(|k| facts.get(k))))
            };
            let holds = |when: &[Condition]| when.iter().all(|c| known(c) != Some(false));
            let not_applicable = rb
                .requires
                .iter()
                .find(|r| known(&r.condition) == Some(false))
                .map(|r| format!("`{}` does not hold here: {}", r.condition, r.reason));
            let mut needs: Vec<Need> = Vec::new();
            for n in rb.needs.iter().filter(|n| holds(&n.when)) {
                if !needs.iter().any(|m| m.kind == n.kind) {
                    needs.push(Need {
                        kind: n.kind,
                        why: n.why.clone(),
                    });
                }
            }
            let option =
                (!combo.is_empty()).then(|| combo.iter().map(|(_, v)| *v).collect::<Vec<_>>().join(", "));
            out.push(Row {
                runbook: rb.runbook.clone(),
                option,
                needs,
                not_applicable,
            });
        }
    }
    out
}

const RESPONSE_GROUP: &str = "features.response_group";

/// The kinds some row needs.
pub fn needed_kinds(rows: &[Row]) -> Vec<ArtifactKind> {
    let mut kinds: Vec<ArtifactKind> = rows
        .iter()
        .filter(|r| r.not_applicable.is_none())
        .flat_map(|r| r.needs.iter().map(|n| n.kind))
        .collect();
    kinds.sort();
    kinds.dedup();
    kinds
}

/// One row of the matrix.
#[derive(Debug, Clone, Serialize)]
pub struct Readiness {
    pub runbook: String,
    pub option: Option<String>,
    pub status: Status,
    /// Why it is not ready or degraded, one sentence per backup.
    pub reasons: Vec<String>,
    /// The backup used for each input: kind -> path.
    pub uses: BTreeMap<&'static str, String>,
}

/// A runbook's status: its best option, but degraded if another option is not ready.
#[derive(Debug, Clone, Serialize)]
pub struct RunbookStatus {
    pub runbook: String,
    pub status: Status,
}

pub fn evaluate(
    rows: &[Row],
    choices: &BTreeMap<ArtifactKind, Choice>,
    artifacts: &[Artifact],
) -> Vec<Readiness> {
    rows.iter()
        .map(|row| {
            let mut readiness = Readiness {
                runbook: row.runbook.clone(),
                option: row.option.clone(),
                status: Status::Ready,
                reasons: Vec::new(),
                uses: BTreeMap::new(),
            };
            if let Some(why) = &row.not_applicable {
                readiness.status = Status::NotApplicable;
                readiness.reasons.push(why.clone());
                return readiness;
            }
            if row.needs.is_empty() {
                readiness.status = Status::NotApplicable;
                readiness
                    .reasons
                    .push("it needs no backup here (its backup prerequisites do not apply)".into());
            }
            for need in &row.needs {
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
            runbook: row.runbook.clone(),
            status,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use ArtifactKind::*;

    fn table(response_group: bool) -> Vec<(String, Option<String>, Vec<ArtifactKind>, bool)> {
        table_with(response_group, &BTreeMap::new())
    }

    fn table_with(
        response_group: bool,
        facts: &BTreeMap<String, Value>,
    ) -> Vec<(String, Option<String>, Vec<ArtifactKind>, bool)> {
        let library = crate::runbook::Library::load(None, None).expect("built-in runbooks");
        rows(&library.backup_needs(), response_group, facts)
            .into_iter()
            .map(|r| {
                let mut kinds: Vec<ArtifactKind> = r.needs.iter().map(|n| n.kind).collect();
                kinds.sort();
                (r.runbook, r.option, kinds, r.not_applicable.is_some())
            })
            .collect()
    }

    fn row(
        runbook: &str,
        option: Option<&str>,
        kinds: &[ArtifactKind],
    ) -> (String, Option<String>, Vec<ArtifactKind>, bool) {
        (runbook.into(), option.map(Into::into), kinds.to_vec(), false)
    }

    /// The matrix the built-in runbooks give is the one the procedures describe (and the audit's
    /// hand-written table said before it was derived).
    #[test]
    fn the_built_in_runbooks_need_what_the_procedures_say() {
        assert_eq!(
            table(true),
            [
                row("backend-restore", Some("A"), &[RgsExport, RtcDatabase]),
                row("backend-restore", Some("B"), &[RgsExport, UserData]),
                row(
                    "cms-move",
                    None,
                    &[CsConfiguration, LisConfiguration, RgsExport, UserData]
                ),
                row(
                    "cms-restore",
                    Some("A"),
                    &[
                        CsConfiguration,
                        LisConfiguration,
                        RgsExport,
                        RtcDatabase,
                        FileStore
                    ]
                ),
                row(
                    "cms-restore",
                    Some("B"),
                    &[CsConfiguration, LisConfiguration, RgsExport, UserData, FileStore]
                ),
                row("rgs-restore", None, &[RgsExport]),
            ]
        );
        let without = table(false);
        assert!(
            without.iter().all(|r| r.3 || !r.2.contains(&RgsExport)),
            "{without:?}"
        );
        assert!(
            without.iter().any(|r| r.0 == "rgs-restore" && r.3),
            "rgs-restore does not apply without Response Group: {without:?}"
        );
    }

    /// A fact of the environment file decides a runbook's requirement: a Standard Edition
    /// deployment has no Back End restore, nor a Back End holding the CMS, to be ready for.
    #[test]
    fn the_environment_decides_requirements() {
        let facts = BTreeMap::from([("edition".to_owned(), Value::Text("standard".into()))]);
        let na: Vec<String> = table_with(true, &facts)
            .into_iter()
            .filter(|r| r.3)
            .map(|r| r.0)
            .collect();
        assert_eq!(
            na,
            ["backend-restore", "backend-restore", "cms-restore", "cms-restore"]
        );
        let facts = BTreeMap::from([("edition".to_owned(), Value::Text("enterprise".into()))]);
        assert!(table_with(true, &facts).iter().all(|r| !r.3));
    }
}
