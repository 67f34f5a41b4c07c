//! The import graph of src/ follows the data flow: no file reaches itself
//! through `crate::` or `super::` paths (tests inside files excepted, as
//! they may reach anywhere). The same check as `import_cycles.py`, so a
//! circle fails `cargo test`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Every .rs file under src/, by its path relative to src/.
/// The crate rooted at `src/<root>`: the library at `src` (src/bin is
/// another crate), the binary at `src/bin/multistart`.
fn sources(root: &str) -> BTreeMap<String, String> {
    fn walk(dir: &Path, root: &Path, out: &mut BTreeMap<String, String>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() && path.file_name().is_some_and(|n| n == "bin") {
                continue;
            } else if path.is_dir() {
                walk(&path, root, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let name = path.strip_prefix(root).unwrap().to_string_lossy().into_owned();
                out.insert(name, std::fs::read_to_string(&path).unwrap());
            }
        }
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join(root);
    let mut out = BTreeMap::new();
    walk(&root, &root, &mut out);
    out
}

/// The module path of a file: `engine/gpu/mod.rs` is [engine, gpu].
fn module_of(file: &str) -> Vec<String> {
    let mut parts: Vec<String> = file.trim_end_matches(".rs").split('/').map(String::from).collect();
    if matches!(parts.last().map(String::as_str), Some("mod" | "lib" | "main")) {
        parts.pop();
    }
    parts
}

/// The deepest file that a module path names.
fn file_of(parts: &[String], files: &BTreeMap<String, String>) -> Option<String> {
    let mut best = None;
    for k in 1..=parts.len() {
        let stem = parts[..k].join("/");
        for candidate in [format!("{stem}.rs"), format!("{stem}/mod.rs")] {
            if files.contains_key(&candidate) {
                best = Some(candidate);
            }
        }
    }
    best
}

/// The text without `#[cfg(test)] mod ... { ... }` blocks and `//` comments.
fn code_of(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find("#[cfg(test)]") {
        out.push_str(&rest[..at]);
        let after = &rest[at..];
        let Some(open) = after.find('{').filter(|&o| after[..o].contains("mod ")) else {
            out.push_str("#[cfg(test)]");
            rest = &after["#[cfg(test)]".len()..];
            continue;
        };
        let mut depth = 0;
        let end = after[open..]
            .char_indices()
            .find(|&(_, c)| {
                depth += (c == '{') as i32 - (c == '}') as i32;
                depth == 0
            })
            .map_or(after.len(), |(k, _)| open + k + 1);
        rest = &after[end..];
    }
    out.push_str(rest);
    out.lines().map(|l| l.split("//").next().unwrap_or("")).collect::<Vec<_>>().join("\n")
}

/// The module paths a file's code names through `crate::` and `super::`.
fn uses_of(code: &str, here: &[String]) -> Vec<Vec<String>> {
    let is_ident = |c: char| c.is_alphanumeric() || c == '_';
    let mut out = Vec::new();
    for root in ["crate::", "super::"] {
        for (at, _) in code.match_indices(root) {
            if at > 0 && code[..at].chars().next_back().is_some_and(is_ident) {
                continue;
            }
            let mut base: Vec<String> =
                if root == "crate::" { Vec::new() } else { here[..here.len().saturating_sub(1)].to_vec() };
            let mut rest = &code[at + root.len()..];
            while let Some(more) = rest.strip_prefix("super::") {
                base.pop();
                rest = more;
            }
            // A path a::b::c, possibly ending in a group {x, y::z}.
            let path_end = rest.find(|c: char| !(is_ident(c) || c == ':')).unwrap_or(rest.len());
            let path: Vec<String> = rest[..path_end].split("::").filter(|p| !p.is_empty()).map(String::from).collect();
            let prefix: Vec<String> = base.iter().cloned().chain(path).collect();
            if rest[path_end..].starts_with('{') {
                let group = &rest[path_end + 1..rest[path_end..].find('}').map_or(rest.len(), |k| path_end + k)];
                for item in group.split(',') {
                    let item = item.split(" as ").next().unwrap_or("").trim();
                    let mut parts = prefix.clone();
                    if item != "self" {
                        parts.extend(item.split("::").filter(|p| !p.is_empty()).map(String::from));
                    }
                    out.push(parts);
                }
            } else {
                out.push(prefix);
            }
        }
    }
    out
}

#[test]
fn no_file_of_src_reaches_itself_through_its_imports() {
    let library = circles("src");
    assert!(library.edges["problem.rs"].contains("surface/mod.rs"), "the graph was read: {:?}", library.edges);
    assert!(library.circles.is_empty(), "imports that close a circle in the library: {:?}", library.circles);
    let binary = circles("src/bin/multistart");
    assert!(binary.edges["commands/run.rs"].contains("config.rs"), "the graph was read: {:?}", binary.edges);
    assert!(binary.circles.is_empty(), "imports that close a circle in the binary: {:?}", binary.circles);
}

/// A crate's import graph, file to file, and the edges that close a circle.
struct Graph {
    edges: BTreeMap<String, BTreeSet<String>>,
    circles: Vec<String>,
}

fn circles(root: &str) -> Graph {
    let files = sources(root);
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (file, text) in &files {
        let here = module_of(file);
        let targets = uses_of(&code_of(text), &here)
            .into_iter()
            .filter_map(|parts| file_of(&parts, &files))
            .filter(|target| target != file)
            .collect();
        edges.insert(file.clone(), targets);
    }
    let reaches = |from: &str, to: &str| {
        let mut seen = BTreeSet::new();
        let mut stack = vec![from.to_string()];
        while let Some(f) = stack.pop() {
            if f == to {
                return true;
            }
            if seen.insert(f.clone()) {
                stack.extend(edges[&f].iter().cloned());
            }
        }
        false
    };
    let circles: Vec<String> = edges
        .iter()
        .flat_map(|(from, tos)| tos.iter().filter(|to| reaches(to, from)).map(move |to| format!("{from} -> {to}")))
        .collect();
    Graph { edges, circles }
}
