//! Why a value holds a control character when its author typed none: in YAML double quotes a
//! backslash starts an escape (YAML 1.2, 5.7 "Escaped Characters"), so `"C:\new\rtc.bak"` holds a
//! newline and `"C:\Lync Backups\rtc.bak"` a line separator (U+2028). The value checks in
//! `value.rs` see only the result; this reads the file's own text at the value to tell the
//! author the real cause and what to type instead.

use crate::source::{Location, SourceFile};

/// The escapes of YAML double-quoted scalars that give a character no value may hold, each with
/// what it gives, in words.
const ESCAPES: &[(char, char, &str)] = &[
    ('0', '\0', "a null character"),
    ('a', '\u{7}', "a bell character"),
    ('b', '\u{8}', "a backspace"),
    ('t', '\t', "a tab"),
    ('n', '\n', "a newline"),
    ('v', '\u{b}', "a vertical tab"),
    ('f', '\u{c}', "a form feed"),
    ('r', '\r', "a carriage return"),
    ('e', '\u{1b}', "an escape character"),
    ('N', '\u{85}', "a next-line character (U+0085)"),
    ('_', '\u{a0}', "a non-breaking space"),
    ('L', '\u{2028}', "a line separator (U+2028)"),
    ('P', '\u{2029}', "a paragraph separator (U+2029)"),
];

/// A value written in double quotes where a backslash became a character no value may hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EscapeMistake {
    /// The escape as written: `\n`.
    pub escape: String,
    /// What it gives: "a newline".
    pub gives: &'static str,
    /// Where the escape is in the file (two characters).
    pub at: Location,
    /// What the author meant: the text between the quotes with every backslash a backslash
    /// (`\\` and `\"`, the escapes they may have known, read as YAML reads them).
    pub meant: String,
}

impl EscapeMistake {
    /// "in double quotes `\n` is a newline"
    pub fn message(&self) -> String {
        format!("in double quotes `{}` is {}", self.escape, self.gives)
    }

    /// The same value in single quotes, where a backslash is a backslash (a `'` doubled).
    pub fn single_quoted(&self) -> String {
        format!("'{}'", self.meant.replace('\'', "''"))
    }
}

/// If the scalar `value` that starts at `at` in `src` is double-quoted and one of its escapes
/// gave a character no value may hold, which escape and where.
pub fn escape_mistake(src: &SourceFile, at: Location, value: &str) -> Option<EscapeMistake> {
    let (letter, _, gives) = value
        .chars()
        .find_map(|v| ESCAPES.iter().find(|(_, c, _)| *c == v))
        .copied()?;
    let line = src.line(at.line)?;
    let mut chars = line.chars().skip(at.column.checked_sub(1)?);
    if chars.next()? != '"' {
        return None;
    }
    // The text up to the closing quote on this line.
    let rest: String = chars.clone().collect();
    // A UNC path typed as itself (`"\\server\new"`): its two leading backslashes were meant as
    // two (one typed as `\\\\` would be the escape known).
    let unc = rest.starts_with("\\\\") && !rest.starts_with("\\\\\\\\");
    let mut meant = String::new();
    let mut found = None;
    let mut escaped = false;
    for (i, c) in chars.enumerate() {
        if escaped {
            if c == letter && found.is_none() {
                found = Some(i - 1);
            }
            if !matches!(c, '\\' | '"') || (unc && i == 1) {
                meant.push('\\');
            }
            meant.push(c);
            escaped = false;
        } else if c == '\\' {
            escaped = true;
        } else if c == '"' {
            let offset = found?;
            return Some(EscapeMistake {
                escape: format!("\\{letter}"),
                gives,
                at: Location::new(at.line, at.column + 1 + offset, 2),
                meant,
            });
        } else {
            meant.push(c);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mistake(line: &str, value: &str) -> Option<EscapeMistake> {
        let src = SourceFile::new("env.yaml", None, format!("{line}\n"));
        let column = line
            .find(['"', '\''])
            .map_or(1, |i| line[..i].chars().count() + 1);
        escape_mistake(&src, Location::new(1, column, 1), value)
    }

    #[test]
    fn escapes_in_double_quotes_are_found_where_they_are_typed() {
        let m = mistake(r#"rtc_database: "C:\new\rtc.bak""#, "C:\new\rtc.bak").expect("\\n");
        assert_eq!(m.message(), "in double quotes `\\n` is a newline");
        assert_eq!(m.at, Location::new(1, 18, 2));
        assert_eq!(m.single_quoted(), r"'C:\new\rtc.bak'");
        let m = mistake(r#"a: "C:\Lync Backups\x""#, "C:\u{2028}ync Backups\\x").expect("\\L");
        assert_eq!(m.message(), "in double quotes `\\L` is a line separator (U+2028)");
        assert_eq!(m.at.column, 7);
        let m = mistake(r#"a: "C:\\O'Brien\tab""#, "C:\\O'Brien\tab").expect("\\t");
        assert_eq!(
            (m.at.column, m.single_quoted()),
            (16, r"'C:\O''Brien\tab'".to_owned())
        );
    }

    /// Issue 18: the hint for `"\\backup01\new\rtc.bak"` read its `\\` as YAML does and
    /// offered `'\backup01\new\rtc.bak'`, one backslash short of a UNC path.
    #[test]
    fn a_unc_path_keeps_both_leading_backslashes() {
        let m = mistake(r#"a: "\\backup01\new\rtc.bak""#, "\\backup01\new\rtc.bak").expect("\\n");
        assert_eq!(m.single_quoted(), r"'\\backup01\new\rtc.bak'");
        let m = mistake(r#"a: "\\\\backup01\new""#, "\\backup01\new").expect("\\n");
        assert_eq!(m.single_quoted(), r"'\\backup01\new'");
    }

    #[test]
    fn a_control_character_typed_as_itself_is_not_an_escape() {
        assert_eq!(mistake("a: \"x\u{1b}y\"", "x\u{1b}y"), None);
        assert_eq!(mistake("a: 'C:\\new'", "C:\\new"), None);
        assert_eq!(mistake("a: \"C:\\\\new\"", "C:\\new"), None);
    }
}
