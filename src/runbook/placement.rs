//! Where a value may stand in a template. Every value is escaped as one literal of the template's
//! language (a PowerShell single-quoted string, a T-SQL `N'...'`, one quoted cmd.exe argument);
//! that is only safe where a literal can start: in code. Inside a string, a here-string, a
//! comment or a bracketed T-SQL identifier, the escaped value would close what surrounds it and
//! the rest of it would be read as code. Templates are therefore tokenized when they are loaded
//! ([`super::lexer`]), and a value placeholder found anywhere but in code, or a bracket that
//! does not balance, is an error with its line and column.

use super::Language;
use super::lexer::{self, Context};

/// The first value placeholder of `template` that stands outside code, or the first place where
/// the template does not tokenize (a stray `}`, an unclosed string): its message and 1-based
/// line and column.
pub fn misplaced(language: Language, template: &str) -> Option<(String, (usize, usize))> {
    let (found, error) = lexer::lex(language, template);
    if let Some(p) = found.iter().find(|p| p.context != Context::Code) {
        return Some((
            format!(
                "a value is placed inside {} (`{}`): it is escaped as a literal of its own, which would end what surrounds it; put it in code, e.g. `'text ' + {{{{value}}}}`",
                p.context.describe(),
                &template[p.start..p.end]
            ),
            lexer::position(template, p.start),
        ));
    }
    error.map(|e| (e.message, lexer::position(template, e.at)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_in_code_are_fine() {
        for (language, t) in [
            (
                Language::Powershell,
                "Test-Path {{p}} # checks {{#if x}}it{{/if}}",
            ),
            (Language::Powershell, "'a' + {{p}} + \"b\" + @'\nhere\n'@ + {{q}}"),
            (
                Language::Sql,
                "RESTORE DATABASE {{ident db}} FROM DISK = {{p}} -- done",
            ),
            (Language::Cmd, "x.exe {{concat \"/f:\" p}}"),
        ] {
            assert_eq!(misplaced(language, t), None, "{t}");
        }
    }

    #[test]
    fn values_in_strings_comments_and_identifiers_are_refused() {
        for (language, t, at, inside) in [
            (
                Language::Powershell,
                "Write-Host \"path {{p}}\"",
                (1, 18),
                "a double-quoted string",
            ),
            (
                Language::Powershell,
                "'it''s {{p}}'",
                (1, 8),
                "a single-quoted string",
            ),
            (
                Language::Powershell,
                "$x = @\"\nline {{p}}\n\"@",
                (2, 6),
                "a here-string",
            ),
            (Language::Powershell, "# note {{p}}", (1, 8), "a comment"),
            (Language::Powershell, "<# {{p}} #>", (1, 4), "a comment"),
            (
                Language::Sql,
                "SELECT 'x{{p}}'",
                (1, 10),
                "a single-quoted string",
            ),
            (Language::Sql, "USE [{{p}}]", (1, 6), "a bracketed identifier"),
            (Language::Sql, "/* {{p}} */", (1, 4), "a comment"),
            (
                Language::Cmd,
                "x.exe \"/f:{{p}}\"",
                (1, 11),
                "a double-quoted string",
            ),
        ] {
            let (message, pos) = misplaced(language, t).unwrap_or_else(|| panic!("{t}"));
            assert_eq!(pos, at, "{t}");
            assert!(message.contains(inside), "{t}: {message}");
        }
    }
}
