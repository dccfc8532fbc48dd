//! YAML that does not load (a syntax error, a duplicate key, an anchor) as a diagnostic at its
//! place. Its own module: it belongs to neither runbooks nor environment files, and the
//! environment reader using it must not import the runbook model for it.

use crate::diagnostic::Diagnostic;
use crate::source::{Location, SourceFile};

/// A YAML load error (syntax, duplicate key, ...) as a diagnostic.
pub fn load_error(src: &SourceFile, e: &marked_yaml::LoadError) -> Diagnostic {
    use marked_yaml::LoadError as E;
    let (msg, mark) = match e {
        E::TopLevelMustBeMapping(m) => ("the top level must be a mapping of keys".to_owned(), Some(*m)),
        E::TopLevelMustBeSequence(m) => ("the top level must be a list".to_owned(), Some(*m)),
        E::UnexpectedAnchor(m) => ("YAML anchors and aliases are not supported".to_owned(), Some(*m)),
        E::MappingKeyMustBeScalar(m) => ("a mapping key must be a plain value".to_owned(), Some(*m)),
        E::UnexpectedTag(m) => ("YAML tags are not supported".to_owned(), Some(*m)),
        E::ScanError(m, err) => (format!("YAML syntax error: {}", scan_message(err)), Some(*m)),
        E::DuplicateKey(inner) => (
            format!("duplicate key `{}`", inner.key.as_str()),
            inner.key.span().start().copied(),
        ),
    };
    let d = Diagnostic::new(msg).at(src, mark.map(|m| Location::new(m.line(), m.column(), 1)));
    match e {
        E::DuplicateKey(inner) => d.hint(format!(
            "`{}` is already set at line {}",
            inner.prev_key.as_str(),
            inner.prev_key.span().start().map_or(0, |m| m.line())
        )),
        // A tab where YAML wants indentation is the usual cause at 3 a.m.; say so, not quoting.
        E::ScanError(m, _) if src.line(m.line()).is_some_and(|l| l.contains('\t')) => {
            d.hint("this line holds a tab: YAML indents with spaces only; replace the tab with spaces")
        }
        E::ScanError(..) => {
            d.hint("check indentation and quoting; Windows paths are safest in 'single quotes'")
        }
        _ => d,
    }
}

/// yaml-rust's message without its own "at line X column Y" suffix (we print our own).
fn scan_message(err: &impl std::fmt::Display) -> String {
    let s = err.to_string();
    match s.find(" at line") {
        Some(i) => s[..i].to_owned(),
        None => s,
    }
}
