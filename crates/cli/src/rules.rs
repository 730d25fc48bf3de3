//! `o11y test-rules` and `o11y check-rules`: promtool's `test rules` and
//! `check rules` on the engine, with promtool's output and exit codes
//! (0 all good, 1 a failure or a bad file).

use std::path::Path;
use std::process::ExitCode;

use o11y_engine::alerting::rules::unittest::{check_rules as check_text, run_test_file};

/// Runs promtool-format test files; rule files are read beside each test file.
pub fn test_rules(files: &[std::path::PathBuf]) -> ExitCode {
    let mut failed = false;
    for file in files {
        println!("Unit Testing:  {}", file.display());
        let text = match std::fs::read_to_string(file) {
            Ok(t) => t,
            Err(e) => {
                println!("  FAILED:\n    {e}\n");
                failed = true;
                continue;
            }
        };
        let dir = file.parent().map(Path::to_path_buf).unwrap_or_default();
        let load = |name: &str| std::fs::read_to_string(dir.join(name)).map_err(|e| e.to_string());
        let result = run_test_file(&text, &load);
        println!("{}", result.output);
        failed |= !result.passed;
    }
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

/// Checks rule files as `promtool check rules` does: problems with their
/// positions, or the rule count and duplicate rules (a failure only with
/// `lint_fatal`).
pub fn check_rules(files: &[std::path::PathBuf], lint_fatal: bool) -> ExitCode {
    let mut failed = false;
    for file in files {
        println!("Checking {}", file.display());
        let text = match std::fs::read_to_string(file) {
            Ok(t) => t,
            Err(e) => {
                eprintln!("  FAILED:\n{e}\n");
                failed = true;
                continue;
            }
        };
        match check_text(&text) {
            Ok((rules, duplicates)) => {
                if !duplicates.is_empty() {
                    println!("{} duplicate rule(s) found.", duplicates.len());
                    for (name, labels) in &duplicates {
                        let labels: Vec<String> =
                            labels.iter().map(|(k, v)| format!("{k}={v:?}")).collect();
                        println!("Metric: {name}\nLabel(s):\n\t{}", labels.join("\n\t"));
                    }
                    println!("Might cause inconsistency while recording expressions");
                    if lint_fatal {
                        failed = true;
                        println!("  FAILED: lint error(s)\n");
                        continue;
                    }
                }
                println!("  SUCCESS: {rules} rules found\n");
            }
            Err(errors) => {
                failed = true;
                eprintln!("  FAILED:");
                for e in errors {
                    eprintln!("{}: {e}", file.display());
                }
                eprintln!();
            }
        }
    }
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

/// What promtool does with each file of `../shared/conformance/promtool/`:
/// the exit codes Prometheus's own tests of promtool expect
/// (`cmd/promtool/unittest_test.go`, `main_test.go`). `unittest.yml` also
/// has native histograms; the others use classic float samples only.
pub const PROMTOOL_OUTCOMES: [(&str, &str, u8); 20] = [
    ("test-rules", "unittest.yml", 0),
    ("test-rules", "long-period.yml", 0),
    ("test-rules", "bad-input-series.yml", 1),
    ("test-rules", "bad-promql.yml", 1),
    ("test-rules", "bad-rules-syntax-test.yml", 1),
    ("test-rules", "bad-rules-error-test.yml", 1),
    ("test-rules", "failing.yml", 1),
    ("test-rules", "at-modifier-test.yml", 0),
    ("test-rules", "negative-offset-test.yml", 0),
    ("test-rules", "no-test-group-interval.yml", 0),
    ("test-rules", "start-time-test.yml", 0),
    ("check-rules", "rules.yml", 0),
    ("check-rules", "rules-bad.yml", 1),
    ("check-rules", "rules_duplicates.yml", 0),
    ("check-rules", "rules_extrafields.yml", 1),
    ("check-rules", "rules_large.yml", 0),
    ("check-rules", "at-modifier.yml", 0),
    ("check-rules", "negative-offset.yml", 0),
    ("check-rules", "bad-rules-error.yml", 0),
    ("check-rules", "bad-rules-syntax.yml", 1),
];

/// Runs every file of the promtool conformance folder as promtool would and
/// prints a table of promtool's outcome beside ours; exit 1 if any differs.
pub fn promtool_conformance(dir: &Path) -> ExitCode {
    let mut agree = 0;
    println!(
        "{:<12} {:<28} {:>8} {:>6}  agree",
        "command", "file", "promtool", "o11y"
    );
    for (command, file, want) in PROMTOOL_OUTCOMES {
        let path = dir.join(file);
        let Ok(text) = std::fs::read_to_string(&path) else {
            println!("{command:<12} {file:<28} {want:>8} {:>6}  missing", "-");
            continue;
        };
        let got: u8 = if command == "test-rules" {
            let load =
                |name: &str| std::fs::read_to_string(dir.join(name)).map_err(|e| e.to_string());
            u8::from(!run_test_file(&text, &load).passed)
        } else {
            u8::from(check_text(&text).is_err())
        };
        let same = got == want;
        agree += usize::from(same);
        println!(
            "{command:<12} {file:<28} {want:>8} {got:>6}  {}",
            if same { "yes" } else { "NO" }
        );
    }
    println!(
        "promtool conformance: {agree}/{} files with promtool's outcome",
        PROMTOOL_OUTCOMES.len()
    );
    if agree == PROMTOOL_OUTCOMES.len() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// Writes the default rules and a generated SLO rule file into `dir`.
pub fn export_rules(dir: &Path) -> ExitCode {
    let slo = o11y_engine::alerting::rules::slo::Slo {
        name: "frontend-availability".into(),
        service: "frontend".into(),
        good: r#"http_requests_total{job="shop", service="frontend", status!~"5.."}"#.into(),
        total: r#"http_requests_total{job="shop", service="frontend"}"#.into(),
        objective: 0.995,
        window: "30d".into(),
    };
    let files = [
        (
            "default-rules.yml",
            Ok(o11y_engine::demo::DEFAULT_RULES.to_string()),
        ),
        ("slo-rules.yml", slo.rules_yaml()),
    ];
    for (name, text) in files {
        let written = text.map_err(|e| e.to_string()).and_then(|t| {
            std::fs::create_dir_all(dir)
                .and_then(|()| std::fs::write(dir.join(name), t))
                .map_err(|e| e.to_string())
        });
        if let Err(e) = written {
            eprintln!("o11y export-rules: {name}: {e}");
            return ExitCode::FAILURE;
        }
    }
    ExitCode::SUCCESS
}
