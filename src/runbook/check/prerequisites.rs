//! `prerequisites:` of a runbook or a step: exactly one of `backup`, `event`, `confirm` or
//! `not_after`, each checked into a [`PrereqKind`]. The steps they name are resolved later, by
//! [`super::references`], once every step of the runbook is known.

use super::{Checker, loc, sloc};
use crate::artifact::ArtifactKind;
use crate::env::{ValueType, schema};
use crate::runbook::raw::RawPrerequisite;
use crate::runbook::{Condition, PrereqKind, Prerequisite, StepRef};
use crate::source::SourceFile;
use std::sync::Arc;

impl Checker<'_> {
    /// `scope` is the id prefix of the runbook they are written in (`rgs.` inside an include):
    /// a step they name is looked up there first.
    pub(super) fn prerequisites(
        &mut self,
        raw: &[RawPrerequisite],
        file: &Arc<SourceFile>,
        scope: &str,
    ) -> Vec<Prerequisite> {
        let mut out = Vec::new();
        for p in raw {
            let conds: Vec<Condition> = p.when.iter().filter_map(|w| self.condition(file, w)).collect();
            let kinds = [
                p.backup.is_some(),
                p.event.is_some(),
                p.confirm.is_some(),
                p.not_after.is_some(),
            ]
            .iter()
            .filter(|b| **b)
            .count();
            let at = p
                .backup
                .as_ref()
                .map(sloc)
                .or(p.event.as_ref().map(|e| loc(e, 5)))
                .or(p.confirm.as_ref().map(sloc))
                .or(p.not_after.as_ref().map(sloc))
                .flatten();
            if kinds != 1 {
                self.err(
                    file,
                    at.or(p.when.as_ref().and_then(sloc)),
                    "a prerequisite needs exactly one of `backup`, `event`, `confirm` or `not_after`",
                    "e.g. `- backup: rtc-database`, `- event: 30024`, `- confirm: The pool is running` or `- not_after: import-rgs-configuration`",
                );
                continue;
            }
            let kind = if let Some(b) = &p.backup {
                match ArtifactKind::from_id(b) {
                    Some(artifact) => PrereqKind::Backup { artifact },
                    None => {
                        let ids = ArtifactKind::NAMED.map(ArtifactKind::id);
                        let hint = match crate::suggest::closest(b, ids) {
                            Some(s) => format!("did you mean `{s}`? (one of {})", ids.join(", ")),
                            None => format!("one of {}", ids.join(", ")),
                        };
                        self.err(
                            file,
                            sloc(b),
                            format!("unknown backup kind `{}`", b.as_str()),
                            hint,
                        );
                        continue;
                    }
                }
            } else if let Some(e) = &p.event {
                if **e != 30024 {
                    self.err(
                        file,
                        loc(e, 5),
                        format!("unknown event {}", **e),
                        "lyncdr knows event 30024 (LS User Replicator finished its sync)",
                    );
                    continue;
                }
                PrereqKind::Event {
                    id: **e,
                    provider: "LS User Replicator".into(),
                    log: "Lync Server".into(),
                    after_step: p.after_step.as_ref().map(|s| StepRef::written(s, scope)),
                    computers: match &p.computers {
                        Some(key) if schema::type_of(key.as_str()) == Some(ValueType::FqdnList) => {
                            Some(key.as_str().to_owned())
                        }
                        Some(key) => {
                            self.err(
                                file,
                                sloc(key),
                                format!(
                                    "`computers: {}` must name an environment key holding a list of FQDNs",
                                    key.as_str()
                                ),
                                "e.g. `computers: pools.target_front_ends`",
                            );
                            None
                        }
                        None => None,
                    },
                }
            } else if let Some(c) = &p.confirm {
                PrereqKind::Confirm {
                    statement: c.trim().to_owned(),
                }
            } else if let Some(s) = &p.not_after {
                PrereqKind::NotAfter {
                    step: StepRef::written(s, scope),
                }
            } else {
                continue;
            };
            if p.computers.is_some() && !matches!(kind, PrereqKind::Event { .. }) {
                self.err(
                    file,
                    p.computers.as_ref().and_then(sloc),
                    "`computers` belongs to an `event` prerequisite",
                    "",
                );
            }
            if p.after_step.is_some() && !matches!(kind, PrereqKind::Event { .. }) {
                self.err(
                    file,
                    p.after_step.as_ref().and_then(sloc),
                    "`after_step` belongs to an `event` prerequisite",
                    "",
                );
            }
            out.push(Prerequisite {
                kind,
                when: conds,
                file: file.clone(),
                at,
            });
        }
        out
    }
}
