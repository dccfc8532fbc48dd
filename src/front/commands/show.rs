//! `lyncdr list` and `lyncdr show RUNBOOK`: the runbooks, and one runbook's inputs,
//! prerequisites and steps (as text, or as `--format json`'s result).

use super::{Error, print};
use crate::env::schema;
use crate::front::exit;
use crate::front::json::Output;
use crate::render::text::wrap;
use crate::runbook::{Library, Runbook, StepKind};
use serde_json::json;
use std::fmt::Write as _;

pub fn list(library: &Library, output: &Output) -> Result<u8, Error> {
    if output.is_json() {
        let runbooks: Vec<_> = library
            .runbooks
            .values()
            .map(|rb| json!({"id": rb.id, "title": rb.title}))
            .collect();
        output.result(json!({ "runbooks": runbooks }));
        return Ok(exit::SUCCESS);
    }
    let width = library.runbooks.keys().map(String::len).max().unwrap_or(0);
    let mut out = String::new();
    for rb in library.runbooks.values() {
        let _ = writeln!(out, "{:width$}  {}", rb.id, rb.title);
    }
    print(&out);
    Ok(exit::SUCCESS)
}

pub fn show(library: &Library, id: &str, output: &Output) -> Result<u8, Error> {
    let rb = library.get(id)?;
    if output.is_json() {
        output.result(show_json(rb));
        return Ok(exit::SUCCESS);
    }
    let mut out = String::new();
    let _ = writeln!(out, "{}: {}\nSource: {}\n", rb.id, rb.title, rb.source);
    wrap(&mut out, &rb.summary, "");
    let _ = writeln!(out, "\nInputs (environment keys):");
    for i in rb.inputs.iter() {
        let ty = schema::type_of(&i.env).map(|t| t.name()).unwrap_or("?");
        let _ = writeln!(out, "  {:<18} {:<32} {ty}: {}", i.name, i.env, i.description);
    }
    if !rb.prerequisites.is_empty() {
        let _ = writeln!(out, "\nPrerequisites:");
        for p in &rb.prerequisites {
            let cond = if p.when.is_empty() {
                String::new()
            } else {
                format!("  (when {})", join(&p.when))
            };
            let _ = writeln!(out, "  - {}{cond}", p.describe());
        }
    }
    let _ = writeln!(out, "\nSteps:");
    for (n, s) in rb.steps.iter().enumerate() {
        let pad = "  ".repeat(s.depth);
        let label = crate::render::text::label_prefix(&s.label);
        let _ = writeln!(out, "  {:>2}. {pad}{label}{} [{}]", n + 1, s.title, s.id);
        let mut facts = vec![format!("on {}", s.runs_on.describe())];
        if s.manual {
            facts.push("manual".into());
        }
        if s.interactive {
            facts.push("takes the console (asks questions)".into());
        }
        if let StepKind::Choice { key, .. } = &s.kind {
            facts.push(format!("choice: {key}"));
        }
        if !s.when.is_empty() {
            facts.push(format!("when {}", join(&s.when)));
        }
        for p in &s.prerequisites {
            facts.push(format!("requires {}", p.describe()));
        }
        let _ = writeln!(out, "      {pad}{}", facts.join("; "));
    }
    print(&out);
    Ok(exit::SUCCESS)
}

fn join(conds: &[crate::runbook::Condition]) -> String {
    conditions(conds).join(" and ")
}

/// `show --format json`'s result: the facts the text shows, as fields.
fn show_json(rb: &Runbook) -> serde_json::Value {
    let inputs: Vec<_> = rb
        .inputs
        .iter()
        .map(|i| {
            let ty = schema::type_of(&i.env).map(|t| t.name());
            json!({"name": i.name, "env": i.env, "type": ty, "description": i.description})
        })
        .collect();
    let prerequisites: Vec<_> = rb
        .prerequisites
        .iter()
        .map(|p| json!({"requires": p.describe(), "when": conditions(&p.when)}))
        .collect();
    let steps: Vec<_> = rb
        .steps
        .iter()
        .enumerate()
        .map(|(n, s)| {
            let choice = match &s.kind {
                StepKind::Choice { key, .. } => Some(key.clone()),
                _ => None,
            };
            let requires: Vec<String> = s.prerequisites.iter().map(|p| p.describe()).collect();
            json!({
                "number": n + 1, "id": s.id, "label": s.label, "title": s.title, "depth": s.depth,
                "runs_on": s.runs_on.describe(), "manual": s.manual, "interactive": s.interactive,
                "choice": choice, "when": conditions(&s.when), "requires": requires,
            })
        })
        .collect();
    json!({
        "id": rb.id, "title": rb.title, "source": rb.source, "summary": rb.summary,
        "inputs": inputs, "prerequisites": prerequisites, "steps": steps,
    })
}

fn conditions(conds: &[crate::runbook::Condition]) -> Vec<String> {
    conds.iter().map(ToString::to_string).collect()
}
