//! Checks on the text of any command template, inline or a file: no unescaped insertion, ASCII
//! only, Lync Server 2010 cmdlets only.

use crate::cmdlets;
use crate::diagnostic::Diagnostic;
use crate::source::{Location, SourceFile};

pub fn source_checks(file: &SourceFile, base: Option<Location>, text: &str) -> Result<(), Diagnostic> {
    let at = |offset: usize, len: usize| -> Option<Location> {
        let before = &text[..offset];
        let line = before.matches('\n').count();
        let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        match base {
            // Inline text: point at the line of the value in the runbook.
            Some(b) if line == 0 => Some(Location::new(b.line, b.column + col - 1, len)),
            Some(b) => Some(Location::new(b.line + line + 1, col, len)),
            None => Some(Location::new(line + 1, col, len)),
        }
    };
    if let Some(i) = text
        .find("{{{")
        .or_else(|| text.find("{{&"))
        .or_else(|| text.find("{{~{"))
    {
        return Err(Diagnostic::new("a template inserts a value without escaping").at(file, at(i, 3))
            .hint("write `{{name}}`: values are escaped for the template's language; raw insertion is not allowed"));
    }
    if let Some((i, c)) = text
        .char_indices()
        .find(|(_, c)| !(c.is_ascii_graphic() || matches!(c, ' ' | '\n' | '\r' | '\t')))
    {
        return Err(Diagnostic::new(format!(
            "a command template holds the non-ASCII character U+{:04X}",
            c as u32
        ))
        .at(file, at(i, 1))
        .hint("commands are plain ASCII: type `-`, `'` and `\"` instead of dashes and curly quotes"));
    }
    if let Some((i, found)) = cmdlets::find_later_version(text) {
        return Err(
            Diagnostic::new(format!("`{}` does not exist in Lync Server 2010", found.name))
                .at(file, at(i, found.name.len()))
                .hint(format!("in Lync Server 2010: {}", found.instead)),
        );
    }
    Ok(())
}
