use super::{Error, print};
use crate::env::schema;
use crate::front::exit;
use crate::render::text::wrap;
use crate::runbook::{Library, StepKind};
use std::fmt::Write as _;

pub fn list(library: &Library) -> Result<u8, Error> {
    let width = library.runbooks.keys().map(String::len).max().unwrap_or(0);
    let mut out = String::new();
    for rb in library.runbooks.values() {
        let _ = writeln!(out, "{:width$}  {}", rb.id, rb.title);
    }
    print(&out);
    Ok(exit::SUCCESS)
}

pub fn show(library: &Library, id: &str) -> Result<u8, Error> {
    let rb = library.get(id)?;
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
    conds
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(" and ")
}
