//! `o11y check-config` end to end: amtool's summary on success, every
//! problem with its file, line and column on failure (exit 1).

use assert_cmd::Command;

fn o11y() -> Command {
    Command::cargo_bin("o11y").expect("o11y is built")
}

/// Writes `files` into a fresh folder of the temp dir.
fn folder(name: &str, files: &[(&str, &str)]) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("o11y-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    for (file, text) in files {
        std::fs::write(dir.join(file), text).unwrap();
    }
    dir
}

#[test]
fn a_good_config_prints_what_amtool_finds() {
    let dir = folder(
        "check-config-good",
        &[(
            "alertmanager.yml",
            o11y_engine::alerting::alertmanager::DEFAULT_CONFIG,
        )],
    );
    let file = dir.join("alertmanager.yml");
    let out = o11y().arg("check-config").arg(&file).assert().success();
    let text = String::from_utf8_lossy(&out.get_output().stdout).to_string();
    assert_eq!(
        text,
        format!(
            "Checking '{}'  SUCCESS\nFound:\n - global config\n - route\n - 1 inhibit rules\n - 2 receivers\n - 0 templates\n\n",
            file.display()
        )
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn every_problem_is_printed_with_file_line_and_column() {
    let bad_types = "route:\n  receiver: [a]\n  group_wait: [1]\nreceivers:\n  - name: a\n    webhook_configs:\n      - url: {host: x}\ninhibit_rules:\n  - equal: service\n";
    let bad_refs = "route:\n  receiver: a\n  routes:\n    - receiver: nope\n    - receiver: nobody\nreceivers: [{name: a}]\n";
    let dir = folder(
        "check-config-bad",
        &[("types.yml", bad_types), ("refs.yml", bad_refs)],
    );
    let (types, refs) = (dir.join("types.yml"), dir.join("refs.yml"));
    let out = o11y()
        .arg("check-config")
        .arg(&types)
        .arg(&refs)
        .assert()
        .code(1);
    let text = String::from_utf8_lossy(&out.get_output().stdout).to_string();
    let (t, r) = (types.display(), refs.display());
    assert_eq!(
        text,
        format!(
            "Checking '{t}'  FAILED: 4 errors\n\
             {t}:2:13: route.receiver: expected a string, found a list\n\
             {t}:3:15: route.group_wait: expected a duration such as 5m, found a list\n\
             {t}:7:14: receivers[0].webhook_configs[0].url: expected a string, found a mapping\n\
             {t}:9:12: inhibit_rules[0].equal: expected a list of strings, found \"service\"\n\
             \n\
             Checking '{r}'  FAILED: 2 errors\n\
             {r}:4:17: undefined receiver \"nope\" used in route\n\
             {r}:5:17: undefined receiver \"nobody\" used in route\n\n"
        )
    );
    let err = String::from_utf8_lossy(&out.get_output().stderr).to_string();
    assert!(err.contains("failed to validate 2 file(s)"), "{err}");

    // A file that is not there fails too.
    let out = o11y()
        .arg("check-config")
        .arg(dir.join("missing.yml"))
        .assert()
        .code(1);
    let text = String::from_utf8_lossy(&out.get_output().stdout).to_string();
    assert!(text.contains("missing.yml'  FAILED: "), "{text}");
    let _ = std::fs::remove_dir_all(dir);
}
