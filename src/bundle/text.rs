//! Text as the bundle's files hold it. Scripts are built line by line with [`Ps`], which only
//! lets a value in through [`escape::powershell`] (as a `Write-Host` literal) or through a
//! sanitised comment; rendered commands, already escaped by the plan, go in verbatim.
//!
//! Line endings are CRLF: Notepad on Windows Server 2008 R2 shows an LF-only file as one long
//! line, and the operator reviews these files on the server. Encoding: ASCII whenever the text
//! is ASCII (always, with the built-in runbooks: values are checked to be ASCII); otherwise
//! UTF-8 with a byte order mark for `.ps1` and `.txt`, because Windows PowerShell 2.0 reads a
//! BOM-less file in the ANSI code page and would garble the text. `.sql` files get no BOM
//! (older sqlcmd versions take it for text); their wrapper passes `-f 65001` instead.

use crate::escape;

/// Characters that end a line for a reader of the file (PowerShell, Notepad, an editor).
const LINE_BREAKS: [char; 7] = ['\n', '\r', '\u{0b}', '\u{0c}', '\u{85}', '\u{2028}', '\u{2029}'];

/// The lines of a value, split at every kind of line break, with other control characters
/// replaced by spaces: nothing in a line can end a comment or a line early.
pub fn lines(text: &str) -> Vec<String> {
    let text = text.replace("\r\n", "\n");
    text.split(LINE_BREAKS)
        .map(|l| {
            l.chars()
                .map(|c| if c.is_control() { ' ' } else { c })
                .collect::<String>()
                .trim_end()
                .to_owned()
        })
        .collect()
}

/// Word-wrap each line of `text` to `width` columns, each keeping its indentation (long words
/// stay whole; [`crate::wrap`]); a blank line stays.
pub fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut out = Vec::new();
    for line in lines(text) {
        let indent: String = line.chars().take_while(|c| *c == ' ').collect();
        let filled = crate::wrap::words(&line, width.saturating_sub(indent.len()));
        if filled.is_empty() {
            out.push(String::new());
        }
        out.extend(filled.into_iter().map(|l| format!("{indent}{l}")));
    }
    out
}

/// A PowerShell script under construction. Code lines come from this module's callers and hold
/// values only as escaped literals; prose goes through [`Ps::comment`] or [`Ps::host`].
#[derive(Default)]
pub struct Ps {
    text: String,
}

impl Ps {
    pub fn new() -> Self {
        Self::default()
    }

    /// One line of code.
    pub fn code(&mut self, line: impl AsRef<str>) {
        self.text.push_str(line.as_ref());
        self.text.push('\n');
    }

    /// Code written elsewhere (a rendered command, the driver's fixed functions), verbatim.
    pub fn block(&mut self, text: &str) {
        for line in text.replace("\r\n", "\n").trim_end_matches('\n').split('\n') {
            self.code(line);
        }
    }

    pub fn blank(&mut self) {
        self.text.push('\n');
    }

    /// `text` as comment lines, each `#` + `prefix` + a line of the text (wrapped at 100).
    pub fn comment(&mut self, prefix: &str, text: &str) {
        self.item(prefix, prefix, text);
    }

    /// `text` as comment lines, the first after `first`, the rest after `rest` (a list item).
    pub fn item(&mut self, first: &str, rest: &str, text: &str) {
        let width = 100usize.saturating_sub(first.len().max(rest.len()));
        for (i, line) in wrap(text, width).iter().enumerate() {
            self.code(comment_line(if i == 0 { first } else { rest }, line));
        }
    }

    /// `text` printed by `Write-Host`, a line at a time, each line one literal.
    pub fn host(&mut self, indent: &str, text: &str) {
        for line in lines(text) {
            self.code(format!(
                "Write-Host {}",
                escape::powershell(&format!("{indent}{line}"))
            ));
        }
    }

    pub fn into_string(self) -> String {
        self.text
    }
}

/// One comment line. PowerShell gives two kinds of comment line a meaning: `#requires` (never
/// produced: a space always follows `#`) and `# SIG # Begin signature block`, after which it
/// takes the rest of the file for a signature; a value that would spell it is defused.
pub fn comment_line(prefix: &str, text: &str) -> String {
    let body = lines(&format!("{prefix}{text}")).join(" ");
    let body = if body
        .trim_start()
        .to_ascii_lowercase()
        .starts_with("sig # begin signature block")
    {
        format!("'{body}")
    } else {
        body
    };
    if body.is_empty() {
        "#".to_owned()
    } else {
        format!("# {body}")
    }
}

pub use crate::windows_text::{crlf, sql_text, windows_text};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_line_break_splits_and_control_characters_vanish() {
        assert_eq!(
            lines("a\r\nb\rc\u{2028}d\u{85}e\tf\u{0}g"),
            ["a", "b", "c", "d", "e f g"]
        );
    }

    #[test]
    fn a_comment_cannot_end_early_or_become_a_signature() {
        assert_eq!(comment_line("", "x\ny"), "# x y");
        assert_eq!(comment_line("", ""), "#");
        assert_eq!(
            comment_line("", "SIG # Begin signature block"),
            "# 'SIG # Begin signature block"
        );
        let mut ps = Ps::new();
        ps.comment("  ", "one\n$(calc)\r\nthree");
        assert!(ps.into_string().lines().all(|l| l.starts_with('#')));
    }

    #[test]
    fn host_lines_are_one_literal_each() {
        let mut ps = Ps::new();
        ps.host("  ", "O'Brien\n$(calc)");
        assert_eq!(
            ps.into_string(),
            "Write-Host '  O''Brien'\nWrite-Host '  $(calc)'\n"
        );
    }

    #[test]
    fn ascii_stays_ascii_and_anything_else_gets_a_bom() {
        assert_eq!(windows_text("a\nb\r\nc"), b"a\r\nb\r\nc");
        assert_eq!(windows_text("caf\u{e9}\n"), b"\xEF\xBB\xBFcaf\xC3\xA9\r\n");
        assert_eq!(sql_text("caf\u{e9}"), "caf\u{e9}".as_bytes());
    }

    #[test]
    fn wrap_keeps_indent_and_long_words() {
        assert_eq!(wrap("  aa bb cc", 7), ["  aa bb", "  cc"]);
        assert_eq!(wrap("averylongword x", 4), ["averylongword", "x"]);
    }
}
