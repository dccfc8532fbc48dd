//! Token tree -> statements: the control-flow subset (`try/catch/finally`, `if/elseif/else`,
//! loops, `function`, `throw`, `exit`, `return`) and pipelines. Everything else is a pipeline
//! whose commands the interpreter finds by position.

use crate::lexer::{Group, Node, ParseError, Tok};

pub enum Stmt<'a> {
    Try {
        body: &'a [Node],
        catch: Option<&'a [Node]>,
        finally: Option<&'a [Node]>,
    },
    If {
        arms: Vec<(&'a [Node], &'a [Node])>,
        otherwise: Option<&'a [Node]>,
    },
    /// `foreach (...) { }`, `while (...) { }`, `for (...) { }`, `switch (...) { }`: the stand-in
    /// runs the head's commands and the body once.
    Loop {
        head: &'a [Node],
        body: &'a [Node],
    },
    Function {
        name: String,
        body: &'a [Node],
    },
    Throw(&'a [Node]),
    Exit(&'a [Node]),
    Return,
    Break,
    Pipeline(&'a [Node]),
}

fn block(n: Option<&Node>) -> Option<&[Node]> {
    match n {
        Some(Node::Group(Group::Block, inner, _)) => Some(inner),
        _ => None,
    }
}
fn paren(n: Option<&Node>) -> Option<&[Node]> {
    match n {
        Some(Node::Group(Group::Paren, inner, _)) => Some(inner),
        _ => None,
    }
}
fn is_end(n: &Node) -> bool {
    n.is_tok(|t| matches!(t, Tok::Newline | Tok::Semi))
}
fn is_newline(n: &Node) -> bool {
    n.is_tok(|t| matches!(t, Tok::Newline))
}

pub fn parse(nodes: &[Node]) -> Result<Vec<Stmt<'_>>, ParseError> {
    let mut out = Vec::new();
    let mut i = 0;
    // The index of the next node that is not a newline, from j.
    let skip_nl = |mut j: usize| {
        while nodes.get(j).is_some_and(is_newline) {
            j += 1;
        }
        j
    };
    while i < nodes.len() {
        let n = &nodes[i];
        if is_end(n) {
            i += 1;
            continue;
        }
        let pos = n.pos();
        let err = |m: &str| ParseError {
            message: m.to_owned(),
            pos,
        };
        let kw = n.word().map(str::to_ascii_lowercase).unwrap_or_default();
        match kw.as_str() {
            "try" => {
                let j = skip_nl(i + 1);
                let body = block(nodes.get(j))
                    .ok_or_else(|| err("The Try statement is missing its statement block."))?;
                i = j + 1;
                let (mut catch, mut finally) = (None, None);
                loop {
                    let j = skip_nl(i);
                    match nodes.get(j) {
                        Some(c) if c.is("catch") => {
                            let mut k = skip_nl(j + 1);
                            // `catch [Type] { }`: the type list is accepted and ignored.
                            while matches!(nodes.get(k), Some(Node::Group(Group::Index, _, _)))
                                || nodes
                                    .get(k)
                                    .is_some_and(|n| n.is_tok(|t| matches!(t, Tok::Comma)))
                            {
                                k = skip_nl(k + 1);
                            }
                            let b = block(nodes.get(k))
                                .ok_or_else(|| err("Missing statement block after catch."))?;
                            if catch.is_none() {
                                catch = Some(b);
                            }
                            i = k + 1;
                        }
                        Some(f) if f.is("finally") => {
                            let k = skip_nl(j + 1);
                            finally = Some(
                                block(nodes.get(k))
                                    .ok_or_else(|| err("Missing statement block after finally."))?,
                            );
                            i = k + 1;
                            break;
                        }
                        _ => break,
                    }
                }
                if catch.is_none() && finally.is_none() {
                    return Err(err("The Try statement is missing its Catch or Finally block."));
                }
                out.push(Stmt::Try { body, catch, finally });
            }
            "if" => {
                let mut arms = Vec::new();
                let mut otherwise = None;
                let mut j = skip_nl(i + 1);
                let cond =
                    paren(nodes.get(j)).ok_or_else(|| err("Missing '(' after 'if' in if statement."))?;
                j = skip_nl(j + 1);
                let body = block(nodes.get(j))
                    .ok_or_else(|| err("Missing statement block after if ( condition )."))?;
                arms.push((cond, body));
                i = j + 1;
                loop {
                    let j = skip_nl(i);
                    match nodes.get(j) {
                        Some(e) if e.is("elseif") => {
                            let k = skip_nl(j + 1);
                            let cond = paren(nodes.get(k))
                                .ok_or_else(|| err("Missing '(' after 'elseif' in if statement."))?;
                            let k = skip_nl(k + 1);
                            let body = block(nodes.get(k))
                                .ok_or_else(|| err("Missing statement block after elseif ( condition )."))?;
                            arms.push((cond, body));
                            i = k + 1;
                        }
                        Some(e) if e.is("else") => {
                            let k = skip_nl(j + 1);
                            otherwise = Some(
                                block(nodes.get(k))
                                    .ok_or_else(|| err("Missing statement block after 'else'."))?,
                            );
                            i = k + 1;
                            break;
                        }
                        _ => break,
                    }
                }
                out.push(Stmt::If { arms, otherwise });
            }
            "foreach" | "while" | "for" | "switch" if paren(nodes.get(skip_nl(i + 1))).is_some() => {
                let j = skip_nl(i + 1);
                let head = paren(nodes.get(j)).unwrap_or_default();
                let k = skip_nl(j + 1);
                let body = block(nodes.get(k)).ok_or_else(|| err("Missing statement body in loop."))?;
                out.push(Stmt::Loop { head, body });
                i = k + 1;
            }
            "do" if block(nodes.get(skip_nl(i + 1))).is_some() => {
                let j = skip_nl(i + 1);
                let body = block(nodes.get(j)).unwrap_or_default();
                let mut k = skip_nl(j + 1);
                let mut head: &[Node] = &[];
                if nodes.get(k).is_some_and(|n| n.is("while") || n.is("until")) {
                    head =
                        paren(nodes.get(skip_nl(k + 1))).ok_or_else(|| err("Missing '(' after 'while'."))?;
                    k = skip_nl(k + 1) + 1;
                }
                out.push(Stmt::Loop { head, body });
                i = k;
            }
            "function" | "filter" => {
                let name = nodes
                    .get(i + 1)
                    .and_then(Node::word)
                    .unwrap_or_default()
                    .to_owned();
                let mut j = skip_nl(i + 2);
                if paren(nodes.get(j)).is_some() {
                    j = skip_nl(j + 1);
                }
                let body = block(nodes.get(j))
                    .ok_or_else(|| err("Missing function body in function declaration."))?;
                out.push(Stmt::Function { name, body });
                i = j + 1;
            }
            "throw" | "exit" | "return" | "break" | "continue" => {
                let mut j = i + 1;
                while nodes.get(j).is_some_and(|n| !is_end(n)) {
                    j += 1;
                }
                let rest = &nodes[i + 1..j];
                out.push(match kw.as_str() {
                    "throw" => Stmt::Throw(rest),
                    "exit" => Stmt::Exit(rest),
                    "return" => Stmt::Return,
                    _ => Stmt::Break,
                });
                i = j;
            }
            _ => {
                // A pipeline goes on over a line break after `|`, `,` or `=`.
                let mut j = i;
                while let Some(n) = nodes.get(j) {
                    if n.is_tok(|t| matches!(t, Tok::Semi)) {
                        break;
                    }
                    if is_newline(n) {
                        let continued = j > i
                            && nodes[j - 1].is_tok(|t| matches!(t, Tok::Pipe | Tok::Comma | Tok::Assign(_)));
                        if !continued {
                            break;
                        }
                    }
                    j += 1;
                }
                out.push(Stmt::Pipeline(&nodes[i..j]));
                i = j;
            }
        }
    }
    Ok(out)
}

/// Parse every block of the script (PowerShell parses it all before running any of it).
pub fn check(nodes: &[Node]) -> Result<(), ParseError> {
    parse(nodes)?;
    for n in nodes {
        check_node(n)?;
    }
    Ok(())
}

fn check_node(n: &Node) -> Result<(), ParseError> {
    match n {
        Node::Group(Group::Index, inner, _) => inner.iter().try_for_each(check_node),
        Node::Group(_, inner, _) => check(inner),
        Node::Tok(Tok::Str(_, subs), _) => subs.iter().try_for_each(|s| check(s)),
        Node::Tok(..) => Ok(()),
    }
}
