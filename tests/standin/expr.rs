//! Expressions whose every part the stand-in knows, computed as Windows PowerShell 2.0 would:
//! strings and their `$var`/`$( )` expansion, `+`, `-f`, the comparison operators (`-eq`,
//! `-match`, `-contains`, `-join`, ...), `-and`/`-or`/`-not`, members, `.Replace()`,
//! `[regex]::Escape()`, and pipelines of a recorded cmdlet answer through `Where-Object` and
//! `ForEach-Object`. Operators bind as about_Operator_Precedence says (lowest first): `-and -or`,
//! comparisons, `+`, `-f`, `-not`, `,`, members. `None` wherever one part is unknown: the caller
//! then keeps the rough model (`value.rs`), as before.

use std::collections::HashMap;

use crate::lexer::{Group, Node, Pos, Tok};
use crate::object::{self, Data};
use crate::parser::{self, Stmt};

pub struct Scope<'a> {
    /// Variables whose value is known.
    pub vars: &'a HashMap<String, Data>,
    /// What each cmdlet call (by its position) answered, where the stand-in knows it.
    pub answers: &'a HashMap<Pos, Vec<Data>>,
    /// `$_` inside a `Where-Object`/`ForEach-Object` block.
    pub it: Option<&'a Data>,
}

const COMPARISONS: [&str; 14] = [
    "eq",
    "ne",
    "gt",
    "ge",
    "lt",
    "le",
    "match",
    "notmatch",
    "contains",
    "notcontains",
    "like",
    "notlike",
    "join",
    "replace",
];

fn is_op(n: &Node, ops: &[&str]) -> bool {
    matches!(n, Node::Tok(Tok::Param(p, false), _) if ops.iter().any(|o| p.eq_ignore_ascii_case(o)))
}

fn op_name(n: &Node) -> String {
    match n {
        Node::Tok(Tok::Param(p, _), _) => p.to_ascii_lowercase(),
        _ => String::new(),
    }
}

fn plain(nodes: &[Node]) -> Vec<&Node> {
    nodes
        .iter()
        .filter(|n| !n.is_tok(|t| matches!(t, Tok::Newline)))
        .collect()
}

/// A command name at the head of a pipeline element (not a number, operator or value).
fn is_command(n: &Node) -> bool {
    n.word()
        .and_then(|w| w.chars().next())
        .is_some_and(|c| c.is_alphabetic() || c == '%' || c == '?')
}

impl<'a> Scope<'a> {
    fn with<'b>(&'b self, it: &'b Data) -> Scope<'b> {
        Scope {
            vars: self.vars,
            answers: self.answers,
            it: Some(it),
        }
    }

    /// The value of `$x = RHS`: a pipeline's output, or an expression.
    pub fn assigned(&self, rhs: &[Node]) -> Option<Data> {
        let nodes = plain(rhs);
        if self.is_pipeline(&nodes) {
            return self.pipeline(&nodes).map(Data::from_output);
        }
        self.expr(&nodes)
    }

    fn is_pipeline(&self, nodes: &[&Node]) -> bool {
        nodes.first().is_some_and(|n| is_command(n))
            || nodes.iter().any(|n| n.is_tok(|t| matches!(t, Tok::Pipe)))
    }

    /// The objects a pipeline writes.
    pub fn pipeline(&self, nodes: &[&Node]) -> Option<Vec<Data>> {
        let mut parts = nodes.split(|n| n.is_tok(|t| matches!(t, Tok::Pipe)));
        let head = parts.next()?;
        let mut items = match head.first() {
            Some(n) if n.is("Join-Path") => vec![self.join_path(&head[1..])?],
            Some(n) if is_command(n) => self.answers.get(&n.pos())?.clone(),
            _ => self.expr(head)?.items(),
        };
        for part in parts {
            items = self.filter(part, items)?;
        }
        Some(items)
    }

    /// `Join-Path [-Path] A [-ChildPath] B` of two values known exactly: A and B joined by one
    /// `\` (Join-Path's help: it combines a path and a child path, with the provider's
    /// separator; the FileSystem provider's is `\`). Each argument is one value here.
    fn join_path(&self, args: &[&Node]) -> Option<Data> {
        let mut parts = Vec::new();
        let mut i = 0;
        while let Some(n) = args.get(i) {
            if let Node::Tok(Tok::Param(p, _), _) = n {
                if !(p.eq_ignore_ascii_case("Path") || p.eq_ignore_ascii_case("ChildPath")) {
                    return None;
                }
                i += 1;
                continue;
            }
            parts.push(self.expr(&[*n])?.text());
            i += 1;
        }
        let [path, child] = parts.as_slice() else {
            return None;
        };
        let joined = format!(
            "{}\\{}",
            path.trim_end_matches('\\'),
            child.trim_start_matches('\\')
        );
        Some(Data::str(joined))
    }

    /// `Where-Object { }` keeps the objects its block finds true; `ForEach-Object { }` writes
    /// what its block gives for each (an array's elements one by one).
    fn filter(&self, part: &[&Node], items: Vec<Data>) -> Option<Vec<Data>> {
        let [name, Node::Group(Group::Block, body, _)] = part else {
            return None;
        };
        let name = name.word()?.to_ascii_lowercase();
        let mut out = Vec::new();
        for item in &items {
            let v = self.with(item).block(body)?;
            match name.as_str() {
                "where-object" | "where" | "?" => {
                    if v.truth() {
                        out.push(item.clone());
                    }
                }
                // Whether a block's `$null` reaches the pipeline is not modelled.
                "foreach-object" | "foreach" | "%" if v != Data::Null => out.extend(v.items()),
                _ => return None,
            }
        }
        Some(out)
    }

    /// A script block of one expression.
    fn block(&self, body: &[Node]) -> Option<Data> {
        match parser::parse(body).ok()?.as_slice() {
            [Stmt::Pipeline(p)] => self.expr(&plain(p)),
            _ => None,
        }
    }

    pub fn expr(&self, nodes: &[&Node]) -> Option<Data> {
        if nodes.is_empty() || self.is_pipeline(nodes) {
            return None;
        }
        self.logical(nodes)
    }

    /// A left-associative chain `A op B op C` of the operators `is`, each part computed by
    /// `part`, folded by `join`. A loop, not recursion: a long chain cannot exhaust the stack.
    fn chain(
        &self,
        nodes: &[&Node],
        is: impl Fn(&Node) -> bool,
        part: fn(&Self, &[&Node]) -> Option<Data>,
        join: impl Fn(Data, &Node, Data) -> Option<Data>,
    ) -> Option<Data> {
        let mut start = 0;
        let mut done: Option<(Data, &Node)> = None;
        // An operator at the head of a part is no binary one (`-not`, a sign).
        for (i, n) in nodes.iter().enumerate() {
            if i > start && is(n) {
                let v = part(self, &nodes[start..i])?;
                let v = match done {
                    Some((acc, op)) => join(acc, op, v)?,
                    None => v,
                };
                done = Some((v, n));
                start = i + 1;
            }
        }
        let v = part(self, &nodes[start..])?;
        match done {
            Some((acc, op)) => join(acc, op, v),
            None => Some(v),
        }
    }

    fn logical(&self, nodes: &[&Node]) -> Option<Data> {
        let is = |n: &Node| is_op(n, &["and", "or"]);
        self.chain(nodes, is, Self::comparison, |l, op, r| {
            let (l, r) = (l.truth(), r.truth());
            Some(Data::Bool(if op_name(op) == "and" { l && r } else { l || r }))
        })
    }

    fn comparison(&self, nodes: &[&Node]) -> Option<Data> {
        let is = |n: &Node| is_op(n, &COMPARISONS);
        self.chain(nodes, is, Self::additive, |l, op, r| compare(l, &op_name(op), r))
    }

    fn additive(&self, nodes: &[&Node]) -> Option<Data> {
        let is = |n: &Node| n.word() == Some("+");
        self.chain(nodes, is, Self::format, |l, _, r| {
            Some(match (l, r) {
                (Data::Int(a), Data::Int(b)) => Data::Int(a.checked_add(b)?),
                (Data::List(mut a), r) => {
                    a.extend(r.items());
                    Data::list(a)
                }
                (Data::Null, r) => r,
                (l, r) => Data::str(l.text() + &r.text()),
            })
        })
    }

    /// `'{0} of {1}' -f A, B`: plain `{n}` only (a format specification is not modelled).
    fn format(&self, nodes: &[&Node]) -> Option<Data> {
        self.chain(
            nodes,
            |n| is_op(n, &["f"]),
            Self::unary,
            |l, _, r| {
                let mut text = l.text();
                for (i, a) in r.items().iter().enumerate() {
                    text = object::replace(&text, &format!("{{{i}}}"), &a.text())?;
                }
                (!text.contains('{')).then(|| Data::str(text))
            },
        )
    }

    fn unary(&self, nodes: &[&Node]) -> Option<Data> {
        let not = |n: &&&Node| is_op(n, &["not"]) || n.word() == Some("!");
        let k = nodes.iter().take_while(not).count();
        let v = self.comma(&nodes[k..])?;
        Some(if k == 0 {
            v
        } else {
            Data::Bool(v.truth() == (k % 2 == 0))
        })
    }

    fn comma(&self, nodes: &[&Node]) -> Option<Data> {
        let parts: Vec<&[&Node]> = nodes.split(|n| n.is_tok(|t| matches!(t, Tok::Comma))).collect();
        if parts.len() == 1 {
            return self.postfix(nodes);
        }
        let items: Option<Vec<Data>> = parts.into_iter().map(|p| self.postfix(p)).collect();
        items.map(Data::list)
    }

    /// A value followed by members, method calls and indexes.
    fn postfix(&self, nodes: &[&Node]) -> Option<Data> {
        let (mut value, mut i) = self.primary(nodes)?;
        while let Some(n) = nodes.get(i) {
            let member = match n {
                Node::Tok(Tok::Member(m), _) => Some(m.as_str()),
                Node::Tok(Tok::Word(w), _) => w.strip_prefix('.'),
                _ => None,
            };
            if let (Some(m), Some(Node::Group(Group::Paren, args, _))) = (member, nodes.get(i + 1)) {
                value = method(value, m, self.args(args)?)?;
                i += 2;
            } else if let Some(m) = member {
                value = value.member(m);
                i += 1;
            } else if let Node::Group(Group::Index, inner, _) = n {
                value = value.index(self.expr(&plain(inner))?.text().trim().parse().ok()?)?;
                i += 1;
            } else {
                return None;
            }
        }
        Some(value)
    }

    fn args(&self, nodes: &[Node]) -> Option<Vec<Data>> {
        let nodes = plain(nodes);
        if nodes.is_empty() {
            return Some(Vec::new());
        }
        nodes
            .split(|n| n.is_tok(|t| matches!(t, Tok::Comma)))
            .map(|p| self.expr(p))
            .collect()
    }

    /// The value at the start of `nodes`, and how many nodes it took.
    fn primary(&self, nodes: &[&Node]) -> Option<(Data, usize)> {
        match nodes {
            [
                Node::Group(Group::Index, ty, _),
                Node::Tok(Tok::Static, _),
                m,
                Node::Group(Group::Paren, args, _),
                ..,
            ] => Some((self.static_call(ty, m.word()?, args)?, 4)),
            [Node::Tok(Tok::Str(s, subs), _), ..] => Some((self.string(s, subs)?, 1)),
            [Node::Tok(Tok::Word(w), _), ..] => Some((Data::Int(w.parse().ok()?), 1)),
            [Node::Tok(Tok::Var(v), _), ..] => Some((self.var(v)?, 1)),
            [Node::Group(Group::Paren | Group::Sub, inner, _), ..] => Some((self.assigned(inner)?, 1)),
            [Node::Group(Group::Array, inner, _), ..] => Some((self.array(inner)?, 1)),
            _ => None,
        }
    }

    /// `@( )`: always an array; `@($null)` holds one `$null`, `@(nothing)` none (about_Arrays).
    fn array(&self, inner: &[Node]) -> Option<Data> {
        let nodes = plain(inner);
        if nodes.is_empty() {
            return Some(Data::List(Vec::new()));
        }
        if self.is_pipeline(&nodes) {
            return self.pipeline(&nodes).map(Data::list);
        }
        Some(Data::list(self.expr(&nodes)?.items()))
    }

    fn var(&self, name: &str) -> Option<Data> {
        let name = name.rsplit(':').next().unwrap_or(name).to_ascii_lowercase();
        match name.as_str() {
            "_" => self.it.cloned(),
            "null" => Some(Data::Null),
            "true" => Some(Data::Bool(true)),
            "false" => Some(Data::Bool(false)),
            n => self.vars.get(n).cloned(),
        }
    }

    /// A string literal's value. The lexer keeps a double-quoted string's `$( )` apart from
    /// its text, so only a string that is one `$( )`, or text with plain `$name`s, is computed.
    fn string(&self, s: &str, subs: &[Vec<Node>]) -> Option<Data> {
        match subs {
            [] => self.expand(s).map(Data::str),
            [one] if s.is_empty() => Some(Data::str(self.assigned(one)?.text())),
            _ => None,
        }
    }

    /// `$name` inside a string (a single-quoted one has none in the runbooks' scripts: the
    /// lexer does not say which quote a string had).
    fn expand(&self, s: &str) -> Option<String> {
        let mut out = String::new();
        let mut chars = s.chars().peekable();
        while let Some(c) = chars.next() {
            if c != '$' || !chars.peek().is_some_and(|n| n.is_alphabetic() || *n == '_') {
                out.push(c);
                continue;
            }
            let mut name = String::new();
            while let Some(n) = chars
                .peek()
                .copied()
                .filter(|n| n.is_alphanumeric() || *n == '_' || *n == ':')
            {
                name.push(n);
                chars.next();
            }
            out.push_str(&self.var(&name)?.text());
        }
        Some(out)
    }

    fn static_call(&self, ty: &[Node], name: &str, args: &[Node]) -> Option<Data> {
        let ty = plain(ty).first()?.word()?.to_ascii_lowercase();
        let regex = ty == "regex" || ty == "system.text.regularexpressions.regex";
        let directory = ty == "system.io.directory" || ty == "io.directory";
        match (
            regex,
            name.to_ascii_lowercase().as_str(),
            self.args(args)?.as_slice(),
        ) {
            (true, "escape", [s]) => Some(Data::str(object::escape(&s.text()))),
            // Directory.CreateDirectory(path): makes every missing folder of the path; an
            // existing one is fine (.NET reference). The folder is real: later steps write in it.
            (false, "createdirectory", [p]) if directory => {
                std::fs::create_dir_all(crate::host_path(&p.text())?).ok()?;
                Some(Data::str(p.text()))
            }
            _ => None,
        }
    }
}

/// The string methods the runbooks call; `.ToString()` of anything.
fn method(value: Data, name: &str, args: Vec<Data>) -> Option<Data> {
    let name = name.to_ascii_lowercase();
    match (&value, name.as_str(), args.as_slice()) {
        // String.Replace(String, String): ordinal, case-sensitive (.NET reference).
        (Data::Str(s), "replace", [a, b]) => object::replace(s, &a.text(), &b.text()).map(Data::str),
        (Data::Str(s), "tolower", []) => Some(Data::str(s.to_lowercase())),
        (Data::Str(s), "toupper", []) => Some(Data::str(s.to_uppercase())),
        (Data::Str(s), "trim", []) => Some(Data::str(s.trim())),
        (_, "tostring", []) => Some(Data::str(value.text())),
        _ => None,
    }
}

/// `LEFT -op RIGHT` (about_Comparison_Operators): with an array on the left, `-eq`, `-match`,
/// `-like` and their negations return the elements that satisfy them.
fn compare(left: Data, op: &str, right: Data) -> Option<Data> {
    match op {
        "contains" | "notcontains" => {
            let found = left.items().iter().any(|l| l.equals(&right));
            Some(Data::Bool(found == (op == "contains")))
        }
        "join" => Some(Data::str(object::join(&left.items(), &right.text()))),
        "replace" => {
            let [pattern, with] = right.items().try_into().ok()?;
            object::regex_replace(&left.text(), &pattern.text(), &with.text()).map(Data::str)
        }
        _ => match left {
            Data::List(items) => {
                let mut kept = Vec::new();
                for l in items {
                    if scalar(&l, op, &right)? {
                        kept.push(l);
                    }
                }
                Some(Data::list(kept))
            }
            l => scalar(&l, op, &right).map(Data::Bool),
        },
    }
}

fn scalar(left: &Data, op: &str, right: &Data) -> Option<bool> {
    let ordered = |l: &Data, r: &Data| match (l, r) {
        (Data::Int(a), r) => r.text().trim().parse::<i64>().ok().map(|b| a.cmp(&b)),
        _ => None,
    };
    let text = left.text();
    match op {
        "eq" => Some(left.equals(right)),
        "ne" => Some(!left.equals(right)),
        "match" => object::matches(&right.text(), &text),
        "notmatch" => object::matches(&right.text(), &text).map(|m| !m),
        // `*` only: `?` and `[a-z]` are not modelled.
        "like" | "notlike" if right.text().contains(['?', '[']) => None,
        "like" => Some(crate::control::glob(&right.text(), &text)),
        "notlike" => Some(!crate::control::glob(&right.text(), &text)),
        "gt" => ordered(left, right).map(|o| o.is_gt()),
        "ge" => ordered(left, right).map(|o| o.is_ge()),
        "lt" => ordered(left, right).map(|o| o.is_lt()),
        "le" => ordered(left, right).map(|o| o.is_le()),
        _ => None,
    }
}
