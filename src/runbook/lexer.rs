//! A small tokenizer of command templates (PowerShell 2.0, T-SQL, cmd.exe), only as deep as
//! placement needs: where each `{{value}}` placeholder stands (code, or inside a string, a
//! here-string, a comment, an identifier) and whether the brackets balance. Handlebars tags are
//! opaque: their characters belong to handlebars, not to the language.
//!
//! PowerShell: `'...'` (`''` escapes), `"..."` (backtick and `""` escape) holding `$( )`
//! subexpressions that are code again (nested to any depth), here-strings `@' '@` and `@" "@`
//! (the latter with subexpressions), `#` and `<# #>` comments, and `{ } ( ) [ ]` that must
//! balance: a stray `}` would close the block lyncdr wraps a command in (the driver's `-WhatIf`
//! guard). T-SQL: `'...'` and `N'...'`, `"..."` and `[...]` identifiers, `--` comments and
//! nested `/* /* */ */` comments, `( )` balanced. cmd.exe: `"..."` only.
//!
//! Cross-checked against tree-sitter-powershell by a property test (tests/hostile.rs).

use super::Language;

/// Where a placeholder stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Context {
    /// Where a literal of the language can stand (PowerShell: also inside `$( )` in a string).
    Code,
    SingleString,
    DoubleString,
    HereString,
    Comment,
    /// T-SQL `[name]`.
    BracketIdentifier,
    /// T-SQL `"name"`.
    QuotedIdentifier,
}

impl Context {
    pub fn describe(self) -> &'static str {
        match self {
            Context::Code => "code",
            Context::SingleString => "a single-quoted string",
            Context::DoubleString => "a double-quoted string",
            Context::HereString => "a here-string",
            Context::Comment => "a comment",
            Context::BracketIdentifier => "a bracketed identifier",
            Context::QuotedIdentifier => "a quoted identifier",
        }
    }
}

/// A value placeholder (not a block helper like `{{#if}}`) and where it stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placeholder {
    /// Byte offsets of `{{` and past `}}`.
    pub start: usize,
    pub end: usize,
    pub context: Context,
}

/// Why a template does not tokenize: the message and the byte offset it points at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LexError {
    pub message: String,
    pub at: usize,
}

/// What the tokenizer is inside, innermost last.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Frame {
    /// Code after an opening bracket, closed by this character.
    Group(char),
    /// `$(` inside a PowerShell string: code closed by `)`.
    SubExpr,
    /// Closed by this character (doubled: the character itself).
    Quoted(char, Context),
    HereString(char),
    LineComment,
    /// Nested T-SQL comments are frames of their own.
    BlockComment,
}

/// Every placeholder of `text` up to the first error, and that error if any.
pub fn lex(language: Language, text: &str) -> (Vec<Placeholder>, Option<LexError>) {
    let mut lexer = Lexer {
        language,
        text,
        stack: Vec::new(),
        found: Vec::new(),
    };
    let error = lexer.run().err();
    (lexer.found, error)
}

struct Lexer<'t> {
    language: Language,
    text: &'t str,
    /// Each frame with the offset it opened at.
    stack: Vec<(Frame, usize)>,
    found: Vec<Placeholder>,
}

impl Lexer<'_> {
    fn run(&mut self) -> Result<(), LexError> {
        let mut i = 0;
        while i < self.text.len() {
            if self.text[i..].starts_with("{{") {
                i = self.tag(i);
                continue;
            }
            let c = self.text[i..].chars().next().unwrap_or('\0');
            i = self.step(i, c)?;
        }
        match self.stack.last() {
            None | Some((Frame::LineComment, _)) => Ok(()),
            Some(&(frame, at)) => Err(LexError {
                message: format!("{} opened here is never closed", opened(frame)),
                at,
            }),
        }
    }

    /// A handlebars tag at `i`: recorded when it places a value; the offset past it.
    fn tag(&mut self, i: usize) -> usize {
        let end = self.text[i..].find("}}").map_or(self.text.len(), |e| i + e + 2);
        let inner = self.text[i + 2..end.saturating_sub(2).max(i + 2)].trim_start_matches(['{', '~', '&']);
        let structural = inner.starts_with(['#', '/', '>', '!', '^']) || inner.trim() == "else";
        if !structural {
            self.found.push(Placeholder {
                start: i,
                end,
                context: self.context(),
            });
        }
        end
    }

    fn context(&self) -> Context {
        match self.stack.last().map(|(f, _)| *f) {
            None | Some(Frame::Group(_) | Frame::SubExpr) => Context::Code,
            Some(Frame::Quoted(_, context)) => context,
            Some(Frame::HereString(_)) => Context::HereString,
            Some(Frame::LineComment | Frame::BlockComment) => Context::Comment,
        }
    }

    fn at(&self, i: usize) -> &str {
        &self.text[i..]
    }

    /// One character `c` at `i`; the offset of the next one to read.
    fn step(&mut self, i: usize, c: char) -> Result<usize, LexError> {
        let next = i + c.len_utf8();
        let top = self.stack.last().map(|(f, _)| *f);
        match top {
            None | Some(Frame::Group(_) | Frame::SubExpr) => self.code(i, c),
            Some(Frame::LineComment) => {
                if c == '\n' {
                    self.stack.pop();
                }
                Ok(next)
            }
            Some(Frame::BlockComment) => Ok(self.block_comment(i, next)),
            Some(Frame::Quoted(q, _)) => Ok(self.quoted(i, c, q)),
            Some(Frame::HereString(q)) => Ok(self.here_string(i, c, q)),
        }
    }

    fn push(&mut self, frame: Frame, at: usize, past: usize) -> Result<usize, LexError> {
        self.stack.push((frame, at));
        Ok(past)
    }

    /// In code: what opens a string, a comment or a group, and what closes a group.
    fn code(&mut self, i: usize, c: char) -> Result<usize, LexError> {
        let next = i + c.len_utf8();
        let rest = self.at(i);
        match self.language {
            Language::Powershell => match c {
                '#' => self.push(Frame::LineComment, i, next),
                '<' if rest.starts_with("<#") => self.push(Frame::BlockComment, i, i + 2),
                '@' if rest.starts_with("@'") || rest.starts_with("@\"") => {
                    let q = if rest.starts_with("@'") { '\'' } else { '"' };
                    self.push(Frame::HereString(q), i, i + 2)
                }
                '\'' => self.push(Frame::Quoted('\'', Context::SingleString), i, next),
                '"' => self.push(Frame::Quoted('"', Context::DoubleString), i, next),
                // An escaped character (a line continuation too).
                '`' => Ok(self.skip_char(next)),
                '{' => self.push(Frame::Group('}'), i, next),
                '(' => self.push(Frame::Group(')'), i, next),
                '[' => self.push(Frame::Group(']'), i, next),
                '}' | ')' | ']' => self.close(i, c),
                _ => Ok(next),
            },
            Language::Sql => match c {
                '-' if rest.starts_with("--") => self.push(Frame::LineComment, i, i + 2),
                '/' if rest.starts_with("/*") => self.push(Frame::BlockComment, i, i + 2),
                '\'' => self.push(Frame::Quoted('\'', Context::SingleString), i, next),
                '"' => self.push(Frame::Quoted('"', Context::QuotedIdentifier), i, next),
                '[' => self.push(Frame::Quoted(']', Context::BracketIdentifier), i, next),
                '(' => self.push(Frame::Group(')'), i, next),
                ')' => self.close(i, c),
                _ => Ok(next),
            },
            Language::Cmd => match c {
                '"' => self.push(Frame::Quoted('"', Context::DoubleString), i, next),
                _ => Ok(next),
            },
        }
    }

    /// A closing bracket: it must close the innermost group.
    fn close(&mut self, i: usize, c: char) -> Result<usize, LexError> {
        match self.stack.last() {
            Some(&(Frame::Group(want), _)) if want == c => {}
            Some(&(Frame::SubExpr, _)) if c == ')' => {}
            Some(&(Frame::Group(want), at)) => {
                return Err(LexError {
                    message: format!(
                        "`{c}` closes what `{}` at {} opened: brackets must balance",
                        opener(want),
                        describe_offset(self.text, at)
                    ),
                    at: i,
                });
            }
            _ => {
                return Err(LexError {
                    message: format!(
                        "a `{c}` with no `{}` before it: it would close the block lyncdr runs the command in (the bundle driver's -WhatIf guard)",
                        opener(c)
                    ),
                    at: i,
                });
            }
        }
        self.stack.pop();
        Ok(i + 1)
    }

    fn block_comment(&mut self, i: usize, next: usize) -> usize {
        let rest = self.at(i);
        match self.language {
            Language::Powershell if rest.starts_with("#>") => {
                self.stack.pop();
                i + 2
            }
            Language::Sql if rest.starts_with("*/") => {
                self.stack.pop();
                i + 2
            }
            // T-SQL comments nest.
            Language::Sql if rest.starts_with("/*") => {
                self.stack.push((Frame::BlockComment, i));
                i + 2
            }
            _ => next,
        }
    }

    fn quoted(&mut self, i: usize, c: char, q: char) -> usize {
        let next = i + c.len_utf8();
        let powershell_double = self.language == Language::Powershell && q == '"';
        if powershell_double && c == '`' {
            return self.skip_char(next);
        }
        if powershell_double && self.at(i).starts_with("$(") {
            self.stack.push((Frame::SubExpr, i));
            return i + 2;
        }
        if c == q {
            // Doubled: the quote itself.
            if self.at(next).starts_with(q) {
                return next + q.len_utf8();
            }
            self.stack.pop();
        }
        next
    }

    /// A here-string ends at its quote and `@` at the start of a line.
    fn here_string(&mut self, i: usize, c: char, q: char) -> usize {
        let next = i + c.len_utf8();
        let line_start = i == 0 || self.text.as_bytes().get(i - 1) == Some(&b'\n');
        if line_start && c == q && self.at(next).starts_with('@') {
            self.stack.pop();
            return next + 1;
        }
        if q == '"' && c == '`' {
            return self.skip_char(next);
        }
        if q == '"' && self.at(i).starts_with("$(") {
            self.stack.push((Frame::SubExpr, i));
            return i + 2;
        }
        next
    }

    /// Past the character at `i` (an escaped one), unless a tag starts there.
    fn skip_char(&self, i: usize) -> usize {
        match self.at(i).chars().next() {
            Some(_) if self.at(i).starts_with("{{") => i,
            Some(c) => i + c.len_utf8(),
            None => i,
        }
    }
}

fn opener(closer: char) -> char {
    match closer {
        '}' => '{',
        ')' => '(',
        _ => '[',
    }
}

fn opened(frame: Frame) -> String {
    match frame {
        Frame::Group(c) => format!("the `{}`", opener(c)),
        Frame::SubExpr => "the `$(`".into(),
        Frame::Quoted(_, context) => context.describe().to_owned(),
        Frame::HereString(_) => "a here-string".into(),
        Frame::LineComment | Frame::BlockComment => "a comment".into(),
    }
}

/// `line:column` of a byte offset, 1-based.
pub fn position(text: &str, at: usize) -> (usize, usize) {
    let before = &text[..at.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

fn describe_offset(text: &str, at: usize) -> String {
    let (line, column) = position(text, at);
    format!("{line}:{column}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn contexts(language: Language, text: &str) -> Vec<Context> {
        let (found, error) = lex(language, text);
        assert_eq!(error, None, "{text}");
        found.into_iter().map(|p| p.context).collect()
    }

    #[test]
    fn powershell_subexpressions_in_strings_are_code_and_strings_in_them_are_strings() {
        use Context::*;
        let ps = Language::Powershell;
        assert_eq!(contexts(ps, "\"a $( {{p}} ) b\""), [Code]);
        assert_eq!(contexts(ps, "\"a $(\"{{p}}\") b\""), [DoubleString]);
        assert_eq!(contexts(ps, "\"a $(\"x\") {{p}}\""), [DoubleString]);
        assert_eq!(contexts(ps, "\"$(\"$(\"{{p}}\")\")\""), [DoubleString]);
        assert_eq!(contexts(ps, "@\"\n$( {{p}} )\n\"@"), [Code]);
        assert_eq!(contexts(ps, "\"`\" {{p}}\""), [DoubleString]);
        assert_eq!(contexts(ps, "if ($x) { Get-X {{p}} } # {{q}}"), [Code, Comment]);
    }

    #[test]
    fn sql_identifiers_and_nested_comments() {
        use Context::*;
        let sql = Language::Sql;
        assert_eq!(contexts(sql, "SELECT \"a{{p}}\""), [QuotedIdentifier]);
        assert_eq!(contexts(sql, "/* /* */ {{p}} */ {{q}}"), [Comment, Code]);
        assert_eq!(contexts(sql, "SELECT N'x''{{p}}' + {{q}}"), [SingleString, Code]);
        assert_eq!(contexts(sql, "USE [a]]{{p}}]"), [BracketIdentifier]);
    }

    #[test]
    fn brackets_must_balance() {
        let (_, error) = lex(Language::Powershell, "Get-X }\nSet-Y");
        let error = error.expect("a stray brace");
        assert_eq!(position("Get-X }\nSet-Y", error.at), (1, 7));
        assert!(error.message.contains("-WhatIf guard"), "{}", error.message);
        let (_, error) = lex(Language::Powershell, "foreach ($x in $y) { (1 }");
        assert!(error.is_some_and(|e| e.message.contains("brackets must balance")));
        let (_, error) = lex(Language::Powershell, "{ 'x' ");
        assert!(error.is_some_and(|e| e.message.contains("never closed")));
        // Brackets inside strings and comments do not count.
        assert_eq!(lex(Language::Powershell, "'}' # )\n\"{\" <# ] #>").1, None);
        assert_eq!(lex(Language::Sql, "SELECT ')' -- (\n").1, None);
    }
}
