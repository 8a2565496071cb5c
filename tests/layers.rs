//! The layers of docs/models.md hold in the code: no module imports from a lower layer, the
//! top-level modules import each other without a circle, and no two files of one module
//! import each other in a circle. The imports are read from the sources (`use` trees and
//! paths through `crate::` and `super::`), comments and strings left out.

use std::{
    collections::{BTreeMap, BTreeSet},
    fs,
    path::{Path, PathBuf},
};

const SRC: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/src");

/// The layer of each top-level module, from the numbered list under "Layers" in
/// docs/models.md (each item names its modules in backticks; an item may wrap).
fn layers() -> BTreeMap<String, usize> {
    let doc = fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/models.md")).unwrap();
    let start = doc
        .find("\nLayers, each importing only")
        .expect("the Layers list");
    let mut out = BTreeMap::new();
    let mut layer = 0;
    for line in doc[start..].lines().skip(1) {
        let line = line.trim();
        let numbered = line
            .split_once(". ")
            .and_then(|(n, _)| n.parse::<usize>().ok());
        match numbered {
            Some(n) => layer = n,
            None if layer > 0 && line.is_empty() => break,
            None if layer == 0 => continue,
            None => {}
        }
        for (k, part) in line.split('`').enumerate() {
            let name = part.trim();
            let plain = name.chars().all(|c| c.is_ascii_lowercase() || c == '_');
            if k % 2 == 1 && !name.is_empty() && plain {
                out.entry(name.to_string()).or_insert(layer);
            }
        }
    }
    out
}

/// The source without comments, string and char literals (so that `crate::` in a doc
/// example or a message is not an import).
fn code_of(text: &str) -> String {
    let b: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            '/' if b.get(i + 1) == Some(&'/') => {
                while i < b.len() && b[i] != '\n' {
                    i += 1;
                }
            }
            '/' if b.get(i + 1) == Some(&'*') => {
                i += 2;
                while i + 1 < b.len() && !(b[i] == '*' && b[i + 1] == '/') {
                    i += 1;
                }
                i += 2;
            }
            'r' if b.get(i + 1) == Some(&'#')
                || (b.get(i + 1) == Some(&'"') && i > 0 && !b[i - 1].is_alphanumeric()) =>
            {
                let mut hashes = 0;
                let mut j = i + 1;
                while b.get(j) == Some(&'#') {
                    hashes += 1;
                    j += 1;
                }
                if b.get(j) != Some(&'"') {
                    out.push(b[i]);
                    i += 1;
                    continue;
                }
                j += 1;
                loop {
                    if j >= b.len() {
                        break;
                    }
                    if b[j] == '"' && (0..hashes).all(|h| b.get(j + 1 + h) == Some(&'#')) {
                        j += 1 + hashes;
                        break;
                    }
                    j += 1;
                }
                i = j;
            }
            '"' => {
                i += 1;
                while i < b.len() && b[i] != '"' {
                    if b[i] == '\\' {
                        i += 1;
                    }
                    i += 1;
                }
                i += 1;
            }
            '\'' if b.get(i + 2) == Some(&'\'') || (b.get(i + 1) == Some(&'\\')) => {
                // A char literal ('x' or '\n'); lifetimes ('a) are left alone.
                i += 1;
                while i < b.len() && b[i] != '\'' {
                    if b[i] == '\\' {
                        i += 1;
                    }
                    i += 1;
                }
                i += 1;
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    out
}

/// The code without its `#[cfg(test)]` modules: unit tests may use helpers of any layer.
fn without_tests(code: &str) -> String {
    let mut out = String::with_capacity(code.len());
    let mut rest = code;
    while let Some(at) = rest.find("#[cfg(test)]") {
        out.push_str(&rest[..at]);
        let after = &rest[at + "#[cfg(test)]".len()..];
        let trimmed = after.trim_start();
        if !trimmed.starts_with("mod ") {
            rest = after;
            continue;
        }
        let Some(open) = trimmed.find('{') else {
            rest = trimmed;
            continue;
        };
        let mut depth = 0;
        let mut end = trimmed.len();
        for (k, c) in trimmed[open..].char_indices() {
            match c {
                '{' => depth += 1,
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        end = open + k + 1;
                        break;
                    }
                }
                _ => {}
            }
        }
        rest = &trimmed[end..];
    }
    out.push_str(rest);
    out
}

/// Every path a piece of code names from `root::` (`crate::` or `super::`), use trees
/// expanded: `crate::{a::b, c}` gives [a, b] and [c].
fn paths_from(code: &str, root: &str) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    let mut rest = code;
    while let Some(at) = rest.find(root) {
        let before = rest[..at].chars().last();
        rest = &rest[at + root.len()..];
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':') {
            continue;
        }
        tree(rest, Vec::new(), &mut out);
    }
    out
}

/// Expands the use tree at the start of `s` after the path `prefix`.
fn tree(s: &str, prefix: Vec<String>, out: &mut Vec<Vec<String>>) {
    let s = s.trim_start();
    if let Some(inner) = s.strip_prefix('{') {
        let mut depth = 0;
        let mut start = 0;
        for (k, c) in inner.char_indices() {
            match c {
                '{' => depth += 1,
                '}' if depth == 0 => {
                    tree(&inner[start..k], prefix.clone(), out);
                    return;
                }
                '}' => depth -= 1,
                ',' if depth == 0 => {
                    tree(&inner[start..k], prefix.clone(), out);
                    start = k + 1;
                }
                _ => {}
            }
        }
        return;
    }
    let name: String = s
        .chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect();
    if name.is_empty() {
        if !prefix.is_empty() {
            out.push(prefix);
        }
        return;
    }
    let mut path = prefix;
    path.push(name.clone());
    match s[name.len()..].strip_prefix("::") {
        Some(more) => tree(more, path, out),
        None => out.push(path),
    }
}

/// Source files under `dir` with their module paths (`sample::chains`, `sample` for
/// sample/mod.rs).
fn files(dir: &Path, module: &[String], out: &mut Vec<(Vec<String>, PathBuf)>) {
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let stem = path.file_stem().unwrap().to_string_lossy().to_string();
        if path.is_dir() {
            let mut m = module.to_vec();
            m.push(stem);
            files(&path, &m, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            let mut m = module.to_vec();
            if stem != "mod" && stem != "lib" && stem != "main" {
                m.push(stem);
            }
            out.push((m, path));
        }
    }
}

/// Imports between modules: from each file's module to the modules it names.
fn imports() -> Vec<(Vec<String>, Vec<String>)> {
    let mut all = Vec::new();
    files(Path::new(SRC), &[], &mut all);
    let known: BTreeSet<Vec<String>> = all.iter().map(|(m, _)| m.clone()).collect();
    let mut edges = Vec::new();
    for (module, path) in &all {
        // The binary's modules (cli/, main.rs) are their own crate: `crate::` is the binary.
        if module.first().is_some_and(|m| m == "cli") || path.ends_with("main.rs") {
            continue;
        }
        let code = without_tests(&code_of(&fs::read_to_string(path).unwrap()));
        // `super::` is the parent of the file's module (the crate root for a top-level
        // mod.rs).
        let parent = module[..module.len().saturating_sub(1)].to_vec();
        let mut targets = paths_from(&code, "crate::");
        for p in paths_from(&code, "super::") {
            let mut t = parent.clone();
            t.extend(p);
            targets.push(t);
        }
        for t in targets {
            // The longest prefix that is a module of its own.
            let target = (1..=t.len())
                .rev()
                .map(|k| t[..k].to_vec())
                .find(|m| known.contains(m));
            if let Some(target) = target {
                if &target != module && !module.is_empty() {
                    edges.push((module.clone(), target));
                }
            }
        }
    }
    edges.sort();
    edges.dedup();
    edges
}

/// A circle in a graph, if any.
fn circle(edges: &BTreeSet<(String, String)>) -> Option<Vec<String>> {
    let nodes: BTreeSet<&String> = edges.iter().flat_map(|(a, b)| [a, b]).collect();
    fn visit<'a>(
        node: &'a String,
        edges: &'a BTreeSet<(String, String)>,
        state: &mut BTreeMap<&'a String, u8>,
        stack: &mut Vec<&'a String>,
    ) -> Option<Vec<String>> {
        state.insert(node, 1);
        stack.push(node);
        for (_, next) in edges.iter().filter(|(a, _)| a == node) {
            match state.get(next) {
                Some(1) => {
                    let from = stack.iter().position(|n| *n == next).unwrap();
                    let mut c: Vec<String> = stack[from..].iter().map(|s| s.to_string()).collect();
                    c.push(next.clone());
                    return Some(c);
                }
                Some(_) => {}
                None => {
                    if let Some(c) = visit(next, edges, state, stack) {
                        return Some(c);
                    }
                }
            }
        }
        stack.pop();
        state.insert(node, 2);
        None
    }
    let mut state = BTreeMap::new();
    for n in nodes {
        if !state.contains_key(n) {
            if let Some(c) = visit(n, edges, &mut state, &mut Vec::new()) {
                return Some(c);
            }
        }
    }
    None
}

#[test]
fn unit_tests_are_left_out() {
    let code = "use crate::a;\n#[cfg(test)]\nmod tests {\n use crate::b::{c};\n fn f() {}\n}\nuse crate::d;";
    let names: Vec<String> = paths_from(&without_tests(code), "crate::")
        .iter()
        .map(|p| p.join("::"))
        .collect();
    assert_eq!(names, ["a", "d"]);
}

#[test]
fn the_use_tree_reader_finds_every_path() {
    let code =
        code_of("use crate::{a::{b, c::D}, e}; // crate::f\nlet x = \"crate::g\"; crate::h::i();");
    let paths = paths_from(&code, "crate::");
    let names: Vec<String> = paths.iter().map(|p| p.join("::")).collect();
    assert_eq!(names, ["a::b", "a::c::D", "e", "h::i"]);
}

#[test]
fn every_module_is_in_a_layer_and_none_imports_from_a_lower_one() {
    let layers = layers();
    assert!(
        layers.len() >= 20,
        "the layer list was not read: {layers:?}"
    );
    let mut top = BTreeSet::new();
    let mut wrong = BTreeSet::new();
    for (from, to) in imports() {
        let (a, b) = (&from[0], &to[0]);
        if a == b {
            continue;
        }
        top.insert((a.clone(), b.clone()));
        match (layers.get(a), layers.get(b)) {
            (Some(la), Some(lb)) if lb > la => {
                wrong.insert(format!(
                    "`{}` (layer {la}) imports `{}` (layer {lb}), a lower layer",
                    from.join("::"),
                    to.join("::")
                ));
            }
            (Some(_), Some(_)) => {}
            (la, lb) => {
                let missing = if la.is_none() { a } else { b };
                debug_assert!(lb.is_none() || la.is_none());
                wrong.insert(format!(
                    "module `{missing}` is in no layer of docs/models.md"
                ));
            }
        }
    }
    let edges: Vec<String> = top.iter().map(|(a, b)| format!("{a} -> {b}")).collect();
    assert!(
        wrong.is_empty(),
        "{}\n(the imports between top-level modules: {})",
        wrong.into_iter().collect::<Vec<_>>().join("\n"),
        edges.join(", ")
    );
    if let Some(c) = circle(&top) {
        panic!(
            "the top-level modules import each other in a circle: {}",
            c.join(" -> ")
        );
    }
}

#[test]
fn no_files_of_one_module_import_each_other_in_a_circle() {
    // Between sibling files (a module's mod.rs, which re-exports its files, is left out).
    let mut siblings = BTreeSet::new();
    for (from, to) in imports() {
        if from.len() >= 2 && to.len() == from.len() && from[..from.len() - 1] == to[..to.len() - 1]
        {
            siblings.insert((from.join("::"), to.join("::")));
        }
    }
    if let Some(c) = circle(&siblings) {
        panic!("files import each other in a circle: {}", c.join(" -> "));
    }
}
