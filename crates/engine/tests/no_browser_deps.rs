//! The engine must stay free of browser crates, on every target: it is
//! tested natively and shared by the app and the CLI (ARCHITECTURE.md).

use std::process::Command;

const FORBIDDEN: [&str; 6] = [
    "leptos",
    "web-sys",
    "wasm-bindgen",
    "js-sys",
    "gloo",
    "getrandom",
];

#[test]
fn engine_has_no_browser_dependency() {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string());
    let output = Command::new(cargo)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args([
            "tree",
            "-p",
            "o11y-engine",
            "-e",
            "normal",
            "--target",
            "all",
            "--prefix",
            "none",
        ])
        .output()
        .expect("cargo tree runs");
    assert!(
        output.status.success(),
        "cargo tree failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let tree = String::from_utf8_lossy(&output.stdout);
    let offending: Vec<&str> = tree
        .lines()
        .filter(|line| FORBIDDEN.iter().any(|f| line.starts_with(f)))
        .collect();
    assert!(
        offending.is_empty(),
        "browser crates in the engine's tree: {offending:?}"
    );
    assert!(tree.contains("regex"), "the tree was read: {tree}");
}
