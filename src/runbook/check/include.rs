//! `include: RUNBOOK`: another runbook's steps expanded in place, under the include step's id
//! and label, with its inputs mapped by `with:` (cycles refused).

use super::{Checker, Expansion, Scope, sloc};
use crate::env::schema;
use crate::runbook::condition::{Condition, Test};
use crate::runbook::raw::{RawStep, S};
use crate::runbook::{Step, StepKind};
use std::collections::HashMap;

impl Checker<'_> {
    pub(super) fn include(
        &mut self,
        s: &RawStep,
        target: &S<String>,
        scope: &Scope,
        mut step: Step,
        x: &mut Expansion,
    ) {
        let file = &scope.file;
        let Some(included) = self.parsed.get(target.as_str()) else {
            let hint = crate::suggest::closest(target, self.parsed.keys().map(String::as_str))
                .map(|s| format!("did you mean `{s}`?"))
                .unwrap_or_else(|| "see `lyncdr list`".into());
            self.err(
                file,
                sloc(target),
                format!("`include: {}` names no runbook", target.as_str()),
                hint,
            );
            return;
        };
        if x.stack.iter().any(|r| r == target.as_str()) {
            self.err(
                file,
                sloc(target),
                format!("include cycle: {} -> {}", x.stack.join(" -> "), target.as_str()),
                "a runbook cannot include itself, directly or through another",
            );
            return;
        }
        if !s.commands.is_empty() || !s.options.is_empty() {
            self.err(
                file,
                sloc(target),
                "an `include` step has no `commands` or `options` of its own",
                "",
            );
        }
        let mut with = HashMap::new();
        let mut keys: Vec<_> = s.with.iter().collect();
        keys.sort_by(|a, b| a.0.as_str().cmp(b.0.as_str()));
        for (name, env) in keys {
            if !included
                .raw
                .inputs
                .iter()
                .any(|i| i.name.as_str() == name.as_str())
            {
                self.err(
                    file,
                    sloc(name),
                    format!("runbook `{}` has no input `{}`", target.as_str(), name.as_str()),
                    format!(
                        "its inputs: {}",
                        included
                            .raw
                            .inputs
                            .iter()
                            .map(|i| i.name.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                );
            }
            if schema::type_of(env).is_none() {
                self.err(
                    file,
                    sloc(env),
                    format!("unknown environment key `{}`", env.as_str()),
                    schema::suggest(env)
                        .map(|s| format!("did you mean `{s}`?"))
                        .unwrap_or_default(),
                );
            }
            with.insert(name.to_string(), env.to_string());
        }
        if step.title.is_empty() {
            step.title = included.raw.title.trim().to_owned();
        }
        if step.explanation.is_empty() {
            step.explanation = included.raw.summary.trim().to_owned();
        }
        let with = self.composed(scope, &included.raw, with);
        let inputs = self.inputs(&included.raw, &included.file, &with);
        step.prerequisites.extend(self.prerequisites(
            &included.raw.prerequisites,
            &included.file,
            &format!("{}.", step.id),
        ));
        step.kind = StepKind::Section {
            runbook: target.to_string(),
        };
        let inner = Scope {
            runbook: target.as_str(),
            file: included.file.clone(),
            inputs,
            id_prefix: format!("{}.", step.id),
            label_prefix: step.label.clone(),
            depth: scope.depth + 1,
            when: step.when.clone(),
            option: scope.option.clone(),
        };
        x.steps.push(step);
        if !x.includes.iter().any(|i| i == target.as_str()) {
            x.includes.push(target.to_string());
        }
        x.stack.push(target.to_string());
        // Not `included.raw.opening` nor `.finally`: the including runbook opens once, at its
        // own start, and closes once, at its own end.
        self.steps(&included.raw.steps, &inner, x);
        x.stack.pop();
    }

    /// `with` for every input of `included`, through the mapping the including runbook itself
    /// was included with: a mapping holds inside it, nested includes too (in cms-move's
    /// `finish`, the backup runbook's `pools.failed` is `pools.target`, as finish's is).
    fn composed(
        &self,
        scope: &Scope,
        included: &crate::runbook::raw::RawRunbook,
        with: HashMap<String, String>,
    ) -> HashMap<String, String> {
        let outer = self.mapping(scope);
        included
            .inputs
            .iter()
            .map(|i| {
                let env = with.get(i.name.as_str()).map_or(i.env.as_str(), String::as_str);
                let env = outer.get(env).map_or(env, String::as_str);
                (i.name.to_string(), env.to_owned())
            })
            .collect()
    }

    /// The environment keys of the runbook `scope` expands as the including runbooks mapped
    /// them (its input's key -> the key the input reads there): empty at the top.
    pub(super) fn mapping(&self, scope: &Scope) -> HashMap<String, String> {
        self.parsed
            .get(scope.runbook)
            .map(|r| {
                r.raw
                    .inputs
                    .iter()
                    .zip(scope.inputs.iter())
                    .filter(|(raw, mapped)| raw.env.as_str() != mapped.env)
                    .map(|(raw, mapped)| (raw.env.to_string(), mapped.env.clone()))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// `when:` of a step of an included runbook, on the keys its inputs were mapped to: in
    /// cms-move's `finish`, the backup runbook's `sql.cms.server == sql.backend.server` compares
    /// the instances its xds and rtc backups run on there (both the target Back End). A key
    /// mapped to one of another type is left as written.
    pub(super) fn mapped_condition(&self, scope: &Scope, mut c: Condition) -> Condition {
        let mapping = self.mapping(scope);
        let map = |key: &mut String| {
            if let Some(to) = mapping.get(key.as_str())
                && schema::type_of(to) == schema::type_of(key)
            {
                key.clone_from(to);
            }
        };
        map(&mut c.key);
        if let Test::SameAs { other, .. } = &mut c.test {
            map(other);
        }
        c
    }
}
