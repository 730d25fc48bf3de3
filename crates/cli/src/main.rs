//! `o11y`: the O11y Playground engine on the command line.
//!
//! ```text
//! o11y sim --seed 7 --duration 10m              # the shop's final scrape, text format
//! o11y expfmt metrics.prom                      # canonical form, or errors (exit 1)
//! o11y expfmt --to openmetrics metrics.prom
//! o11y bench tsdb                               # storage figures (build with --release)
//! o11y bench promql --series 1000 --hours 6      # PromQL range-query samples/s
//! o11y logql '{job="pasted"} |= "error"' app.log # LogQL over log files, as JSON
//! o11y query 'sum(rate(x_total[5m]))' data.om --start S --end E --step 15s # PromQL, as Prometheus's API
//! o11y gen-openmetrics --series 1000 --hours 6 --out data.om # a workload for promtool and `query`
//! o11y test-rules tests.yml                     # promtool test rules
//! o11y check-rules rules.yml                    # promtool check rules
//! o11y check-config alertmanager.yml            # amtool check-config
//! o11y check-config --prometheus prometheus.yml # promtool check config (scrape jobs)
//! o11y lessons check lessons/                   # references pass, traps fail
//! o11y lessons answer FILE EXERCISE 'QUERY'     # the feedback the page gives
//! ```

mod alloc;
mod bench;
mod check_config;
mod gen_openmetrics;
mod lessons;
mod logql;
mod query;
mod rules;

use std::process::ExitCode;

#[global_allocator]
static ALLOCATOR: alloc::Counting = alloc::Counting;

use clap::{Parser, Subcommand};
use o11y_engine::metrics::expfmt::{Format, parse, render};
use o11y_engine::model::duration::parse_duration;

#[derive(Parser)]
#[command(
    name = "o11y",
    version,
    about = "The O11y Playground engine on the command line"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Simulate the shop and print its metrics at the end (the final
    /// scrape), in the Prometheus text format.
    Sim {
        /// Seed of the simulation: the same seed gives the same output.
        #[arg(long, default_value_t = 42)]
        seed: u64,
        /// How much virtual time to simulate (a Prometheus duration: 10m, 1h30m).
        #[arg(long, default_value = "10m", value_parser = duration_ms)]
        duration: i64,
        /// Requests per second entering the shop; by default the
        /// topology's (20 for the default shop).
        #[arg(long)]
        rate: Option<f64>,
        /// Share of requests the entry service (the topology's first)
        /// fails on its own (0 to 1); by default the topology's.
        #[arg(long)]
        error_ratio: Option<f64>,
        /// Simulate this topology (JSON or YAML, as the simulator panel
        /// takes it) instead of the default shop; an invalid one is
        /// reported with its line and column (exit 1).
        #[arg(long, value_name = "FILE")]
        topology: Option<std::path::PathBuf>,
        /// Print every scrape (every 15 s) as OpenMetrics with timestamps, as
        /// `promtool tsdb create-blocks-from openmetrics` takes it.
        #[arg(long)]
        openmetrics: bool,
        /// Simulate the shop and write `metrics.prom` (the final scrape),
        /// `logs.jsonl` and `traces.json` (OTLP/JSON) into this folder.
        #[arg(long, value_name = "DIR")]
        out: Option<std::path::PathBuf>,
    },
    /// Lessons: check lesson files (every reference passes, every trap
    /// fails with its hint), or print the feedback for one answer.
    Lessons {
        #[command(subcommand)]
        what: LessonsCommand,
    },
    /// Demo scripts: check that each reads, builds and plays to its end.
    Demos {
        #[command(subcommand)]
        what: DemosCommand,
    },
    /// Print performance figures (run a release build: `cargo run --release -p o11y-cli -- bench`).
    Bench {
        /// What to measure.
        #[arg(value_enum, default_value = "all")]
        what: BenchArg,
        /// Series in the workload.
        #[arg(long, default_value_t = 10_000)]
        series: usize,
        /// Hours of samples at 15 s per series (TSDB).
        #[arg(long, default_value_t = 24)]
        hours: i64,
        /// Megabytes of each generated log file (LogQL).
        #[arg(long = "mb", default_value_t = 100)]
        megabytes: usize,
    },
    /// Run rule unit tests in the `promtool test rules` format (rule files
    /// are read beside each test file); exit 1 if any fails.
    TestRules {
        /// The test files.
        #[arg(required = true)]
        files: Vec<std::path::PathBuf>,
    },
    /// Check Prometheus rule files as `promtool check rules` does: every
    /// problem with its line and column (exit 1), or the rules found.
    CheckRules {
        /// The rule files.
        #[arg(required = true)]
        files: Vec<std::path::PathBuf>,
        /// Make duplicate rules (a lint warning) a failure.
        #[arg(long)]
        lint_fatal: bool,
    },
    /// Check Alertmanager configuration files as `amtool check-config`
    /// does: every problem with its line and column (exit 1), or what was found.
    CheckConfig {
        /// The Alertmanager configuration files.
        #[arg(required = true)]
        files: Vec<std::path::PathBuf>,
        /// The files are prometheus.yml files: check their scrape jobs as
        /// `promtool check config` does.
        #[arg(long)]
        prometheus: bool,
    },
    /// Write the playground's rule files (the default rules and a generated
    /// SLO) into a folder, to check them with the real promtool.
    ExportRules {
        /// The folder.
        dir: std::path::PathBuf,
    },
    /// Run every file of Prometheus's promtool test data (`…/conformance/promtool`)
    /// through test-rules or check-rules and print promtool's outcome beside ours.
    PromtoolConformance {
        /// The folder.
        dir: std::path::PathBuf,
    },
    /// Run Prometheus `promqltest` scripts and print passed / failed / skipped
    /// eval blocks per file, the first differences, and the total.
    Promqltest {
        /// The `.test` files.
        files: Vec<std::path::PathBuf>,
        /// Also run the in-scope files of this folder (`…/conformance/promql`).
        #[arg(long, value_name = "DIR")]
        in_scope: Option<std::path::PathBuf>,
        /// How many failures to show per file.
        #[arg(long, default_value_t = 3)]
        show: usize,
    },
    /// Run a LogQL query over log files (JSON lines, logfmt, plain, Loki push
    /// JSON, OTLP/JSON) and print the result as Loki's API does.
    Logql {
        /// The query, e.g. `{job="pasted"} |= "error" | logfmt`.
        query: String,
        /// The log files.
        files: Vec<std::path::PathBuf>,
        /// Lines a log query prints at most.
        #[arg(long, default_value_t = 100)]
        limit: usize,
        /// The step of a metric query (a duration; by default 1/100 of the logs' time span).
        #[arg(long)]
        step: Option<String>,
        /// Evaluate a metric query once, at the end of the logs.
        #[arg(long)]
        instant: bool,
        /// A field of JSON or logfmt lines to make a stream label (repeatable).
        #[arg(long = "label-field")]
        label_fields: Vec<String>,
    },
    /// Run a PromQL query (instant, or range with --start/--end/--step) over
    /// OpenMetrics files with timestamps and print the result as
    /// Prometheus's HTTP API does.
    Query(query::QueryArgs),
    /// Write a PromQL workload as OpenMetrics with timestamps (counters and
    /// histogram buckets, series by series), as `promtool tsdb
    /// create-blocks-from openmetrics` and `o11y query` read it.
    GenOpenmetrics(gen_openmetrics::GenArgs),
    /// Parse a Prometheus text or OpenMetrics file and print it back in
    /// canonical form; print every error with its line and column (exit 1).
    Expfmt {
        /// The file to read (`-` for standard input).
        file: std::path::PathBuf,
        /// The input's format.
        #[arg(long, value_enum, default_value = "auto")]
        from: FormatArg,
        /// The output's format (by default, the input's).
        #[arg(long, value_enum, default_value = "auto")]
        to: FormatArg,
    },
}

/// What `o11y bench` measures.
#[derive(Clone, Copy, clap::ValueEnum)]
enum BenchArg {
    All,
    Tsdb,
    Expfmt,
    Promql,
    Logql,
    Traces,
    /// "What if" over a day: the default rules replayed over 24 h.
    Rules,
}

#[derive(Subcommand)]
enum LessonsCommand {
    /// Parse lesson files (the `*.md` of a directory), build each
    /// scenario and check every exercise; exit 1 on any problem.
    Check {
        /// Lesson files or directories; the built-in lessons when none.
        paths: Vec<std::path::PathBuf>,
    },
    /// Check one answer and print the feedback the page would show.
    Answer {
        file: std::path::PathBuf,
        exercise: String,
        answer: String,
    },
}

#[derive(Subcommand)]
enum DemosCommand {
    /// Read demo scripts (the `*.md` of a directory), build each scenario
    /// and play its timeline, running every step's query; exit 1 on any problem.
    Check {
        /// Script files or directories; the built-in demos when none.
        paths: Vec<std::path::PathBuf>,
    },
}

/// The format `o11y expfmt` reads or writes.
#[derive(Clone, Copy, clap::ValueEnum)]
enum FormatArg {
    /// Decide from the input: OpenMetrics if it has a `# EOF` line.
    Auto,
    /// The Prometheus text format 0.0.4.
    Text,
    /// OpenMetrics 1.0.
    Openmetrics,
}

fn duration_ms(text: &str) -> Result<i64, String> {
    parse_duration(text).map_err(|e| e.to_string())
}

fn main() -> ExitCode {
    // Rust ignores SIGPIPE, so a closed pipe (`o11y sim | head`) would make
    // the next print panic. Restore the default: end quietly, as Unix tools do.
    #[cfg(unix)]
    // SAFETY: called first thing in main, before any other thread exists;
    // SIG_DFL is a valid action for SIGPIPE.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    let cli = Cli::parse();
    match cli.command {
        Command::Sim {
            seed,
            duration,
            rate,
            error_ratio,
            topology,
            openmetrics,
            out,
        } => {
            let shop = ShopArgs {
                seed,
                rate,
                error_ratio,
                topology,
            };
            if openmetrics {
                sim_openmetrics(&shop, duration)
            } else {
                sim(&shop, duration, out.as_deref())
            }
        }
        Command::Expfmt { file, from, to } => expfmt(&file, from, to),
        Command::Query(args) => query::run(&args),
        Command::GenOpenmetrics(args) => gen_openmetrics::gen_openmetrics(&args),
        Command::Logql {
            query,
            files,
            limit,
            step,
            instant,
            label_fields,
        } => {
            let step_ms = match step.as_deref().map(parse_duration) {
                Some(Ok(ms)) if ms > 0 => Some(ms),
                Some(_) => {
                    eprintln!("o11y logql: --step needs a positive duration such as 1m");
                    return ExitCode::from(2);
                }
                None => None,
            };
            let options = logql::Options {
                limit,
                step_ms,
                instant,
                label_fields,
            };
            logql::run(&query, &files, &options)
        }
        Command::Lessons { what } => match what {
            LessonsCommand::Check { paths } => lessons::check(&paths),
            LessonsCommand::Answer {
                file,
                exercise,
                answer,
            } => lessons::answer(&file, &exercise, &answer),
        },
        Command::Demos {
            what: DemosCommand::Check { paths },
        } => lessons::check_demos(&paths),
        Command::TestRules { files } => rules::test_rules(&files),
        Command::PromtoolConformance { dir } => rules::promtool_conformance(&dir),
        Command::ExportRules { dir } => rules::export_rules(&dir),
        Command::CheckRules { files, lint_fatal } => rules::check_rules(&files, lint_fatal),
        Command::CheckConfig { files, prometheus } => {
            if prometheus {
                check_config::check_prometheus_config_files(&files)
            } else {
                check_config::check_config(&files)
            }
        }
        Command::Promqltest {
            mut files,
            in_scope,
            show,
        } => {
            if let Some(dir) = in_scope {
                let scope = o11y_engine::promql::promqltest::IN_SCOPE_FILES;
                files.extend(scope.iter().map(|f| dir.join(format!("{f}.test"))));
            }
            promqltest(&files, show)
        }
        Command::Bench {
            what,
            series,
            hours,
            megabytes,
        } => {
            if cfg!(debug_assertions) {
                eprintln!("o11y bench: this is a debug build; figures need --release");
            }
            if matches!(what, BenchArg::All | BenchArg::Tsdb) {
                bench::tsdb(series.max(10), hours.max(1));
            }
            if matches!(what, BenchArg::All | BenchArg::Expfmt) {
                bench::expfmt(series.max(100));
            }
            if matches!(what, BenchArg::All | BenchArg::Promql) {
                bench::promql(series.clamp(10, 1_000), hours.clamp(1, 6));
            }
            if matches!(what, BenchArg::All | BenchArg::Logql) {
                bench::logql(megabytes);
            }
            if matches!(what, BenchArg::All | BenchArg::Traces) {
                bench::traces(60);
                bench::shop_metrics(300);
            }
            if matches!(what, BenchArg::All | BenchArg::Rules) {
                bench::rules();
            }
            ExitCode::SUCCESS
        }
    }
}

/// What `o11y sim` simulates.
struct ShopArgs {
    seed: u64,
    rate: Option<f64>,
    error_ratio: Option<f64>,
    topology: Option<std::path::PathBuf>,
}

/// The shop `o11y sim` runs: the topology of `--topology` (checked as the
/// simulator panel checks it: an error at its line and column, exit 1) or
/// the default one, at `rate` if given, its entry service failing
/// `error_ratio` of its requests if given (out of range: exit 2).
fn shop(args: &ShopArgs) -> Result<o11y_engine::sim::shop::ShopSim, ExitCode> {
    use o11y_engine::sim::shop::ShopSim;
    use o11y_engine::sim::topology::Topology;
    let mut topology = match &args.topology {
        None => Topology::default(),
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|e| {
                eprintln!("o11y sim: {}: {e}", path.display());
                ExitCode::FAILURE
            })?;
            Topology::from_text(&text).map_err(|e| {
                eprintln!("o11y sim: {}:{e}", path.display());
                ExitCode::FAILURE
            })?
        }
    };
    if let Some(rate) = args.rate {
        topology.requests_per_s = rate;
    }
    let mut sim = ShopSim::new(topology, args.seed, 0).map_err(|e| {
        eprintln!("o11y sim: {e}");
        ExitCode::from(2)
    })?;
    if let Some(ratio) = args.error_ratio {
        if !(0.0..=1.0).contains(&ratio) {
            eprintln!("o11y sim: error_ratio must be between 0 and 1, got {ratio}");
            return Err(ExitCode::from(2));
        }
        let entry = sim.topology().services[0].name.clone();
        sim.set_error_rate(&entry, ratio);
    }
    Ok(sim)
}

/// `o11y sim --openmetrics`: every scrape of the shop, grouped per series
/// with timestamps, then `# EOF`.
fn sim_openmetrics(args: &ShopArgs, duration_ms: i64) -> ExitCode {
    use o11y_engine::metrics::expfmt::{Family, ParsedSample};
    let mut sim = match shop(args) {
        Ok(sim) => sim,
        Err(code) => return code,
    };
    sim.set_detail_per_s(0.0);
    // Per family, per child (labels without le/quantile), its lines at each scrape.
    let mut families: Vec<Family> = Vec::new();
    // A child's labels (without `le`/`quantile`) and its lines.
    type Child = (Vec<(String, String)>, Vec<ParsedSample>);
    let mut children: Vec<Vec<Child>> = Vec::new();
    let mut at = 15_000;
    while at <= duration_ms {
        sim.advance_to(at);
        for f in sim.registry_mut().gather(at) {
            let i = match families.iter().position(|x| x.name == f.name) {
                Some(i) => i,
                None => {
                    let mut empty = f.clone();
                    empty.samples.clear();
                    families.push(empty);
                    children.push(Vec::new());
                    families.len() - 1
                }
            };
            for mut s in f.samples {
                s.ts_ms = Some(at);
                s.exemplar = None;
                let key: Vec<(String, String)> = s
                    .labels
                    .iter()
                    .filter(|(n, _)| n != "le" && n != "quantile")
                    .cloned()
                    .collect();
                match children[i].iter_mut().find(|(k, _)| *k == key) {
                    Some((_, lines)) => lines.push(s),
                    None => children[i].push((key, vec![s])),
                }
            }
        }
        at += 15_000;
    }
    for (family, kids) in families.iter_mut().zip(children) {
        family.samples = kids.into_iter().flat_map(|(_, lines)| lines).collect();
    }
    print!("{}", render(&families, Format::OpenMetrics));
    ExitCode::SUCCESS
}

/// `o11y sim`: the shop's final scrape on standard output, or its metrics,
/// logs and traces as files in `dir`.
fn sim(args: &ShopArgs, duration_ms: i64, dir: Option<&std::path::Path>) -> ExitCode {
    let mut sim = match shop(args) {
        Ok(sim) => sim,
        Err(code) => return code,
    };
    let Some(dir) = dir else {
        sim.set_detail_per_s(0.0);
        sim.advance_to(duration_ms);
        print!(
            "{}",
            render(&sim.registry_mut().gather(duration_ms), Format::Text)
        );
        return ExitCode::SUCCESS;
    };
    sim.advance_to(duration_ms);
    let spans = sim.drain_spans();
    let logs: String = sim
        .drain_logs()
        .into_iter()
        .map(|l| l.line + "\n")
        .collect();
    let metrics = render(&sim.registry_mut().gather(duration_ms), Format::Text);
    let written = std::fs::create_dir_all(dir)
        .and_then(|()| std::fs::write(dir.join("metrics.prom"), metrics))
        .and_then(|()| std::fs::write(dir.join("logs.jsonl"), logs))
        .and_then(|()| {
            std::fs::write(
                dir.join("traces.json"),
                o11y_engine::traces::otlp::export(&spans),
            )
        });
    match written {
        Ok(()) => {
            println!(
                "{} requests, {} spans: metrics.prom, logs.jsonl, traces.json in {}",
                sim.requests(),
                spans.len(),
                dir.display()
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("o11y sim: {}: {e}", dir.display());
            ExitCode::FAILURE
        }
    }
}

fn promqltest(files: &[std::path::PathBuf], show: usize) -> ExitCode {
    let (mut passed, mut failed, mut skipped) = (0, 0, 0);
    for file in files {
        let text = match std::fs::read_to_string(file) {
            Ok(text) => text,
            Err(e) => {
                eprintln!("o11y promqltest: {}: {e}", file.display());
                return ExitCode::from(2);
            }
        };
        let result = o11y_engine::promql::promqltest::run_script(&text);
        let name = file.file_name().map_or_else(
            || file.display().to_string(),
            |n| n.to_string_lossy().to_string(),
        );
        let total = result.passed + result.failed;
        let score = if total > 0 {
            100.0 * result.passed as f64 / total as f64
        } else {
            0.0
        };
        println!(
            "{name}: {} passed, {} failed, {} skipped ({score:.1}%)",
            result.passed, result.failed, result.skipped
        );
        for (line, message) in result.failures.iter().take(show) {
            println!("    line {line}: {message}");
        }
        passed += result.passed;
        failed += result.failed;
        skipped += result.skipped;
    }
    let total = passed + failed;
    let score = if total > 0 {
        100.0 * passed as f64 / total as f64
    } else {
        0.0
    };
    println!("conformance: {score:.1}% of eval blocks in scope pass");
    println!("{passed} passed, {failed} failed, {skipped} skipped");
    if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

fn expfmt(file: &std::path::Path, from: FormatArg, to: FormatArg) -> ExitCode {
    let read = if file.as_os_str() == "-" {
        std::io::read_to_string(std::io::stdin())
    } else {
        std::fs::read_to_string(file)
    };
    let text = match read {
        Ok(text) => text,
        Err(e) => {
            eprintln!("o11y expfmt: {}: {e}", file.display());
            return ExitCode::from(2);
        }
    };
    let pick = |arg: FormatArg, fallback: Format| match arg {
        FormatArg::Auto => fallback,
        FormatArg::Text => Format::Text,
        FormatArg::Openmetrics => Format::OpenMetrics,
    };
    let input_format = pick(from, Format::detect(&text));
    match parse(&text, input_format) {
        Ok(families) => {
            print!("{}", render(&families, pick(to, input_format)));
            ExitCode::SUCCESS
        }
        Err(errors) => {
            for e in &errors {
                eprintln!("{}:{}:{}: {}", file.display(), e.line, e.column, e.message);
            }
            ExitCode::FAILURE
        }
    }
}
