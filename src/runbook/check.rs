//! Raw runbook -> checked [`Runbook`]: resolve includes (with cycle detection), options,
//! conditions, prerequisites, inputs and templates, collecting every problem as a diagnostic
//! that points at the file, line and column it is about.

use super::Templates;
use super::raw::{RawCommand, RawPrerequisite, RawRunbook, RawStep, S};
use super::{
    Command, Condition, Input, Language, OptionInfo, PrereqKind, Prerequisite, Requirement, Runbook, RunsOn,
    Step, StepKind,
};
use crate::cmdlets;
use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::env::{ValueType, schema};
use crate::source::{Location, SourceFile};
use serde_json::{Map, Value as Json, json};
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

pub struct Parsed {
    pub raw: RawRunbook,
    pub file: Arc<SourceFile>,
}

pub struct Checker<'a> {
    pub parsed: &'a BTreeMap<String, Parsed>,
    pub templates: &'a mut Templates,
    pub diags: Diagnostics,
}

pub fn loc<T>(s: &S<T>, len: usize) -> Option<Location> {
    Location::from_span(s.span(), len)
}

fn sloc(s: &S<String>) -> Option<Location> {
    loc(s, s.len())
}

/// What expanding a runbook builds: its flat list of steps, the include chain being expanded
/// (to catch cycles), and every runbook it includes.
struct Expansion {
    steps: Vec<Step>,
    stack: Vec<String>,
    includes: Vec<String>,
}

struct Scope<'s> {
    runbook: &'s str,
    file: Arc<SourceFile>,
    inputs: Arc<[Input]>,
    id_prefix: String,
    label_prefix: String,
    depth: usize,
    when: Vec<Condition>,
    option: Option<(String, String)>,
}

impl Checker<'_> {
    fn err(
        &mut self,
        file: &SourceFile,
        at: Option<Location>,
        msg: impl Into<String>,
        hint: impl Into<String>,
    ) {
        let hint = hint.into();
        let d = Diagnostic::new(msg).at(file, at);
        self.diags.push(if hint.is_empty() { d } else { d.hint(hint) });
    }

    pub fn check(&mut self, id: &str) -> Option<Runbook> {
        let before = self.diags.0.len();
        let p = self.parsed.get(id)?;
        let raw = &p.raw;
        let file = p.file.clone();
        let inputs = self.inputs(raw, &file, &HashMap::new());
        let requires = raw
            .requires
            .iter()
            .filter_map(|r| {
                Some(Requirement {
                    condition: self.condition(&file, &r.condition)?,
                    reason: r.reason.trim().to_owned(),
                })
            })
            .collect();
        let mut prerequisites = self.prerequisites(&raw.prerequisites, &file, &[]);

        let scope = Scope {
            runbook: id,
            file: file.clone(),
            inputs: inputs.clone(),
            id_prefix: String::new(),
            label_prefix: String::new(),
            depth: 0,
            when: Vec::new(),
            option: None,
        };
        let mut x = Expansion {
            steps: Vec::new(),
            stack: vec![id.to_owned()],
            includes: Vec::new(),
        };
        self.steps(&raw.steps, &scope, &mut x);
        self.steps(&raw.finally, &scope, &mut x);
        let Expansion {
            mut steps, includes, ..
        } = x;
        self.unique_ids(&steps);
        self.step_references(&mut steps, &mut prerequisites);
        (self.diags.0.len() == before).then(|| Runbook {
            id: id.to_owned(),
            title: raw.title.trim().to_owned(),
            summary: raw.summary.trim().to_owned(),
            source: raw.source.trim().to_owned(),
            file,
            requires,
            inputs,
            prerequisites,
            steps,
            includes,
        })
    }

    fn inputs(
        &mut self,
        raw: &RawRunbook,
        file: &Arc<SourceFile>,
        with: &HashMap<String, String>,
    ) -> Arc<[Input]> {
        let mut out: Vec<Input> = Vec::new();
        for i in &raw.inputs {
            if !is_name(&i.name) {
                self.err(
                    file,
                    sloc(&i.name),
                    format!("input name `{}` is not a template name", i.name.as_str()),
                    "use lowercase letters, digits and `_`, e.g. `sql_fqdn`",
                );
            }
            if out.iter().any(|o| o.name == *i.name) {
                self.err(
                    file,
                    sloc(&i.name),
                    format!("duplicate input `{}`", i.name.as_str()),
                    "",
                );
            }
            if schema::type_of(&i.env).is_none() {
                let hint = schema::suggest(&i.env)
                    .map(|s| format!("did you mean `{s}`?"))
                    .unwrap_or_else(|| "see the environment keys in docs/runbook-format.md".into());
                self.err(
                    file,
                    sloc(&i.env),
                    format!(
                        "input `{}` names unknown environment key `{}`",
                        i.name.as_str(),
                        i.env.as_str()
                    ),
                    hint,
                );
            }
            let env = with
                .get(i.name.as_str())
                .cloned()
                .unwrap_or_else(|| i.env.to_string());
            out.push(Input {
                name: i.name.to_string(),
                env,
                description: i
                    .description
                    .as_ref()
                    .map(|d| d.trim().to_owned())
                    .unwrap_or_default(),
            });
        }
        out.into()
    }

    fn condition(&mut self, file: &Arc<SourceFile>, text: &S<String>) -> Option<Condition> {
        match Condition::parse(text) {
            Ok((key, test)) => Some(Condition {
                key,
                test,
                file: file.name.clone(),
                at: sloc(text),
            }),
            Err(problem) => {
                self.err(file, sloc(text), format!("invalid condition `{}`: {problem}", text.as_str()),
                    "write `KEY`, `!KEY`, `KEY == VALUE` or `KEY != VALUE`, e.g. `options.user_data_restore == A`");
                None
            }
        }
    }

    fn prerequisites(
        &mut self,
        raw: &[RawPrerequisite],
        file: &Arc<SourceFile>,
        when: &[Condition],
    ) -> Vec<Prerequisite> {
        let mut out = Vec::new();
        for p in raw {
            let mut conds = when.to_vec();
            if let Some(w) = &p.when {
                conds.extend(self.condition(file, w));
            }
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
                match schema::BACKUP_KEYS.iter().find(|(k, _)| *k == b.as_str()) {
                    Some((artifact, env)) => PrereqKind::Backup {
                        artifact: (*artifact).into(),
                        env: (*env).into(),
                    },
                    None => {
                        let kinds: Vec<&str> = schema::BACKUP_KEYS.iter().map(|k| k.0).collect();
                        self.err(
                            file,
                            sloc(b),
                            format!("unknown backup kind `{}`", b.as_str()),
                            format!("one of {}", kinds.join(", ")),
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
                    after_step: p.after_step.as_ref().map(|s| s.to_string()),
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
                    step: s.as_str().to_owned(),
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
            out.push(Prerequisite { kind, when: conds });
        }
        out
    }

    fn steps(&mut self, raw: &[RawStep], scope: &Scope, x: &mut Expansion) {
        for (n, s) in raw.iter().enumerate() {
            self.step(s, n + 1, scope, x);
        }
    }

    /// `n` numbers the step within its scope, for a label where the source gives no letter
    /// (`H.2` inside an included runbook, `E.B.1` inside an option).
    fn step(&mut self, s: &RawStep, n: usize, scope: &Scope, x: &mut Expansion) {
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
            when.extend(self.condition(file, w));
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
            prerequisites: self.prerequisites(&s.prerequisites, file, &[]),
            commands: Vec::new(),
            verify: None,
            idempotent: s.idempotent.as_ref().is_some_and(|b| **b),
            interactive: s.interactive.as_ref().is_some_and(|b| **b),
            skippable: s.skippable.as_ref().is_some_and(|b| **b),
            kind: StepKind::Action,
            option: scope.option.clone(),
            inputs: scope.inputs.clone(),
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

    fn include(&mut self, s: &RawStep, target: &S<String>, scope: &Scope, mut step: Step, x: &mut Expansion) {
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
        let inputs = self.inputs(&included.raw, &included.file, &with);
        step.prerequisites
            .extend(self.prerequisites(&included.raw.prerequisites, &included.file, &[]));
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
        // Not `included.raw.finally`: the including runbook closes once, at its own end.
        self.steps(&included.raw.steps, &inner, x);
        x.stack.pop();
    }

    fn options(&mut self, s: &RawStep, id: &S<String>, scope: &Scope, mut step: Step, x: &mut Expansion) {
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
                test: super::condition::Test::Equals(o.id.to_string()),
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

    fn command(&mut self, c: &RawCommand, scope: &Scope, step_id: &str, n: usize) -> Option<Command> {
        let file = &scope.file;
        let given: Vec<(&S<String>, Option<Language>)> = [
            (c.template.as_ref(), None),
            (c.powershell.as_ref(), Some(Language::Powershell)),
            (c.sql.as_ref(), Some(Language::Sql)),
            (c.cmd.as_ref(), Some(Language::Cmd)),
        ]
        .into_iter()
        .filter_map(|(v, l)| v.map(|v| (v, l)))
        .collect();
        let [(value, language)] = given[..] else {
            let at = given.first().and_then(|(v, _)| sloc(v));
            self.err(file, at, format!("a command of step `{step_id}` needs exactly one of `template`, `powershell`, `sql` or `cmd`"),
                "e.g. `- template: install-cms-database.ps1` or `- powershell: Enable-CsTopology`");
            return None;
        };
        let alternative = c.alternative.as_ref().is_some_and(|a| **a);
        let (language, name) = match language {
            Some(language) => {
                let name = format!("{}#{}#{n}", scope.runbook, step_id);
                if !self.templates.has(language, &name) {
                    if let Err(d) = self.source_checks(file, sloc(value), value) {
                        self.diags.push(d);
                        return None;
                    }
                    if let Err((msg, _)) = self.templates.add(language, &name, value) {
                        self.err(
                            file,
                            sloc(value),
                            format!("inline command of step `{step_id}` does not compile: {msg}"),
                            "check that every `{{#if}}`/`{{#each}}` is closed and every `{{` has its `}}`",
                        );
                        return None;
                    }
                }
                (language, name)
            }
            None => {
                let Some(language) = value
                    .rsplit_once('.')
                    .and_then(|(_, ext)| Language::from_extension(ext))
                else {
                    self.err(
                        file,
                        sloc(value),
                        format!("template `{}` has no language extension", value.as_str()),
                        "name it NAME.ps1, NAME.sql or NAME.cmd (the file is templates/NAME.ps1.hbs)",
                    );
                    return None;
                };
                if !self.templates.has(language, value) {
                    self.err(
                        file,
                        sloc(value),
                        format!("unknown template `{}`", value.as_str()),
                        format!("expected a file `templates/{}.hbs`", value.as_str()),
                    );
                    return None;
                }
                (language, value.to_string())
            }
        };
        let cmd = Command {
            language,
            template: name,
            alternative,
        };
        // Render with stand-in values: strict mode reports any name that is not an input.
        for truth in [true, false] {
            if let Err(problem) =
                self.templates
                    .render(language, &cmd.template, &dummy_context(&scope.inputs, truth))
            {
                let inputs: Vec<&str> = scope.inputs.iter().map(|i| i.name.as_str()).collect();
                self.err(
                    file,
                    sloc(value),
                    format!("command of step `{step_id}` cannot be rendered: {problem}"),
                    format!("templates may use the runbook's inputs: {}", inputs.join(", ")),
                );
                return None;
            }
        }
        Some(cmd)
    }

    /// A command that asks the operator a question cannot run under `powershell.exe
    /// -NonInteractive`: its step must take the console, and a `verify` check must never ask.
    /// Inline commands and template files alike are read from the text they were compiled from.
    /// `id` is the step's id as written (without include prefixes), as other messages name it.
    fn prompting(&mut self, id: &str, step: &Step, cmd: &Command, verify: bool) {
        // An alternative is shown for the operator to run by hand, never run by lyncdr.
        if cmd.language != Language::Powershell || cmd.alternative || (step.interactive && !verify) {
            return;
        }
        let Some((_, found)) = self
            .templates
            .source(cmd.language, &cmd.template)
            .and_then(cmdlets::find_prompting)
        else {
            return;
        };
        let usage = found.usage();
        let (msg, hint) = if verify {
            (
                format!("the `verify` check of step `{id}` runs `{usage}`, which asks the operator a question: a check must not ask questions"),
                "a check is a read-only PowerShell command run without your console; put the question in the step's `commands` and mark the step `interactive: true`".to_owned(),
            )
        } else {
            let off = if found.confirm_false_silences {
                ", or pass `-Confirm:$false` if it must not ask".to_owned()
            } else {
                format!("; `{}` has no `-Confirm:$false`", found.name)
            };
            (
                format!(
                    "step `{id}` runs `{usage}`, which asks the operator a question, but is not marked `interactive: true`"
                ),
                format!(
                    "mark the step `interactive: true` (lyncdr then runs it with your console so you can answer){off}"
                ),
            )
        };
        let d = Diagnostic::new(msg).at(&step.file, step.at).hint(hint);
        self.diags.push(d);
    }

    /// Checks on any template text: no unescaped insertion, ASCII only, Lync 2010 cmdlets only.
    pub fn source_checks(
        &self,
        file: &SourceFile,
        base: Option<Location>,
        text: &str,
    ) -> Result<(), Diagnostic> {
        source_checks(file, base, text)
    }

    fn unique_ids(&mut self, steps: &[Step]) {
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

    /// Resolve the steps prerequisites name (`after_step`, `not_after`) to full step ids, once:
    /// a name is looked up in the owner's include first (`rgs.` + name), then at the top. Code
    /// after the checker never meets an unknown step id.
    fn step_references(&mut self, steps: &mut [Step], top: &mut [Prerequisite]) {
        let ids: Vec<String> = steps.iter().map(|s| s.id.clone()).collect();
        let mut unresolved = Vec::new();
        for s in steps.iter_mut() {
            for p in s.prerequisites.iter_mut() {
                if let Some(target) = target_of(&mut p.kind)
                    && let Err(name) = resolve(Some(&s.id), target, &ids)
                {
                    unresolved.push((name, Some((s.file.clone(), s.at))));
                }
            }
        }
        for p in top.iter_mut() {
            if let Some(target) = target_of(&mut p.kind)
                && let Err(name) = resolve(None, target, &ids)
            {
                unresolved.push((name, None));
            }
        }
        for (target, place) in unresolved {
            let d = Diagnostic::new(format!(
                "the prerequisite names step `{target}`, which is no step of this runbook"
            ));
            let d = match place {
                Some((f, at)) => d.at(&f, at),
                None => d,
            };
            let hint = crate::suggest::closest(&target, ids.iter().map(String::as_str))
                .map(|s| format!("did you mean `{s}`?"))
                .unwrap_or_default();
            self.diags.push(if hint.is_empty() { d } else { d.hint(hint) });
        }
    }
}

pub fn source_checks(file: &SourceFile, base: Option<Location>, text: &str) -> Result<(), Diagnostic> {
    let at = |offset: usize, len: usize| -> Option<Location> {
        let before = &text[..offset];
        let line = before.matches('\n').count();
        let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        match base {
            // Inline text: point at the line of the value in the runbook.
            Some(b) if line == 0 => Some(Location::new(b.line, b.column + col - 1, len)),
            Some(b) => Some(Location::new(b.line + line + 1, col, len)),
            None => Some(Location::new(line + 1, col, len)),
        }
    };
    if let Some(i) = text
        .find("{{{")
        .or_else(|| text.find("{{&"))
        .or_else(|| text.find("{{~{"))
    {
        return Err(Diagnostic::new("a template inserts a value without escaping").at(file, at(i, 3))
            .hint("write `{{name}}`: values are escaped for the template's language; raw insertion is not allowed"));
    }
    if let Some((i, c)) = text
        .char_indices()
        .find(|(_, c)| !(c.is_ascii_graphic() || matches!(c, ' ' | '\n' | '\r' | '\t')))
    {
        return Err(Diagnostic::new(format!(
            "a command template holds the non-ASCII character U+{:04X}",
            c as u32
        ))
        .at(file, at(i, 1))
        .hint("commands are plain ASCII: type `-`, `'` and `\"` instead of dashes and curly quotes"));
    }
    if let Some((i, found)) = cmdlets::find_later_version(text) {
        return Err(
            Diagnostic::new(format!("`{}` does not exist in Lync Server 2010", found.name))
                .at(file, at(i, found.name.len()))
                .hint(format!("in Lync Server 2010: {}", found.instead)),
        );
    }
    Ok(())
}

fn dummy_context(inputs: &[Input], truth: bool) -> Json {
    let mut m = Map::new();
    for i in inputs {
        let v = match schema::type_of(&i.env) {
            Some(ValueType::Bool) => json!(truth),
            Some(ValueType::SipUriList) => json!(["sip:x@contoso.com"]),
            Some(ValueType::AddressList) | Some(ValueType::FqdnList) => json!(["x.contoso.com"]),
            Some(ValueType::Choice(c)) => json!(if truth { c[0] } else { c[c.len() - 1] }),
            _ => json!("x"),
        };
        m.insert(i.name.clone(), v);
    }
    Json::Object(m)
}

fn is_name(s: &str) -> bool {
    s.chars().next().is_some_and(|c| c.is_ascii_lowercase())
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

fn is_step_id(s: &str) -> bool {
    s.chars().next().is_some_and(|c| c.is_ascii_lowercase())
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !s.ends_with('-')
}

/// The step a prerequisite names, if it names one.
fn target_of(kind: &mut PrereqKind) -> Option<&mut String> {
    match kind {
        PrereqKind::Event {
            after_step: Some(target),
            ..
        } => Some(target),
        PrereqKind::NotAfter { step } => Some(step),
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
