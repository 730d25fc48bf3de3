//! Compiles the lessons of `lessons/` and the demo scripts of `demos/` (at
//! the repository root) into the engine: `learn::BUILTIN` and
//! `learn::script::BUILTIN_DEMOS` list every `*.md` file there, by file
//! name, with its text (`include_str!`), so a new file is in the page
//! without touching code.

use std::path::Path;

fn main() {
    let manifest = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let out_dir = std::env::var("OUT_DIR").expect("cargo sets OUT_DIR");
    for (dir, out) in [("lessons", "lessons.rs"), ("demos", "demos.rs")] {
        let dir = Path::new(&manifest).join("../..").join(dir);
        println!("cargo:rerun-if-changed={}", dir.display());
        // A folder that cannot be read fails the build: a page without its
        // lessons must not pass for one with none.
        let mut files: Vec<_> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
            .map(|entry| {
                entry
                    .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
                    .path()
            })
            .filter(|p| p.extension().is_some_and(|x| x == "md"))
            .collect();
        files.sort();
        let mut list = String::from("&[\n");
        for f in &files {
            println!("cargo:rerun-if-changed={}", f.display());
            let name = f
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or_else(|| panic!("{} is not a UTF-8 file name", f.display()));
            let path = f.canonicalize().unwrap_or_else(|_| f.clone());
            list.push_str(&format!(
                "    ({name:?}, include_str!({:?})),\n",
                path.display().to_string()
            ));
        }
        list.push(']');
        std::fs::write(Path::new(&out_dir).join(out), list).expect("OUT_DIR is writable");
    }
}
