//! The server's modules depend on each other in one direction: no two top-level modules of
//! `src/` import each other, directly or round a circle (`routes` → `state` → `monitoring`
//! → `inventory`, never back). Read from the source: every `crate::a::b` and `super::b` path
//! outside comments and test modules is an edge. Within a top-level module the same holds.
//!
//! Domain modules speak in their own error enums: `ApiError`, the wire's error, appears only
//! in `routes`, `ws` and `error` (its catalogue).
//!
//! Written by hand because `cargo modules` needs a nightly toolchain's rust-analyzer build
//! and minutes to install, and the question is one graph and one search.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

#[test]
fn top_level_modules_import_each_other_one_way_only() {
    assert_no_circles(1, "top-level modules");
}

#[test]
fn modules_inside_a_top_level_module_import_each_other_one_way_only() {
    assert_no_circles(2, "modules inside a top-level module");
}

#[test]
fn only_the_http_and_websocket_edges_make_api_errors() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut paths = Vec::new();
    collect_rust_files(&src, &mut paths);
    let offenders: Vec<String> = paths
        .iter()
        .filter(|path| {
            let module = module_of(&src, path);
            let edge = matches!(
                module.first().map(String::as_str),
                Some("routes" | "ws" | "error")
            );
            let text = std::fs::read_to_string(path).expect("a source file");
            !edge && code_of(&text).contains("ApiError")
        })
        .map(|path| path.display().to_string())
        .collect();
    assert!(
        offenders.is_empty(),
        "ApiError outside routes and ws (give the domain its own error, and its code in \
         routes/errors.rs): {offenders:?}"
    );
}

/// Fails naming every circle among the modules `depth` levels down.
fn assert_no_circles(depth: usize, what: &str) {
    let graph = Graph::read(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"));
    let circles = graph.circles(depth);
    assert!(
        circles.is_empty(),
        "{what} in a circle:\n{}",
        graph.describe(&circles, depth)
    );
}

/// Which module imports which, for every file under `src/`.
struct Graph {
    /// Each file's module path and the module paths it names.
    files: Vec<(Vec<String>, Vec<Vec<String>>)>,
    modules: BTreeSet<Vec<String>>,
}

impl Graph {
    fn read(src: &Path) -> Graph {
        let mut paths = Vec::new();
        collect_rust_files(src, &mut paths);
        let mut files = Vec::new();
        let mut modules = BTreeSet::new();
        for path in paths {
            let module = module_of(src, &path);
            let text = std::fs::read_to_string(&path).expect("a source file");
            let named = named_modules(&module, &code_of(&text));
            modules.insert(module.clone());
            files.push((module, named));
        }
        Graph { files, modules }
    }

    /// The edges between modules cut to `depth` segments (1: top-level modules; 2: the
    /// modules inside one top-level module).
    fn edges(&self, depth: usize) -> BTreeMap<String, BTreeSet<String>> {
        let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for (module, named) in &self.files {
            if module.len() < depth {
                continue;
            }
            for target in named {
                // Only real modules: `crate::monitoring::datetime_of_ms` names a function.
                let known = (1..=target.len()).rev().find_map(|len| {
                    let prefix = target[..len].to_vec();
                    self.modules.contains(&prefix).then_some(prefix)
                });
                let Some(target) = known.filter(|target| target.len() >= depth) else {
                    continue;
                };
                if depth > 1 && target[..depth - 1] != module[..depth - 1] {
                    continue;
                }
                let (from, to) = (module[..depth].join("::"), target[..depth].join("::"));
                if from != to {
                    edges.entry(from).or_default().insert(to);
                }
            }
        }
        edges
    }

    /// The strongly connected groups of more than one module (Tarjan's algorithm).
    fn circles(&self, depth: usize) -> Vec<BTreeSet<String>> {
        let edges = self.edges(depth);
        let mut search = Tarjan {
            edges: &edges,
            index: BTreeMap::new(),
            low: BTreeMap::new(),
            stack: Vec::new(),
            on_stack: BTreeSet::new(),
            next: 0,
            circles: Vec::new(),
        };
        for module in edges.keys() {
            if !search.index.contains_key(module.as_str()) {
                search.visit(module);
            }
        }
        search.circles
    }

    fn describe(&self, circles: &[BTreeSet<String>], depth: usize) -> String {
        let edges = self.edges(depth);
        let mut text = String::new();
        for circle in circles {
            for from in circle {
                for to in edges[from].iter().filter(|to| circle.contains(*to)) {
                    text.push_str(&format!("  {from} -> {to}\n"));
                }
            }
            text.push('\n');
        }
        text
    }
}

struct Tarjan<'a> {
    edges: &'a BTreeMap<String, BTreeSet<String>>,
    index: BTreeMap<&'a str, usize>,
    low: BTreeMap<&'a str, usize>,
    stack: Vec<&'a str>,
    on_stack: BTreeSet<&'a str>,
    next: usize,
    circles: Vec<BTreeSet<String>>,
}

impl<'a> Tarjan<'a> {
    fn visit(&mut self, module: &'a str) {
        self.index.insert(module, self.next);
        self.low.insert(module, self.next);
        self.next += 1;
        self.stack.push(module);
        self.on_stack.insert(module);
        for target in self.edges.get(module).into_iter().flatten() {
            if !self.index.contains_key(target.as_str()) {
                self.visit(target);
                let low = self.low[module].min(self.low[target.as_str()]);
                self.low.insert(module, low);
            } else if self.on_stack.contains(target.as_str()) {
                let low = self.low[module].min(self.index[target.as_str()]);
                self.low.insert(module, low);
            }
        }
        if self.low[module] == self.index[module] {
            let mut circle = BTreeSet::new();
            while let Some(member) = self.stack.pop() {
                self.on_stack.remove(member);
                circle.insert(member.to_owned());
                if member == module {
                    break;
                }
            }
            if circle.len() > 1 {
                self.circles.push(circle);
            }
        }
    }
}

fn collect_rust_files(dir: &Path, found: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("a source folder") {
        let path = entry.expect("a folder entry").path();
        if path.is_dir() {
            collect_rust_files(&path, found);
        } else if path.extension().is_some_and(|extension| extension == "rs") {
            found.push(path);
        }
    }
}

/// `src/monitoring/device/actor.rs` is `monitoring::device::actor`; `mod.rs` is its folder.
fn module_of(src: &Path, path: &Path) -> Vec<String> {
    let relative = path.strip_prefix(src).expect("under src");
    let mut segments: Vec<String> = relative
        .with_extension("")
        .iter()
        .map(|segment| segment.to_string_lossy().into_owned())
        .collect();
    if matches!(
        segments.last().map(String::as_str),
        Some("mod" | "lib" | "main")
    ) {
        segments.pop();
    }
    segments
}

/// The code of a file without its test module and its comment lines.
fn code_of(text: &str) -> String {
    let code = text.split("#[cfg(test)]").next().unwrap_or_default();
    code.lines()
        .filter(|line| !line.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The module paths `code` (of `module`) names: `crate::a::b::…` and `super::a` (also
/// inside `super::{a, b}`), as far as their segments are lower-case names.
fn named_modules(module: &[String], code: &str) -> Vec<Vec<String>> {
    let mut named = Vec::new();
    for (at, _) in code.match_indices("crate::") {
        named.push(lower_case_path(&code[at + "crate::".len()..]));
    }
    let parent = &module[..module.len().saturating_sub(1)];
    for (at, _) in code.match_indices("super::") {
        let rest = &code[at + "super::".len()..];
        let heads: Vec<Vec<String>> = match rest.strip_prefix('{') {
            Some(group) => group
                .split('}')
                .next()
                .unwrap_or_default()
                .split(',')
                .map(|item| lower_case_path(item.trim()))
                .collect(),
            None => vec![lower_case_path(rest)],
        };
        for head in heads.into_iter().filter(|head| !head.is_empty()) {
            named.push(parent.iter().cloned().chain(head).collect());
        }
    }
    named
}

/// The leading `a::b::c` of `text` while its segments are lower-case identifiers.
fn lower_case_path(text: &str) -> Vec<String> {
    let mut segments = Vec::new();
    for segment in text.split("::") {
        let name: String = segment
            .chars()
            .take_while(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '_')
            .collect();
        if name.is_empty() {
            break;
        }
        let whole = name.len() == segment.len();
        segments.push(name);
        if !whole {
            break;
        }
    }
    segments
}
