//! The module graph, read from the sources: which module of `src/` names which of its
//! siblings (`crate::a::b`, `super::b`, `self::b` in code, comments left out, `use` groups such
//! as `use super::{a, b::{c, d}}` included), at every level: the top-level modules, and the
//! files of each folder. The front end (`src/front/`: the command line, the subcommands, the
//! terminal, the exit codes, the top-level error) may use the core; no core module may use the
//! front end, and no two modules may need each other, directly or through others (a cycle means
//! a fact or a type sits in the wrong module).
//!
//! `cargo test --test integration modules::` checks both. Not seen: an item that a folder's
//! `mod.rs` re-exports from one of its files (`super::Templates`) counts as the folder's own.

use crate::builder::repo;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

const FRONT: &str = "front";

/// Cycles tolerated for now: none (the last, `audit::artifact <-> audit::finding`, went with the
/// one artifact type of issue 11 item 1).
const KNOWN_CYCLES: [&[&str]; 0] = [];

type Graph = BTreeMap<String, BTreeSet<String>>;

/// A source file: its module path (`run/step.rs` -> `run::step`, `run/mod.rs` -> `run`,
/// `lib.rs` -> the root) and its code.
struct File {
    module: Vec<String>,
    code: String,
}

fn files(src: &Path) -> Vec<File> {
    let mut out = Vec::new();
    let mut pending = vec![src.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).expect("read src").flatten() {
            let path = entry.path();
            if path.is_dir() {
                pending.push(path);
                continue;
            }
            if path.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let relative = path.strip_prefix(src).expect("under src");
            let mut module: Vec<String> = relative
                .with_extension("")
                .components()
                .filter_map(|c| c.as_os_str().to_str().map(str::to_owned))
                .collect();
            let last = module.last().cloned().unwrap_or_default();
            if last == "main" && module.len() == 1 {
                continue;
            }
            if last == "mod" || (last == "lib" && module.len() == 1) {
                module.pop();
            }
            let text = std::fs::read_to_string(&path).expect("read source");
            out.push(File {
                module,
                code: code(&text),
            });
        }
    }
    out
}

/// The code of a Rust file without its comments (line comments and doc comments; the sources
/// use no block comments, and a `//` inside a string only cuts a line short).
fn code(text: &str) -> String {
    text.lines()
        .map(|l| l.split("//").next().unwrap_or_default())
        .collect::<Vec<_>>()
        .join("\n")
}

/// The paths of a use tree at the start of `s` (`a::{b, c::d}` -> `a::b`, `a::c::d`); a path
/// ends at anything that is not a name or `::` (`self` and `*` end it too).
fn use_tree(s: &str) -> Vec<Vec<String>> {
    fn skip_space(s: &[u8], i: &mut usize) {
        while *i < s.len() && s[*i].is_ascii_whitespace() {
            *i += 1;
        }
    }
    fn tree(s: &[u8], i: &mut usize) -> Vec<Vec<String>> {
        skip_space(s, i);
        if s.get(*i) == Some(&b'{') {
            *i += 1;
            let mut out = Vec::new();
            loop {
                skip_space(s, i);
                match s.get(*i) {
                    None => return out,
                    Some(b'}') => {
                        *i += 1;
                        return out;
                    }
                    Some(b',') => *i += 1,
                    Some(_) => {
                        let before = *i;
                        out.extend(tree(s, i));
                        if *i == before {
                            *i += 1; // `*` or anything else that is not a name
                        }
                    }
                }
            }
        }
        let start = *i;
        while *i < s.len() && (s[*i].is_ascii_alphanumeric() || s[*i] == b'_') {
            *i += 1;
        }
        let name = String::from_utf8_lossy(&s[start..*i]).into_owned();
        if name.is_empty() || name == "self" {
            return vec![Vec::new()];
        }
        if s[*i..].starts_with(b"::") {
            *i += 2;
            let mut subs = tree(s, i);
            for p in &mut subs {
                p.insert(0, name.clone());
            }
            return subs;
        }
        vec![vec![name]]
    }
    let mut i = 0;
    tree(s.as_bytes(), &mut i)
}

/// Every path (from the crate root) that a file's code names through `crate::`, `self::` or
/// `super::`.
fn named(file: &File) -> Vec<Vec<String>> {
    // `super` of `run::step` (`run/step.rs`) is `run`, of `run` (`run/mod.rs`) the root.
    let parent = file.module[..file.module.len().saturating_sub(1)].to_vec();
    let text = &file.code;
    let mut out = Vec::new();
    let mut i = 0;
    while i < text.len() {
        if !text.is_char_boundary(i) {
            i += 1;
            continue;
        }
        let rest = &text[i..];
        let after_name = text[..i]
            .chars()
            .next_back()
            .is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':');
        let mut base = None;
        let mut skip = 0;
        if !after_name {
            if rest.starts_with("crate::") {
                base = Some(Vec::new());
                skip = "crate::".len();
            } else if rest.starts_with("self::") {
                base = Some(file.module.clone());
                skip = "self::".len();
            } else if rest.starts_with("super::") {
                let mut b = parent.clone();
                skip = "super::".len();
                while rest[skip..].starts_with("super::") {
                    b.pop();
                    skip += "super::".len();
                }
                base = Some(b);
            }
        }
        match base {
            Some(base) => {
                for p in use_tree(&rest[skip..]) {
                    let mut full = base.clone();
                    full.extend(p);
                    out.push(full);
                }
                i += skip;
            }
            None => i += 1,
        }
    }
    out
}

/// The graph of sibling modules at every level: `a::b -> a::c` when a file of `a::b` (or of a
/// module inside it) names `a::c` or something in it.
fn graph_of(src: &Path) -> Graph {
    let files = files(src);
    let modules: BTreeSet<Vec<String>> = files
        .iter()
        .flat_map(|f| (1..=f.module.len()).map(|n| f.module[..n].to_vec()))
        .collect();
    let mut graph = Graph::new();
    for f in &files {
        for target in named(f) {
            let common = f.module.iter().zip(&target).take_while(|(a, b)| a == b).count();
            if common >= f.module.len() || common >= target.len() {
                continue; // inside itself, or an item of an enclosing module
            }
            let to = &target[..=common];
            if modules.contains(to) {
                graph
                    .entry(f.module[..=common].join("::"))
                    .or_default()
                    .insert(to.join("::"));
            }
        }
    }
    graph
}

/// Every cycle, as the modules of each strongly connected component with more than one
/// module (Tarjan's algorithm; the graph has a couple of dozen nodes).
fn cycles(graph: &Graph) -> Vec<Vec<String>> {
    struct Tarjan<'a> {
        graph: &'a Graph,
        index: BTreeMap<&'a str, usize>,
        low: BTreeMap<&'a str, usize>,
        stack: Vec<&'a str>,
        out: Vec<Vec<String>>,
    }
    impl<'a> Tarjan<'a> {
        fn visit(&mut self, v: &'a str) {
            let i = self.index.len();
            self.index.insert(v, i);
            self.low.insert(v, i);
            self.stack.push(v);
            for w in self.graph.get(v).into_iter().flatten() {
                let w = w.as_str();
                if !self.index.contains_key(w) {
                    self.visit(w);
                    let lw = self.low[w];
                    let lv = self.low.get_mut(v).expect("visited");
                    *lv = (*lv).min(lw);
                } else if self.stack.contains(&w) {
                    let iw = self.index[w];
                    let lv = self.low.get_mut(v).expect("visited");
                    *lv = (*lv).min(iw);
                }
            }
            if self.low[v] == self.index[v] {
                let mut component = Vec::new();
                while let Some(w) = self.stack.pop() {
                    component.push(w.to_owned());
                    if w == v {
                        break;
                    }
                }
                if component.len() > 1 {
                    component.sort();
                    self.out.push(component);
                }
            }
        }
    }
    let mut t = Tarjan {
        graph,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        out: Vec::new(),
    };
    for v in graph.keys() {
        if !t.index.contains_key(v.as_str()) {
            t.visit(v);
        }
    }
    t.out
}

fn src_graph() -> Graph {
    graph_of(&repo().join("src"))
}

#[test]
fn no_core_module_uses_the_front_end() {
    let graph = src_graph();
    assert!(
        graph.values().flatten().any(|m| m == FRONT) || graph.contains_key(FRONT),
        "no src/front/: {graph:?}"
    );
    let offenders: Vec<String> = graph
        .iter()
        .filter(|(m, uses)| m.split("::").next() != Some(FRONT) && uses.iter().any(|u| u == FRONT))
        .map(|(m, _)| m.clone())
        .collect();
    assert!(
        offenders.is_empty(),
        "core modules that use the front end: {offenders:?}"
    );
}

/// The terminal crates belong to the front end: the core asks the operator and reports
/// progress through its own small traits (`run::operator`, `audit::Progress`).
#[test]
fn no_core_module_uses_the_terminal_crates() {
    let offenders: Vec<String> = files(&repo().join("src"))
        .iter()
        .filter(|f| f.module.first().is_some_and(|m| m != FRONT))
        .flat_map(|f| {
            ["clap::", "dialoguer::", "indicatif::"]
                .into_iter()
                .filter(|k| f.code.contains(k))
                .map(|k| format!("{} uses {k}", f.module.join("::")))
        })
        .collect();
    assert!(offenders.is_empty(), "{offenders:?}");
}

/// `unsafe` is denied crate-wide and allowed only in a platform module's `windows.rs` (the Win32
/// calls have no safe wrapper in the tree); the Unix side uses safe crates.
#[test]
fn unsafe_code_lives_only_in_windows_platform_files() {
    let offenders: Vec<String> = files(&repo().join("src"))
        .iter()
        .filter(|f| {
            [
                "unsafe {",
                "unsafe fn",
                "unsafe extern",
                "unsafe impl",
                "allow(unsafe_code)",
            ]
            .iter()
            .any(|k| f.code.contains(k))
        })
        .filter(|f| f.module.last().is_none_or(|m| m != "windows") || f.module.len() < 2)
        .map(|f| f.module.join("::"))
        .collect();
    assert!(
        offenders.is_empty(),
        "unsafe outside a platform windows.rs: {offenders:?}"
    );
    let manifest = std::fs::read_to_string(repo().join("Cargo.toml")).expect("Cargo.toml");
    assert!(
        manifest.contains("unsafe_code = \"deny\""),
        "the crate lint must deny unsafe"
    );
}

#[test]
fn no_cycle_between_modules() {
    let graph = src_graph();
    let found: Vec<Vec<String>> = cycles(&graph)
        .into_iter()
        .filter(|c| !KNOWN_CYCLES.iter().any(|k| k == c))
        .collect();
    assert!(
        found.is_empty(),
        "modules that need each other: {found:?}\ngraph: {graph:#?}"
    );
}

fn file(module: &str, text: &str) -> File {
    File {
        module: module
            .split("::")
            .filter(|m| !m.is_empty())
            .map(str::to_owned)
            .collect(),
        code: code(text),
    }
}

/// The checks above can fail: the reader resolves `crate::`, `super::` and `self::` paths and
/// `use` groups, ignores comments, and the cycle search finds a cycle through three modules.
#[test]
fn the_graph_reader_finds_uses_and_cycles() {
    let paths = |f: &File| -> Vec<String> {
        let mut v: Vec<String> = named(f).iter().map(|p| p.join("::")).collect();
        v.sort();
        v
    };
    let f = file(
        "run::step",
        "use crate::{a::X, b::{c, d}, e};\n// crate::commented\nuse super::state::{self, S};\nfn f() { crate::g::h(); super::super::front::x(); }\n/// [`crate::doc`]\n",
    );
    assert_eq!(
        paths(&f),
        [
            "a::X",
            "b::c",
            "b::d",
            "e",
            "front::x",
            "g::h",
            "run::state",
            "run::state::S"
        ]
    );
    let m = file("run", "use super::front::Error;\nuse self::step::Flow;\n");
    assert_eq!(paths(&m), ["front::Error", "run::step::Flow"]);
    let graph: Graph =
        [("x", "y"), ("y", "z"), ("z", "x"), ("z", "w")]
            .iter()
            .fold(Graph::new(), |mut g, (a, b)| {
                g.entry((*a).into()).or_default().insert((*b).into());
                g
            });
    assert_eq!(cycles(&graph), vec![vec!["x", "y", "z"]]);
}
