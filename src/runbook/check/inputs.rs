//! A runbook's `inputs:`: template names bound to environment keys (an include's `with:` maps
//! them to the including runbook's keys).

use super::{Checker, sloc};
use crate::env::schema;
use crate::runbook::Input;
use crate::runbook::raw::RawRunbook;
use crate::source::SourceFile;
use std::collections::HashMap;
use std::sync::Arc;

impl Checker<'_> {
    pub(super) fn inputs(
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
}

fn is_name(s: &str) -> bool {
    s.chars().next().is_some_and(|c| c.is_ascii_lowercase())
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}
