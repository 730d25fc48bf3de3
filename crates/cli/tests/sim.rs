//! `o11y sim` end to end, as CI and scripts call it.

use assert_cmd::Command;

fn sim(args: &[&str]) -> assert_cmd::assert::Assert {
    Command::cargo_bin("o11y")
        .expect("o11y is built")
        .arg("sim")
        .args(args)
        .assert()
}

#[test]
fn prints_text_format_deterministically() {
    let first = sim(&["--seed", "7", "--duration", "10m"]).success();
    let out = String::from_utf8(first.get_output().stdout.clone()).unwrap();
    assert!(
        out.contains("# TYPE http_requests_total counter\n"),
        "{out}"
    );
    assert!(out.contains("# TYPE http_request_duration_seconds histogram\n"));
    assert!(out.contains(
        r#"http_request_duration_seconds_bucket{service="payment",route="POST /charge",le="+Inf"} "#
    ));
    assert!(out.contains("# TYPE orders_total counter\n"), "{out}");
    let again = sim(&["--seed", "7", "--duration", "10m"]).success();
    assert_eq!(again.get_output().stdout, first.get_output().stdout);
    let other = sim(&["--seed", "8", "--duration", "10m"]).success();
    assert_ne!(other.get_output().stdout, first.get_output().stdout);
}

#[test]
fn bad_arguments_are_reported_not_panicked() {
    let out = sim(&["--duration", "10x"]).failure();
    let err = String::from_utf8_lossy(&out.get_output().stderr).to_string();
    assert!(err.contains("unknown unit"), "{err}");
    let out = sim(&["--error-ratio", "3"]).code(2);
    let err = String::from_utf8_lossy(&out.get_output().stderr).to_string();
    assert!(err.contains("error_ratio must be between 0 and 1"), "{err}");
}

#[test]
fn expfmt_prints_canonical_form_or_errors_with_positions() {
    let dir = std::env::temp_dir().join(format!("o11y-expfmt-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let good = dir.join("good.prom");
    std::fs::write(&good, "# TYPE up gauge\nup{job=\"a\",}   1\n").unwrap();
    let out = Command::cargo_bin("o11y")
        .unwrap()
        .args(["expfmt"])
        .arg(&good)
        .assert()
        .success();
    assert_eq!(
        String::from_utf8_lossy(&out.get_output().stdout),
        "# TYPE up gauge\nup{job=\"a\"} 1\n"
    );
    let out = Command::cargo_bin("o11y")
        .unwrap()
        .args(["expfmt", "--to", "openmetrics"])
        .arg(&good)
        .assert()
        .success();
    assert!(
        String::from_utf8_lossy(&out.get_output().stdout).ends_with("up{job=\"a\"} 1\n# EOF\n")
    );

    let bad = dir.join("bad.prom");
    std::fs::write(&bad, "up 1\nup{job=} 1\n").unwrap();
    let out = Command::cargo_bin("o11y")
        .unwrap()
        .args(["expfmt"])
        .arg(&bad)
        .assert()
        .code(1);
    let err = String::from_utf8_lossy(&out.get_output().stderr).to_string();
    assert!(
        err.ends_with("bad.prom:2:8: expected '\"' to start the label value\n"),
        "{err}"
    );
    std::fs::remove_dir_all(&dir).ok();
}

/// `o11y sim --out DIR`: the shop's final scrape, logs and traces agree
/// with each other, and the traces are OTLP/JSON that imports.
#[test]
fn writes_metrics_logs_and_traces_that_agree() {
    let dir = std::env::temp_dir().join(format!("o11y-sim-out-{}", std::process::id()));
    let out = Command::cargo_bin("o11y")
        .expect("o11y is built")
        .args(["sim", "--seed", "3", "--duration", "1m", "--out"])
        .arg(&dir)
        .assert()
        .success();
    assert!(String::from_utf8_lossy(&out.get_output().stdout).contains("traces.json"));
    let metrics = std::fs::read_to_string(dir.join("metrics.prom")).unwrap();
    let logs = std::fs::read_to_string(dir.join("logs.jsonl")).unwrap();
    let traces = std::fs::read_to_string(dir.join("traces.json")).unwrap();
    let spans = o11y_engine::traces::otlp::import(&traces).expect("the traces import");
    let trace_ids: std::collections::HashSet<String> =
        spans.iter().map(|s| s.trace_id.to_string()).collect();
    for line in logs.lines() {
        let id = line
            .split("\"trace_id\":\"")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap();
        assert!(trace_ids.contains(id), "{line}");
    }
    let server_spans = spans
        .iter()
        .filter(|s| s.kind == o11y_engine::traces::SpanKind::Server)
        .count();
    assert_eq!(logs.lines().count(), server_spans);
    let requests: f64 = metrics
        .lines()
        .filter(|l| l.starts_with("http_requests_total{"))
        .map(|l| l.rsplit(' ').next().unwrap().parse::<f64>().unwrap())
        .sum();
    assert_eq!(requests as usize, server_spans);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn openmetrics_output_has_every_scrape_with_timestamps() {
    let out = sim(&["--seed", "3", "--duration", "1m", "--openmetrics"]).success();
    let text = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    assert!(
        text.ends_with("# EOF\n"),
        "{}",
        &text[text.len().saturating_sub(200)..]
    );
    let families = o11y_engine::metrics::expfmt::parse(
        &text,
        o11y_engine::metrics::expfmt::Format::OpenMetrics,
    )
    .unwrap();
    let requests = families.iter().find(|f| f.name == "http_requests").unwrap();
    let times: std::collections::BTreeSet<i64> =
        requests.samples.iter().filter_map(|s| s.ts_ms).collect();
    assert_eq!(
        times.into_iter().collect::<Vec<_>>(),
        [15_000, 30_000, 45_000, 60_000]
    );
}

/// `o11y sim --openmetrics | head -1`: the reader goes away after one
/// line; the command ends without a panic message.
#[cfg(unix)]
#[test]
fn a_closed_pipe_ends_it_quietly() {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};
    let mut child = Command::new(env!("CARGO_BIN_EXE_o11y"))
        .args(["sim", "--seed", "1", "--duration", "30m", "--openmetrics"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("o11y starts");
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    assert!(first.starts_with("# "), "{first}");
    // The reader is dropped here: the pipe is closed.
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    use std::os::unix::process::ExitStatusExt;
    // Ended by SIGPIPE (13), as `cat` or `grep` would be.
    assert_eq!(out.status.signal(), Some(13), "{:?}", out.status);
}

/// `o11y sim --topology`: a user topology runs from the command line, and
/// one the simulator cannot run is refused with its place, as in the page.
#[test]
fn user_topologies_run_or_are_refused_with_their_position() {
    let dir = std::env::temp_dir().join(format!("o11y-topology-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let good = dir.join("shop.yml");
    std::fs::write(
        &good,
        "services:\n  - name: web\n    endpoints:\n      - {name: /, latency_ms: 5, calls: [{service: db, endpoint: q}]}\n  - name: db\n    kind: postgresql\n    endpoints:\n      - {name: q, latency_ms: 2}\nentry: [{endpoint: /, weight: 1}]\nrequests_per_s: 10\n",
    )
    .unwrap();
    let out = Command::cargo_bin("o11y")
        .unwrap()
        .args([
            "sim",
            "--duration",
            "1m",
            "--error-ratio",
            "0.5",
            "--topology",
        ])
        .arg(&good)
        .assert()
        .success();
    let text = String::from_utf8_lossy(&out.get_output().stdout).to_string();
    assert!(
        text.contains(r#"http_requests_total{service="web",method="GET",route="/",status="500"}"#),
        "the entry service, renamed, fails as asked:\n{text}"
    );
    assert!(text.contains(r#"service="db""#), "{text}");
    for (file, text, expected) in [
        (
            "slow.yml",
            "services:\n  - name: web\n    endpoints:\n      - name: /\n        latency_ms: 1e308\nentry: [{endpoint: /, weight: 1}]\nrequests_per_s: 1\n",
            "slow.yml:5:21: services[0].endpoints[0].latency_ms: 1e+308 is out of range",
        ),
        (
            "spread.json",
            "{\"services\": [{\"name\": \"web\", \"endpoints\": [{\"name\": \"/\", \"latency_ms\": 5, \"sigma\": 9999999}]}],\n \"entry\": [{\"endpoint\": \"/\", \"weight\": 1}], \"requests_per_s\": 1}",
            "spread.json:1:85: services[0].endpoints[0].sigma: 9.999999e+06 is out of range: it must be from 0 to 4",
        ),
        (
            "broken.yml",
            "services: [\n",
            "broken.yml:2:1: topology YAML:",
        ),
    ] {
        let path = dir.join(file);
        std::fs::write(&path, text).unwrap();
        let out = Command::cargo_bin("o11y")
            .unwrap()
            .args(["sim", "--topology"])
            .arg(&path)
            .assert()
            .code(1);
        let err = String::from_utf8_lossy(&out.get_output().stderr).to_string();
        assert!(err.contains(expected), "{err}");
    }
}
