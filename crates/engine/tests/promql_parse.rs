//! The PromQL parser: canonical printing round trips, errors with spans,
//! fuzzing, and every query of Prometheus's own test scripts.

use o11y_engine::promql::parse;
use o11y_engine::promql::promqltest::IN_SCOPE_FILES;

mod common;
use proptest::prelude::*;

/// Parses `input`, checks it prints as `canonical`, and that the canonical
/// form parses to itself.
fn check(input: &str, canonical: &str) {
    let printed = parse(input)
        .unwrap_or_else(|e| panic!("{input}: {e} at {:?}", e.span))
        .to_string();
    assert_eq!(printed, canonical, "printing {input}");
    let again = parse(&printed)
        .unwrap_or_else(|e| panic!("{printed}: {e}"))
        .to_string();
    assert_eq!(again, printed, "reparsing {printed}");
}

fn check_error(input: &str, span: std::ops::Range<usize>, message: &str) {
    let e = parse(input).expect_err(input);
    assert_eq!(
        (e.span.clone(), e.message.as_str()),
        (span, message),
        "input: {input}"
    );
}

#[test]
fn selectors_and_modifiers() {
    check("up", "up");
    // Found by fuzzing: a negative `@` time printed as -2.900 for -1.1.
    check("x @ -1.1", "x @ -1.100");
    check(
        "up{job=\"api\",code=~'5..'}",
        "up{job=\"api\", code=~\"5..\"}",
    );
    check("{__name__=\"up\"}", "{__name__=\"up\"}");
    check("{\"my.metric\", a=\"b\"}", "{\"my.metric\", a=\"b\"}");
    check("{\"my.metric\"}", "{\"my.metric\"}");
    check(
        "x{\"label.with.dots\"=\"v\"}",
        "x{\"label.with.dots\"=\"v\"}",
    );
    check(
        "rate(http_requests_total[5m] offset 1h)",
        "rate(http_requests_total[5m] offset 1h)",
    );
    check("x offset -5m", "x offset -5m");
    check("x @ 100", "x @ 100.000");
    check("x @ start() offset 1m", "x @ start() offset 1m");
    check("x[600]", "x[10m]");
    check("x[1h30m]", "x[1h30m]");
    check("rate(x[5m])[30m:1m]", "rate(x[5m])[30m:1m]");
    check(
        "max_over_time(deriv(rate(x[1m])[5m:])[10m:30s] @ end())",
        "max_over_time(deriv(rate(x[1m])[5m:])[10m:30s] @ end())",
    );
}

#[test]
fn numbers_and_strings() {
    check("1", "1");
    check("-1.5", "-1.5");
    check("0x1F", "31");
    check("010", "8");
    check("1e3", "1000");
    check("Inf", "Inf");
    check("-inf", "-Inf");
    check("NaN", "NaN");
    check("\"a\\\"b\"", "\"a\\\"b\"");
    check("`raw\\n`", "\"raw\\\\n\"");
    check("'single'", "\"single\"");
}

#[test]
fn precedence_and_associativity() {
    check("1 + 2 * 3", "1 + 2 * 3");
    check("a - b - c", "a - b - c");
    check("2 ^ 3 ^ 2", "2 ^ 3 ^ 2");
    check("-a ^ 2", "-a ^ 2");
    check("a or b and c", "a or b and c");
    check("a > bool 1", "a > bool 1");
    check("1 == bool 1", "1 == bool 1");
    check(
        "a + on(job) group_left(team) b",
        "a + on (job) group_left (team) b",
    );
    check("a / ignoring(code) b", "a / ignoring (code) b");
    check("a and on() b", "a and on () b");
    check("a atan2 b", "a atan2 b");
    // Structure, not just text: `-2 ^ 2` is `-(2 ^ 2)`.
    let e = parse("a - b - c").unwrap();
    assert!(
        matches!(&e.kind, o11y_engine::promql::ast::ExprKind::Binary(b) if b.lhs.to_string() == "a - b")
    );
    let e = parse("2 ^ 3 ^ 2").unwrap();
    assert!(
        matches!(&e.kind, o11y_engine::promql::ast::ExprKind::Binary(b) if b.rhs.to_string() == "3 ^ 2")
    );
    let e = parse("-a ^ 2").unwrap();
    assert!(matches!(
        &e.kind,
        o11y_engine::promql::ast::ExprKind::Unary { .. }
    ));
}

#[test]
fn aggregations_and_functions() {
    check("sum(rate(x[5m])) by (job)", "sum by (job) (rate(x[5m]))");
    check("sum without(instance)(x)", "sum without (instance) (x)");
    check("sum by () (x)", "sum(x)");
    check("topk(5, x)", "topk(5, x)");
    check("count_values(\"le\", x)", "count_values(\"le\", x)");
    check("quantile by (a) (0.9, x)", "quantile by (a) (0.9, x)");
    check(
        "histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket[5m])))",
        "histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket[5m])))",
    );
    check(
        "label_replace(up, \"a\", \"$1\", \"job\", \"(.*)\")",
        "label_replace(up, \"a\", \"$1\", \"job\", \"(.*)\")",
    );
    check(
        "label_join(up, \"a\", \",\", \"b\", \"c\", \"d\")",
        "label_join(up, \"a\", \",\", \"b\", \"c\", \"d\")",
    );
    check("round(x)", "round(x)");
    check("round(x, 5)", "round(x, 5)");
    check("time()", "time()");
    check("predict_linear(x[50m], 1h)", "predict_linear(x[50m], 3600)");
    check("x @ 100s", "x @ 100.000");
    check("end() - start()", "end() - start()");
    check(
        "histogram_quantiles(x, \"q\", 0.5, 0.9)",
        "histogram_quantiles(x, \"q\", 0.5, 0.9)",
    );
    check("sum by (on, by) (x)", "sum by (on, by) (x)");
}

#[test]
fn errors_say_what_was_expected_and_where() {
    check_error("", 0..0, "empty query: expected an expression");
    check_error(
        "rate(x)",
        5..6,
        "expected type range vector in call to function \"rate\", got instant vector",
    );
    check_error(
        "sum(x[5m])",
        4..9,
        "expected type instant vector in aggregation expression, got range vector",
    );
    check_error("nope(x)", 0..4, "unknown function with name \"nope\"");
    check_error(
        "up{job=\"a\"",
        10..10,
        "unexpected end of input in the label matchers: expected \"}\"",
    );
    check_error(
        "{job=~\"\"}",
        0..9,
        "vector selector must contain at least one non-empty matcher",
    );
    check_error(
        "up{a=~\"(\"}",
        6..9,
        // Go's message, as Prometheus gives it.
        "invalid regular expression \"(\": missing closing ): `^(?s:()$`",
    );
    check_error(
        "1 > 2",
        2..3,
        "comparisons between scalars must use BOOL modifier",
    );
    check_error(
        "a + bool b",
        4..8,
        "bool modifier can only be used on comparison operators",
    );
    check_error(
        "1 and a",
        2..5,
        "set operator \"and\" not allowed in binary scalar expression",
    );
    check_error(
        "a and on(x) group_left b",
        12..22,
        "no grouping allowed for \"and\" operation",
    );
    check_error(
        "(a + b)[5m]",
        7..11,
        "ranges only allowed for vector selectors",
    );
    check_error(
        "x offset 5m offset 1m",
        12..21,
        "offset may not be set multiple times",
    );
    check_error(
        "rate(x[5m]) offset 1m",
        12..21,
        "offset modifier must be preceded by an instant vector selector or range vector selector or a subquery",
    );
    check_error(
        "x[5m] + 1",
        0..5,
        "binary expression must contain only scalar and instant vector types, got range vector",
    );
    check_error(
        "topk(x)",
        0..7,
        "wrong number of arguments for aggregate expression provided, expected 2, got 1",
    );
    check_error(
        "round(x, 1, 2)",
        0..14,
        "expected at most 2 argument(s) in call to \"round\", got 3",
    );
    check_error(
        "x + on(a) group_left(a) y",
        10..23,
        "label \"a\" must not occur in ON and GROUP clause at once",
    );
    check_error(
        "a b",
        2..3,
        "unexpected identifier \"b\" after the expression",
    );
    check_error(
        "-x[5m]",
        0..6,
        "unary expression only allowed on expressions of type scalar or instant vector, got range vector",
    );
    check_error(
        "x[5m:1h1h]",
        8..9,
        "units must go from largest to smallest, each once",
    );
}

/// A syntax error lists what would have been taken, for the editor; a
/// type error does not (the message says what was wrong).
#[test]
fn syntax_errors_list_what_was_expected() {
    let expected = |input: &str| parse(input).expect_err(input).expected;
    assert_eq!(expected("sum(x"), ["\")\""]);
    assert_eq!(expected("x{a=1}"), ["string"]);
    assert_eq!(expected("x{a}"), ["\"=\"", "\"!=\"", "\"=~\"", "\"!~\""]);
    assert_eq!(expected(""), ["an expression"]);
    assert_eq!(expected("1 +"), ["an expression"]);
    assert_eq!(
        expected("x @ foo"),
        ["a timestamp", "\"start()\"", "\"end()\""]
    );
    assert!(expected("rate(1)").is_empty());
}

/// Every `eval` query of the in-scope conformance scripts parses (those the
/// scripts expect to fail may fail), and its canonical form round-trips.
#[test]
fn conformance_queries_parse() {
    let (mut parsed, mut failed) = (0, Vec::new());
    for file in IN_SCOPE_FILES {
        let text = std::fs::read_to_string(
            common::conformance_dir()
                .join("promql")
                .join(format!("{file}.test")),
        )
        .expect("conformance file");
        for line in text.lines() {
            let Some(rest) = line.strip_prefix("eval") else {
                continue;
            };
            let expect_fail = rest.starts_with("_fail");
            // `eval[_fail|_ordered|_warn…] instant at T QUERY` or `range from A to B step S QUERY`.
            let query = if let Some(i) = rest.find(" at ") {
                rest[i + 4..].split_once(' ').map(|(_, q)| q)
            } else {
                rest.find(" step ")
                    .and_then(|i| rest[i + 6..].split_once(' ').map(|(_, q)| q))
            };
            let Some(query) = query else { continue };
            match parse(query) {
                Ok(e) => {
                    parsed += 1;
                    let canonical = e.to_string();
                    let again = parse(&canonical).map(|e| e.to_string());
                    assert_eq!(again.as_ref(), Ok(&canonical), "{file}: {query}");
                }
                Err(e) if !expect_fail => failed.push(format!("{file}: {query}: {e}")),
                Err(_) => {}
            }
        }
    }
    println!(
        "{parsed} conformance queries parsed; {} failed to parse",
        failed.len()
    );
    for f in &failed {
        println!("  {f}");
    }
    assert!(parsed > 800, "{parsed}");
    assert!(
        failed.len() * 50 < parsed,
        "too many parse failures: {}",
        failed.len()
    );
}

proptest! {
    #[test]
    fn arbitrary_input_never_panics(source in "\\PC{0,80}") {
        let _ = parse(&source);
    }

    #[test]
    fn promql_shaped_input_never_panics(
        source in "(sum|rate|by|on|x|y|[0-9]|5m|\\[|\\]|\\(|\\)|\\{|\\}|=|~|!|\"a\"|,|:|@|offset|\\+|-|\\*|/|\\^|and|bool| ){0,30}"
    ) {
        if let Ok(e) = parse(&source) {
            let canonical = e.to_string();
            prop_assert_eq!(parse(&canonical).map(|e| e.to_string()), Ok(canonical));
        }
    }
}
