//! Go's regexes as relabeling compiles them (`o11y_model::go_regex`).

use crate::relabel::{parse_configs, process};
use o11y_model::labels::Labels;

#[test]
fn regexes_are_compiled_as_go_compiles_them() {
    // (pattern, Go compiles it, a text it matches whole, one it does not)
    let cases: &[(&str, bool, &str, &str)] = &[
        (r"\Qa.b\E", true, "a.b", "axb"),
        (r"\Qa.b\E+", true, "a.bbb", "a.ba.b"),
        ("a{,5}", true, "a{,5}", "aaaaa"),
        ("a{", true, "a{", "a"),
        ("x{01}", true, "x{01}", "x"),
        (r"\141\0", true, "a\0", "a0"),
        (r"[\d-z]+", true, "1-z", "a"),
        ("[[]", true, "[", "]"),
        ("[]a]", true, "]", "b"),
        ("[[:alpha]", true, "[", "b"),
        ("[a&&b~~c]", true, "&", "d"),
        (r"\p{^Greek}", true, "a", "α"),
        (r"\d", true, "3", "٣"),
        (r"\w\s", true, "a ", "é "),
        ("(?)a", true, "a", "b"),
        ("(?i-s:A.)", true, "ab", "a\n"),
        ("(?P<x>a)(?P<x>b)", true, "ab", "ba"),
        ("a)|(b", true, "b", "c"),
        ("(a{10}){100}", true, "", ""),
        ("a{1001}", false, "", ""),
        ("a{3,2}", false, "", ""),
        ("(a{100}){100}", false, "", ""),
        ("a**", false, "", ""),
        ("a{2}{3}", false, "", ""),
        ("a*??", false, "", ""),
        ("(?x)a", false, "", ""),
        ("(?i-)a", false, "", ""),
        ("[a--b]", false, "", ""),
        ("[z-a]", false, "", ""),
        ("[[:letters:]]", false, "", ""),
        (r"[\b]", false, "", ""),
        (r"\1", false, "", ""),
        (r"\8", false, "", ""),
        (r"\Qa", false, "", ""),
        ("(?=a)", false, "", ""),
        (r"\C", false, "", ""),
        ("*a", false, "", ""),
    ];
    for (pattern, compiles, matched, unmatched) in cases {
        let yaml = format!("- {{source_labels: [a], regex: '{pattern}', action: keep}}");
        let configs = parse_configs(&yaml);
        assert_eq!(configs.is_ok(), *compiles, "{pattern}: {configs:?}");
        if let Ok(c) = configs
            && (!matched.is_empty() || !unmatched.is_empty())
        {
            assert!(
                c[0].regex.is_match(matched),
                "{pattern} matches {matched:?}"
            );
            assert!(
                !c[0].regex.is_match(unmatched),
                "{pattern} on {unmatched:?}"
            );
        }
    }
    // The first of two groups of one name keeps it, for `${x}`.
    let c = parse_configs(
        "- {source_labels: [a], regex: '(?P<x>.)(?P<x>.)', target_label: b, replacement: '${x}'}",
    )
    .unwrap();
    let out = process(&Labels::new([("a", "12")]), &c).unwrap();
    assert_eq!(out.get("b"), Some("1"));
}
