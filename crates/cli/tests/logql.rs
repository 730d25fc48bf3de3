//! `o11y logql` end to end: lines, metric results as Loki's API prints
//! them, and errors pointing into the query.

use assert_cmd::Command;

fn logql(args: &[&str], log: &str) -> assert_cmd::assert::Assert {
    let dir = std::env::temp_dir().join(format!("o11y-logql-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join(format!("{}.log", args.len()));
    std::fs::write(&file, log).unwrap();
    Command::cargo_bin("o11y")
        .expect("o11y is built")
        .arg("logql")
        .args(args)
        .arg(&file)
        .assert()
}

const LOG: &str = "level=info msg=\"ok\" ts=1700000000\n\
                   level=error msg=\"boom\" ts=1700000060 duration=1.5s\n\
                   {\"level\":\"error\",\"msg\":\"json boom\",\"ts\":1700000120}\n";

#[test]
fn prints_lines_and_metric_results_as_json() {
    let out = logql(
        &[r#"{job="pasted"} |= "boom" | logfmt | duration > 1s"#],
        LOG,
    )
    .success();
    let text = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    assert!(text.contains(r#""resultType":"streams""#), "{text}");
    assert!(
        text.contains(
            r#"["1700000060000000000","level=error msg=\"boom\" ts=1700000060 duration=1.5s"]"#
        ),
        "{text}"
    );
    assert!(!text.contains("json boom"), "{text}");

    let out = logql(
        &[
            "--instant",
            r#"sum(count_over_time({job="pasted"} |= "boom" [5m]))"#,
        ],
        LOG,
    )
    .success();
    let text = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    assert!(text.contains(r#""resultType":"vector""#), "{text}");
    assert!(text.contains(r#""value":[1700000120.0,"2"]"#), "{text}");
}

#[test]
fn errors_point_at_the_query() {
    let out = logql(&[r#"{job="pasted"} | jsn"#], LOG).code(1);
    let err = String::from_utf8(out.get_output().stderr.clone()).unwrap();
    assert!(
        err.contains("                 ^ unknown pipeline stage \"jsn\""),
        "{err}"
    );
}
