//! Steps named by prerequisites (`after_step`, `not_after`), resolved once the whole runbook is
//! expanded: a name is looked up in the owner's include first, then at the top.

use super::Checker;
use crate::diagnostic::Diagnostic;
use crate::runbook::{PrereqKind, Prerequisite, Step};

impl Checker<'_> {
    /// Resolve the steps prerequisites name (`after_step`, `not_after`) to full step ids, once:
    /// a name is looked up in the owner's include first (`rgs.` + name), then at the top. Code
    /// after the checker never meets an unknown step id.
    pub(super) fn step_references(&mut self, steps: &mut [Step], top: &mut [Prerequisite]) {
        let ids: Vec<String> = steps.iter().map(|s| s.id.clone()).collect();
        let mut unresolved = Vec::new();
        for s in steps.iter_mut() {
            for p in s.prerequisites.iter_mut() {
                if let Some(target) = target_of(&mut p.kind)
                    && let Err(name) = resolve(Some(&s.id), target, &ids)
                {
                    unresolved.push((name, p.file.clone(), p.at));
                }
            }
        }
        for p in top.iter_mut() {
            if let Some(target) = target_of(&mut p.kind)
                && let Err(name) = resolve(None, target, &ids)
            {
                unresolved.push((name, p.file.clone(), p.at));
            }
        }
        for (target, file, at) in unresolved {
            let d = Diagnostic::new(format!(
                "the prerequisite names step `{target}`, which is no step of this runbook"
            ))
            .at(&file, at);
            let hint = crate::suggest::closest(&target, ids.iter().map(String::as_str))
                .map(|s| format!("did you mean `{s}`?"))
                .unwrap_or_default();
            self.diags.push(if hint.is_empty() { d } else { d.hint(hint) });
        }
    }
}

/// The step a prerequisite names, if it names one.
fn target_of(kind: &mut PrereqKind) -> Option<&mut String> {
    match kind {
        PrereqKind::Event {
            after_step: Some(target),
            ..
        } => Some(&mut target.0),
        PrereqKind::NotAfter { step } => Some(&mut step.0),
        _ => None,
    }
}

/// Rewrite `target` to the full id it names from `owner`'s include (else the top level);
/// `Err` with the name when neither exists.
fn resolve(owner: Option<&str>, target: &mut String, ids: &[String]) -> Result<(), String> {
    let prefix = owner.and_then(|o| o.rsplit_once('.')).map_or("", |(p, _)| p);
    let local = if prefix.is_empty() {
        target.clone()
    } else {
        format!("{prefix}.{target}")
    };
    if ids.contains(&local) {
        *target = local;
        Ok(())
    } else if ids.contains(target) {
        Ok(())
    } else {
        Err(target.clone())
    }
}
