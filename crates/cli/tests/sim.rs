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
    let first = sim(&["--seed", "7", "--duration", "10m", "--step", "15s"]).success();
    let out = String::from_utf8(first.get_output().stdout.clone()).unwrap();
    assert!(
        out.contains("# TYPE http_requests_total counter\n"),
        "{out}"
    );
    assert!(out.contains("# TYPE http_request_duration_seconds histogram\n"));
    assert!(out.contains(
        r#"http_request_duration_seconds_bucket{method="GET",route="/api/products",le="+Inf"} "#
    ));
    let again = sim(&["--seed", "7", "--duration", "10m", "--step", "15s"]).success();
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
