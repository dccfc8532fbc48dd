//! Script text -> a tree of tokens, with brackets already matched. PowerShell parses the whole
//! script before it runs a single statement (about_Parsing; a script with a syntax error runs
//! nothing and `powershell.exe -File` ends with exit code 1), so unbalanced brackets and
//! unterminated strings are reported here, before anything is executed.

/// Where a token starts (1-based), for PowerShell's `At SCRIPT:LINE char:COL` line.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Pos {
    pub line: usize,
    pub col: usize,
}

#[derive(Debug, Clone)]
pub enum Tok {
    /// A bare word: a command name, an argument, a number, an operator symbol.
    Word(String),
    /// `-Name`; `true` when written `-Name:` (the value follows without a space).
    Param(String, bool),
    /// `$name` without the `$` (`_`, `env:COMPUTERNAME`, `LASTEXITCODE`, ...).
    Var(String),
    /// A string literal: its text, and the `$( )` sub-expressions of a double-quoted string,
    /// which PowerShell runs when the string is evaluated.
    Str(String, Vec<Vec<Node>>),
    /// `.Name` right after an expression (member access).
    Member(String),
    Newline,
    Semi,
    Pipe,
    Comma,
    /// `=`, `+=`, `-=`, ...: the operator's first character (`=` for plain assignment).
    Assign(char),
    /// `&`, the call operator.
    Amp,
    /// `::`, static member access.
    Static,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Group {
    /// `( )`
    Paren,
    /// `$( )`
    Sub,
    /// `@( )`
    Array,
    /// `{ }`: a statement block or script block.
    Block,
    /// `@{ }`
    Hash,
    /// `[ ]`: a type literal or an index.
    Index,
}

#[derive(Debug, Clone)]
pub enum Node {
    Tok(Tok, Pos),
    Group(Group, Vec<Node>, Pos),
}

impl Node {
    pub fn pos(&self) -> Pos {
        match self {
            Node::Tok(_, p) | Node::Group(_, _, p) => *p,
        }
    }
    pub fn word(&self) -> Option<&str> {
        match self {
            Node::Tok(Tok::Word(w), _) => Some(w),
            _ => None,
        }
    }
    pub fn is(&self, keyword: &str) -> bool {
        self.word().is_some_and(|w| w.eq_ignore_ascii_case(keyword))
    }
    pub fn is_tok(&self, f: fn(&Tok) -> bool) -> bool {
        matches!(self, Node::Tok(t, _) if f(t))
    }
}

/// A syntax error, worded as PowerShell 2.0 words its parse errors.
#[derive(Debug)]
pub struct ParseError {
    pub message: String,
    pub pos: Pos,
}

/// Nesting deeper than this is refused rather than risking the stack (bounded resources).
const MAX_DEPTH: usize = 200;

pub fn lex(text: &str) -> Result<Vec<Node>, ParseError> {
    let mut l = Lexer {
        chars: text.chars().collect(),
        i: 0,
        line: 1,
        col: 1,
        depth: 0,
    };
    l.nodes(None)
}

struct Lexer {
    chars: Vec<char>,
    i: usize,
    line: usize,
    col: usize,
    depth: usize,
}

// PowerShell accepts the typographic quotes and dashes as their ASCII forms (facts file,
// "PowerShell 2.0": U+2018-U+201B single quotes, U+201C-U+201E double quotes, en/em dashes).
fn is_single_quote(c: char) -> bool {
    matches!(c, '\'' | '\u{2018}' | '\u{2019}' | '\u{201A}' | '\u{201B}')
}
fn is_double_quote(c: char) -> bool {
    matches!(c, '"' | '\u{201C}' | '\u{201D}' | '\u{201E}')
}
fn is_dash(c: char) -> bool {
    matches!(c, '-' | '\u{2013}' | '\u{2014}' | '\u{2015}')
}
fn ends_word(c: char) -> bool {
    c.is_whitespace()
        || matches!(
            c,
            '{' | '}' | '(' | ')' | '[' | ']' | ';' | '|' | ',' | '&' | '=' | '`'
        )
        || is_single_quote(c)
        || is_double_quote(c)
}
fn is_name_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

impl Lexer {
    fn peek(&self, k: usize) -> Option<char> {
        self.chars.get(self.i + k).copied()
    }
    fn bump(&mut self) -> Option<char> {
        let c = self.chars.get(self.i).copied()?;
        self.i += 1;
        if c == '\n' {
            self.line += 1;
            self.col = 1;
        } else {
            self.col += 1;
        }
        Some(c)
    }
    fn pos(&self) -> Pos {
        Pos {
            line: self.line,
            col: self.col,
        }
    }
    fn err(&self, message: &str, pos: Pos) -> ParseError {
        ParseError {
            message: message.to_owned(),
            pos,
        }
    }

    /// Tokens up to the closing bracket `close` (consumed), or to the end of the text.
    fn nodes(&mut self, close: Option<char>) -> Result<Vec<Node>, ParseError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.err(
                "The script nests brackets too deeply for the stand-in.",
                self.pos(),
            ));
        }
        let mut out: Vec<Node> = Vec::new();
        loop {
            let pos = self.pos();
            let Some(c) = self.peek(0) else {
                self.depth -= 1;
                return match close {
                    None => Ok(out),
                    Some('}') => Err(self.err("Missing closing '}' in statement block.", pos)),
                    Some(')') => Err(self.err("Missing closing ')' in expression.", pos)),
                    Some(_) => Err(self.err("Missing ']' at end of attribute or type literal.", pos)),
                };
            };
            // `.Name` right after a variable, a word or a closing bracket is member access.
            let glued = self.i > 0
                && self
                    .chars
                    .get(self.i - 1)
                    .is_some_and(|p| is_name_char(*p) || matches!(p, ')' | ']' | '}'));
            match c {
                '\u{feff}' | ' ' | '\t' | '\r' | '\u{a0}' => {
                    self.bump();
                }
                '`' if matches!(self.peek(1), Some('\n' | '\r')) => {
                    // Line continuation.
                    self.bump();
                    while matches!(self.peek(0), Some('\r')) {
                        self.bump();
                    }
                    self.bump();
                }
                '\n' => {
                    self.bump();
                    out.push(Node::Tok(Tok::Newline, pos));
                }
                '#' => {
                    while self.peek(0).is_some_and(|c| c != '\n') {
                        self.bump();
                    }
                }
                '<' if self.peek(1) == Some('#') => {
                    self.bump();
                    self.bump();
                    loop {
                        match self.bump() {
                            None => return Err(self.err("Missing the closing '#>' of a block comment.", pos)),
                            Some('#') if self.peek(0) == Some('>') => {
                                self.bump();
                                break;
                            }
                            Some(_) => {}
                        }
                    }
                }
                ')' | '}' | ']' => {
                    self.bump();
                    if close == Some(c) {
                        self.depth -= 1;
                        return Ok(out);
                    }
                    return Err(self.err(
                        &format!("Unexpected token '{c}' in expression or statement."),
                        pos,
                    ));
                }
                '(' => {
                    self.bump();
                    let inner = self.nodes(Some(')'))?;
                    out.push(Node::Group(Group::Paren, inner, pos));
                }
                '{' => {
                    self.bump();
                    let inner = self.nodes(Some('}'))?;
                    out.push(Node::Group(Group::Block, inner, pos));
                }
                '[' => {
                    self.bump();
                    let inner = self.nodes(Some(']'))?;
                    out.push(Node::Group(Group::Index, inner, pos));
                }
                '$' if self.peek(1) == Some('(') => {
                    self.bump();
                    self.bump();
                    let inner = self.nodes(Some(')'))?;
                    out.push(Node::Group(Group::Sub, inner, pos));
                }
                '@' if self.peek(1) == Some('(') => {
                    self.bump();
                    self.bump();
                    let inner = self.nodes(Some(')'))?;
                    out.push(Node::Group(Group::Array, inner, pos));
                }
                '@' if self.peek(1) == Some('{') => {
                    self.bump();
                    self.bump();
                    let inner = self.nodes(Some('}'))?;
                    out.push(Node::Group(Group::Hash, inner, pos));
                }
                '@' if self
                    .peek(1)
                    .is_some_and(|q| is_single_quote(q) || is_double_quote(q))
                    && matches!(self.peek(2), Some('\n' | '\r')) =>
                {
                    let s = self.here_string(pos)?;
                    out.push(Node::Tok(s, pos));
                }
                '$' => {
                    self.bump();
                    out.push(Node::Tok(Tok::Var(self.var_name()), pos));
                }
                q if is_single_quote(q) => {
                    self.bump();
                    let s = self.single_quoted(pos)?;
                    out.push(Node::Tok(Tok::Str(s, Vec::new()), pos));
                }
                q if is_double_quote(q) => {
                    self.bump();
                    let (s, subs) = self.double_quoted(pos)?;
                    out.push(Node::Tok(Tok::Str(s, subs), pos));
                }
                ';' => {
                    self.bump();
                    out.push(Node::Tok(Tok::Semi, pos));
                }
                '|' => {
                    self.bump();
                    out.push(Node::Tok(Tok::Pipe, pos));
                }
                ',' => {
                    self.bump();
                    out.push(Node::Tok(Tok::Comma, pos));
                }
                '&' => {
                    self.bump();
                    out.push(Node::Tok(Tok::Amp, pos));
                }
                '=' => {
                    self.bump();
                    out.push(Node::Tok(Tok::Assign('='), pos));
                }
                ':' if self.peek(1) == Some(':') => {
                    self.bump();
                    self.bump();
                    out.push(Node::Tok(Tok::Static, pos));
                }
                '+' | '*' | '/' | '%' if self.peek(1) == Some('=') => {
                    self.bump();
                    self.bump();
                    out.push(Node::Tok(Tok::Assign(c), pos));
                }
                d if is_dash(d) && self.peek(1) == Some('=') => {
                    self.bump();
                    self.bump();
                    out.push(Node::Tok(Tok::Assign('-'), pos));
                }
                d if is_dash(d) && self.peek(1).is_some_and(|n| n.is_alphabetic()) => {
                    self.bump();
                    let mut name = String::new();
                    while let Some(n) = self.peek(0).filter(|n| is_name_char(*n)) {
                        name.push(n);
                        self.bump();
                    }
                    let colon = self.peek(0) == Some(':') && self.peek(1) != Some(':');
                    if colon {
                        self.bump();
                    }
                    out.push(Node::Tok(Tok::Param(name, colon), pos));
                }
                '.' if glued && self.peek(1).is_some_and(char::is_alphabetic) => {
                    self.bump();
                    let mut name = String::new();
                    while let Some(n) = self.peek(0).filter(|n| is_name_char(*n)) {
                        name.push(n);
                        self.bump();
                    }
                    out.push(Node::Tok(Tok::Member(name), pos));
                }
                '`' => {
                    // An escaped character outside a string: part of a bare word.
                    self.bump();
                    let mut w = String::new();
                    if let Some(n) = self.bump() {
                        w.push(n);
                    }
                    out.push(Node::Tok(Tok::Word(w), pos));
                }
                _ => {
                    let mut w = String::new();
                    while let Some(n) = self.peek(0) {
                        if ends_word(n) || (n == '$' && !w.is_empty()) {
                            break;
                        }
                        // `a.b` stays one word, but `$x.Count`-style member access after a
                        // bracket is handled above; a word never swallows a `::`.
                        if n == ':' && self.peek(1) == Some(':') {
                            break;
                        }
                        w.push(if is_dash(n) { '-' } else { n });
                        self.bump();
                    }
                    if w.is_empty() {
                        // A lone character no rule takes ('$' handled above): keep it as a word.
                        if let Some(n) = self.bump() {
                            w.push(n);
                        }
                    }
                    out.push(Node::Tok(Tok::Word(w), pos));
                }
            }
        }
    }

    fn var_name(&mut self) -> String {
        let mut name = String::new();
        if self.peek(0) == Some('{') {
            self.bump();
            while let Some(c) = self.bump() {
                if c == '}' {
                    break;
                }
                name.push(c);
            }
            return name;
        }
        if let Some(c) = self.peek(0).filter(|c| matches!(c, '$' | '?' | '^')) {
            self.bump();
            name.push(c);
            return name;
        }
        while let Some(c) = self.peek(0) {
            let scope = c == ':' && self.peek(1).is_some_and(is_name_char) && !name.is_empty();
            if !(is_name_char(c) || scope) {
                break;
            }
            name.push(c);
            self.bump();
        }
        name
    }

    fn single_quoted(&mut self, pos: Pos) -> Result<String, ParseError> {
        let mut s = String::new();
        loop {
            match self.bump() {
                None => return Err(self.err("The string is missing the terminator: '.", pos)),
                Some(q) if is_single_quote(q) => {
                    if self.peek(0).is_some_and(is_single_quote) {
                        self.bump();
                        s.push('\'');
                    } else {
                        return Ok(s);
                    }
                }
                Some(c) => s.push(c),
            }
        }
    }

    fn double_quoted(&mut self, pos: Pos) -> Result<(String, Vec<Vec<Node>>), ParseError> {
        let mut s = String::new();
        let mut subs = Vec::new();
        loop {
            match self.bump() {
                None => return Err(self.err("The string is missing the terminator: \".", pos)),
                Some('`') => match self.bump() {
                    Some('n') => s.push('\n'),
                    Some('r') => s.push('\r'),
                    Some('t') => s.push('\t'),
                    Some('0') => s.push('\0'),
                    Some(c) => s.push(c),
                    None => return Err(self.err("The string is missing the terminator: \".", pos)),
                },
                Some('$') if self.peek(0) == Some('(') => {
                    self.bump();
                    subs.push(self.nodes(Some(')'))?);
                }
                Some(q) if is_double_quote(q) => {
                    if self.peek(0).is_some_and(is_double_quote) {
                        self.bump();
                        s.push('"');
                    } else {
                        return Ok((s, subs));
                    }
                }
                Some(c) => s.push(c),
            }
        }
    }

    /// `@'` / `@"` at the end of a line, up to a line that starts with `'@` / `"@`.
    fn here_string(&mut self, pos: Pos) -> Result<Tok, ParseError> {
        self.bump();
        let double = self.bump().is_some_and(is_double_quote);
        while matches!(self.peek(0), Some('\r')) {
            self.bump();
        }
        self.bump();
        let mut s = String::new();
        let mut subs = Vec::new();
        let mut at_line_start = true;
        loop {
            let Some(c) = self.peek(0) else {
                return Err(self.err("The string is missing the terminator: '@.", pos));
            };
            let closing = if double {
                is_double_quote(c)
            } else {
                is_single_quote(c)
            };
            if at_line_start && closing && self.peek(1) == Some('@') {
                self.bump();
                self.bump();
                while s.ends_with('\n') || s.ends_with('\r') {
                    s.pop();
                }
                return Ok(Tok::Str(s, subs));
            }
            self.bump();
            if double && c == '$' && self.peek(0) == Some('(') {
                self.bump();
                subs.push(self.nodes(Some(')'))?);
                at_line_start = false;
                continue;
            }
            at_line_start = c == '\n';
            s.push(c);
        }
    }
}
