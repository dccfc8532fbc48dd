//! Raw runbook -> checked [`Runbook`]: resolve includes (with cycle detection), options,
//! conditions, prerequisites, inputs and templates, collecting every problem as a diagnostic
//! that points at the file, line and column it is about.
//!
//! One file per part of a runbook: [`steps`] walks the steps (an [`include`] expands another
//! runbook in place, [`options`] a choice), [`commands`] compiles and test-renders each command
//! ([`template_text`] checks its text, [`prompting`] that a command asking questions runs with
//! the console), [`inputs`] and [`prerequisites`] check what a runbook reads and needs, and
//! [`references`] resolves the steps that prerequisites name, once the whole runbook is known.

mod commands;
mod include;
mod inputs;
mod options;
mod prerequisites;
mod prompting;
mod references;
mod steps;
mod template_text;

pub use template_text::source_checks;

use super::Templates;
use super::raw::{RawRunbook, S};
use super::{Condition, Input, Requirement, Runbook, Step};
use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::source::{Location, SourceFile};
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
        let mut prerequisites = self.prerequisites(&raw.prerequisites, &file, "");

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
        self.steps(&raw.opening, &scope, &mut x);
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
}
