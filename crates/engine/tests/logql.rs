//! LogQL end to end: OTLP/JSON logs from the OpenTelemetry examples import,
//! and queries over them see their labels and structured metadata.

use o11y_engine::logs::ingest::{IngestOptions, PasteFormat, ingest};
use o11y_engine::logs::metric::{LogQuery, LogqlResult, query};
use o11y_engine::logs::store::LogStore;

mod common;

#[test]
fn opentelemetry_example_logs_import_and_query() {
    let path = common::conformance_dir().join("otlp/logs.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut store = LogStore::default();
    let report = ingest(&mut store, &text, &IngestOptions::default()).expect("the example imports");
    assert_eq!(report.format, Some(PasteFormat::Otlp));
    assert!(report.lines >= 1, "{report:?}");
    let stream = &store.streams()[0];
    assert_eq!(stream.labels.get("service_name"), Some("my.service"));
    let entry = stream.entry(0);
    assert_eq!(entry.ts_ns, 1_544_712_660_300_000_000);
    assert_eq!(entry.line, "Example log record");
    let meta = |k: &str| {
        entry
            .metadata
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.as_str())
    };
    assert_eq!(meta("string_attribute"), Some("some string"));
    assert_eq!(meta("boolean_attribute"), Some("true"));
    assert_eq!(meta("trace_id"), Some("5B8EFFF798038103D269B633813FC60C"));

    let q = LogQuery {
        start_ns: 1_544_712_660_000_000_000,
        end_ns: 1_544_712_661_000_000_000,
        step_ms: 0,
        limit: 10,
    };
    let LogqlResult::Logs(lines) = query(
        r#"{service_name="my.service"} | string_attribute="some string""#,
        &store,
        &q,
    )
    .unwrap() else {
        panic!("a log query returns lines");
    };
    assert_eq!(lines.len(), report.lines);
    assert!(
        lines[0]
            .labels
            .iter()
            .any(|(n, v)| n == "severity_text" && v == "Information")
    );
}
