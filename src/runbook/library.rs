//! The set of runbooks and templates lyncdr works with: built into the binary, or read from the
//! folders given with `--runbooks` and `--templates`. Loading checks everything at once.

use super::Templates;
use super::check::{Checker, Parsed, source_checks};
use super::raw::RawRunbook;
use super::{Language, Runbook};
use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::source::{Location, SourceFile};
use include_dir::{Dir, include_dir};
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

static RUNBOOKS: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/runbooks");
static TEMPLATES: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/templates");

pub struct Library {
    pub runbooks: BTreeMap<String, Runbook>,
    pub templates: Templates,
    /// Every file the library was built from (runbooks and templates), for hashing.
    pub files: Vec<Arc<SourceFile>>,
}

impl Library {
    pub fn load(runbooks: Option<&Path>, templates: Option<&Path>) -> Result<Self, Diagnostics> {
        Self::build(
            sources(runbooks, &RUNBOOKS, "runbooks", ".yaml")?,
            sources(templates, &TEMPLATES, "templates", ".hbs")?,
            Vec::new(),
        )
    }

    /// Load the library with `extra` runbook files replacing or adding to it (for `validate`).
    pub fn with_extra(
        runbooks: Option<&Path>,
        templates: Option<&Path>,
        extra: Vec<SourceFile>,
    ) -> Result<Self, Diagnostics> {
        Self::build(
            sources(runbooks, &RUNBOOKS, "runbooks", ".yaml")?,
            sources(templates, &TEMPLATES, "templates", ".hbs")?,
            extra,
        )
    }

    fn build(
        runbook_files: Vec<SourceFile>,
        template_files: Vec<SourceFile>,
        extra: Vec<SourceFile>,
    ) -> Result<Self, Diagnostics> {
        let mut diags = Diagnostics::default();
        let mut files = Vec::new();
        let mut templates = Templates::new();
        for f in template_files {
            let f = Arc::new(f);
            files.push(f.clone());
            let file_name = f.name.rsplit(['/', '\\']).next().unwrap_or(&f.name);
            let name = file_name.trim_end_matches(".hbs");
            let Some(language) = name
                .rsplit_once('.')
                .and_then(|(_, ext)| Language::from_extension(ext))
            else {
                diags.push(
                    Diagnostic::new(format!("template `{file_name}` has no language extension"))
                        .at(&f, None)
                        .hint("name templates NAME.ps1.hbs, NAME.sql.hbs or NAME.cmd.hbs"),
                );
                continue;
            };
            if let Err(d) = source_checks(&f, None, &f.text) {
                diags.push(d);
                continue;
            }
            if let Err((msg, pos)) = templates.add(language, name, &f.text) {
                let at = pos.map(|(l, c)| Location::new(l, c, 1));
                diags.push(
                    Diagnostic::new(format!("template `{file_name}` does not compile: {msg}"))
                        .at(&f, at)
                        .hint("check that every `{{#if}}`/`{{#each}}` is closed and every `{{` has its `}}`"),
                );
            }
        }
        let mut parsed = BTreeMap::new();
        let mut replaced: Vec<String> = Vec::new();
        for (is_extra, f) in runbook_files
            .into_iter()
            .map(|f| (false, f))
            .chain(extra.into_iter().map(|f| (true, f)))
        {
            let f = Arc::new(f);
            match parse(&f) {
                Ok(raw) => {
                    let id = raw.id.to_string();
                    let stem = f
                        .name
                        .rsplit(['/', '\\'])
                        .next()
                        .unwrap_or(&f.name)
                        .trim_end_matches(".yaml")
                        .trim_end_matches(".yml");
                    if !is_extra && stem != id {
                        diags.push(
                            Diagnostic::new(format!("runbook id `{id}` differs from its file name `{stem}`"))
                                .at(&f, super::check::loc(&raw.id, id.len()))
                                .hint(format!("rename the file `{id}.yaml` or the id `{stem}`")),
                        );
                    }
                    if !is_extra && parsed.contains_key(&id) {
                        diags.push(
                            Diagnostic::new(format!("two runbooks have the id `{id}`"))
                                .at(&f, super::check::loc(&raw.id, id.len())),
                        );
                    }
                    if is_extra {
                        replaced.push(id.clone());
                    }
                    parsed.insert(id, Parsed { raw, file: f.clone() });
                }
                Err(d) => diags.extend(d),
            }
            files.push(f);
        }
        let ids: Vec<String> = parsed.keys().cloned().collect();
        let mut checker = Checker {
            parsed: &parsed,
            templates: &mut templates,
            diags: Diagnostics::default(),
        };
        let mut runbooks = BTreeMap::new();
        for id in ids {
            if let Some(rb) = checker.check(&id) {
                runbooks.insert(id, rb);
            }
        }
        let mut seen = std::collections::HashSet::new();
        for d in checker.diags.0 {
            if seen.insert(d.to_string()) {
                diags.push(d);
            }
        }
        diags.into_result(Self {
            runbooks,
            templates,
            files,
        })
    }

    pub fn get(&self, id: &str) -> Result<&Runbook, Diagnostic> {
        self.runbooks.get(id).ok_or_else(|| {
            let d = Diagnostic::new(format!("no runbook `{id}`")).cause(crate::diagnostic::Cause::Unknown);
            match crate::suggest::closest(id, self.runbooks.keys().map(String::as_str)) {
                Some(s) => d.hint(format!("did you mean `{s}`? (`lyncdr list` shows them all)")),
                None => d.hint("`lyncdr list` shows the runbooks"),
            }
        })
    }
}

fn parse(f: &Arc<SourceFile>) -> Result<RawRunbook, Diagnostics> {
    let node = crate::env::parse_yaml(f)?;
    marked_yaml::from_node::<RawRunbook>(&node).map_err(|e| {
        let at = e.start_mark().map(|m| Location::new(m.line(), m.column(), 1));
        let msg = match &*e {
            marked_yaml::Error::UnknownFieldError(field, expected, _) => {
                let d = Diagnostic::new(format!("unknown field `{field}`")).at(f, at);
                let hint = match crate::suggest::closest(field, expected.iter().copied()) {
                    Some(s) => format!("did you mean `{s}`?"),
                    None => format!("expected one of {}", expected.join(", ")),
                };
                return d.hint(hint).into();
            }
            other => other.to_string(),
        };
        let path = e.path().map(|p| format!(" (at `{p}`)")).unwrap_or_default();
        Diagnostic::new(format!("invalid runbook: {msg}{path}"))
            .at(f, at)
            .into()
    })
}

/// Files ending in `suffix` directly in `dir` (sorted), or the embedded ones.
fn sources(
    dir: Option<&Path>,
    embedded: &Dir<'static>,
    what: &str,
    suffix: &str,
) -> Result<Vec<SourceFile>, Diagnostics> {
    let mut out = Vec::new();
    match dir {
        Some(dir) => {
            // A folder that is not there or cannot be read is a missing input (exit 66).
            let entries = std::fs::read_dir(dir).map_err(|e| {
                Diagnostic::new(format!("cannot read {what} folder `{}`: {e}", dir.display()))
                    .cause(crate::diagnostic::Cause::Missing)
            })?;
            let mut paths: Vec<_> = entries
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.is_file() && p.to_string_lossy().ends_with(suffix))
                .collect();
            paths.sort();
            for p in paths {
                let text = std::fs::read_to_string(&p)
                    .map_err(|e| Diagnostic::new(format!("cannot read `{}`: {e}", p.display())))?;
                out.push(SourceFile::new(p.display().to_string(), Some(&p), text));
            }
        }
        None => {
            for f in embedded.files() {
                let name = f.path().to_string_lossy();
                if name.ends_with(suffix) {
                    out.push(SourceFile::new(
                        format!("<built-in>/{what}/{name}"),
                        None,
                        f.contents_utf8().unwrap_or_default(),
                    ));
                }
            }
            out.sort_by(|a, b| a.name.cmp(&b.name));
        }
    }
    Ok(out)
}
