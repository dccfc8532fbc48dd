//! `choice:` and `options:`: a step offering options becomes a choice step followed by each
//! option's steps, each with a condition on the choice key.

use super::{Checker, Expansion, Scope, sloc};
use crate::env::{ValueType, schema};
use crate::runbook::condition::Test;
use crate::runbook::raw::{RawStep, S};
use crate::runbook::{Condition, OptionInfo, Step, StepKind};

impl Checker<'_> {
    pub(super) fn options(
        &mut self,
        s: &RawStep,
        id: &S<String>,
        scope: &Scope,
        mut step: Step,
        x: &mut Expansion,
    ) {
        let file = &scope.file;
        let Some(choice) = &s.choice else {
            self.err(file, sloc(id), format!("step `{}` has `options` but no `choice`", id.as_str()), "name the environment key that holds the chosen option, e.g. `choice: options.user_data_restore`");
            return;
        };
        let allowed = match schema::type_of(choice) {
            Some(ValueType::Choice(allowed)) => allowed,
            _ => {
                self.err(
                    file,
                    sloc(choice),
                    format!(
                        "`choice: {}` must name a choice key of the environment",
                        choice.as_str()
                    ),
                    "e.g. `options.user_data_restore`",
                );
                return;
            }
        };
        if s.options.is_empty() {
            self.err(file, sloc(choice), "a step with `choice` needs `options`", "");
        }
        if !s.commands.is_empty() {
            self.err(
                file,
                sloc(id),
                "a step with options has no commands of its own: put them in the options' steps",
                "",
            );
        }
        let mut infos = Vec::new();
        for o in &s.options {
            if !allowed.contains(&o.id.as_str()) {
                self.err(
                    file,
                    sloc(&o.id),
                    format!(
                        "option `{}` is not a value of `{}`",
                        o.id.as_str(),
                        choice.as_str()
                    ),
                    format!("one of {}", allowed.join(", ")),
                );
            }
            infos.push(OptionInfo {
                id: o.id.to_string(),
                title: o.title.trim().to_owned(),
                tradeoffs: o.tradeoffs.trim().to_owned(),
            });
        }
        step.kind = StepKind::Choice {
            key: choice.to_string(),
            options: infos,
        };
        let base_when = step.when.clone();
        let label = step.label.clone();
        x.steps.push(step);
        for o in &s.options {
            let mut when = base_when.clone();
            when.push(Condition {
                key: choice.to_string(),
                test: Test::Equals(o.id.to_string()),
                file: file.name.clone(),
                at: sloc(&o.id),
            });
            let inner = Scope {
                runbook: scope.runbook,
                file: file.clone(),
                inputs: scope.inputs.clone(),
                id_prefix: scope.id_prefix.clone(),
                label_prefix: if label.is_empty() {
                    o.id.to_string()
                } else {
                    format!("{label}.{}", o.id.as_str())
                },
                depth: scope.depth + 1,
                when,
                option: Some((choice.to_string(), o.id.to_string())),
            };
            self.steps(&o.steps, &inner, x);
        }
    }
}
