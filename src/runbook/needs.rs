//! What a checked runbook needs of the backups: its `backup:` prerequisites (its own, its steps',
//! those of the runbooks it includes and of its `finally:` steps), each with the conditions under
//! which it is needed, and the choices whose options give the audit's readiness rows. The audit
//! fills its readiness matrix from these, so a runbook change is seen without an audit change.

use super::{Condition, Library, PrereqKind, Requirement, Runbook, StepKind};
use crate::artifact::ArtifactKind;

/// One backup a runbook needs, and when.
#[derive(Debug, Clone)]
pub struct BackupNeed {
    pub kind: ArtifactKind,
    /// All must hold (the step's conditions and the prerequisite's own).
    pub when: Vec<Condition>,
    /// What needs it, for messages: "step E.A.3 (Restore rtc) needs it".
    pub why: String,
}

/// A choice the runbook offers (`options.user_data_restore`: A or B).
#[derive(Debug, Clone)]
pub struct ChoiceOf {
    pub key: String,
    pub options: Vec<String>,
}

/// Everything one runbook needs of the backups.
#[derive(Debug, Clone)]
pub struct BackupNeeds {
    pub runbook: String,
    pub requires: Vec<Requirement>,
    pub choices: Vec<ChoiceOf>,
    /// Steps' prerequisites first (they say best why), then the runbook's own.
    pub needs: Vec<BackupNeed>,
}

impl Runbook {
    /// What this runbook needs of the backups; `None` when it needs none.
    pub fn backup_needs(&self) -> Option<BackupNeeds> {
        let mut needs = Vec::new();
        for step in &self.steps {
            for p in &step.prerequisites {
                if let PrereqKind::Backup { artifact } = p.kind {
                    let name = if step.label.is_empty() {
                        format!("`{}`", step.id)
                    } else {
                        step.label.clone()
                    };
                    needs.push(BackupNeed {
                        kind: artifact,
                        when: step.when.iter().chain(&p.when).cloned().collect(),
                        why: format!("step {name} ({}) needs it", step.title),
                    });
                }
            }
        }
        for p in &self.prerequisites {
            if let PrereqKind::Backup { artifact } = p.kind {
                needs.push(BackupNeed {
                    kind: artifact,
                    when: p.when.clone(),
                    why: format!("runbook `{}` needs it", self.id),
                });
            }
        }
        if needs.is_empty() {
            return None;
        }
        let mut choices: Vec<ChoiceOf> = Vec::new();
        for step in &self.steps {
            if let StepKind::Choice { key, options } = &step.kind
                && !choices.iter().any(|c| c.key == *key)
            {
                choices.push(ChoiceOf {
                    key: key.clone(),
                    options: options.iter().map(|o| o.id.clone()).collect(),
                });
            }
        }
        Some(BackupNeeds {
            runbook: self.id.clone(),
            requires: self.requires.clone(),
            choices,
            needs,
        })
    }
}

impl Library {
    /// What each runbook needs of the backups, in the library's order, for the audit's readiness
    /// matrix. A runbook that is only ever included as part of an option (`rtc-restore`, option A
    /// of the Back End restores) is that option's row, not a row of its own: where option B is
    /// ready, the deployment can recover, and a row for the part alone would say it cannot.
    pub fn backup_needs(&self) -> Vec<BackupNeeds> {
        // For each runbook included somewhere: whether every include of it is inside an option.
        let mut only_in_options: std::collections::BTreeMap<&str, bool> = Default::default();
        for step in self.runbooks.values().flat_map(|r| &r.steps) {
            if let StepKind::Section { runbook } = &step.kind {
                let inside = only_in_options.entry(runbook.as_str()).or_insert(true);
                *inside &= step.option.is_some();
            }
        }
        self.runbooks
            .values()
            .filter(|r| only_in_options.get(r.id.as_str()) != Some(&true))
            .filter_map(Runbook::backup_needs)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::SourceFile;

    /// A `backup:` prerequisite of a step of `finish` (included by `finally:`) is a need of every
    /// runbook that closes with it, and of `finish` itself.
    #[test]
    fn needs_include_included_and_finally_steps() {
        let finish = include_str!("../../runbooks/finish.yaml");
        let anchor = "    runs_on: front-end\n    explanation: |\n      The pool is healthy only";
        assert!(finish.contains(anchor));
        let changed = finish.replacen(
            anchor,
            "    runs_on: front-end\n    prerequisites:\n      - backup: file-store\n    explanation: |\n      The pool is healthy only",
            1,
        );
        let library = Library::with_extra(None, None, vec![SourceFile::new("finish.yaml", None, changed)])
            .expect("library");
        let needs = library.backup_needs();
        let of = |runbook: &str| -> Vec<(ArtifactKind, String)> {
            needs
                .iter()
                .filter(|n| n.runbook == runbook)
                .flat_map(|n| n.needs.iter().map(|x| (x.kind, x.why.clone())))
                .filter(|(k, _)| *k == ArtifactKind::FileStore)
                .collect()
        };
        let why = "step `finish.check-front-end-services` (Start the Lync Server services on every Front End server of the pool) needs it";
        assert_eq!(of("backend-restore"), [(ArtifactKind::FileStore, why.to_owned())]);
        assert_eq!(of("rgs-restore").len(), 1, "{needs:?}");
        assert_eq!(of("finish").len(), 1, "finish runs alone too");
        let built_in = Library::load(None, None).expect("built-in").backup_needs();
        assert!(
            built_in
                .iter()
                .all(|n| n.runbook != "finish" && n.runbook != "rtc-restore"),
            "finish needs no backup; rtc-restore is part of option A: {built_in:?}"
        );
    }
}
