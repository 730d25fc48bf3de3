//! `o11y`: the O11y Playground engine on the command line.
//!
//! ```text
//! o11y sim --seed 7 --duration 10m --step 15s   # final scrape, text format
//! ```

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use o11y_engine::duration::parse_duration;
use o11y_engine::expfmt::render_text;
use o11y_engine::sim::{SimConfig, Simulator};
use o11y_engine::tsdb::Tsdb;

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
    /// Simulate the demo service and print its metrics at the end, in the
    /// Prometheus text format.
    Sim {
        /// Seed of the simulation: the same seed gives the same output.
        #[arg(long, default_value_t = 42)]
        seed: u64,
        /// How much virtual time to simulate (a Prometheus duration: 10m, 1h30m).
        #[arg(long, default_value = "10m", value_parser = duration_ms)]
        duration: i64,
        /// Scrape interval (a Prometheus duration).
        #[arg(long, default_value = "15s", value_parser = duration_ms)]
        step: i64,
        /// Requests per second.
        #[arg(long, default_value_t = SimConfig::default().requests_per_s)]
        rate: f64,
        /// Share of requests that fail with a 5xx status (0 to 1).
        #[arg(long, default_value_t = SimConfig::default().error_ratio)]
        error_ratio: f64,
    },
}

fn duration_ms(text: &str) -> Result<i64, String> {
    parse_duration(text).map_err(|e| e.to_string())
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Sim {
            seed,
            duration,
            step,
            rate,
            error_ratio,
        } => {
            let config = SimConfig {
                seed,
                requests_per_s: rate,
                error_ratio,
                scrape_interval_ms: step,
                ..SimConfig::default()
            };
            let mut sim = match Simulator::new(config, 0) {
                Ok(sim) => sim,
                Err(e) => {
                    eprintln!("o11y sim: {e}");
                    return ExitCode::from(2);
                }
            };
            let mut store = Tsdb::default();
            if let Err(e) = sim.advance_to(duration, &mut store) {
                eprintln!("o11y sim: {e}");
                return ExitCode::FAILURE;
            }
            print!("{}", render_text(sim.registry().families()));
            ExitCode::SUCCESS
        }
    }
}
