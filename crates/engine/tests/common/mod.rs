//! Helpers shared by the integration tests.

/// `../shared/conformance` beside the project, or `O11Y_CONFORMANCE_DIR`.
#[allow(dead_code)] // not every test that includes this module reads conformance data
pub fn conformance_dir() -> std::path::PathBuf {
    std::env::var_os("O11Y_CONFORMANCE_DIR").map_or_else(
        || std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/conformance"),
        std::path::PathBuf::from,
    )
}

/// How long a time-boxed fuzz test runs: `O11Y_FUZZ_SECONDS`, 3 s by default.
#[allow(dead_code)] // used by the fuzz tests, not by every test that includes this module
pub fn fuzz_seconds() -> u64 {
    std::env::var("O11Y_FUZZ_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(3)
}

/// A typed query with a few edits: bytes removed, inserted or replaced,
/// one of `pieces` spliced in, or the rest cut off.
#[allow(dead_code)] // used by the fuzz tests, not by every test that includes this module
pub fn mutate(rng: &mut rand_pcg::Pcg64Mcg, input: &str, pieces: &[&str]) -> String {
    use rand::Rng;
    let mut bytes = input.as_bytes().to_vec();
    for _ in 0..rng.random_range(1..4) {
        let at = rng.random_range(0..=bytes.len());
        match rng.random_range(0..5) {
            0 if at < bytes.len() => {
                bytes.remove(at);
            }
            1 => bytes.insert(at, rng.random_range(0x20..0x7f)),
            2 => {
                let piece = pieces[rng.random_range(0..pieces.len())];
                bytes.splice(at..at, piece.bytes());
            }
            3 => bytes.truncate(at),
            _ if at < bytes.len() => bytes[at] = rng.random(),
            _ => {}
        }
    }
    String::from_utf8_lossy(&bytes).into_owned()
}
