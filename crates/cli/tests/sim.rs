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
