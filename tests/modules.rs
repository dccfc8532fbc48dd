//! The module graph, read from the sources: which top-level module of `src/` names which other
//! (`crate::x` in code, comments left out, `use crate::{a, b::c}` included). The front end
//! (`src/front/`: the command line, the subcommands, the terminal, the exit codes) may use the
//! core; no core module may use the front end, and no two modules may need each other, directly
//! or through others (a cycle means a fact or a type sits in the wrong module).
//!
//! `cargo test --test integration modules::` checks both.

use crate::builder::repo;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

const FRONT: &str = "front";

type Graph = BTreeMap<String, BTreeSet<String>>;

/// The top-level module a file of `src/` belongs to (`run/step.rs` -> `run`); `None` for the
/// crate root, which declares them all.
fn top_level(relative: &Path) -> Option<String> {
    let first = relative.components().next()?.as_os_str().to_str()?;
    match first {
        "lib.rs" | "main.rs" => None,
        _ => Some(first.trim_end_matches(".rs").to_owned()),
    }
}

/// The code of a Rust file without its comments (line comments and doc comments; the sources
/// use no block comments, and a `//` inside a string only cuts a line short).
fn code(text: &str) -> String {
    text.lines()
        .map(|l| l.split("//").next().unwrap_or_default())
        .collect::<Vec<_>>()
        .join("\n")
}

/// The top-level modules a piece of code names through `crate::`.
fn named(code: &str) -> BTreeSet<String> {
    let ident = |s: &str| -> String {
        s.trim_start()
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect()
    };
    let mut out = BTreeSet::new();
    for (i, _) in code.match_indices("crate::") {
        let rest = &code[i + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            // `crate::{a, b::{c, d}, e}`: the first name of each item at depth 0.
            let mut depth = 0;
            let mut item_start = true;
            for (j, c) in group.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => item_start = true,
                    c if item_start && !c.is_whitespace() => {
                        out.insert(ident(&group[j..]));
                        item_start = false;
                    }
                    _ => {}
                }
            }
        } else {
            out.insert(ident(rest));
        }
    }
    out.retain(|m| !m.is_empty());
    out
}

fn graph_of(src: &Path) -> Graph {
    let mut graph = Graph::new();
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
            let Some(module) = top_level(relative) else {
                continue;
            };
            let text = std::fs::read_to_string(&path).expect("read source");
            let uses = graph.entry(module.clone()).or_default();
            uses.extend(named(&code(&text)).into_iter().filter(|m| *m != module));
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
    assert!(graph.contains_key(FRONT), "no src/front/: {graph:?}");
    let offenders: Vec<String> = graph
        .iter()
        .filter(|(m, uses)| *m != FRONT && uses.contains(FRONT))
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
    let src = repo().join("src");
    let mut offenders = Vec::new();
    let mut pending = vec![src.clone()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).expect("read src").flatten() {
            let path = entry.path();
            if path.is_dir() {
                pending.push(path);
                continue;
            }
            let relative = path.strip_prefix(&src).expect("under src").to_path_buf();
            if path.extension().is_none_or(|e| e != "rs") || top_level(&relative).is_none_or(|m| m == FRONT) {
                continue;
            }
            let text = code(&std::fs::read_to_string(&path).expect("read source"));
            for krate in ["clap::", "dialoguer::", "indicatif::"] {
                if text.contains(krate) {
                    offenders.push(format!("{} uses {krate}", relative.display()));
                }
            }
        }
    }
    assert!(offenders.is_empty(), "{offenders:?}");
}

#[test]
fn no_cycle_between_modules() {
    let graph = src_graph();
    let found = cycles(&graph);
    assert!(
        found.is_empty(),
        "modules that need each other: {found:?}\ngraph: {graph:#?}"
    );
}

/// The checks above can fail: the reader finds `use crate::{..}` groups, ignores comments, and
/// the cycle search finds a cycle through three modules.
#[test]
fn the_graph_reader_finds_uses_and_cycles() {
    let names = named(&code(
        "use crate::{a::X, b::{c, d}, e};\n// crate::commented\nfn f() { crate::g::h(); }\n/// [`crate::doc`]\n",
    ));
    assert_eq!(names.into_iter().collect::<Vec<_>>(), ["a", "b", "e", "g"]);
    let graph: Graph =
        [("x", "y"), ("y", "z"), ("z", "x"), ("z", "w")]
            .iter()
            .fold(Graph::new(), |mut g, (a, b)| {
                g.entry((*a).into()).or_default().insert((*b).into());
                g
            });
    assert_eq!(cycles(&graph), vec![vec!["x", "y", "z"]]);
}
