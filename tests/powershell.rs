//! Parsing rendered PowerShell with the tree-sitter PowerShell grammar, and T-SQL with a small
//! lexer: enough to prove a command is well-formed and a value stayed one literal.

use tree_sitter::{Node, Parser};

pub fn parse(text: &str) -> tree_sitter::Tree {
    let mut parser = Parser::new();
    parser
        .set_language(&tree_sitter_powershell::LANGUAGE.into())
        .expect("grammar");
    parser.parse(text, None).expect("parse")
}

/// The checks every PowerShell file lyncdr writes or builds in must pass: it parses, and it
/// uses nothing of PowerShell 3.0 or later (`lyncdr::bundle::ps2`'s list). `at` names it.
pub fn assert_powershell_2(at: &str, text: &str) {
    let errors = errors(text);
    assert!(errors.is_empty(), "{at}: does not parse: {errors:?}");
    let banned: Vec<String> = lyncdr::bundle::ps2::find(text)
        .iter()
        .map(|b| format!("line {}: {}", b.line, b.construct.name))
        .collect();
    assert!(banned.is_empty(), "{at}: PowerShell 3.0+: {banned:?}");
}

/// Every syntax error or missing node, with its position, empty when the text parses.
pub fn errors(text: &str) -> Vec<String> {
    let tree = parse(text);
    let mut out = Vec::new();
    walk(tree.root_node(), &mut |n| {
        if n.is_error() || n.is_missing() {
            let p = n.start_position();
            out.push(format!(
                "{} at {}:{}: {:?}",
                n.kind(),
                p.row + 1,
                p.column + 1,
                &text[n.byte_range()]
            ));
        }
    });
    out
}

/// The values of every single-quoted string literal in the text.
pub fn verbatim_strings(text: &str) -> Vec<String> {
    let tree = parse(text);
    let mut out = Vec::new();
    walk(tree.root_node(), &mut |n| {
        if n.kind() == "verbatim_string_characters" {
            let raw = &text[n.byte_range()];
            let inner = raw
                .strip_prefix('\'')
                .and_then(|r| r.strip_suffix('\''))
                .unwrap_or(raw);
            out.push(inner.replace("''", "'"));
        }
    });
    out
}

fn walk<'t>(node: Node<'t>, f: &mut dyn FnMut(Node<'t>)) {
    f(node);
    let mut cursor = node.walk();
    for child in node.children(&mut cursor) {
        walk(child, f);
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SqlToken {
    Word(String),
    Ident(String),
    Str(String),
    Punct(char),
}

/// Tokenize T-SQL: words, `[identifiers]` (`]]` escapes), `N'strings'` (`''` escapes),
/// punctuation; comments skipped. An unterminated string or identifier is an error.
pub fn sql_tokens(text: &str) -> Result<Vec<SqlToken>, String> {
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    let mut out = Vec::new();
    let delimited = |i: &mut usize, close: char| -> Result<String, String> {
        let mut s = String::new();
        loop {
            match chars.get(*i) {
                None => return Err(format!("unterminated literal in {text:?}")),
                Some(&c) if c == close => {
                    if chars.get(*i + 1) == Some(&close) {
                        s.push(close);
                        *i += 2;
                    } else {
                        *i += 1;
                        return Ok(s);
                    }
                }
                Some(&c) => {
                    s.push(c);
                    *i += 1;
                }
            }
        }
    };
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
        } else if c == '-' && chars.get(i + 1) == Some(&'-') {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && chars.get(i + 1) == Some(&'*') {
            let rest: String = chars[i..].iter().collect();
            let end = rest.find("*/").ok_or("unterminated comment")?;
            i += rest[..end + 2].chars().count();
        } else if (c == 'N' || c == 'n') && chars.get(i + 1) == Some(&'\'') {
            i += 2;
            out.push(SqlToken::Str(delimited(&mut i, '\'')?));
        } else if c == '\'' {
            i += 1;
            out.push(SqlToken::Str(delimited(&mut i, '\'')?));
        } else if c == '[' {
            i += 1;
            out.push(SqlToken::Ident(delimited(&mut i, ']')?));
        } else if c.is_alphanumeric() || c == '_' || c == '@' {
            let start = i;
            while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_' || chars[i] == '@') {
                i += 1;
            }
            out.push(SqlToken::Word(
                chars[start..i].iter().collect::<String>().to_uppercase(),
            ));
        } else {
            out.push(SqlToken::Punct(c));
            i += 1;
        }
    }
    Ok(out)
}

#[test]
fn the_grammar_reports_errors() {
    assert!(errors("Get-CsUser -Identity 'a'").is_empty());
    assert!(!errors("Get-CsUser -Identity 'a").is_empty());
    assert_eq!(verbatim_strings("Test-Path 'C:\\O''Brien'"), ["C:\\O'Brien"]);
}

#[test]
fn the_sql_lexer_reports_unterminated_literals() {
    assert!(sql_tokens("SELECT N'abc").is_err());
    assert_eq!(
        sql_tokens("RESTORE DATABASE [r]]tc] FROM DISK = N'C:\\O''B' -- x").unwrap(),
        [
            SqlToken::Word("RESTORE".into()),
            SqlToken::Word("DATABASE".into()),
            SqlToken::Ident("r]tc".into()),
            SqlToken::Word("FROM".into()),
            SqlToken::Word("DISK".into()),
            SqlToken::Punct('='),
            SqlToken::Str("C:\\O'B".into()),
        ]
    );
}
