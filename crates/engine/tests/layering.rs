//! The engine's crates stay layered (ARCHITECTURE.md): a crate depends only
//! on crates below it in [`LAYERS`], and inside a crate no two files
//! import each other, directly or around a loop. Both are read from the
//! source, so a cycle cannot come back unnoticed.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

/// The engine crates, bottom first. A crate may depend on crates before
/// it, never on one after it. Crates on the same rung do not depend on
/// each other.
const LAYERS: [&[&str]; 8] = [
    &["o11y-model"],
    &["o11y-template", "o11y-metrics"],
    &["o11y-promql", "o11y-traces"],
    &["o11y-logs"],
    &["o11y-alerting", "o11y-dashboards"],
    &["o11y-sim"],
    &["o11y-engine"],
    &["o11y-cli", "o11y-playground"],
];

fn rung(name: &str) -> Option<usize> {
    LAYERS.iter().position(|r| r.contains(&name))
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

#[test]
fn crates_depend_only_on_crates_below_them() {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string());
    let output = Command::new(cargo)
        .current_dir(workspace_root())
        .args([
            "metadata",
            "--format-version",
            "1",
            "--no-deps",
            "--offline",
        ])
        .output()
        .expect("cargo metadata runs");
    assert!(
        output.status.success(),
        "cargo metadata failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let meta: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let mut wrong = Vec::new();
    let mut seen = 0;
    for package in meta["packages"].as_array().unwrap() {
        let name = package["name"].as_str().unwrap();
        let Some(own) = rung(name) else {
            wrong.push(format!("{name} is not in LAYERS"));
            continue;
        };
        seen += 1;
        for dep in package["dependencies"].as_array().unwrap() {
            let dep_name = dep["name"].as_str().unwrap();
            if !dep_name.starts_with("o11y-") {
                continue;
            }
            match rung(dep_name) {
                Some(r) if r < own => {}
                _ => wrong.push(format!(
                    "{name} (rung {own}) depends on {dep_name} (rung {:?})",
                    rung(dep_name)
                )),
            }
        }
    }
    assert!(wrong.is_empty(), "layering broken:\n{}", wrong.join("\n"));
    assert_eq!(seen, LAYERS.iter().map(|r| r.len()).sum::<usize>());
}

/// A source file and the module path it defines (`["rules", "group"]`).
struct File {
    module: Vec<String>,
    text: String,
}

fn source_files(src: &Path) -> Vec<File> {
    let mut out = Vec::new();
    let mut stack = vec![src.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            if path.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let rel = path.strip_prefix(src).unwrap();
            let mut module: Vec<String> = rel
                .with_extension("")
                .iter()
                .map(|c| c.to_string_lossy().into_owned())
                .collect();
            if matches!(
                module.last().map(String::as_str),
                Some("mod" | "lib" | "main")
            ) {
                module.pop();
            }
            out.push(File {
                module,
                text: std::fs::read_to_string(&path).unwrap(),
            });
        }
    }
    out
}

/// The paths a file names: `crate::a::b`, `super::c`, `self::d`, and
/// `child::e` for its own child modules, with `{…}` groups expanded.
/// Re-exports (`pub use`) and module declarations are not imports.
fn named_paths(file: &File, children: &BTreeSet<String>) -> Vec<Vec<String>> {
    let mut paths = Vec::new();
    for line in file.text.lines() {
        let line = line.trim();
        if line.starts_with("//") || line.starts_with("pub use") || line.starts_with("pub mod") {
            continue;
        }
        let bytes = line.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            let starts_word = i == 0
                || !(bytes[i - 1].is_ascii_alphanumeric()
                    || bytes[i - 1] == b'_'
                    || bytes[i - 1] == b'$'
                    || bytes[i - 1] == b':');
            if starts_word && line.is_char_boundary(i) {
                let rest = &line[i..];
                let head = ["crate::", "super::", "self::"]
                    .into_iter()
                    .find(|h| rest.starts_with(h))
                    .map(|h| h.trim_end_matches(':').to_string())
                    .or_else(|| {
                        children
                            .iter()
                            .find(|c| rest.starts_with(&format!("{c}::")))
                            .cloned()
                    });
                if let Some(head) = head {
                    let tail = &rest[head.len()..];
                    for mut p in expand(tail) {
                        p.insert(0, head.clone());
                        paths.push(p);
                    }
                    i += head.len();
                    continue;
                }
            }
            i += 1;
        }
    }
    paths
}

/// `::a::{b, c::d}` → `[a, b]`, `[a, c, d]` (identifiers only).
fn expand(tail: &str) -> Vec<Vec<String>> {
    let mut segs = Vec::new();
    let mut rest = tail;
    while let Some(after) = rest.strip_prefix("::") {
        if let Some(group) = after.strip_prefix('{') {
            let mut depth = 1;
            let mut end = group.len();
            for (k, c) in group.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' => {
                        depth -= 1;
                        if depth == 0 {
                            end = k;
                            break;
                        }
                    }
                    _ => {}
                }
            }
            let mut out = Vec::new();
            let mut depth = 0;
            let mut start = 0;
            let inner = &group[..end];
            let mut items = Vec::new();
            for (k, c) in inner.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        items.push(&inner[start..k]);
                        start = k + 1;
                    }
                    _ => {}
                }
            }
            items.push(&inner[start..]);
            for item in items {
                for p in expand(&format!("::{}", item.trim())) {
                    let mut full = segs.clone();
                    full.extend(p);
                    out.push(full);
                }
            }
            if out.is_empty() {
                out.push(segs);
            }
            return out;
        }
        let len = after
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(after.len());
        if len == 0 {
            break;
        }
        segs.push(after[..len].to_string());
        rest = &after[len..];
    }
    vec![segs]
}

#[test]
fn no_import_cycles_between_files() {
    let crates = workspace_root().join("crates");
    let mut cycles = Vec::new();
    for entry in std::fs::read_dir(&crates).unwrap() {
        let src = entry.unwrap().path().join("src");
        if !src.is_dir() {
            continue;
        }
        let files = source_files(&src);
        let modules: BTreeSet<Vec<String>> = files.iter().map(|f| f.module.clone()).collect();
        // The file a path names: the longest prefix that is a file's module.
        let resolve = |mut path: Vec<String>| -> Option<Vec<String>> {
            while !path.is_empty() {
                if modules.contains(&path) {
                    return Some(path);
                }
                path.pop();
            }
            None
        };
        let mut edges: BTreeMap<Vec<String>, BTreeSet<Vec<String>>> = BTreeMap::new();
        for file in &files {
            let children: BTreeSet<String> = modules
                .iter()
                .filter(|m| m.len() == file.module.len() + 1 && m.starts_with(&file.module))
                .map(|m| m.last().unwrap().clone())
                .collect();
            for path in named_paths(file, &children) {
                let (base, rest): (Vec<String>, &[String]) = match path[0].as_str() {
                    "crate" => (Vec::new(), &path[1..]),
                    "self" => (file.module.clone(), &path[1..]),
                    "super" => {
                        let mut base = file.module.clone();
                        let mut rest = &path[..];
                        while rest.first().is_some_and(|s| s == "super") {
                            base.pop();
                            rest = &rest[1..];
                        }
                        (base, rest)
                    }
                    _ => (file.module.clone(), &path[..]),
                };
                let mut full = base;
                full.extend(rest.iter().cloned());
                // A directory module is one module: its files may use each
                // other's items (`super::`), except the crate root's.
                let family = |a: &Vec<String>, b: &Vec<String>| {
                    !a.is_empty() && !b.is_empty() && (a.starts_with(b) || b.starts_with(a))
                };
                if let Some(target) = resolve(full)
                    && target != file.module
                    && !family(&target, &file.module)
                {
                    edges.entry(file.module.clone()).or_default().insert(target);
                }
            }
        }
        // Depth-first search for a back edge.
        fn visit(
            node: &Vec<String>,
            edges: &BTreeMap<Vec<String>, BTreeSet<Vec<String>>>,
            state: &mut BTreeMap<Vec<String>, u8>,
            stack: &mut Vec<Vec<String>>,
            found: &mut Vec<String>,
        ) {
            state.insert(node.clone(), 1);
            stack.push(node.clone());
            for next in edges.get(node).into_iter().flatten() {
                match state.get(next).copied().unwrap_or(0) {
                    0 => visit(next, edges, state, stack, found),
                    1 => {
                        let from = stack.iter().position(|n| n == next).unwrap();
                        let names: Vec<String> = stack[from..]
                            .iter()
                            .chain([next])
                            .map(|m| {
                                if m.is_empty() {
                                    "lib".to_string()
                                } else {
                                    m.join("::")
                                }
                            })
                            .collect();
                        found.push(names.join(" → "));
                    }
                    _ => {}
                }
            }
            stack.pop();
            state.insert(node.clone(), 2);
        }
        let mut state = BTreeMap::new();
        let mut found = Vec::new();
        for node in edges.keys() {
            if !state.contains_key(node) {
                visit(node, &edges, &mut state, &mut Vec::new(), &mut found);
            }
        }
        let name = src
            .parent()
            .unwrap()
            .file_name()
            .unwrap()
            .to_string_lossy()
            .into_owned();
        cycles.extend(found.into_iter().map(|c| format!("{name}: {c}")));
    }
    assert!(cycles.is_empty(), "import cycles:\n{}", cycles.join("\n"));
}
