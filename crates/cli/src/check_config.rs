//! `o11y check-config`: `amtool check-config` on the engine. Each file is
//! checked as Alertmanager loads it; amtool's output on stdout, every
//! problem as `FILE:LINE:COL: message`, exit 1 if any file failed. With
//! `--prometheus`, each file is a `prometheus.yml` checked as `promtool
//! check config` does, as far as scraping goes (every job's relabeling,
//! static targets, intervals).
//!
//! ```text
//! $ o11y check-config alertmanager.yml
//! Checking 'alertmanager.yml'  SUCCESS
//! Found:
//!  - global config
//!  - route
//!  - 1 inhibit rules
//!  - 2 receivers
//!  - 0 templates
//!
//! $ o11y check-config --prometheus prometheus.yml
//! Checking prometheus.yml
//!  SUCCESS: 2 scrape jobs
//! ```

use std::path::PathBuf;
use std::process::ExitCode;

use o11y_engine::alerting::alertmanager::AmConfig;
use o11y_engine::relabel::check_prometheus_config;

/// Checks Alertmanager configuration files, as `amtool check-config` does.
pub fn check_config(files: &[PathBuf]) -> ExitCode {
    let mut failed = 0;
    for file in files {
        print!("Checking '{}'", file.display());
        let text = match std::fs::read_to_string(file) {
            Ok(t) => t,
            Err(e) => {
                println!("  FAILED: {e}\n");
                failed += 1;
                continue;
            }
        };
        match AmConfig::check(&text) {
            Ok(config) => {
                println!("  SUCCESS");
                println!("Found:");
                // Alertmanager fills in a global section when there is none.
                println!(" - global config");
                println!(" - route");
                println!(" - {} inhibit rules", config.inhibit_rules.len());
                println!(" - {} receivers", config.receivers.len());
                println!(" - {} templates", config.templates.len());
                if !config.templates.is_empty() {
                    println!("  (template files are not read)");
                }
            }
            Err(errors) => {
                failure(errors.iter().map(|e| format!("{}:{e}", file.display())));
                failed += 1;
            }
        }
        println!();
    }
    outcome(failed)
}

/// A file's errors, as amtool prints them.
fn failure(errors: impl ExactSizeIterator<Item = String>) {
    let plural = if errors.len() == 1 { "" } else { "s" };
    println!("  FAILED: {} error{plural}", errors.len());
    for e in errors {
        println!("{e}");
    }
}

/// Exit 1 when any file failed, as amtool and promtool do.
fn outcome(failed: usize) -> ExitCode {
    if failed > 0 {
        eprintln!("o11y: error: failed to validate {failed} file(s)");
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

/// Checks `prometheus.yml` files, as `promtool check config` does for
/// their scrape jobs.
pub fn check_prometheus_config_files(files: &[PathBuf]) -> ExitCode {
    let mut failed = 0;
    for file in files {
        println!("Checking {}", file.display());
        let checked = std::fs::read_to_string(file)
            .map_err(|e| vec![format!("{}: {e}", file.display())])
            .and_then(|text| {
                check_prometheus_config(&text).map_err(|errors| {
                    let at =
                        |e: &o11y_engine::relabel::RelabelError| format!("{}:{e}", file.display());
                    errors.iter().map(at).collect()
                })
            });
        match checked {
            Ok(jobs) => {
                let plural = if jobs.len() == 1 { "" } else { "s" };
                println!(" SUCCESS: {} scrape job{plural}", jobs.len());
            }
            Err(errors) => {
                failure(errors.into_iter());
                failed += 1;
            }
        }
        println!();
    }
    outcome(failed)
}
