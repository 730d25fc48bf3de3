//! `o11y gen-openmetrics`: the workload `scripts/bench-vs-prometheus.sh`
//! gives both sides, as OpenMetrics text with timestamps (what
//! `o11y query` and `promtool tsdb create-blocks-from openmetrics` read).
//!
//! ```text
//! o11y gen-openmetrics --series 1000 --hours 6 --start 1700000000 --out data.om
//! ```

use std::fmt::Write as _;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use o11y_engine::model::number::write_api_timestamp;

/// `o11y gen-openmetrics`'s arguments.
#[derive(clap::Args)]
pub struct GenArgs {
    /// Counter series (http_requests_total{route,instance}); as many
    /// histogram bucket series (http_request_duration_seconds_bucket{route,instance,le}).
    #[arg(long, default_value_t = 1_000)]
    pub(crate) series: usize,
    /// Hours of samples at 15 s.
    #[arg(long, default_value_t = 6)]
    pub(crate) hours: i64,
    /// Unix seconds of the first scrape interval: each instance scrapes 1
    /// to 14 s after each multiple of 15 s from here, at an offset whose
    /// milliseconds end in 1 (so no sample sits on the edge of a window that
    /// starts on a whole 10 ms).
    #[arg(long, default_value_t = 1_700_000_000, allow_hyphen_values = true)]
    pub(crate) start: i64,
    /// Seed of the values: the same seed gives the same file.
    #[arg(long, default_value_t = 7)]
    pub(crate) seed: u64,
    /// Write here instead of standard output.
    #[arg(long, value_name = "FILE")]
    pub(crate) out: Option<PathBuf>,
}

/// The routes and buckets of the generated workload (as `o11y bench promql`'s).
const ROUTES: usize = 20;
const BUCKETS: [&str; 10] = [
    "0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "+Inf",
];
const SCRAPE_MS: i64 = 15_000;

/// The instance of the `owner`th (route, instance) pair.
fn instance(owner: usize) -> String {
    format!(
        "10.0.{}.{}:8080",
        owner / ROUTES / 250,
        owner / ROUTES % 250
    )
}

/// Each instance is scraped at its own offset within the 15 s, 1 to 14 s
/// after each multiple, as Prometheus spreads its targets; the offset's
/// milliseconds end in 1, so no sample sits on the edge of a window that
/// starts on a whole 10 ms (where Prometheus 2's closed windows and
/// Prometheus 3's left-open ones differ).
fn scrape_offset_ms(owner: usize) -> i64 {
    1_001 + 10 * (((owner / ROUTES) as i64 * 7_919 + 331) % 1_300)
}

/// A counter's values: whole increments of up to 40 a scrape, a reset to
/// zero about once in 2,000 scrapes.
fn counter_values(seed: u64, steps: usize) -> impl Iterator<Item = f64> {
    use rand::{Rng, SeedableRng};
    let mut rng = rand_pcg::Pcg64Mcg::seed_from_u64(seed);
    let mut value = rng.random_range(0..1000) as f64;
    (0..steps).map(move |_| {
        if rng.random_range(0..2000) == 0 {
            value = 0.0;
        }
        value += rng.random_range(0..40) as f64;
        value
    })
}

/// `o11y gen-openmetrics`: `series` counters and `series` bucket series
/// (10 per route and instance), `hours` at 15 s, series by series.
pub(crate) fn generate(out: &mut impl Write, args: &GenArgs) -> std::io::Result<()> {
    let steps = (args.hours.max(0) * 3_600_000 / SCRAPE_MS) as usize;
    let start_ms = args.start * 1000;
    let mut line = String::with_capacity(160);
    let mut write_series = |out: &mut dyn Write,
                            labels: &str,
                            owner: usize,
                            values: &mut dyn Iterator<Item = f64>|
     -> std::io::Result<()> {
        let offset_ms = scrape_offset_ms(owner);
        for (step, value) in values.enumerate() {
            line.clear();
            line.push_str(labels);
            let ts_ms = start_ms + step as i64 * SCRAPE_MS + offset_ms;
            // Writing to a String cannot fail.
            let _ = write!(line, " {value} ");
            write_api_timestamp(&mut line, ts_ms);
            if ts_ms % 1000 == 0 {
                line.push_str(".000");
            }
            line.push('\n');
            out.write_all(line.as_bytes())?;
        }
        Ok(())
    };
    writeln!(out, "# TYPE http_requests counter")?;
    writeln!(out, "# HELP http_requests Requests handled.")?;
    for i in 0..args.series {
        let labels = format!(
            "http_requests_total{{route=\"/r{}\",instance=\"{}\"}}",
            i % ROUTES,
            instance(i)
        );
        let mut values = counter_values(args.seed ^ (i as u64).wrapping_mul(0x9E37_79B9), steps);
        write_series(out, &labels, i, &mut values)?;
    }
    writeln!(out, "# TYPE http_request_duration_seconds histogram")?;
    writeln!(out, "# HELP http_request_duration_seconds Request latency.")?;
    for i in 0..args.series {
        let owner = i / BUCKETS.len();
        let le = i % BUCKETS.len();
        let labels = format!(
            "http_request_duration_seconds_bucket{{route=\"/r{}\",instance=\"{}\",le=\"{}\"}}",
            owner % ROUTES,
            instance(owner),
            BUCKETS[le]
        );
        // Cumulative: each bucket holds a growing share of its owner's count,
        // so the owner's buckets reset together.
        let share = (le as f64 + 1.0) / BUCKETS.len() as f64;
        let owner_seed = !args.seed ^ (owner as u64).wrapping_mul(0x85EB_CA6B);
        let mut values = counter_values(owner_seed, steps).map(|total| (total * share).floor());
        write_series(out, &labels, owner, &mut values)?;
    }
    writeln!(out, "# EOF")
}

/// `o11y gen-openmetrics`.
pub fn gen_openmetrics(args: &GenArgs) -> ExitCode {
    let written = match &args.out {
        Some(path) => std::fs::File::create(path).and_then(|file| {
            let mut out = BufWriter::with_capacity(1 << 20, file);
            generate(&mut out, args)?;
            out.flush()
        }),
        None => {
            let mut out = BufWriter::with_capacity(1 << 20, std::io::stdout().lock());
            generate(&mut out, args).and_then(|()| out.flush())
        }
    };
    match written {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            let place = args
                .out
                .as_deref()
                .map_or("standard output".to_string(), |p: &Path| {
                    p.display().to_string()
                });
            eprintln!("o11y gen-openmetrics: {place}: {e}");
            ExitCode::from(2)
        }
    }
}
