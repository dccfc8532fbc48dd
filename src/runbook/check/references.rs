//! Steps named by prerequisites (`after_step`, `not_after`), resolved once the whole runbook is
//! expanded: a name is looked up in the owner's include first, then at the top.

use super::Checker;
use crate::diagnostic::Diagnostic;
use crate::runbook::{PrereqKind, Prerequisite, Step, StepRef};

impl Checker<'_> {
    /// Resolve the steps prerequisites name (`after_step`, `not_after`) to full step ids, once:
    /// a name is looked up in the runbook it is written in first (`rgs.` + name inside an
    /// include), then at the top. Code after the checker never meets an unknown step id.
    pub(super) fn step_references(&mut self, steps: &mut [Step], top: &mut [Prerequisite]) {
        let ids: Vec<String> = steps.iter().map(|s| s.id.clone()).collect();
        let mut unresolved = Vec::new();
        let all = steps
            .iter_mut()
            .flat_map(|s| s.prerequisites.iter_mut())
            .chain(top.iter_mut());
        for p in all {
            if let Some(target) = target_of(&mut p.kind)
                && let Err(name) = resolve(target, &ids)
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
fn target_of(kind: &mut PrereqKind) -> Option<&mut StepRef> {
    match kind {
        PrereqKind::Event {
            after_step: Some(target),
            ..
        } => Some(target),
        PrereqKind::NotAfter { step } => Some(step),
        _ => None,
    }
}

/// Rewrite `target` to the full id it names in its own runbook's scope (else the top level);
/// `Err` with the name when neither exists.
fn resolve(target: &mut StepRef, ids: &[String]) -> Result<(), String> {
    let scope = std::mem::take(&mut target.scope);
    let local = format!("{scope}{}", target.id);
    if ids.contains(&local) {
        target.id = local;
        Ok(())
    } else if ids.contains(&target.id) {
        Ok(())
    } else {
        Err(target.id.clone())
    }
}
