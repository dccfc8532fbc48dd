//! `lyncdr validate FILE...`: runbooks and environment files, every problem reported at once;
//! for an environment file, which runbooks it can plan and, for each it cannot, the keys it
//! lacks (one line per key) or what else stops the plan.

use super::{Error, print};
use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::env::{Environment, schema};
use crate::front::exit;
use crate::render::plan::Plan;
use crate::runbook::Library;
use crate::source::{ReadError, SourceFile};
use std::path::{Path, PathBuf};

pub fn validate(runbooks: Option<&Path>, templates: Option<&Path>, files: &[PathBuf]) -> Result<u8, Error> {
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
    let mut out = format!("ok: {}\n", checked.join(", "));
    if let Some(library) = &library {
        for env in &parsed {
            // File names are the user's: shown, never sent, as control characters.
            out.push_str(&crate::decode::printable(&plannable(library, env)));
        }
    }
    print(&out);
    Ok(exit::SUCCESS)
}

/// Which runbooks `env` can plan, and for each it cannot, one line per missing key (with how many
/// steps use it) and one per other problem. A file may be meant for some runbooks only, so this
/// is a summary, not an error: `plan` gives the full errors.
fn plannable(library: &Library, env: &Environment) -> String {
    use std::fmt::Write as _;
    let name = &env.source.name;
    let mut can = Vec::new();
    let mut cannot = String::new();
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
                can.push(format!("`{id}`"));
                continue;
            }
            Err(e) => e,
        };
        let _ = writeln!(cannot, "{name} cannot plan `{id}`:");
        for m in &e.missing.0 {
            let what = m.meaning().map(|s| format!(" ({s})")).unwrap_or_default();
            let uses = match m.uses() {
                1 => "1 use".to_owned(),
                n => format!("{n} uses"),
            };
            let _ = writeln!(cannot, "  missing `{}`{what}: {uses}", m.key);
        }
        for d in &e.diagnostics.0 {
            let _ = writeln!(cannot, "  {}", d.message);
        }
    }
    let mut out = match (can.len(), library.runbooks.len()) {
        (0, _) => format!("{name} can plan no runbook\n"),
        (n, all) if n == all => format!("{name} can plan every runbook: {}\n", can.join(", ")),
        _ => format!("{name} can plan {}\n", can.join(", ")),
    };
    out.push_str(&cannot);
    if !cannot.is_empty() {
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
