//! `lyncdr validate FILE...`: runbooks and environment files, every problem reported at once.

use super::{Error, print};
use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::env::{Environment, schema};
use crate::front::exit;
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
    match Library::with_extra(runbooks, templates, extra) {
        Ok(lib) => checked.push(format!("{} runbooks", lib.runbooks.len())),
        Err(d) => diags.extend(d),
    }
    for src in envs {
        let name = src.name.clone();
        match Environment::parse(src, &[]) {
            Ok(_) => checked.push(name),
            Err(d) => diags.extend(d),
        }
    }
    if !diags.is_empty() {
        return Err(diags.into());
    }
    print(&format!("ok: {}\n", checked.join(", ")));
    Ok(exit::SUCCESS)
}

/// Runbooks have top-level `steps:`; anything else is taken for an environment file, which then
/// explains what it lacks.
fn is_environment(text: &str) -> bool {
    text.lines()
        .any(|l| l.starts_with(&format!("{}:", schema::FORMAT_KEY)))
        || !text.lines().any(|l| l.starts_with("steps:"))
}
