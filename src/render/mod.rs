//! Rendering commands from templates. One handlebars registry per target language, each in
//! strict mode (an unknown name is an error, never an empty string) and with that language's
//! escape function as its only escape: HTML escaping never applies.

pub mod missing;
mod placement;
pub mod plan;
pub mod text;

use crate::escape;
use crate::runbook::Language;
use handlebars::{
    Context, Handlebars, Helper, HelperDef, HelperResult, Output, RenderContext, RenderError,
    RenderErrorReason, ScopedJson,
};
use serde_json::Value as Json;
use std::collections::HashMap;

pub struct Templates {
    powershell: Handlebars<'static>,
    sql: Handlebars<'static>,
    cmd: Handlebars<'static>,
    /// The text each template was compiled from, for checks that read what a step runs.
    sources: HashMap<(Language, String), String>,
}

impl Default for Templates {
    fn default() -> Self {
        Self::new()
    }
}

impl Templates {
    pub fn new() -> Self {
        Self {
            powershell: registry(escape::powershell),
            sql: {
                // `ident` writes a bracketed T-SQL identifier: in any other language it would
                // write the value raw.
                let mut hb = registry(escape::sql_literal);
                hb.register_helper("ident", Box::new(SqlIdent));
                hb
            },
            cmd: registry(escape::cmd_argument),
            sources: HashMap::new(),
        }
    }

    fn registry_mut(&mut self, language: Language) -> &mut Handlebars<'static> {
        match language {
            Language::Powershell => &mut self.powershell,
            Language::Sql => &mut self.sql,
            Language::Cmd => &mut self.cmd,
        }
    }

    fn registry(&self, language: Language) -> &Handlebars<'static> {
        match language {
            Language::Powershell => &self.powershell,
            Language::Sql => &self.sql,
            Language::Cmd => &self.cmd,
        }
    }

    pub fn has(&self, language: Language, name: &str) -> bool {
        self.registry(language).has_template(name)
    }

    /// The text a compiled template was made from.
    pub fn source(&self, language: Language, name: &str) -> Option<&str> {
        self.sources.get(&(language, name.to_owned())).map(String::as_str)
    }

    /// Compile a template; on error, the message and the 1-based line and column inside it.
    pub fn add(
        &mut self,
        language: Language,
        name: &str,
        text: &str,
    ) -> Result<(), (String, Option<(usize, usize)>)> {
        if let Some((message, at)) = placement::misplaced(language, text) {
            return Err((message, Some(at)));
        }
        self.registry_mut(language)
            .register_template_string(name, text)
            .map_err(|e| {
                let pos = e.pos();
                // The grammar's list of expected tokens helps nobody writing a runbook.
                let reason = e.reason().to_string();
                let reason = reason.split(": expected").next().unwrap_or_default().to_owned();
                (reason, pos)
            })?;
        self.sources.insert((language, name.to_owned()), text.to_owned());
        Ok(())
    }

    /// Render a compiled template and check the result is a safe command: no value the
    /// language cannot carry, no control character but line breaks and tabs.
    pub fn render(&self, language: Language, name: &str, ctx: &Json) -> Result<String, String> {
        let text = self
            .registry(language)
            .render(name, ctx)
            .map_err(|e| describe(&e))?;
        if text.contains(escape::UNSAFE) {
            return Err(
                "a value cannot be written safely on a cmd.exe command line (it holds `\"`, `%`, `!` or a character that is not ASCII)".into(),
            );
        }
        if let Some(c) = text
            .chars()
            .find(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
        {
            return Err(format!(
                "the rendered command holds the control character U+{:04X}",
                c as u32
            ));
        }
        if text.contains("{{") {
            return Err("the rendered command still holds `{{`".into());
        }
        Ok(text.trim_end().to_owned())
    }
}

fn describe(e: &RenderError) -> String {
    let reason = match e.reason() {
        RenderErrorReason::MissingVariable(Some(name)) => format!("unknown name `{name}`"),
        other => other.to_string(),
    };
    match (e.line_no, e.column_no) {
        (Some(l), Some(c)) => format!("{reason} (template line {l}, column {c})"),
        _ => reason,
    }
}

fn registry(escape: fn(&str) -> String) -> Handlebars<'static> {
    let mut hb = Handlebars::new();
    hb.set_strict_mode(true);
    hb.set_prevent_indent(true);
    hb.register_escape_fn(escape);
    hb.register_helper("concat", Box::new(Concat));
    hb
}

/// `{{concat "/hrxmlfile:" path}}`: joins its parameters into one value, which is then escaped
/// as a whole, so a prefix and a value become one literal or one argument.
struct Concat;

impl HelperDef for Concat {
    fn call_inner<'reg: 'rc, 'rc>(
        &self,
        h: &Helper<'rc>,
        _: &'reg Handlebars<'reg>,
        _: &'rc Context,
        _: &mut RenderContext<'reg, 'rc>,
    ) -> Result<ScopedJson<'rc>, RenderError> {
        let mut out = String::new();
        for p in h.params() {
            match p.value() {
                Json::String(s) => out.push_str(s),
                Json::Number(n) => out.push_str(&n.to_string()),
                other => {
                    return Err(RenderErrorReason::Other(format!("concat cannot join {other}")).into());
                }
            }
        }
        Ok(ScopedJson::Derived(Json::String(out)))
    }
}

/// `{{ident name}}`: a T-SQL delimited identifier `[name]`, `]` doubled.
struct SqlIdent;

impl HelperDef for SqlIdent {
    fn call<'reg: 'rc, 'rc>(
        &self,
        h: &Helper<'rc>,
        _: &'reg Handlebars<'reg>,
        _: &'rc Context,
        _: &mut RenderContext<'reg, 'rc>,
        out: &mut dyn Output,
    ) -> HelperResult {
        let value = h
            .param(0)
            .and_then(|p| p.value().as_str())
            .ok_or_else(|| RenderErrorReason::Other("ident takes one text value".into()))?;
        out.write(&escape::sql_identifier(value))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn render(language: Language, text: &str, ctx: Json) -> Result<String, String> {
        let mut t = Templates::new();
        t.add(language, "t", text).map_err(|e| e.0)?;
        t.render(language, "t", &ctx)
    }

    #[test]
    fn values_are_escaped_per_language_never_as_html() {
        let ctx = json!({"p": r"C:\Backups\O'Brien\<rtc>&.bak", "db": "rt]c"});
        assert_eq!(
            render(Language::Powershell, "Test-Path {{p}}", ctx.clone()).unwrap(),
            r"Test-Path 'C:\Backups\O''Brien\<rtc>&.bak'"
        );
        assert_eq!(
            render(
                Language::Sql,
                "RESTORE DATABASE {{ident db}} FROM DISK = {{p}}",
                ctx.clone()
            )
            .unwrap(),
            r"RESTORE DATABASE [rt]]c] FROM DISK = N'C:\Backups\O''Brien\<rtc>&.bak'"
        );
        assert_eq!(
            render(Language::Cmd, r#"x.exe {{concat "/f:" p}}"#, ctx).unwrap(),
            r#"x.exe "/f:C:\Backups\O'Brien\<rtc>&.bak""#
        );
    }

    #[test]
    fn strict_mode_rejects_unknown_names() {
        let err = render(Language::Powershell, "Get-CsUser {{nope}}", json!({})).unwrap_err();
        assert!(err.contains("nope"), "{err}");
    }

    #[test]
    fn unsafe_cmd_values_are_refused() {
        let err = render(Language::Cmd, "x.exe {{p}}", json!({"p": "C:\\100%\\x"})).unwrap_err();
        assert!(err.contains("cmd.exe"), "{err}");
    }

    #[test]
    fn each_item_is_escaped() {
        let out = render(
            Language::Powershell,
            "{{#each n}}Move {{this}}\n{{/each}}",
            json!({"n": ["sip:a@b.c", "x'y"]}),
        )
        .unwrap();
        assert_eq!(out, "Move 'sip:a@b.c'\nMove 'x''y'");
    }
}
