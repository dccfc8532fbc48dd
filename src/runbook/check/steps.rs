//! The steps of a runbook, one by one: id, label, `runs_on`, text, commands and `verify`. A
//! step that includes a runbook or offers options hands over to [`super::include`] or
//! [`super::options`]; every step lands, in order, in the [`Expansion`].

use super::{Checker, Expansion, Scope, loc, sloc};
use crate::diagnostic::Diagnostic;
use crate::runbook::raw::{RawStep, S};
use crate::runbook::{Builtin, Language, RunsOn, Step, StepKind};
use std::collections::HashMap;

impl Checker<'_> {
    pub(super) fn steps(&mut self, raw: &[RawStep], scope: &Scope, x: &mut Expansion) {
        for (n, s) in raw.iter().enumerate() {
            self.step(s, n + 1, scope, x);
        }
    }

    /// `n` numbers the step within its scope, for a label where the source gives no letter
    /// (`H.2` inside an included runbook, `E.B.1` inside an option).
    pub(super) fn step(&mut self, s: &RawStep, n: usize, scope: &Scope, x: &mut Expansion) {
        let file = &scope.file;
        let Some(id) = &s.id else {
            let at = s
                .include
                .as_ref()
                .and_then(sloc)
                .or(s.title.as_ref().and_then(sloc));
            self.err(
                file,
                at,
                "a step needs an `id`",
                "e.g. `id: move-users` (lowercase words joined by `-`)",
            );
            return;
        };
        if !is_step_id(id) {
            self.err(
                file,
                sloc(id),
                format!("step id `{}` is not lowercase words joined by `-`", id.as_str()),
                "e.g. `install-cms-database`",
            );
        }
        let full_id = format!("{}{}", scope.id_prefix, id.as_str());
        let letter = s.letter.as_ref().map(|l| l.trim().to_owned()).unwrap_or_default();
        let label = match (scope.label_prefix.is_empty(), letter.is_empty()) {
            (true, true) => String::new(),
            (false, true) => format!("{}.{n}", scope.label_prefix),
            (true, false) => letter.clone(),
            (false, false) => format!("{}.{letter}", scope.label_prefix),
        };
        let mut when = scope.when.clone();
        if let Some(w) = &s.when {
            let c = self.condition(file, w);
            when.extend(c.map(|c| self.mapped_condition(scope, c)));
        }
        let runs_on = match &s.runs_on {
            Some(r) => match RunsOn::ALL.iter().find(|(n, _)| *n == r.as_str()) {
                Some((_, v)) => *v,
                None => {
                    let names: Vec<&str> = RunsOn::ALL.iter().map(|(n, _)| *n).collect();
                    self.err(
                        file,
                        sloc(r),
                        format!("unknown `runs_on` value `{}`", r.as_str()),
                        format!("one of {}", names.join(", ")),
                    );
                    RunsOn::Operator
                }
            },
            None if s.include.is_some() || !s.options.is_empty() => RunsOn::Operator,
            None => {
                self.err(
                    file,
                    sloc(id),
                    format!("step `{}` has no `runs_on`", id.as_str()),
                    "one of front-end, back-end-sql, rebuilt-server, operator",
                );
                RunsOn::Operator
            }
        };
        let text = |v: &Option<S<String>>| v.as_ref().map(|t| t.trim().to_owned()).unwrap_or_default();
        let mut step = Step {
            id: full_id.clone(),
            label: label.clone(),
            depth: scope.depth,
            title: text(&s.title),
            runs_on,
            explanation: text(&s.explanation),
            manual: s.manual.as_ref().is_some_and(|m| **m),
            warnings: s.warnings.iter().map(|w| w.trim().to_owned()).collect(),
            notes: s.notes.iter().map(|n| n.trim().to_owned()).collect(),
            when: when.clone(),
            prerequisites: self.prerequisites(&s.prerequisites, file, &scope.id_prefix),
            commands: Vec::new(),
            builtin: s
                .lyncdr
                .as_ref()
                .and_then(|b| self.builtin(b, file, &s.commands, &scope.inputs)),
            verify: None,
            idempotent: s.idempotent.as_ref().is_some_and(|b| **b),
            interactive: s.interactive.as_ref().is_some_and(|b| **b),
            skippable: s.skippable.as_ref().is_some_and(|b| **b),
            kind: StepKind::Action,
            option: scope.option.clone(),
            inputs: scope.inputs.clone(),
            sql_server: s
                .sql_server
                .as_ref()
                .and_then(|n| self.sql_server_input(n, scope)),
            file: file.clone(),
            at: sloc(id),
        };
        if step.title.is_empty() && s.include.is_none() {
            self.err(
                file,
                sloc(id),
                format!("step `{}` has no `title`", id.as_str()),
                "",
            );
        }
        for text in step
            .warnings
            .iter()
            .chain(&step.notes)
            .chain([&step.title, &step.explanation])
        {
            if let Some(c) = text.chars().find(|c| !c.is_ascii()) {
                self.err(
                    file,
                    sloc(id),
                    format!(
                        "step `{}` has the non-ASCII character U+{:04X} in its text",
                        id.as_str(),
                        c as u32
                    ),
                    "runbook text is plain ASCII: type `-`, `'` and `\"` instead of dashes and curly quotes",
                );
                break;
            }
        }

        if let Some(flag) = s.interactive.as_ref().filter(|f| ***f && s.commands.is_empty()) {
            self.err(
                file,
                loc(flag, 4),
                format!("step `{}` is `interactive` but has no `commands`", id.as_str()),
                "`interactive: true` says how lyncdr runs a step's commands; an included runbook's or an option's steps carry their own",
            );
        }
        if let Some(target) = &s.include {
            self.include(s, target, scope, step, x);
            return;
        }
        if !s.with.is_empty() {
            self.err(file, sloc(id), "`with` belongs to an `include` step", "");
        }
        if !s.options.is_empty() || s.choice.is_some() {
            self.options(s, id, scope, step, x);
            return;
        }
        for (n, c) in s.commands.iter().enumerate() {
            if let Some(cmd) = self.command(c, scope, &full_id, n) {
                step.commands.push(cmd);
            }
        }
        if let Some(c) = s
            .commands
            .first()
            .and_then(|c| c.alternative.as_ref())
            .filter(|a| ***a)
        {
            self.err(
                file,
                loc(c, 4),
                "the first command cannot be an `alternative`: it is an alternative to the command before it",
                "",
            );
        }
        if let Some(v) = &s.verify {
            step.verify = self.command(v, scope, &full_id, 99);
            if step
                .verify
                .as_ref()
                .is_some_and(|c| c.language != Language::Powershell)
            {
                self.err(file, sloc(id), "a `verify` check is a PowerShell command", "");
            }
        }
        for (cmd, verify) in step
            .commands
            .iter()
            .map(|c| (c, false))
            .chain(step.verify.iter().map(|v| (v, true)))
        {
            self.prompting(id, &step, cmd, verify);
        }
        if step.manual && step.explanation.is_empty() {
            self.err(
                file,
                sloc(id),
                format!(
                    "manual step `{}` needs an `explanation` telling the operator what to do",
                    id.as_str()
                ),
                "",
            );
        }
        x.steps.push(step);
    }

    pub(super) fn unique_ids(&mut self, steps: &[Step]) {
        let mut seen: HashMap<&str, &Step> = HashMap::new();
        for s in steps {
            if let Some(first) = seen.insert(&s.id, s) {
                let line = first.at.map_or(0, |a| a.line);
                let d = Diagnostic::new(format!("duplicate step id `{}`", s.id))
                    .at(&s.file, s.at)
                    .hint(format!(
                        "the same id is used at {}:{line}; step ids must be unique",
                        first.file.name
                    ));
                self.diags.push(d);
            }
        }
    }
}

impl Checker<'_> {
    /// `sql_server: NAME`: an input of the step's scope whose key is an SQL server
    /// (`fqdn\instance`).
    fn sql_server_input(&mut self, name: &S<String>, scope: &Scope) -> Option<String> {
        let input = scope.inputs.iter().find(|i| i.name == name.as_str());
        let is_server = input
            .is_some_and(|i| crate::env::schema::type_of(&i.env) == Some(crate::env::ValueType::SqlServer));
        if !is_server {
            let names: Vec<&str> = scope
                .inputs
                .iter()
                .filter(|i| crate::env::schema::type_of(&i.env) == Some(crate::env::ValueType::SqlServer))
                .map(|i| i.name.as_str())
                .collect();
            self.err(
                &scope.file,
                sloc(name),
                format!(
                    "`sql_server: {}` names no input of type SQL server",
                    name.as_str()
                ),
                format!(
                    "one of the runbook's inputs bound to a `*.server` key: {}",
                    names.join(", ")
                ),
            );
            return None;
        }
        Some(name.to_string())
    }
}

impl Checker<'_> {
    /// `lyncdr: NAME`: one of [`Builtin::ALL`], on a step with no `commands` of its own.
    fn builtin(
        &mut self,
        b: &S<String>,
        file: &std::sync::Arc<crate::source::SourceFile>,
        commands: &[crate::runbook::raw::RawCommand],
        inputs: &[crate::runbook::Input],
    ) -> Option<Builtin> {
        let Some(builtin) = Builtin::parse(b.as_str()) else {
            let names: Vec<&str> = Builtin::ALL.iter().map(|b| b.name()).collect();
            self.err(
                file,
                sloc(b),
                format!("`lyncdr: {}` is not a step lyncdr does itself", b.as_str()),
                format!("one of {}", names.join(", ")),
            );
            return None;
        };
        if !commands.is_empty() {
            self.err(
                file,
                sloc(b),
                format!(
                    "a `lyncdr: {}` step has no `commands`: lyncdr does it",
                    b.as_str()
                ),
                "",
            );
        }
        for name in Builtin::WHOSE {
            if !inputs.iter().any(|i| i.name == name) {
                self.err(
                    file,
                    sloc(b),
                    format!(
                        "a `lyncdr: {}` step needs its runbook's input `{name}`: the set records whose it is",
                        b.as_str()
                    ),
                    format!(
                        "add inputs `{}` (the pool and its Back End)",
                        Builtin::WHOSE.join("`, `")
                    ),
                );
            }
        }
        Some(builtin)
    }
}

fn is_step_id(s: &str) -> bool {
    s.chars().next().is_some_and(|c| c.is_ascii_lowercase())
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !s.ends_with('-')
}
