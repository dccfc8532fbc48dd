//! The `powershell.exe -File` personality: runs a script's statements in order and applies
//! Windows PowerShell 2.0's rules for commands, errors, prompts and output. A Lync `Get-` cmdlet
//! answers with two objects (two people), or none under `LYNCSHELL_EMPTY`; what the stand-in knows
//! of counts and numbers (`value.rs`) decides conditions like `$x.Count -eq 0`; where a test
//! describes the objects (`lync_rules::answer`), `expr.rs` computes the strings, filters and
//! comparisons on them exactly. Conditions it cannot decide take the happy (else) path.

use std::collections::HashMap;
use std::io::{BufRead, Read};
use std::path::Path;

use crate::console::{Console, Stream};
use crate::control::Control;
use crate::expr::Scope;
use crate::lexer::{Group, Node, Pos, Tok};
use crate::object::Data;
use crate::parser::{self, Stmt};
use crate::value::{self, Num, Value};

/// The people every cmdlet acts on, with the letters the OEM code page must carry.
const PEOPLE: [&str; 2] = ["Jürgen Müller", "André Öberg"];

const NOT_RECOGNIZED: &str = "is not recognized as the name of a cmdlet, function, script file, or operable program. \
Check the spelling of the name, or if a path was included, verify that the path is correct and try again.";

// Facts file, "Running steps for real": under -NonInteractive any prompt fails with this text
// (PowerShell/PowerShell#3337).
const NON_INTERACTIVE: &str =
    "PowerShell is in NonInteractive mode. Read and Prompt functionality is not available.";

// Facts file, "Cmdlets": these exist only from Lync Server 2013; the 2010 module has no such
// command, so they are "not recognized" even after `Import-Module Lync`.
const LYNC_2013_ONLY: [&str; 11] = [
    "backup-cspool",
    "get-cspoolbackuprelationship",
    "invoke-csbackupservicesync",
    "invoke-cspoolfailback",
    "invoke-cspoolfailover",
    "invoke-csmanagementserverfailover",
    "get-csbackupservicestatus",
    "export-csuserdata",
    "import-csuserdata",
    "convert-csuserdata",
    "test-csdatabase",
];

/// Functions that Resource Kit / blog scripts define when imported (facts file: in Lync 2010
/// these are script functions, not cmdlets, and exist only after the script is loaded), with a
/// Lync cmdlet each calls internally (illustrative: the scripts' inner calls are not quoted in
/// the facts file; any Lync cmdlet makes the point that the module must be loaded).
const SCRIPTS: [(&str, &[&str], &str); 2] = [
    (
        "get-csapplicationcontact.ps1",
        &["Get-CsApplicationContact"],
        "Get-CsPool",
    ),
    (
        "rgsimportexport.ps1",
        &["Import-CsRgsConfiguration", "Export-CsRgsConfiguration"],
        "Get-CsService",
    ),
];

/// A PowerShell error record, displayed the way 2.0 displays one.
#[derive(Clone)]
pub struct PsError {
    command: Option<String>,
    message: String,
    category: &'static str,
    pos: Pos,
}

pub enum Flow {
    Throw(PsError),
    Exit(i32),
    Return,
    Break,
}

type Run<T = ()> = Result<T, Flow>;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Action {
    Continue,
    Stop,
    Silent,
}

#[derive(Clone, Copy)]
enum Function<'a> {
    /// Defined by an imported script; calls the named Lync cmdlet inside.
    Script(&'static str),
    User(&'a [Node]),
}

enum Resolved<'a> {
    Lync,
    Function(Function<'a>),
    Native(String),
    Builtin,
    NotFound,
}

pub struct Shell<'a> {
    ctl: &'a Control,
    console: Console,
    script: String,
    interactive: bool,
    /// `$ErrorActionPreference = 'Stop'` ran.
    stop: bool,
    /// `Import-Module Lync` ran.
    lync: bool,
    functions: HashMap<String, Function<'a>>,
    last_exit: Option<i32>,
    vars: HashMap<String, String>,
    /// What is known of each variable's value (counts, numbers, `$null`).
    values: HashMap<String, Value>,
    /// Variables whose value the stand-in knows exactly (`expr.rs`).
    data: HashMap<String, Data>,
    /// The objects each cmdlet call (by its position) answered with, where a rule gives them.
    answers: HashMap<Pos, Vec<Data>>,
    /// Above 0 inside a branch taken because a condition could not be decided: what is
    /// assigned there is unknown (the real script may have taken the other branch).
    guessing: usize,
    /// Above 0 inside a loop body run once for a collection of unknown or several objects: a
    /// counter raised there is only known to be at least that high.
    repeating: usize,
    /// `$_` inside `catch`.
    caught: Vec<PsError>,
    depth: usize,
    /// Above 0 while running the commands inside an argument or expression, whose values are
    /// not written to the output.
    quiet: usize,
}

fn lower(s: &str) -> String {
    s.to_ascii_lowercase()
}

/// `Verb-CsNoun`: the naming of the Lync Server cmdlets.
pub fn is_cs_name(name: &str) -> bool {
    let Some((verb, noun)) = name.split_once('-') else {
        return false;
    };
    let (Some(cs), Some(rest)) = (noun.get(..2), noun.get(2..)) else {
        return false;
    };
    !verb.is_empty()
        && verb.chars().all(|c| c.is_ascii_alphabetic())
        && cs.eq_ignore_ascii_case("cs")
        && !rest.is_empty()
        && rest.chars().all(|c| c.is_ascii_alphanumeric())
}

fn file_name(path: &str) -> &str {
    path.rsplit(['\\', '/']).next().unwrap_or(path)
}

fn is_native(name: &str) -> bool {
    let f = lower(file_name(name));
    [".exe", ".com", ".bat", ".cmd"].iter().any(|e| f.ends_with(e)) || f == "sqlcmd"
}

impl PsError {
    fn new(command: Option<&str>, message: impl Into<String>, category: &'static str, pos: Pos) -> Self {
        Self {
            command: command.map(str::to_owned),
            message: message.into(),
            category,
            pos,
        }
    }

    /// What PowerShell 2.0 prints for an error record (also what `$_ | Out-String` gives).
    pub fn display(&self, script: &str) -> String {
        let head = match &self.command {
            Some(c) => format!("{c} : {}", self.message),
            None => self.message.clone(),
        };
        format!(
            "{head}\r\nAt {script}:{} char:{}\r\n    + CategoryInfo          : {}\r\n    + FullyQualifiedErrorId : {}",
            self.pos.line,
            self.pos.col,
            self.category,
            self.category.rsplit(' ').next().unwrap_or_default()
        )
    }
}

/// `[Console]::Error.WriteLine(x)` / `[Console]::WriteLine(x)`: the stream and the argument.
fn console_write<'n>(elem: &[&'n Node]) -> Option<(Stream, &'n [Node])> {
    let Node::Group(Group::Index, ty, _) = elem.first()? else {
        return None;
    };
    if !ty.iter().any(|n| n.is("Console") || n.is("System.Console")) {
        return None;
    }
    // `Error.WriteLine` lexes as one word, `.WriteLine` after a bracket as a member.
    let segments = |n: &Node| match n {
        Node::Tok(Tok::Word(w) | Tok::Member(w), _) => w.split('.').map(str::to_ascii_lowercase).collect(),
        _ => Vec::new(),
    };
    let k = elem.iter().position(|n| {
        segments(n)
            .last()
            .is_some_and(|w| w == "writeline" || w == "write")
    })?;
    let Node::Group(Group::Paren, inner, _) = elem.get(k + 1)? else {
        return None;
    };
    let err = elem[..=k]
        .iter()
        .any(|n| segments(n).iter().any(|s| s == "error"));
    Some((if err { Stream::Err } else { Stream::Out }, inner))
}

fn skip_newlines(nodes: &[Node]) -> Vec<&Node> {
    nodes
        .iter()
        .filter(|n| !n.is_tok(|t| matches!(t, Tok::Newline)))
        .collect()
}

/// The text of every string and bare word in `nodes`, nested groups included.
fn words(nodes: &[Node], out: &mut Vec<String>) {
    for n in nodes {
        match n {
            Node::Tok(Tok::Word(w) | Tok::Str(w, _), _) => out.push(w.clone()),
            Node::Group(_, inner, _) => words(inner, out),
            _ => {}
        }
    }
}

/// The value of parameter `-name` (`-name value` or `-name:value`), as a node.
fn param_value<'n>(args: &[&'n Node], names: &[&str]) -> Option<&'n Node> {
    let i = args.iter().position(
        |n| matches!(n, Node::Tok(Tok::Param(p, _), _) if names.iter().any(|x| p.eq_ignore_ascii_case(x))),
    )?;
    args.get(i + 1).copied()
}

fn has_param(args: &[&Node], name: &str) -> bool {
    args.iter()
        .any(|n| matches!(n, Node::Tok(Tok::Param(p, _), _) if p.eq_ignore_ascii_case(name)))
}

/// `-Confirm:$false` on the call.
fn confirm_off(args: &[&Node]) -> bool {
    args.windows(2).any(|w| {
        matches!(w[0], Node::Tok(Tok::Param(p, true), _) if p.eq_ignore_ascii_case("confirm"))
            && matches!(w[1], Node::Tok(Tok::Var(v), _) if v.eq_ignore_ascii_case("false"))
    })
}

impl<'a> Shell<'a> {
    pub fn new(ctl: &'a Control, script: String, interactive: bool) -> Self {
        Self {
            ctl,
            console: Console::new(),
            script,
            interactive,
            stop: false,
            lync: false,
            functions: HashMap::new(),
            last_exit: None,
            vars: HashMap::new(),
            values: HashMap::new(),
            data: HashMap::new(),
            answers: HashMap::new(),
            guessing: 0,
            repeating: 0,
            caught: Vec::new(),
            depth: 0,
            quiet: 0,
        }
    }

    /// Runs the script; the exit code of `powershell.exe -File` (facts file, "Running steps for
    /// real"): 0 when the script ends, even after non-terminating errors; 1 after an unhandled
    /// terminating error; N after `exit N`.
    pub fn run(&mut self, nodes: &'a [Node]) -> i32 {
        let code = match self.block(nodes) {
            Ok(()) | Err(Flow::Return | Flow::Break) => 0,
            Err(Flow::Exit(n)) => n,
            Err(Flow::Throw(e)) => {
                let text = e.display(&self.script);
                self.console.line(Stream::Err, &text);
                1
            }
        };
        // The host stops a running transcript when it exits.
        self.console.stop_transcript();
        code
    }

    fn block(&mut self, nodes: &'a [Node]) -> Run {
        self.depth += 1;
        // PowerShell 2.0 refuses call depths over 100 ("call depth overflow"); this also bounds
        // the stand-in's stack.
        if self.depth > 100 {
            self.depth -= 1;
            let e = PsError::new(
                None,
                "The script failed due to call depth overflow.",
                "InvalidOperation: (0:Int32) [], RuntimeException CallDepthOverflow",
                Pos::default(),
            );
            return Err(Flow::Throw(e));
        }
        let r = self.block_inner(nodes);
        self.depth -= 1;
        r
    }

    fn block_inner(&mut self, nodes: &'a [Node]) -> Run {
        let stmts = match parser::parse(nodes) {
            Ok(s) => s,
            Err(e) => {
                let pe = PsError::new(None, e.message, "ParserError: (:) [], ParseException", e.pos);
                return Err(Flow::Throw(pe));
            }
        };
        for s in stmts {
            self.stmt(s)?;
        }
        Ok(())
    }

    fn stmt(&mut self, s: Stmt<'a>) -> Run {
        match s {
            Stmt::Try { body, catch, finally } => {
                let mut r = self.block(body);
                if let (Err(Flow::Throw(e)), Some(c)) = (&r, catch) {
                    self.caught.push(e.clone());
                    r = self.block(c);
                    self.caught.pop();
                }
                // `finally` runs on every way out, `exit` included.
                if let Some(f) = finally {
                    self.block(f)?;
                }
                r
            }
            Stmt::If { arms, otherwise } => {
                let mut guessed = false;
                for (cond, body) in arms {
                    match self.condition(cond)? {
                        Some(true) => return self.guess(guessed, |s| s.block(body)),
                        Some(false) => {}
                        None => guessed = true,
                    }
                }
                match otherwise {
                    Some(b) => self.guess(guessed, |s| s.block(b)),
                    None => Ok(()),
                }
            }
            Stmt::Loop { head, body } => {
                let times = self.loop_count(head)?;
                if times == Some(0) {
                    // `foreach` over an empty array runs its body zero times.
                    return Ok(());
                }
                let repeating = usize::from(times != Some(1));
                self.repeating += repeating;
                let r = self.block(body);
                self.repeating -= repeating;
                match r {
                    Err(Flow::Break) => Ok(()),
                    r => r,
                }
            }
            Stmt::Function { name, body } => {
                self.functions.insert(lower(&name), Function::User(body));
                Ok(())
            }
            Stmt::Throw(rest) => {
                self.scan(rest)?;
                let mut message = self.text(rest);
                if message.is_empty() {
                    message = "ScriptHalted".into();
                }
                let pos = rest.first().map(Node::pos).unwrap_or_default();
                let category = "OperationStopped: (:) [], RuntimeException";
                Err(Flow::Throw(PsError::new(None, message, category, pos)))
            }
            Stmt::Exit(rest) => {
                self.scan(rest)?;
                Err(Flow::Exit(self.int(rest).unwrap_or(0)))
            }
            Stmt::Return => Err(Flow::Return),
            Stmt::Break => Err(Flow::Break),
            Stmt::Pipeline(nodes) => self.pipeline(nodes, true),
        }
    }

    /// `if (COND)`: `Some(true/false)` when the stand-in can decide it, `None` (take the else
    /// path, after running the commands inside) when it cannot.
    fn condition(&mut self, nodes: &'a [Node]) -> Run<Option<bool>> {
        let mut rest: Vec<&'a Node> = skip_newlines(nodes);
        let mut negate = false;
        loop {
            match rest.as_slice() {
                [Node::Tok(Tok::Param(p, false), _), ..] if p.eq_ignore_ascii_case("not") => {
                    negate = !negate;
                    rest.remove(0);
                }
                [n, ..] if n.word() == Some("!") => {
                    negate = !negate;
                    rest.remove(0);
                }
                [Node::Group(Group::Paren | Group::Sub, inner, _)] => rest = skip_newlines(inner),
                _ => break,
            }
        }
        if rest.first().is_some_and(|n| n.is("Get-Command")) {
            let args: Vec<&Node> = rest[1..].to_vec();
            let found = self.get_command(&args, rest[0].pos())?;
            return Ok(Some(found != negate));
        }
        if rest.first().is_some_and(|n| n.is("Test-Path"))
            && let Some(found) = self.test_path(&rest[1..])
        {
            return Ok(Some(found != negate));
        }
        if let [
            Node::Tok(Tok::Var(v), _),
            Node::Tok(Tok::Param(op, false), _),
            Node::Tok(Tok::Word(n), _),
        ] = rest.as_slice()
            && v.eq_ignore_ascii_case("LASTEXITCODE")
            && let Ok(n) = n.parse::<i64>()
        {
            // `$LASTEXITCODE` is $null until a native program ran, and `$null -ne 0` is true.
            let last = self.last_exit.map(i64::from);
            let r = match lower(op).as_str() {
                "eq" => last == Some(n),
                "ne" => last != Some(n),
                "gt" => last.is_some_and(|l| l > n),
                "lt" => last.is_some_and(|l| l < n),
                "ge" => last.is_some_and(|l| l >= n),
                "le" => last.is_some_and(|l| l <= n),
                _ => return Ok(None),
            };
            return Ok(Some(r != negate));
        }
        let decided = match self.decide(&rest)? {
            Some(d) => d,
            None => {
                self.scan(nodes)?;
                None
            }
        };
        // Its commands ran: what the stand-in knows exactly may decide it.
        let decided = decided.or_else(|| self.scope().expr(&rest).map(|d| d.truth()));
        Ok(decided.map(|r| r != negate))
    }

    fn scope(&self) -> Scope<'_> {
        Scope {
            vars: &self.data,
            answers: &self.answers,
            it: None,
        }
    }

    /// After `$var = RHS`: records its value, known exactly, and what `value.rs` makes of it.
    fn know(&mut self, var: String, d: Data) {
        if self.guessing > 0 || (self.data.len() >= 10_000 && !self.data.contains_key(&var)) {
            return;
        }
        let value = match &d {
            Data::Null => Value::Null,
            Data::Int(n) => Value::Int(Num::exact(*n)),
            Data::List(items) => Value::Array(Num::exact(items.len() as i64)),
            _ => Value::Unknown,
        };
        self.set_value(&var, value);
        self.vars
            .insert(var.clone(), d.text().chars().take(10_000).collect());
        self.data.insert(var, d);
    }

    /// Runs `f` as a branch chosen by a guess when `guessed`.
    fn guess(&mut self, guessed: bool, f: impl FnOnce(&mut Self) -> Run) -> Run {
        let g = usize::from(guessed);
        self.guessing += g;
        let r = f(self);
        self.guessing -= g;
        r
    }

    /// The conditions the stand-in decides from what it knows of values: `$x`, `$x -op K`,
    /// `$x.Count -op K`, `@(PIPELINE).Count -op K`. `None`: not one of these (nothing ran);
    /// `Some(None)`: one of these, its commands ran, and the answer is unknown.
    fn decide(&mut self, rest: &[&'a Node]) -> Run<Option<Option<bool>>> {
        if let [Node::Tok(Tok::Var(v), _)] = rest {
            return Ok(Some(self.value(v).truth()));
        }
        let [
            lhs @ ..,
            Node::Tok(Tok::Param(op, false), _),
            Node::Tok(Tok::Word(k), _),
        ] = rest
        else {
            return Ok(None);
        };
        let Ok(k) = k.parse::<i64>() else {
            return Ok(None);
        };
        if !["eq", "ne", "gt", "ge", "lt", "le"].contains(&lower(op).as_str()) {
            return Ok(None);
        }
        let is_count =
            |n: &Node| matches!(n, Node::Tok(Tok::Member(m), _) if m.eq_ignore_ascii_case("Count"));
        let left = match lhs {
            [Node::Tok(Tok::Var(v), _)] => self.value(v).operand(),
            [Node::Tok(Tok::Var(v), _), c] if is_count(c) => self.value(v).count(),
            [Node::Group(Group::Array, inner, _), c] if is_count(c) => {
                Value::array(self.count_of(inner)?).count()
            }
            _ => return Ok(None),
        };
        Ok(Some(left.and_then(|l| value::compare(l, op, k))))
    }

    fn value(&self, var: &str) -> Value {
        let v = lower(var.rsplit(':').next().unwrap_or(var));
        if v == "null" {
            return Value::Null;
        }
        self.values.get(&v).cloned().unwrap_or(Value::Unknown)
    }

    /// Records what is known of `$var` after an assignment.
    fn set_value(&mut self, var: &str, v: Value) {
        let v = if self.guessing > 0 { Value::Unknown } else { v };
        self.data.remove(var);
        if self.values.len() < 10_000 || self.values.contains_key(var) {
            self.values.insert(var.to_owned(), v);
        }
    }

    /// How many objects the commands in `inner` (the inside of `@( )` or `( )`) write, when
    /// the stand-in knows; runs them either way, their output not written.
    fn count_of(&mut self, inner: &'a [Node]) -> Run<Option<usize>> {
        let single = match parser::parse(inner) {
            Ok(stmts) if stmts.is_empty() => return Ok(Some(0)),
            Ok(stmts) => match stmts.as_slice() {
                [Stmt::Pipeline(p)] if !p.iter().any(|n| n.is_tok(|t| matches!(t, Tok::Assign(_)))) => {
                    Some(*p)
                }
                _ => None,
            },
            Err(_) => None,
        };
        self.quiet += 1;
        let r = match single {
            Some(p) => self.elements(p, false),
            None => self.block(inner).map(|()| None),
        };
        self.quiet -= 1;
        r
    }

    /// How many times a loop runs its body, when the stand-in knows: `foreach ($x in $y)`
    /// and `foreach ($x in @(...))`; runs the head's commands either way.
    fn loop_count(&mut self, head: &'a [Node]) -> Run<Option<usize>> {
        let h = skip_newlines(head);
        if let [Node::Tok(Tok::Var(var), _), inw, coll @ ..] = h.as_slice()
            && inw.is("in")
        {
            // The body runs once, the loop variable unknown.
            self.data.remove(&lower(var));
            match coll {
                [Node::Tok(Tok::Var(v), _)] => {
                    return Ok(match self.value(v) {
                        Value::Array(Num { n, exact: true }) => usize::try_from(n).ok(),
                        // PowerShell 2.0 runs a foreach over $null once, with $null (3.0
                        // changed that: about_Foreach, "What's New in Windows PowerShell 3.0").
                        Value::Null => Some(1),
                        _ => None,
                    });
                }
                [Node::Group(Group::Array, inner, _)] => return self.count_of(inner),
                _ => {}
            }
        }
        self.scan(head)?;
        Ok(None)
    }

    /// Runs the commands nested in `nodes` (groups, script blocks, sub-expressions of strings).
    fn scan(&mut self, nodes: &'a [Node]) -> Run {
        self.quiet += 1;
        let r = self.scan_inner(nodes);
        self.quiet -= 1;
        r
    }

    fn scan_inner(&mut self, nodes: &'a [Node]) -> Run {
        for n in nodes {
            match n {
                Node::Group(Group::Index, inner, _) => {
                    // A type literal or an index: only groups inside it hold commands.
                    for i in inner {
                        if let Node::Group(Group::Paren | Group::Sub | Group::Array, g, _) = i {
                            self.block(g)?;
                        }
                    }
                }
                Node::Group(_, inner, _) => self.block(inner)?,
                Node::Tok(Tok::Str(_, subs), _) => {
                    for s in subs {
                        self.block(s)?;
                    }
                }
                Node::Tok(..) => {}
            }
        }
        Ok(())
    }

    fn pipeline(&mut self, nodes: &'a [Node], top: bool) -> Run {
        if let [Node::Tok(Tok::Var(v), _), Node::Tok(Tok::Word(op), _)] = skip_newlines(nodes).as_slice()
            && (op == "++" || op == "--")
        {
            let step = if op == "++" { 1 } else { -1 };
            let v = lower(v);
            let new = match self.value(&v) {
                Value::Int(Num { n, exact }) => Value::Int(Num {
                    n: n + step,
                    exact: exact && self.repeating == 0,
                }),
                // `$null++` is 1.
                Value::Null => Value::Int(Num {
                    n: step,
                    exact: self.repeating == 0,
                }),
                _ => Value::Unknown,
            };
            self.set_value(&v, new);
            return Ok(());
        }
        let assign = nodes
            .iter()
            .position(|n| n.is_tok(|t| matches!(t, Tok::Assign(_))));
        if let Some(k) = assign {
            let op = match &nodes[k] {
                Node::Tok(Tok::Assign(c), _) => *c,
                _ => '=',
            };
            let (lhs, rhs) = (&nodes[..k], &nodes[k + 1..]);
            let mut lhs_words = Vec::new();
            words(lhs, &mut lhs_words);
            let mut rhs_words = Vec::new();
            words(rhs, &mut rhs_words);
            let lhs_var = lhs.iter().find_map(|n| match n {
                Node::Tok(Tok::Var(v), _) => Some(v.rsplit(':').next().unwrap_or(v).to_ascii_lowercase()),
                _ => None,
            });
            if lhs_var.as_deref() == Some("erroractionpreference") {
                // The preference decides whether an error is terminating (facts file).
                let v = self.text(rhs);
                let v = if v.is_empty() { rhs_words.join(" ") } else { v };
                self.stop = lower(&v).contains("stop");
                return Ok(());
            }
            let rhs_value = self.value_of(rhs)?;
            let console = lhs_words.iter().any(|w| w.eq_ignore_ascii_case("console"))
                && lhs.iter().any(
                    |n| matches!(n, Node::Tok(Tok::Word(w), _) if w.eq_ignore_ascii_case("OutputEncoding")),
                );
            if console {
                // Facts file: setting `[Console]::OutputEncoding` works in 2.0 and decides the
                // encoding of redirected console output.
                self.console.utf8 = rhs_words.iter().any(|w| {
                    let w = lower(w).replace('-', "");
                    w.contains("utf8")
                });
            } else if let Some(v) = lhs_var {
                let plain = lhs
                    .iter()
                    .filter(|n| !n.is_tok(|t| matches!(t, Tok::Newline)))
                    .count()
                    == 1;
                let known = match (op, self.value(&v), &rhs_value) {
                    _ if !plain => Value::Unknown,
                    ('=', _, r) => r.clone(),
                    // `$a += X` adds X's objects to the array (one, for a single value).
                    ('+', Value::Array(a), r) => match self.added(rhs, r) {
                        Some(k) => Value::Array(Num {
                            n: a.n + k,
                            exact: a.exact && self.repeating == 0,
                        }),
                        None => Value::Unknown,
                    },
                    ('+' | '-', Value::Int(a), Value::Int(b)) if b.exact => Value::Int(Num {
                        n: if op == '+' { a.n + b.n } else { a.n - b.n },
                        exact: a.exact && self.repeating == 0,
                    }),
                    _ => Value::Unknown,
                };
                // Read before the assignment: the right side may name the variable itself.
                let text = self.text(rhs);
                let exact = (op == '=' && plain).then(|| self.scope().assigned(rhs)).flatten();
                self.set_value(&v, known);
                if op == '=' && self.vars.len() < 10_000 {
                    self.vars.insert(v.clone(), text.chars().take(10_000).collect());
                }
                if let Some(d) = exact {
                    self.know(v, d);
                }
            }
            return Ok(());
        }
        self.elements(nodes, top).map(|_| ())
    }

    /// What `$a += RHS` adds to an array: the objects of an array, one for a single value.
    fn added(&self, rhs: &[Node], value: &Value) -> Option<i64> {
        match value {
            Value::Array(Num { n, exact: true }) => Some(*n),
            Value::Array(_) | Value::Null => None,
            _ => match skip_newlines(rhs).as_slice() {
                [Node::Tok(Tok::Str(..) | Tok::Word(_), _)] => Some(1),
                _ => None,
            },
        }
    }

    /// Runs the right side of an assignment (once) and says what is known of its value.
    fn value_of(&mut self, rhs: &'a [Node]) -> Run<Value> {
        let elem = skip_newlines(rhs);
        match elem.as_slice() {
            [Node::Group(Group::Array, inner, _)] => return Ok(Value::array(self.count_of(inner)?)),
            [Node::Tok(Tok::Word(w), _)] if w.parse::<i64>().is_ok() => {
                return Ok(Value::Int(Num::exact(w.parse().unwrap_or_default())));
            }
            [Node::Tok(Tok::Var(v), _)] => return Ok(self.value(v)),
            _ => {}
        }
        let parts: Vec<&'a [Node]> = rhs.split(|n| n.is_tok(|t| matches!(t, Tok::Pipe))).collect();
        let commands = parts.len() > 1 || self.command_of(&elem).is_some();
        let count = self.elements(rhs, false)?;
        Ok(if commands {
            Value::from_output(count)
        } else {
            Value::Unknown
        })
    }

    /// Runs a pipeline; how many objects it writes, when the stand-in knows.
    fn elements(&mut self, nodes: &'a [Node], top: bool) -> Run<Option<usize>> {
        let parts: Vec<&'a [Node]> = nodes.split(|n| n.is_tok(|t| matches!(t, Tok::Pipe))).collect();
        // PowerShell finds every command of a pipeline before running any of it: one unknown
        // command and nothing in the pipeline runs (CommandNotFoundException).
        for part in &parts {
            let elem = skip_newlines(part);
            if let Some((name, pos, _)) = self.command_of(&elem)
                && let Resolved::NotFound = self.resolve(&name)
            {
                return self.not_recognized(&name, pos).map(|()| None);
            }
        }
        let single = parts.len() == 1;
        let mut starved = false;
        let mut count = None;
        for (i, part) in parts.into_iter().enumerate() {
            let elem = skip_newlines(part);
            match self.command_of(&elem) {
                Some((name, pos, skip)) => {
                    let args: Vec<&'a Node> = elem[skip..].to_vec();
                    let failed = self.invoke(&name, &args, pos, starved)?;
                    count = if failed || (i > 0 && starved) {
                        Some(0)
                    } else if let Some(objects) = self.answers.get(&pos).filter(|_| i == 0) {
                        Some(objects.len())
                    } else {
                        self.output_count(&name, &args, if i == 0 { None } else { count })
                    };
                    // A command after a failed one, or after one that wrote no object, gets no
                    // input objects: it does nothing.
                    starved = count == Some(0);
                }
                None if i == 0
                    && matches!(elem.as_slice(), [Node::Group(Group::Array | Group::Paren, _, _)]) =>
                {
                    if let [Node::Group(_, inner, _)] = elem.as_slice() {
                        count = self.count_of(inner)?;
                        starved = count == Some(0);
                    }
                }
                None => {
                    self.scan(part)?;
                    count = if i == 0 {
                        self.expression_count(&elem)
                    } else {
                        None
                    };
                    starved = count == Some(0);
                    if let Some((stream, inner)) = console_write(&elem) {
                        let t = self.text(inner);
                        self.console.line(stream, &t);
                    } else if top
                        && self.quiet == 0
                        && single
                        && matches!(elem.first(), Some(Node::Tok(Tok::Str(..), _)))
                    {
                        // A bare expression statement writes its value to the output.
                        let t = self.text(part);
                        self.console.line(Stream::Out, &t);
                    }
                }
            }
        }
        Ok(count)
    }

    /// How many objects an expression at the head of a pipeline sends down it: a variable's
    /// array, or a list of literals (`'rtc', 'rtcdyn'`).
    fn expression_count(&self, elem: &[&Node]) -> Option<usize> {
        if let [Node::Tok(Tok::Var(v), _)] = elem {
            return match self.value(v) {
                Value::Array(Num { n, exact: true }) => usize::try_from(n).ok(),
                Value::Int(_) => Some(1),
                // PowerShell 2.0 sends a $null down a pipeline as one object.
                _ => None,
            };
        }
        let literal = |n: &&Node| matches!(n, Node::Tok(Tok::Str(_, subs), _) if subs.is_empty());
        let comma = |n: &&Node| n.is_tok(|t| matches!(t, Tok::Comma));
        let alternates = elem
            .iter()
            .enumerate()
            .all(|(i, n)| if i % 2 == 0 { literal(n) } else { comma(n) });
        (alternates && elem.len() % 2 == 1).then(|| elem.len().div_ceil(2))
    }

    /// How many objects a command writes for `input` objects in, when the stand-in knows.
    fn output_count(&self, name: &str, args: &[&Node], input: Option<usize>) -> Option<usize> {
        if self.ctl.empties(name) || crate::lync_rules::answers_nothing(self.ctl, name) {
            return Some(0);
        }
        let l = lower(name);
        match l.as_str() {
            // Where-Object of nothing is nothing; otherwise its filter decides, and the
            // stand-in does not evaluate filters (unknown) unless LYNCSHELL_MATCH says all pass.
            "where-object" | "where" | "?" => match input {
                Some(0) => Some(0),
                _ if self.ctl.matches_all(name) => input,
                _ => None,
            },
            "sort-object" | "sort" => input,
            // LYNCSHELL_MATCH on ForEach-Object: its block writes one object per object in.
            "foreach-object" | "%" if self.ctl.matches_all(name) => input,
            "foreach-object" | "%" | "select-object" | "select" => input.filter(|n| *n == 0),
            "write-host" | "out-null" => Some(0),
            _ => match self.resolve(name) {
                // `-Filter` (an LDAP filter, as in Get-CsUser and the blog's
                // Get-CsApplicationContact) filters like Where-Object.
                Resolved::Lync | Resolved::Function(Function::Script(_))
                    if l.starts_with("get-") && has_param(args, "Filter") =>
                {
                    self.ctl.matches_all(name).then_some(PEOPLE.len())
                }
                Resolved::Lync | Resolved::Function(Function::Script(_)) if l.starts_with("get-") => {
                    Some(PEOPLE.len())
                }
                _ => None,
            },
        }
    }

    /// The command an element calls: its name, position, and where its arguments start.
    fn command_of(&self, elem: &[&'a Node]) -> Option<(String, Pos, usize)> {
        let first = elem.first()?;
        if first.is_tok(|t| matches!(t, Tok::Amp)) {
            let name = match elem.get(1)? {
                Node::Tok(Tok::Word(w) | Tok::Str(w, _), _) => w.clone(),
                Node::Tok(Tok::Var(v), _) => self.vars.get(&lower(v)).cloned().unwrap_or_default(),
                _ => return None,
            };
            return Some((name, first.pos(), 2));
        }
        let w = first.word()?;
        let c = w.chars().next()?;
        if w == "." {
            return Some((".".into(), first.pos(), 1));
        }
        if !(c.is_alphabetic() || c == '_' || c == '.' || c == '\\' || c == '%' || c == '?') {
            return None;
        }
        Some((w.to_owned(), first.pos(), 1))
    }

    fn resolve(&self, name: &str) -> Resolved<'a> {
        let l = lower(name);
        if let Some(f) = self.functions.get(&l) {
            return Resolved::Function(*f);
        }
        if is_native(name) {
            return Resolved::Native(file_name(name).to_owned());
        }
        if LYNC_2013_ONLY.contains(&l.as_str()) || SCRIPTS.iter().any(|s| s.1.iter().any(|f| lower(f) == l)) {
            return Resolved::NotFound;
        }
        if is_cs_name(name) {
            // Facts file: PowerShell 2.0 has no module auto-loading, and `-NoProfile` loads
            // nothing: the Lync cmdlets exist only after `Import-Module Lync`.
            return if self.lync {
                Resolved::Lync
            } else {
                Resolved::NotFound
            };
        }
        Resolved::Builtin
    }

    fn not_recognized(&mut self, name: &str, pos: Pos) -> Run {
        if is_cs_name(name) {
            self.ctl.log("cmdlet", &format!("{name} not-recognized"));
        }
        let e = PsError::new(
            None,
            format!("The term '{name}' {NOT_RECOGNIZED}"),
            "ObjectNotFound: (:String) [], CommandNotFoundException",
            pos,
        );
        // A missing command is not a parameter-bound error: `-ErrorAction` cannot silence it.
        self.error(e, None)
    }

    /// A non-terminating error, unless `Stop` (preference or `-ErrorAction`) makes it
    /// terminating (facts file, "Running steps for real").
    fn error(&mut self, e: PsError, action: Option<Action>) -> Run {
        match action.unwrap_or(if self.stop { Action::Stop } else { Action::Continue }) {
            Action::Stop => Err(Flow::Throw(e)),
            Action::Silent => Ok(()),
            Action::Continue => {
                let text = e.display(&self.script);
                self.console.line(Stream::Err, &text);
                Ok(())
            }
        }
    }

    fn error_action(&self, args: &[&Node]) -> Option<Action> {
        let v = param_value(args, &["ErrorAction", "ea"])?;
        let v = match v {
            Node::Tok(Tok::Word(w) | Tok::Str(w, _), _) => lower(w),
            _ => return None,
        };
        Some(match v.as_str() {
            "stop" => Action::Stop,
            "silentlycontinue" | "ignore" | "0" => Action::Silent,
            _ => Action::Continue,
        })
    }

    /// Runs one command; true when it failed (wrote a non-terminating error).
    fn invoke(&mut self, name: &str, args: &[&'a Node], pos: Pos, starved: bool) -> Run<bool> {
        let l = lower(name);
        let action = self.error_action(args);
        // Script blocks are run by the command (per object); other arguments before it.
        for a in args {
            if !matches!(a, Node::Group(Group::Block, _, _)) {
                self.scan(std::slice::from_ref(*a))?;
            }
        }
        let failed = match self.resolve(name) {
            Resolved::NotFound => {
                self.not_recognized(name, pos)?;
                true
            }
            Resolved::Function(Function::User(body)) => match self.block(body) {
                Ok(()) | Err(Flow::Return) => false,
                Err(f) => return Err(f),
            },
            Resolved::Function(Function::Script(inner)) => {
                if self.lync {
                    self.cmdlet(name, args, pos, action, starved)?
                } else {
                    self.ctl.log("cmdlet", &format!("{name} error"));
                    let e = PsError::new(
                        Some(inner),
                        format!("The term '{inner}' {NOT_RECOGNIZED}"),
                        "ObjectNotFound: (:String) [], CommandNotFoundException",
                        pos,
                    );
                    self.error(e, None)?;
                    true
                }
            }
            Resolved::Lync => self.cmdlet(name, args, pos, action, starved)?,
            Resolved::Native(file) => {
                let words: Vec<String> = args
                    .iter()
                    .map(|a| match a {
                        Node::Tok(Tok::Word(w), _) => w.clone(),
                        n => self.text(std::slice::from_ref(*n)),
                    })
                    .collect();
                self.native(&file, &words);
                false
            }
            Resolved::Builtin => match l.as_str() {
                "import-module" | "ipmo" | "." => self.import_module(name, args, pos, action)?,
                "get-command" | "gcm" => !self.get_command(args, pos)?,
                "write-host" | "write-output" | "echo" => {
                    let t = self.arg_text(args);
                    if !t.is_empty() && !starved {
                        self.console.line(Stream::Out, &t);
                    }
                    false
                }
                "write-warning" => {
                    let t = self.arg_text(args);
                    self.console.line(Stream::Out, &format!("WARNING: {t}"));
                    false
                }
                "write-error" => {
                    let t = self.arg_text(args);
                    let e = PsError::new(
                        Some(&self.script.clone()),
                        t,
                        "NotSpecified: (:) [Write-Error], WriteErrorException",
                        pos,
                    );
                    self.error(e, action)?;
                    true
                }
                "read-host" => self.read_host(args, pos, action)?,
                "start-transcript" => self.start_transcript(args, pos, action)?,
                "stop-transcript" => {
                    if self.console.stop_transcript() {
                        false
                    } else {
                        let e = PsError::new(
                            Some("Stop-Transcript"),
                            "An error occurred stopping transcription: The host is not currently transcribing.",
                            "InvalidOperation: (:) [Stop-Transcript], PSInvalidOperationException",
                            pos,
                        );
                        self.error(e, action)?;
                        true
                    }
                }
                // Remove-Item -LiteralPath 'file': the file is gone afterwards (a missing one
                // would be an error in PowerShell; the runbooks test for it first).
                "remove-item" => {
                    if let Some(Node::Tok(Tok::Str(p, _), _)) = param_value(args, &["LiteralPath"])
                        && let Some(path) = crate::host_path(p)
                        && path.is_file()
                    {
                        let _ = std::fs::remove_file(path);
                    }
                    false
                }
                // Anything else (New-Object, Where-Object, Format-Table, Out-String, ...)
                // succeeds and prints nothing.
                _ => false,
            },
        };
        for a in args {
            if let Node::Group(Group::Block, inner, _) = a
                && !starved
            {
                // Its output goes down the pipeline, not to the console.
                self.quiet += 1;
                let r = self.block(inner);
                self.quiet -= 1;
                r?;
            }
        }
        Ok(failed)
    }

    /// A Lync cmdlet (or a script function, once its module is loaded).
    fn cmdlet(
        &mut self,
        name: &str,
        args: &[&Node],
        pos: Pos,
        action: Option<Action>,
        starved: bool,
    ) -> Run<bool> {
        // A failed or empty call answers with no object.
        self.answers.insert(pos, Vec::new());
        if self.ctl.fails(name) {
            self.ctl.log("cmdlet", &format!("{name} error"));
            let e = PsError::new(
                Some(name),
                "Simulated failure (LYNCSHELL_FAIL)",
                "NotSpecified: (:) [], InvalidOperationException",
                pos,
            );
            self.error(e, action)?;
            return Ok(true);
        }
        if starved {
            self.answers.remove(&pos);
            self.ctl.log("cmdlet", &format!("{name} ok"));
            return Ok(false);
        }
        let params = self.params(args);
        let call = crate::lync_rules::Call {
            name,
            params: &params,
        };
        if let Some(f) = crate::lync_rules::check(self.ctl, &call) {
            let e = PsError::new(Some(name), f.message, f.category, pos);
            self.error(e, action)?;
            return Ok(true);
        }
        let answer = crate::lync_rules::answer(self.ctl, &call);
        self.answers.remove(&pos);
        if let Some(failed) = self.export(name, args, pos, action)? {
            return Ok(failed);
        }
        if self.ctl.empties(name) || crate::lync_rules::answers_nothing(self.ctl, name) {
            // LYNCSHELL_EMPTY: the cmdlet ran and found nothing (no error, no object).
            self.ctl.log("cmdlet", &format!("{name} empty"));
            self.answers.insert(pos, Vec::new());
            return Ok(false);
        }
        let l = lower(name);
        // Facts file: `Move-CsUser` asks unless `-Confirm:$false`; the blog script
        // `Get-CsApplicationContact ... -Delete` asks for each object;
        // `Set-CsConfigurationStoreLocation` asking is UNCONFIRMED (modelled as asking).
        // `Move-CsExUmContact` asks even with -Force (Microsoft's example 1 for it); whether
        // -Confirm:$false silences it is unconfirmed, so here it does not.
        // `Move-CsCommonAreaPhone`/`Move-CsAnalogDevice` asking is UNCONFIRMED (modelled as
        // asking, like `Move-CsUser`, whose parameters they share).
        let prompts = !has_param(args, "WhatIf")
            && (l == "move-csexumcontact"
                || (!confirm_off(args)
                    && (l == "move-csuser"
                        || l == "move-cscommonareaphone"
                        || l == "move-csanalogdevice"
                        || l == "set-csconfigurationstorelocation"
                        || (l == "get-csapplicationcontact" && has_param(args, "Delete")))));
        let verb = l.split('-').next().unwrap_or_default();
        let (operation, done) = match verb {
            "get" if prompts => ("Remove", "deleted"),
            "get" => ("Get", "found"),
            "move" => ("Move", "moved"),
            "set" => ("Set", "set for"),
            "install" => ("Install", "installed for"),
            "import" => ("Import", "imported for"),
            "export" => ("Export", "exported for"),
            "enable" => ("Enable", "enabled for"),
            "update" => ("Update", "updated for"),
            "remove" => ("Remove", "removed"),
            "new" => ("New", "created for"),
            _ => ("Process", "done for"),
        };
        if has_param(args, "WhatIf") {
            for p in PEOPLE {
                let t = format!("What if: Performing operation \"{operation}\" on Target \"{p}\".");
                self.console.line(Stream::Out, &t);
            }
            self.ctl.log("cmdlet", &format!("{name} ok"));
            return Ok(false);
        }
        let mut chosen = [true; 2];
        if prompts {
            if !self.interactive {
                self.ctl.log("cmdlet", &format!("{name} prompt-refused"));
                let e = PsError::new(
                    Some(name),
                    NON_INTERACTIVE,
                    "NotSpecified: (:) [], HostException",
                    pos,
                );
                // The prompt fails inside the cmdlet: `-ErrorAction` does not apply to it.
                self.error(e, None)?;
                return Ok(true);
            }
            let mut all: Option<bool> = None;
            for (i, p) in PEOPLE.iter().enumerate() {
                if let Some(a) = all {
                    chosen[i] = a;
                    continue;
                }
                let Some(answer) = self.confirm(operation, p) else {
                    self.ctl.log("cmdlet", &format!("{name} prompt-refused"));
                    let e = PsError::new(
                        Some(name),
                        NON_INTERACTIVE,
                        "NotSpecified: (:) [], HostException",
                        pos,
                    );
                    self.error(e, None)?;
                    return Ok(true);
                };
                let yes = matches!(answer, 'Y' | 'A');
                self.ctl.log(
                    "cmdlet",
                    &format!("{name} answered:{}", if yes { 'Y' } else { 'N' }),
                );
                chosen[i] = yes;
                if matches!(answer, 'A' | 'L') {
                    all = Some(yes);
                }
            }
        }
        if let Some(objects) = answer {
            for o in &objects {
                self.console.line(Stream::Out, &format!("{name}: {}", o.text()));
            }
            self.answers.insert(pos, objects);
        } else {
            for (i, p) in PEOPLE.iter().enumerate() {
                if chosen[i] {
                    self.console.line(Stream::Out, &format!("{name}: {done} {p}"));
                }
            }
        }
        self.ctl.log("cmdlet", &format!("{name} ok"));
        Ok(false)
    }

    /// A call's parameters, lowercased, each with its value's text (`-Name value`, `-Name:value`);
    /// empty for a switch (a parameter followed by another one, or by nothing).
    fn params(&self, args: &[&Node]) -> Vec<(String, String)> {
        let mut out = Vec::new();
        for (i, a) in args.iter().enumerate() {
            if let Node::Tok(Tok::Param(p, _), _) = a {
                let value = match args.get(i + 1) {
                    None | Some(Node::Tok(Tok::Param(..), _)) => String::new(),
                    Some(Node::Tok(Tok::Word(w), _)) => w.clone(),
                    Some(n) => self.text(std::slice::from_ref(*n)),
                };
                out.push((lower(p), value));
            }
        }
        out
    }

    /// PowerShell's confirm prompt; the answer letter, or None when nobody can answer.
    fn confirm(&mut self, operation: &str, target: &str) -> Option<char> {
        for _ in 0..20 {
            self.console.prompt(&format!(
                "\r\nConfirm\r\nAre you sure you want to perform this action?\r\n\
                 Performing operation \"{operation}\" on Target \"{target}\".\r\n\
                 [Y] Yes  [A] Yes to All  [N] No  [L] No to All  [S] Suspend  [?] Help (default is \"Y\"): "
            ));
            let line = read_line()?;
            self.console.answered(&line);
            match line.trim().to_ascii_uppercase().as_str() {
                "" | "Y" => return Some('Y'),
                "A" => return Some('A'),
                "N" => return Some('N'),
                "L" => return Some('L'),
                _ => {
                    let help = "Y - Continue with only the next step of the operation.\r\n\
                        A - Continue with all the steps of the operation.\r\n\
                        N - Skip this operation and proceed with the next operation.\r\n\
                        L - Skip this operation and all subsequent operations.\r\n\
                        S - Pause the current pipeline and return to the command prompt. (Not available in the stand-in.)";
                    self.console.line(Stream::Out, help);
                }
            }
        }
        None
    }

    fn read_host(&mut self, args: &[&Node], pos: Pos, action: Option<Action>) -> Run<bool> {
        if !self.interactive {
            self.ctl.log("cmdlet", "Read-Host prompt-refused");
            let e = PsError::new(
                Some("Read-Host"),
                NON_INTERACTIVE,
                "NotSpecified: (:) [Read-Host], HostException",
                pos,
            );
            self.error(e, action)?;
            return Ok(true);
        }
        let t = self.arg_text(args);
        self.console.prompt(&format!("{t}: "));
        match read_line() {
            Some(line) => {
                self.console.answered(&line);
                self.ctl.log("cmdlet", "Read-Host answered:Y");
                Ok(false)
            }
            None => {
                self.ctl.log("cmdlet", "Read-Host prompt-refused");
                let e = PsError::new(
                    Some("Read-Host"),
                    NON_INTERACTIVE,
                    "NotSpecified: (:) [Read-Host], HostException",
                    pos,
                );
                self.error(e, action)?;
                Ok(true)
            }
        }
    }

    /// The export cmdlets write a believable artifact at their literal `-FileName` (the backup
    /// job's commands carry literal paths). `None`: not an export cmdlet.
    fn export(&mut self, name: &str, args: &[&Node], pos: Pos, action: Option<Action>) -> Run<Option<bool>> {
        let l = lower(name);
        let bytes = match l.as_str() {
            "export-csconfiguration" => crate::artifacts::cms_zip(),
            "export-cslisconfiguration" => crate::artifacts::lis_zip(),
            "export-csrgsconfiguration" => crate::artifacts::rgs_zip(),
            _ => return Ok(None),
        };
        // A computed -FileName (`(Join-Path $folder ...)`) is beyond the stand-in: it answers
        // as for any Lync cmdlet, writing nothing.
        let Some(Node::Tok(Tok::Str(literal, _) | Tok::Word(literal), _)) = param_value(args, &["FileName"])
        else {
            return Ok(None);
        };
        let Some(t) = crate::host_path(literal) else {
            return Ok(None);
        };
        // Microsoft's help for Export-CsLisConfiguration (gg398539): it will not overwrite an
        // existing file.
        let problem = if l == "export-cslisconfiguration" && t.exists() {
            Some(format!("The file '{}' already exists.", t.display()))
        } else {
            let file = t
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            crate::provided(&file, &t)
                .unwrap_or_else(|| std::fs::write(&t, &bytes))
                .err()
                .map(|e| format!("{e}"))
        };
        if let Some(message) = problem {
            self.ctl.log("cmdlet", &format!("{name} error"));
            let e = PsError::new(Some(name), message, "WriteError: (:) [], IOException", pos);
            self.error(e, action)?;
            return Ok(Some(true));
        }
        self.ctl.log("cmdlet", &format!("{name} ok"));
        self.console.line(Stream::Out, &format!("{name}: exported"));
        Ok(Some(false))
    }

    /// A native program's artifact, where it writes one: `None` when it is not one of them.
    fn native_artifact(&mut self, file: &str, args: &[String]) -> Option<i32> {
        let l = lower(file);
        match l.as_str() {
            "dbimpexp.exe" if !args.iter().any(|a| a.eq_ignore_ascii_case("/import")) => {
                let path = args.iter().find_map(|a| {
                    a.get(..10)
                        .filter(|p| p.eq_ignore_ascii_case("/hrxmlfile"))
                        .and_then(|_| a.get(11..))
                })?;
                let target = crate::host_path(path)?;
                // A path the stand-in could not compute (an expression) gets the answer of
                // any native program.
                if !target.parent().is_some_and(Path::is_dir) {
                    return None;
                }
                let ok = crate::provided("SavedUserData.xml", &target)
                    .unwrap_or_else(|| std::fs::write(&target, crate::artifacts::user_data()))
                    .is_ok();
                Some(if ok { 0 } else { 1 })
            }
            // robocopy SOURCE DEST ...: exit code 1 when files were copied, 8 and above on a
            // failure (Microsoft's robocopy documentation; see docs/unconfirmed.md).
            "robocopy.exe" | "robocopy" => {
                let dest = crate::host_path(args.get(1)?)?;
                if let Some(r) = crate::provided("FileStore", &dest) {
                    return Some(if r.is_ok() { 1 } else { 16 });
                }
                let files = [
                    ("1-WebServices-1/MeetingContent/deck.pptx", &b"PK fake deck"[..]),
                    (
                        "1-ApplicationServer-1/AppServerFiles/Rgs/welcome.wav",
                        b"RIFF....WAVE",
                    ),
                ];
                for (rel, bytes) in files {
                    let p = dest.join(rel);
                    let written = p
                        .parent()
                        .map_or(Ok(()), std::fs::create_dir_all)
                        .and_then(|()| std::fs::write(&p, bytes));
                    if written.is_err() {
                        return Some(16);
                    }
                }
                self.console.native_line(
                    Stream::Out,
                    "               Total    Copied   Skipped  Mismatch    FAILED    Extras",
                );
                self.console.native_line(
                    Stream::Out,
                    "   Files :         2         2         0         0         0         0",
                );
                Some(1)
            }
            "eventcreate.exe" | "eventcreate" => {
                // The real program where the system has one (under wine: the stand-in's copy),
                // as powershell.exe starts it; else the same rules in-process.
                if let Some(program) = crate::system_program("eventcreate.exe") {
                    return Some(self.start_native(&program, args));
                }
                let (code, line) = match crate::eventcreate::check(args) {
                    Ok(line) => {
                        self.ctl.log("event", &args.join(" "));
                        (0, line)
                    }
                    Err(line) => {
                        self.ctl.log("event-refused", &args.join(" "));
                        (1, line)
                    }
                };
                self.console.native_line(Stream::Out, &line);
                Some(code)
            }
            "schtasks.exe" | "schtasks" => {
                let (code, line) = crate::schtasks::run(args, self.ctl);
                let stream = if code == 0 { Stream::Out } else { Stream::Err };
                self.console.native_line(stream, &line);
                Some(code)
            }
            _ => None,
        }
    }

    /// Starts a real program, its output passed on as a native program's, its exit code
    /// returned (what `& program args` does for a file PowerShell finds).
    fn start_native(&mut self, program: &std::path::Path, args: &[String]) -> i32 {
        let out = std::process::Command::new(program)
            .args(args)
            .stdin(std::process::Stdio::null())
            .output();
        match out {
            Ok(out) => {
                for line in String::from_utf8_lossy(&out.stdout).lines() {
                    self.console.native_line(Stream::Out, line);
                }
                out.status.code().unwrap_or(1)
            }
            Err(e) => {
                let line = format!("Program '{}' failed to execute: {e}", program.display());
                self.console.line(Stream::Err, &line);
                1
            }
        }
    }

    fn native(&mut self, file: &str, args: &[String]) {
        // A native program's exit code is no PowerShell error: only `$LASTEXITCODE` tells
        // (about_Automatic_Variables), so `$ErrorActionPreference` does not apply to it.
        let robocopy = lower(file).starts_with("robocopy");
        let code = if self.ctl.fails(file) && robocopy {
            self.console.native_line(
                Stream::Err,
                "ERROR 53 (0x00000035) Accessing Source Directory: The network path was not found.",
            );
            16
        } else if self.ctl.fails(file) {
            let t = format!(
                "{file}: Fehler: Import für {} fehlgeschlagen (0x80004005)",
                PEOPLE[0]
            );
            self.console.native_line(Stream::Err, &t);
            1
        } else if let Some(code) = self.native_artifact(file, args) {
            code
        } else {
            for p in PEOPLE {
                self.console
                    .native_line(Stream::Out, &format!("{file}: Import für {p} abgeschlossen"));
            }
            0
        };
        self.last_exit = Some(code);
        self.ctl.log("native", &format!("{file} exit {code}"));
    }

    fn import_module(&mut self, name: &str, args: &[&Node], pos: Pos, action: Option<Action>) -> Run<bool> {
        let mut ws = Vec::new();
        for a in args {
            if !matches!(a, Node::Tok(Tok::Param(..), _)) {
                words(std::slice::from_ref(*a), &mut ws);
            }
        }
        let mut failed = false;
        for w in ws {
            let lw = lower(&w);
            if let Some((script, functions, inner)) = SCRIPTS.iter().find(|s| lw.ends_with(s.0)) {
                for f in *functions {
                    self.functions.insert(lower(f), Function::Script(inner));
                }
                let _ = script;
                self.ctl.log("module", &format!("script {}", file_name(&w)));
            } else if lw == "lync"
                || lw.ends_with("\\lync.psd1")
                || lw.ends_with("/lync.psd1")
                || lw == "lync.psd1"
            {
                if self.ctl.no_lync {
                    self.ctl.log("module", "Lync failed");
                    let e = PsError::new(
                        Some(if name == "." { "Import-Module" } else { name }),
                        "The specified module 'Lync' was not loaded because no valid module file was found in any module directory.",
                        "ResourceUnavailable: (Lync:String) [Import-Module], FileNotFoundException",
                        pos,
                    );
                    self.error(e, action)?;
                    failed = true;
                } else {
                    self.lync = true;
                    self.ctl.log("module", "Lync loaded");
                }
            }
        }
        Ok(failed)
    }

    /// `Get-Command NAME`: is NAME available now? Without `-ErrorAction SilentlyContinue` a
    /// missing NAME is an error.
    /// `Test-Path [-LiteralPath|-Path] PATH [-PathType Container|Leaf|Any]` on a path under a
    /// folder of `LYNCSHELL_DISK`: whether this host's disk holds it (of that type). Its help
    /// (Microsoft.PowerShell.Management, Test-Path): `$true` if every element of the path exists,
    /// `$false` otherwise, never an error for a missing one; `-PathType` asks for a container
    /// (folder) or a leaf (file). `None` (undecided) anywhere else, or for a path the stand-in
    /// cannot compute.
    fn test_path(&self, args: &[&Node]) -> Option<bool> {
        let node = param_value(args, &["LiteralPath", "Path"]).or_else(|| {
            args.first()
                .copied()
                .filter(|n| !matches!(n, Node::Tok(Tok::Param(..), _)))
        })?;
        let path = match node {
            Node::Tok(Tok::Str(p, _), _) => p.clone(),
            n => match self.scope().expr(&[n])? {
                Data::Str(p) => p,
                _ => return None,
            },
        };
        let lower = path.to_ascii_lowercase();
        let under = |root: &String| {
            let root = root.trim_end_matches('\\').to_ascii_lowercase();
            lower == root || lower.starts_with(&format!("{root}\\"))
        };
        if !self.ctl.disk.iter().any(under) {
            return None;
        }
        let host = crate::host_path(&path)?;
        let kind = match param_value(args, &["PathType"]) {
            Some(Node::Tok(Tok::Word(k) | Tok::Str(k, _), _)) => k.to_ascii_lowercase(),
            _ => "any".into(),
        };
        Some(match kind.as_str() {
            "container" => host.is_dir(),
            "leaf" => host.is_file(),
            _ => host.exists(),
        })
    }

    fn get_command(&mut self, args: &[&Node], pos: Pos) -> Run<bool> {
        let action = self.error_action(args);
        let name = match param_value(args, &["Name"]).or_else(|| {
            args.iter().copied().find(|n| {
                matches!(n, Node::Tok(Tok::Word(_) | Tok::Str(..), _)) && !self.is_param_value(args, n)
            })
        }) {
            Some(Node::Tok(Tok::Word(w) | Tok::Str(w, _), _)) => w.clone(),
            _ => return Ok(true),
        };
        if matches!(self.resolve(&name), Resolved::NotFound) {
            let e = PsError::new(
                Some("Get-Command"),
                format!("The term '{name}' {NOT_RECOGNIZED}"),
                "ObjectNotFound: (:String) [Get-Command], CommandNotFoundException",
                pos,
            );
            self.error(e, action)?;
            return Ok(false);
        }
        Ok(true)
    }

    fn is_param_value(&self, args: &[&Node], n: &Node) -> bool {
        args.windows(2)
            .any(|w| std::ptr::eq(w[1], n) && matches!(w[0], Node::Tok(Tok::Param(..), _)))
    }

    fn start_transcript(&mut self, args: &[&Node], pos: Pos, action: Option<Action>) -> Run<bool> {
        let path = match param_value(args, &["Path", "LiteralPath"]).or_else(|| {
            args.iter()
                .copied()
                .find(|n| matches!(n, Node::Tok(Tok::Str(..), _)) && !self.is_param_value(args, n))
        }) {
            Some(Node::Tok(Tok::Str(s, _) | Tok::Word(s), _)) => s.clone(),
            _ => String::new(),
        };
        let result = if path.is_empty() {
            Err(std::io::Error::other("the stand-in needs a literal -Path"))
        } else {
            self.console
                .start_transcript(path.clone().into(), has_param(args, "Append"))
        };
        match result {
            Ok(()) => Ok(false),
            Err(err) => {
                let e = PsError::new(
                    Some("Start-Transcript"),
                    format!("Transcription cannot be started due to the error: {err} ({path})"),
                    "InvalidOperation: (:) [Start-Transcript], PSInvalidOperationException",
                    pos,
                );
                self.error(e, action)?;
                Ok(true)
            }
        }
    }

    /// The text of a command's arguments, parameters and their values left out.
    fn arg_text(&self, args: &[&Node]) -> String {
        let mut parts = Vec::new();
        let mut skip_next = false;
        for a in args {
            if skip_next {
                skip_next = false;
                continue;
            }
            match a {
                Node::Tok(Tok::Param(p, colon), _) => {
                    let switch = ["nonewline", "verbose", "debug"].contains(&lower(p).as_str());
                    skip_next = *colon || !switch;
                }
                Node::Tok(Tok::Word(w), _) => parts.push(w.clone()),
                n => parts.push(self.text(std::slice::from_ref(*n))),
            }
        }
        parts.join(" ").trim().to_owned()
    }

    /// A rough value: string literals concatenated, `-f` applied, `$_` the caught error.
    fn text(&self, nodes: &[Node]) -> String {
        let refs = skip_newlines(nodes);
        if let Some(d) = self.scope().expr(&refs) {
            return d.text();
        }
        let fmt = nodes
            .iter()
            .position(|n| matches!(n, Node::Tok(Tok::Param(p, false), _) if p.eq_ignore_ascii_case("f")));
        let Some(k) = fmt else { return self.concat(nodes) };
        let mut out = self.concat(&nodes[..k]);
        for (i, arg) in nodes[k + 1..]
            .split(|n| n.is_tok(|t| matches!(t, Tok::Comma)))
            .enumerate()
        {
            let v = self.concat(arg);
            out = out.replace(&format!("{{{i}}}"), &v);
        }
        out
    }

    fn concat(&self, nodes: &[Node]) -> String {
        let mut out = String::new();
        for n in nodes {
            match n {
                Node::Tok(Tok::Str(s, _), _) => out.push_str(s),
                Node::Tok(Tok::Var(v), _) => {
                    let v = lower(v);
                    if v == "_" {
                        if let Some(e) = self.caught.last() {
                            out.push_str(&e.display(&self.script));
                        }
                    } else if v == "lastexitcode" {
                        if let Some(c) = self.last_exit {
                            out.push_str(&c.to_string());
                        }
                    } else if let Some(val) = self.vars.get(&v) {
                        out.push_str(val);
                    }
                }
                Node::Group(Group::Paren | Group::Sub | Group::Array, inner, _) => {
                    out.push_str(&self.text(inner))
                }
                _ => {}
            }
            if out.len() > 100_000 {
                break;
            }
        }
        out
    }

    fn int(&self, nodes: &[Node]) -> Option<i32> {
        match nodes.iter().find(|n| !n.is_tok(|t| matches!(t, Tok::Newline)))? {
            Node::Tok(Tok::Word(w), _) => w.parse().ok(),
            Node::Tok(Tok::Var(v), _) if v.eq_ignore_ascii_case("LASTEXITCODE") => self.last_exit,
            Node::Group(Group::Paren, inner, _) => self.int(inner),
            _ => None,
        }
    }
}

/// One line from standard input, at most 1 KiB; None at end of input.
fn read_line() -> Option<String> {
    let stdin = std::io::stdin();
    let mut lock = stdin.lock();
    let mut buf = Vec::new();
    match (&mut lock).take(1024).read_until(b'\n', &mut buf) {
        Ok(0) | Err(_) => None,
        Ok(_) => Some(
            String::from_utf8_lossy(&buf)
                .trim_end_matches(['\r', '\n'])
                .to_owned(),
        ),
    }
}
