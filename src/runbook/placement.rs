//! Where a value may stand in a template. Every value is escaped as one literal of the template's
//! language (a PowerShell single-quoted string, a T-SQL `N'...'`, one quoted cmd.exe argument);
//! that is only safe where a literal can start: in code. Inside a string, a here-string, a
//! comment or a bracketed T-SQL identifier, the escaped value would close what surrounds it and
//! the rest of it would be read as code. Templates are therefore lexed when they are loaded, and
//! a value placeholder found anywhere but in code is an error with its line and column.

use super::Language;

/// What the lexer is inside.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum In {
    Code,
    /// A string or identifier closed by this character (`'`, `"` or `]`).
    Quoted(char),
    /// A here-string closed by this quote followed by `@` at the start of a line.
    HereString(char),
    LineComment,
    BlockComment,
}

impl In {
    fn describe(self) -> &'static str {
        match self {
            In::Code => "code",
            In::Quoted('\'') => "a single-quoted string",
            In::Quoted('"') => "a double-quoted string",
            In::Quoted(_) => "a bracketed identifier",
            In::HereString(_) => "a here-string",
            In::LineComment | In::BlockComment => "a comment",
        }
    }
}

/// The first value placeholder of `template` that stands outside code: its message and 1-based
/// line and column.
pub fn misplaced(language: Language, template: &str) -> Option<(String, (usize, usize))> {
    let mut state = In::Code;
    let mut chars = template.char_indices().peekable();
    let mut line_start = true;
    while let Some((i, c)) = chars.next() {
        if template[i..].starts_with("{{") {
            let end = template[i..].find("}}").map_or(template.len(), |e| i + e + 2);
            let tag = template[i + 2..end.saturating_sub(2).max(i + 2)].trim_start_matches(['{', '~', '&']);
            let structural = tag.starts_with(['#', '/', '>', '!', '^']) || tag.trim() == "else";
            if !structural && state != In::Code {
                return Some((
                    format!(
                        "a value is placed inside {} (`{}`): it is escaped as a literal of its own, which would end what surrounds it; put it in code, e.g. `'text ' + {{{{value}}}}`",
                        state.describe(),
                        &template[i..end]
                    ),
                    position(template, i),
                ));
            }
            // Skip the tag: its characters belong to handlebars, not to the language.
            while chars.peek().is_some_and(|(j, _)| *j < end) {
                chars.next();
            }
            line_start = false;
            continue;
        }
        let next = template[i + c.len_utf8()..].chars().next();
        state = match (language, state, c) {
            (_, In::LineComment, '\n') => In::Code,
            (_, In::LineComment, _) => In::LineComment,
            // PowerShell
            (Language::Powershell, In::Code, '#') => In::LineComment,
            (Language::Powershell, In::Code, '<') if next == Some('#') => In::BlockComment,
            (Language::Powershell, In::BlockComment, '#') if next == Some('>') => {
                chars.next();
                In::Code
            }
            (Language::Powershell, In::Code, '@') if matches!(next, Some('\'' | '"')) => {
                let q = next.unwrap_or('\'');
                chars.next();
                In::HereString(q)
            }
            (Language::Powershell, In::HereString(q), c) if line_start && c == q && next == Some('@') => {
                chars.next();
                In::Code
            }
            (Language::Powershell, In::Code, '\'' | '"') => In::Quoted(c),
            (Language::Powershell, In::Quoted('"'), '`') => {
                chars.next(); // an escaped character
                In::Quoted('"')
            }
            // T-SQL
            (Language::Sql, In::Code, '-') if next == Some('-') => In::LineComment,
            (Language::Sql, In::Code, '/') if next == Some('*') => In::BlockComment,
            (Language::Sql, In::BlockComment, '*') if next == Some('/') => {
                chars.next();
                In::Code
            }
            (Language::Sql, In::Code, '\'') => In::Quoted('\''),
            (Language::Sql, In::Code, '[') => In::Quoted(']'),
            // cmd.exe: a value is one double-quoted argument of its own.
            (Language::Cmd, In::Code, '"') => In::Quoted('"'),
            // A doubled quote inside a string is the quote itself (PowerShell, T-SQL `''`, `]]`).
            (_, In::Quoted(q), c) if c == q && next == Some(q) => {
                chars.next();
                In::Quoted(q)
            }
            (_, In::Quoted(q), c) if c == q => In::Code,
            (_, s, _) => s,
        };
        line_start = c == '\n';
    }
    None
}

fn position(text: &str, at: usize) -> (usize, usize) {
    let before = &text[..at];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
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
