//! `lyncdr validate FILE...`: runbooks and environment files, every problem reported at once;
//! for an environment file, which runbooks it can plan and, for each it cannot, the keys it
//! lacks (one line per key) or what else stops the plan.

use super::{Error, print};
use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::env::{Environment, schema};
use crate::front::exit;
use crate::front::json::Output;
use crate::render::plan::Plan;
use crate::runbook::Library;
use crate::source::{ReadError, SourceFile};
use std::path::{Path, PathBuf};

pub fn validate(
    runbooks: Option<&Path>,
    templates: Option<&Path>,
    files: &[PathBuf],
    output: &Output,
) -> Result<u8, Error> {
    let mut diags = Diagnostics::default();
    let mut extra = Vec::new();
    let mut envs = Vec::new();
    for path in files {
        let src = match SourceFile::read(path) {
            Ok(src) => src,
            Err(ReadError::Io(e)) => {
                diags.push(Diagnostic::new(format!("cannot read `{}`: {e}", path.display())));
                continue;
            }
            Err(e) => {
                diags.push(crate::env::read_error(path, e));
                continue;
            }
        };
        if is_environment(&src.text) {
            envs.push(src);
        } else {
            extra.push(src);
        }
    }
    let mut checked = Vec::new();
    let library = match Library::with_extra(runbooks, templates, extra) {
        Ok(lib) => {
            checked.push(format!("{} runbooks", lib.runbooks.len()));
            Some(lib)
        }
        Err(d) => {
            diags.extend(d);
            None
        }
    };
    let mut parsed = Vec::new();
    for src in envs {
        let name = src.name.clone();
        match Environment::parse(src, &[]) {
            Ok(env) => {
                checked.push(name);
                parsed.push(env);
            }
            Err(d) => diags.extend(d),
        }
    }
    if !diags.is_empty() {
        return Err(diags.into());
    }
    let environments: Vec<Plannable> = match &library {
        Some(library) => parsed.iter().map(|env| plannable(library, env)).collect(),
        None => Vec::new(),
    };
    if output.is_json() {
        output.result(serde_json::json!({ "checked": checked, "environments": environments }));
        return Ok(exit::SUCCESS);
    }
    let mut out = format!("ok: {}\n", checked.join(", "));
    let runbooks = library.as_ref().map_or(0, |l| l.runbooks.len());
    for p in &environments {
        // File names are the user's: shown, never sent, as control characters.
        out.push_str(&crate::decode::printable(&plannable_text(p, runbooks)));
    }
    print(&out);
    Ok(exit::SUCCESS)
}

/// Which runbooks an environment file can plan, and why it cannot plan the others.
#[derive(serde::Serialize)]
struct Plannable {
    file: String,
    can_plan: Vec<String>,
    cannot_plan: Vec<Cannot>,
}

#[derive(serde::Serialize)]
struct Cannot {
    runbook: String,
    missing: Vec<Missing>,
    problems: Vec<String>,
}

/// A key the file lacks: what it means, and how many places of the runbook use it.
#[derive(serde::Serialize)]
struct Missing {
    key: String,
    meaning: Option<String>,
    uses: usize,
}

/// Which runbooks `env` can plan, and for each it cannot, its missing keys (with how many places
/// use each) and its other problems. A file may be meant for some runbooks only, so this is a
/// summary, not an error: `plan` gives the full errors.
fn plannable(library: &Library, env: &Environment) -> Plannable {
    let mut out = Plannable {
        file: env.source.name.clone(),
        can_plan: Vec::new(),
        cannot_plan: Vec::new(),
    };
    for (id, runbook) in &library.runbooks {
        // The backup job writes the set folder and every backup path into the environment
        // itself (`lyncdr backup --to DIR`): the file need not, and the check stands them in.
        let mut job_env;
        let env = if id == crate::backup::job::RUNBOOK {
            job_env = env.clone();
            crate::backup::job::point_at_set(&mut job_env, crate::backup::script::PLACEHOLDER);
            &job_env
        } else {
            env
        };
        let e = match Plan::check(runbook, env, &library.templates) {
            Ok(_) => {
                out.can_plan.push(id.clone());
                continue;
            }
            Err(e) => e,
        };
        out.cannot_plan.push(Cannot {
            runbook: id.clone(),
            missing: e
                .missing
                .0
                .iter()
                .map(|m| Missing {
                    key: m.key.to_string(),
                    meaning: m.meaning().map(str::to_owned),
                    uses: m.uses(),
                })
                .collect(),
            problems: e.diagnostics.0.iter().map(|d| d.message.clone()).collect(),
        });
    }
    out
}

/// [`Plannable`] as `validate` prints it: one line per missing key and per other problem.
fn plannable_text(p: &Plannable, runbooks: usize) -> String {
    use std::fmt::Write as _;
    let name = &p.file;
    let can: Vec<String> = p.can_plan.iter().map(|id| format!("`{id}`")).collect();
    let mut out = match (can.len(), runbooks) {
        (0, _) => format!("{name} can plan no runbook\n"),
        (n, all) if n == all => format!("{name} can plan every runbook: {}\n", can.join(", ")),
        _ => format!("{name} can plan {}\n", can.join(", ")),
    };
    for c in &p.cannot_plan {
        let _ = writeln!(out, "{name} cannot plan `{}`:", c.runbook);
        for m in &c.missing {
            let what = m.meaning.as_ref().map(|s| format!(" ({s})")).unwrap_or_default();
            let uses = match m.uses {
                1 => "1 use".to_owned(),
                n => format!("{n} uses"),
            };
            let _ = writeln!(out, "  missing `{}`{what}: {uses}", m.key);
        }
        for problem in &c.problems {
            let _ = writeln!(out, "  {problem}");
        }
    }
    if !p.cannot_plan.is_empty() {
        let _ = writeln!(
            out,
            "(`lyncdr plan RUNBOOK --env {name}` names the steps that use each key)"
        );
    }
    out
}

/// Runbooks have top-level `steps:`; anything else is taken for an environment file, which then
/// explains what it lacks.
fn is_environment(text: &str) -> bool {
    text.lines()
        .any(|l| l.starts_with(&format!("{}:", schema::FORMAT_KEY)))
        || !text.lines().any(|l| l.starts_with("steps:"))
}
