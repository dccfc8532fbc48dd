//! A step's commands and its `verify` check: inline text or a template file, compiled into the
//! renderer and rendered once with stand-in values, so a name that is not an input is an error
//! here rather than at plan time.

use super::{Checker, Scope, sloc};
use crate::env::{ValueType, schema};
use crate::runbook::raw::{RawCommand, S};
use crate::runbook::{Command, Input, Language};
use serde_json::{Map, Value as Json, json};

impl Checker<'_> {
    pub(super) fn command(
        &mut self,
        c: &RawCommand,
        scope: &Scope,
        step_id: &str,
        n: usize,
    ) -> Option<Command> {
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
                    if let Err(d) = super::source_checks(file, sloc(value), value) {
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
