//! Helpers shared by the integration tests.

/// `../shared/conformance` beside the project, or `O11Y_CONFORMANCE_DIR`.
pub fn conformance_dir() -> std::path::PathBuf {
    std::env::var_os("O11Y_CONFORMANCE_DIR").map_or_else(
        || std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/conformance"),
        std::path::PathBuf::from,
    )
}
