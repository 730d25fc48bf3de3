//! Helpers shared by the integration tests.

/// `../shared/conformance` beside the project, or `O11Y_CONFORMANCE_DIR`.
#[allow(dead_code)] // not every test that includes this module reads conformance data
pub fn conformance_dir() -> std::path::PathBuf {
    std::env::var_os("O11Y_CONFORMANCE_DIR").map_or_else(
        || std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/conformance"),
        std::path::PathBuf::from,
    )
}

/// One fuzz target: a fixed number of inputs from a fixed seed, so that
/// every machine runs the same inputs and finds the same things.
///
/// Input number `n` is the `n`-th value `generate` draws (counting from 0)
/// from one RNG stream seeded by the seed; all of an input's randomness is
/// drawn there, so `check` is a function of the input and the seed and
/// the number reproduce it. Environment:
///
/// - `O11Y_FUZZ_SEED`: another seed (a `u64`);
/// - `O11Y_FUZZ_INPUTS`: another number of inputs;
/// - `O11Y_FUZZ_SECONDS`: a time box instead (as many inputs as fit,
///   still capped by `O11Y_FUZZ_INPUTS` when both are set);
/// - `O11Y_FUZZ_ONLY`: check input `n` alone (the ones before it are
///   drawn, not checked), which is what a failure's message says to run.
///
/// ```ignore
/// common::Fuzz { target: "fuzz_x", seed: 7, inputs: 10_000, accepted: "parsed" }
///     .run(|rng| common::mutate(rng, SEED, &PIECES), |text| parse(text).is_ok());
/// ```
#[allow(dead_code)] // used by the fuzz tests, not by every test that includes this module
pub struct Fuzz {
    /// The test target's name (`fuzz_promql`), as `cargo test --test` takes it.
    pub target: &'static str,
    /// The seed when `O11Y_FUZZ_SEED` is not set; each target has its own.
    pub seed: u64,
    /// How many inputs when neither `O11Y_FUZZ_INPUTS` nor
    /// `O11Y_FUZZ_SECONDS` is set: about 2–4 s in the test profile.
    pub inputs: u64,
    /// What `check` returning `true` means, for the summary line.
    pub accepted: &'static str,
}

#[allow(dead_code)] // used by the fuzz tests, not by every test that includes this module
impl Fuzz {
    /// Draws each input with `generate` and runs `check` on it (`true`
    /// when the input was accepted: parsed, imported, …). A panic or a
    /// failed assertion in `check` prints the target, seed, input number,
    /// the input (Debug-quoted, ready for a regression test) and the
    /// command that reproduces it, then fails the test. At the end one line
    /// says how many inputs ran, how many were accepted, the seed and the
    /// slowest input.
    pub fn run<I: std::fmt::Debug>(
        &self,
        mut generate: impl FnMut(&mut rand_pcg::Pcg64Mcg) -> I,
        mut check: impl FnMut(&I) -> bool,
    ) {
        use rand::SeedableRng;
        let seed = env_number("O11Y_FUZZ_SEED").unwrap_or(self.seed);
        let seconds = env_number("O11Y_FUZZ_SECONDS");
        let only = env_number("O11Y_FUZZ_ONLY");
        let inputs = match (env_number("O11Y_FUZZ_INPUTS"), seconds, only) {
            (_, _, Some(n)) => n.saturating_add(1),
            (Some(n), _, _) => n,
            (None, Some(_), _) => u64::MAX,
            (None, None, _) => self.inputs,
        };
        let started = std::time::Instant::now();
        let deadline = seconds.map(|s| started + std::time::Duration::from_secs(s));
        let mut rng = rand_pcg::Pcg64Mcg::seed_from_u64(seed);
        let (mut checked, mut accepted) = (0u64, 0u64);
        // The slowest input: a freeze in the page is a finding too.
        let mut slowest = (0u64, std::time::Duration::ZERO);
        for number in 0..inputs {
            if deadline.is_some_and(|d| std::time::Instant::now() >= d) {
                break;
            }
            let input = generate(&mut rng);
            if only.is_some_and(|n| n != number) {
                continue;
            }
            let check_started = std::time::Instant::now();
            match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| check(&input))) {
                Ok(ok) => accepted += u64::from(ok),
                Err(panic) => {
                    eprintln!(
                        "{target}: input {number} of seed {seed} failed (the panic is above)\n\
                         input: {input:?}\n\
                         reproduce: O11Y_FUZZ_SEED={seed} O11Y_FUZZ_ONLY={number} \
                         cargo test -p o11y-engine --test {target} -- --nocapture",
                        target = self.target,
                    );
                    std::panic::resume_unwind(panic);
                }
            }
            let elapsed = check_started.elapsed();
            if elapsed > slowest.1 {
                slowest = (number, elapsed);
            }
            checked += 1;
        }
        println!(
            "{}: {checked} inputs in {:.1} s, {accepted} {}, seed {seed}, \
             slowest input {} ({:.1} ms), no panic",
            self.target,
            started.elapsed().as_secs_f64(),
            self.accepted,
            slowest.0,
            slowest.1.as_secs_f64() * 1e3,
        );
        assert!(checked > 0, "{}: no input was checked", self.target);
    }
}

/// A number from the environment; a value that is not one fails the test
/// rather than being ignored.
#[allow(dead_code)] // used by the fuzz tests, not by every test that includes this module
fn env_number(name: &str) -> Option<u64> {
    let value = std::env::var(name).ok()?;
    Some(
        value
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("{name}={value:?} is not a whole number")),
    )
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
