//! LogQL's templates: the examples of Loki's documentation (LogQL
//! template functions, log queries) and of Loki's own tests
//! (`pkg/logql/log/fmt_test.go`), with the outputs they give.

use crate::{Env, Functions, Template, TemplateError, Value};

fn render(t: &str, labels: &[(&str, &str)]) -> Result<String, TemplateError> {
    render_at(t, labels, "the line", 1_700_000_000_000_000_000)
}

fn render_at(
    t: &str,
    labels: &[(&str, &str)],
    line: &str,
    ts_ns: i64,
) -> Result<String, TemplateError> {
    let env = Env::default()
        .dot(Value::labels(labels.iter().copied()))
        .log_line(line, ts_ns);
    Template::parse_with("line", t, &[], Functions::Loki)?.render(&env)
}

fn check(cases: &[(&str, &str)], labels: &[(&str, &str)]) {
    for (text, want) in cases {
        match render(text, labels) {
            Ok(got) => assert_eq!(got, *want, "{text}"),
            Err(e) => panic!("{text}: {e}"),
        }
    }
}

#[test]
fn loki_documentation_examples() {
    let labels = [
        ("query", "{job=\"x\"}"),
        ("duration", "1.5s"),
        ("status", "200"),
        ("method", "get"),
    ];
    assert_eq!(
        render("{{.query}} {{.duration}}", &labels).unwrap(),
        "{job=\"x\"} 1.5s"
    );
    assert_eq!(render("{{ .method | ToUpper }}", &labels).unwrap(), "GET");
    assert_eq!(render("{{ ToLower \"HeLLo\" }}", &labels).unwrap(), "hello");
    assert_eq!(
        render("{{ default \"-\" .missing }}", &labels).unwrap(),
        "-"
    );
    assert_eq!(
        render("{{ printf \"%s=%d\" .method .status }}", &labels).unwrap(),
        "get=200"
    );
    assert_eq!(
        render("{{ replace \"1.5\" \"2\" .duration }}", &labels).unwrap(),
        "2s"
    );
    assert_eq!(render("{{ trunc 2 .method }}", &labels).unwrap(), "ge");
    assert_eq!(
        render("{{ __line__ | ToUpper }}", &labels).unwrap(),
        "THE LINE"
    );
    assert_eq!(
        render("{{ __timestamp__ }}", &labels).unwrap(),
        "2023-11-14T22:13:20Z"
    );
    assert_eq!(
        render("{{ .method | trunc 1 | ToUpper }}", &labels).unwrap(),
        "G"
    );
    assert_eq!(render("a {{- .status -}} b", &labels).unwrap(), "a200b");
}

/// `if`, `range`, `with` and `$variables` run (Loki runs Go's
/// text/template); what is still unsupported names itself.
#[test]
fn unsupported_constructs_are_named() {
    assert!(
        render("{{ template \"x\" }}", &[])
            .unwrap_err()
            .message
            .contains("{{template}} is not supported")
    );
    assert!(
        render("{{ $x }}", &[])
            .unwrap_err()
            .message
            .contains("undefined variable \"$x\"")
    );
    assert!(
        render("{{ .x ", &[])
            .unwrap_err()
            .message
            .contains("unclosed action")
    );
    assert!(
        render("{{ nosuch .x }}", &[])
            .unwrap_err()
            .message
            .contains("function \"nosuch\" not defined")
    );
}

#[test]
fn control_structures_and_variables() {
    let labels = [("level", "error"), ("err", "ErrTimeout: slow"), ("n", "3")];
    check(
        &[
            ("{{ if eq .level \"error\" }}E{{ else }}-{{ end }}", "E"),
            ("{{ with .missing }}x{{ else }}none{{ end }}", "none"),
            ("{{ with .level }}{{ . | upper }}{{ end }}", "ERROR"),
            ("{{ $l := .level }}{{ $l }}/{{ $l | len }}", "error/5"),
            (
                "{{ range $i, $x := fromJson `[\"a\",\"b\"]` }}{{ $i }}{{ $x }} {{ end }}",
                "0a 1b ",
            ),
            ("{{ range int .n }}{{ . }}{{ end }}", "012"),
            (
                "{{ if and (hasPrefix \"Err\" .err) (contains \"slow\" .err) }}both{{ end }}",
                "both",
            ),
        ],
        &labels,
    );
}

/// The examples of Loki's "LogQL template functions" page, with the
/// outputs it documents (where it prints `124.0`, Go prints `124`).
#[test]
fn template_functions_page() {
    let labels = [
        ("remote_addr", "129.168.1.1"),
        ("err", ""),
        ("from", "1679577215"),
        ("request_uri", "/a/509965767/alternative-to-my-mtg.html"),
        ("request_method", "GET"),
        ("queries", r#"[{"query":"up"},{"query":"rate(x[5m])"}]"#),
        ("http_request_headers_x_forwarded_for", ""),
    ];
    check(
        &[
            (
                r#"{{ if and (contains "he" "hello") (contains "llo" "hello") }} yes {{end}}"#,
                " yes ",
            ),
            (
                r#"{{ if contains "ErrTimeout" .err }} timeout {{else if contains "he" "hello"}} yes {{else}} no {{end}}"#,
                " yes ",
            ),
            (r#"{{ __line__ | lower }}"#, "the line"),
            (
                r#"from="{{date "2006-01-02" (unixToTime .from)}}""#,
                r#"from="2023-03-23""#,
            ),
            // Loki's `regexReplaceAll(regex, s, repl)` and Go's
            // `strings.TrimPrefix(s, prefix)`; sprig's `trimPrefix` takes
            // the text last.
            (r#"{{ regexReplaceAll "(a*)bc" "abc" "${1}a" }}"#, "aa"),
            (
                r#"{{ regexReplaceAllLiteral "(ts=)" "ts=1" "timestamp=" }}"#,
                "timestamp=1",
            ),
            (
                r#"{{ regexReplaceAll "[0-9]+" .request_uri "N" }}"#,
                "/a/N/alternative-to-my-mtg.html",
            ),
            (
                r#"{{ TrimPrefix .request_uri "/a/" }}"#,
                "509965767/alternative-to-my-mtg.html",
            ),
            (
                r#"{{ TrimSuffix .request_uri ".html" }}"#,
                "/a/509965767/alternative-to-my-mtg",
            ),
            (
                r#"{{ .request_uri | trimPrefix "/a/" }}"#,
                "509965767/alternative-to-my-mtg.html",
            ),
            (
                r#"{{ trimSuffix ".html" .request_uri }}"#,
                "/a/509965767/alternative-to-my-mtg",
            ),
            (r#"{{ alignLeft 5 "hello world"}}"#, "hello"),
            (r#"{{ alignLeft 5 "hi"}}"#, "hi   "),
            (r#"{{ alignRight 5 "hello world"}}"#, "world"),
            (r#"{{ alignRight 5 "hi"}}"#, "   hi"),
            (r#"{{ default "-" "" }}"#, "-"),
            (r#"{{ default "-" "foo" }}"#, "foo"),
            (
                r#"{{.http_request_headers_x_forwarded_for | default "-"}}"#,
                "-",
            ),
            (
                r#"{{ range $q := fromJson .queries }} {{ $q.query }} {{ end }}"#,
                " up  rate(x[5m]) ",
            ),
            (r#"{{ lower  "HELLO"}}"#, "hello"),
            (r#"{{ repeat 3 "hello" }}"#, "hellohellohello"),
            (
                r#"{{ printf "The IP address was %s" .remote_addr }}"#,
                "The IP address was 129.168.1.1",
            ),
            (
                r#"{{ printf "%-40.40s" .request_uri}} {{printf "%-5.5s" .request_method}}"#,
                "/a/509965767/alternative-to-my-mtg.html  GET  ",
            ),
            (
                r#"{{ replace "hello" "world" "hello world" }}"#,
                "world world",
            ),
            (r#"{{ substr 0 5 "hello world"}}"#, "hello"),
            (r#"{{ substr 6 11 "hello world"}}"#, "world"),
            (r#"{{ title "hello world"}}"#, "Hello World"),
            (r#"{{ trim "   hello    " }}"#, "hello"),
            (r#"{{ trimAll "$" "$5.00" }}"#, "5.00"),
            (r#"{{ trimPrefix "-" "-hello" }}"#, "hello"),
            (r#"{{ trimSuffix "-" "hello-" }}"#, "hello"),
            (r#"{{ trunc 5 "hello world"}}"#, "hello"),
            (r#"{{ trunc -5 "hello world"}}"#, "world"),
            (r#"{{ upper  "hello"}}"#, "HELLO"),
            (r#"{{ if eq "hello" "hello" }} yes {{end}}"#, " yes "),
            (r#"{{ if hasPrefix "he" "hello" }} yes {{end}}"#, " yes "),
            (r#"{{ add 3 2 5 }}"#, "10"),
            (r#"{{ addf 3.5 2 5 }}"#, "10.5"),
            (r#"{{ ceil 123.001 }}"#, "124"),
            (r#"{{ div 10 2}}"#, "5"),
            (r#"{{ divf 10 2 4}}"#, "1.25"),
            (r#"{{ "3.5" | float64 }}"#, "3.5"),
            (r#"{{ floor 123.9999 }}"#, "123"),
            (r#"{{ "3" | int }}"#, "3"),
            (r#"{{ max 1 2 3 }}"#, "3"),
            (r#"{{ maxf 1 2.5 3 }}"#, "3"),
            (r#"{{ min 1 2 3 }}"#, "1"),
            (r#"{{ mul 5 2 3}}"#, "30"),
            (r#"{{ mulf 5.5 2 2.5 }}"#, "27.5"),
            (r#"{{ mod 10 3}}"#, "1"),
            (r#"{{ round 123.555555 3 }}"#, "123.556"),
            (r#"{{ round 123.88571428571 5 .2 }}"#, "123.88572"),
            (r#"{{ sub 5 2 }}"#, "3"),
            (r#"{{ subf  5.5 2 1.5 }}"#, "2"),
            (
                r#"{{ addf 0.1 0.2 }} {{ divf 1 3 }} {{ mulf 0.1 3 }}"#,
                "0.3 0.3333333333333333 0.3",
            ),
            (r#"{{ count "a|b" "abab" }}"#, "4"),
            (r#"{{ count "o" "foo" }}"#, "2"),
        ],
        &labels,
    );
}

/// The line-format example of Loki's "Log queries" page: labels `ip`,
/// `status` and `duration` (ms) give `1.1.1.1 200 3`.
#[test]
fn log_queries_page() {
    let labels = [("ip", "1.1.1.1"), ("status", "200"), ("duration", "3000")];
    assert_eq!(
        render("{{.ip}} {{.status}} {{div .duration 1000}}", &labels).unwrap(),
        "1.1.1.1 200 3"
    );
}

/// The cases of Loki's `Test_lineFormatter_Format` whose functions run
/// here as in Loki.
#[test]
fn lokis_line_formatter_tests() {
    let blip = [("foo", "blip"), ("bar", "blop")];
    check(
        &[
            ("foo{{.foo}}buzz{{  .bar  }}", "fooblipbuzzblop"),
            (
                r#"foo{{.foo}}buzz{{ Replace .bar "blop" "bar" -1 }}"#,
                "fooblipbuzzbar",
            ),
            (
                r#"foo{{.foo}}buzz{{ .bar | replace "blop" "bar" }}"#,
                "fooblipbuzzbar",
            ),
            ("{{.foo | title }}", "Blip"),
            (
                "{{.foo | substr 1 3 }} {{ .bar  | trunc 1 }} {{ .bar  | trunc 3 }}",
                "li b blo",
            ),
            (
                "foo {{.foo | ToUpper }} buzz{{  .bar  }}",
                "foo BLIP buzzblop",
            ),
            ("{{ \"foo\" | repeat 3 }}", "foofoofoo"),
            ("{{ \"foo\\n bar\" | indent 4 }}", "    foo\n     bar"),
            ("{{ \"foo\" | nindent 2 }}", "\n  foo"),
            ("{{.foo}}", "blip"),
            ("{{.foo}}  ", "blip  "),
            ("{{.missing}}", ""),
            (
                "{{ sub (unixEpoch (toDate \"2006-01-02\" \"2021-11-02\")) (unixEpoch (toDate \"2006-01-02\" \"2021-11-01\")) }}",
                "86400",
            ),
            (
                "{{ date \"2006-01-02\" (toDate \"2006-01-02\" \"2021-11-02\") }}",
                "2021-11-02",
            ),
            ("{{ \"2.5\" | float64 | int | add 10}}", "12"),
        ],
        &blip,
    );
    check(
        &[(
            "{{.foo | trim }} {{ .bar  | trimAll \"op\" }} {{ .bar  | trimPrefix \"b\" }} {{ .bar  | trimSuffix \"p\" }}",
            "blip bl lop blo",
        )],
        &[("foo", "  blip "), ("bar", "blop")],
    );
    check(
        &[
            ("{{.foo | lower }} {{ .bar  | upper }}", "blip BLOP"),
            (
                "{{ if  .foo | contains \"p\"}}yes{{end}}-{{ if  .foo | contains \"z\"}}no{{end}}",
                "yes-",
            ),
            (
                "{{ if  .foo | hasPrefix \"BL\" }}yes{{end}}-{{ if  .foo | hasPrefix \"p\"}}no{{end}}",
                "yes-",
            ),
            (
                "{{ if  .foo | hasSuffix \"Ip\" }}yes{{end}}-{{ if  .foo | hasSuffix \"pw\"}}no{{end}}",
                "yes-",
            ),
        ],
        &[("foo", "BLIp"), ("bar", "blop")],
    );
    check(
        &[
            ("{{.foo | count \"abc\" }}", "3"),
            ("{{.foo | count \"a|b|c\" }}", "9"),
        ],
        &[("foo", "abc abc abc")],
    );
    let url = r#"/loki/api/v1/query?query=sum(count_over_time({stream_filter="some_stream",environment="prod", host=~"someec2.*"}"#;
    let encoded = "%2Floki%2Fapi%2Fv1%2Fquery%3Fquery%3Dsum%28count_over_time%28%7Bstream_filter%3D%22some_stream%22%2Cenvironment%3D%22prod%22%2C+host%3D~%22someec2.%2A%22%7D";
    assert_eq!(
        render("{{.foo | urlencode }}", &[("foo", url)]).unwrap(),
        encoded
    );
    assert_eq!(
        render("{{ urldecode .foo }}", &[("foo", encoded)]).unwrap(),
        url
    );
    check(
        &[("{{ add .foo 1 | sub .bar | mul .baz | div .bazz}}", "2")],
        &[("foo", "1"), ("bar", "3"), ("baz", "10"), ("bazz", "20")],
    );
    check(
        &[(
            "{{ addf .foo 1.5 | subf .bar 1.5 | mulf .baz | divf .bazz }}",
            "3.8476190476190477",
        )],
        &[
            ("foo", "1.5"),
            ("bar", "5"),
            ("baz", "10.5"),
            ("bazz", "20.2"),
        ],
    );
    check(
        &[(
            "{{ round (addf .foo 1.5 | subf .bar | mulf .baz | divf .bazz) 5 .2}}",
            "3.88572",
        )],
        &[
            ("foo", "1.5"),
            ("bar", "3.5"),
            ("baz", "10.5"),
            ("bazz", "20.4"),
        ],
    );
    check(
        &[(
            "min is {{ min .foo .bar .baz }} and max is {{ max .foo .bar .baz }}",
            "min is 5 and max is 15",
        )],
        &[("foo", "5"), ("bar", "10"), ("baz", "15")],
    );
    check(
        &[(
            "minf is {{ minf .foo .bar .baz }} and maxf is {{maxf .foo .bar .baz}}",
            "minf is 5.3 and maxf is 15.2",
        )],
        &[("foo", "5.3"), ("bar", "10.5"), ("baz", "15.2")],
    );
    check(
        &[(
            "ceil is {{ ceil .foo }} and floor is {{floor .foo }}",
            "ceil is 6 and floor is 5",
        )],
        &[("foo", "5.3")],
    );
    check(&[("mod is {{ mod .foo 3 }}", "mod is 2")], &[("foo", "20")]);
    check(
        &[(
            r#"{{.foo | default "-" }}{{.bar | default "-"}}{{.unknown | default "-"}}"#,
            "blip--",
        )],
        &[("foo", "blip"), ("bar", "")],
    );
    assert_eq!(
        render_at("{{ __line__ }} bar {{ .bar }}", &[("bar", "2")], "1", 0).unwrap(),
        "1 bar 2"
    );
    let at = |t: &str, ts: i64| render_at(t, &[("bar", "2")], "1", ts).unwrap();
    assert_eq!(
        at(
            "{{ __timestamp__ | date \"2006-01-02\" }} bar {{ .bar }}",
            1_656_331_200_000_000_000
        ),
        "2022-06-27 bar 2"
    );
    assert_eq!(
        at(
            "{{ __timestamp__ | unixEpoch }} bar {{ .bar }}",
            1_656_353_124_120_000_000
        ),
        "1656353124 bar 2"
    );
    check(&[("{{ .foo | bytes }}", "3000")], &[("foo", "3 kB")]);
    check(&[("{{ .foo | bytes }}", "3e+06")], &[("foo", "3MB")]);
    check(&[("{{ .foo | duration }}", "0.003")], &[("foo", "3ms")]);
    check(
        &[("{{ .foo | duration_seconds }}", "190")],
        &[("foo", "3m10s")],
    );
    let date = [("foo", "2023-03-10T01:32:40.340485723Z")];
    let layout = r#"toDateInZone "2006-01-02T15:04:05.999999999Z" "UTC""#;
    check(
        &[(
            &format!("{{{{ .foo | {layout} | unixEpochMillis }}}}"),
            "1678411960340",
        )],
        &date,
    );
    check(
        &[(
            &format!("{{{{ .foo | {layout} | unixEpochNanos }}}}"),
            "1678411960340485723",
        )],
        &date,
    );
    check(
        &[("{{ .foo | b64enc }}", "aSdtIGEgc3RyaW5nLCBlbmNvZGUgbWUh")],
        &[("foo", "i'm a string, encode me!")],
    );
    check(
        &[("{{ .foo | b64dec }}", "i'm a string, encode me!")],
        &[("foo", "aSdtIGEgc3RyaW5nLCBlbmNvZGUgbWUh")],
    );
    check(
        &[("{{ .foo | b64dec }} {{ .bar | b64dec }}", "fooba foob")],
        &[("foo", "Zm9vYmE"), ("bar", "Zm9vYg")],
    );
    check(
        &[
            ("{{ alignLeft 4 .foo }}", "hell"),
            ("{{ alignRight 4 .foo }}", "ello"),
        ],
        &[("foo", "hello")],
    );
}

/// The cases of Loki's `Test_labelsFormatter_Format` (label_format runs
/// the same templates), and its `unixToTime` cases read back as epochs.
#[test]
fn lokis_label_formatter_tests() {
    let labels = [("foo", "blip"), ("bar", "blop")];
    let at = |t: &str| render_at(t, &labels, "test line", 1_661_518_453_244_672_570).unwrap();
    assert_eq!(at("{{.foo}} and {{.bar}}"), "blip and blop");
    assert_eq!(at("{{.foo | ToUpper }} and {{.bar}}"), "BLIP and blop");
    assert_eq!(at("{{ __line__ }}"), "test line");
    assert_eq!(
        at("{{ __timestamp__ | date \"2006-01-02\" }}"),
        "2022-08-26"
    );
    assert_eq!(at("{{ __timestamp__ | unixEpoch }}"), "1661518453");
    assert_eq!(at("{{ __line__ | count \"test\" }}"), "1");
    assert_eq!(at("{{ __line__ | count \"notmatching.*\" }}"), "0");
    assert_eq!(
        render("{{div .status 100 }}", &[("status", "200")]).unwrap(),
        "2"
    );
    let err = render("{{replace \"test\" .foo}}", &labels).unwrap_err();
    assert_eq!(
        err.message,
        "wrong number of args for replace: want 3 got 2"
    );
    for (epoch, ns) in [
        ("19503", "1685059200000000000"),
        ("1679577215", "1679577215000000000"),
        ("1257894000000", "1257894000000000000"),
        ("1673798889902000", "1673798889902000000"),
        ("1000000000000000000", "1000000000000000000"),
    ] {
        let got = render(
            "{{ .bar | unixToTime | unixEpochNanos }}",
            &[("bar", epoch)],
        )
        .unwrap();
        assert_eq!(got, ns, "{epoch}");
    }
    for bad in ["abc", "464"] {
        assert!(
            render("{{ unixToTime .x }}", &[("x", bad)]).is_err(),
            "{bad}"
        );
    }
}

/// Loki's `Test_trunc`, `Test_AlignLeft` and `Test_AlignRight`.
#[test]
fn lokis_cutting_and_padding_tests() {
    let s = [("s", "Hello, 世界")];
    check(
        &[
            ("{{ trunc -1 .s }}", "界"),
            ("{{ trunc 1 .s }}", "H"),
            ("{{ trunc 0 .s }}", ""),
            ("{{ trunc 20 .s }}", "Hello, 世界"),
            ("{{ trunc -20 .s }}", "Hello, 世界"),
            ("{{ alignLeft -1 .s }}", "Hello, 世界"),
            ("{{ alignLeft 0 .s }}", ""),
            ("{{ alignLeft 8 .s }}", "Hello, 世"),
            ("{{ alignLeft 20 .s }}", "Hello, 世界           "),
            ("{{ alignRight 1 .s }}", "界"),
            ("{{ alignRight 2 .s }}", "世界"),
            ("{{ alignRight 20 .s }}", "           Hello, 世界"),
        ],
        &s,
    );
}

/// The template of Loki's `TestMapPoolPanic`: nested `if`/`else if` with
/// `alignRight` and `eq`, as people write them for coloured output.
#[test]
fn coloured_output_template() {
    let t = "[1m{{if .level }}{{alignRight 5 .level}}{{else if .severity}}{{alignRight 5 .severity}}{{end}}[0m [90m[{{alignRight 10 .resources_service_instance_id}}{{if .attributes_thread_name}}/{{alignRight 20 .attributes_thread_name}}{{else if eq \"java\" .resources_telemetry_sdk_language }}                    {{end}}][0m [36m{{if .instrumentation_scope_name }}{{alignRight 40 .instrumentation_scope_name}}{{end}}[0m {{.body}} {{if .traceid}} [37m[3m[traceid={{.traceid}}]{{end}}";
    let labels = [("severity", "warn"), ("body", "query finished")];
    assert_eq!(
        render(t, &labels).unwrap(),
        "[1m warn[0m [90m[          ][0m [36m[0m query finished "
    );
}

#[test]
fn loki_functions_fail_without_freezing() {
    for text in [
        "{{ repeat 100000000 \"xx\" }}",
        "{{ indent 100000000 \"a\" }}",
        "{{ alignLeft 100000000 \"a\" }}",
        "{{ div 1 0 }}",
        "{{ divf 1 0 }}",
        "{{ repeat -1 \"a\" }}",
        "{{ regexReplaceAll \"(\" \"\" \"x\" }}",
        "{{ urldecode \"%zz\" }}",
        "{{ date \"2006\" \"x\" }}",
        "{{ unixEpoch \"x\" }}",
    ] {
        assert!(render(text, &[]).is_err(), "{text}");
    }
    assert_eq!(render("{{ fromJson \"nope\" }}|", &[]).unwrap(), "|");
    assert_eq!(
        render("{{ toDate \"2006\" \"nope\" | unixEpoch }}", &[]).unwrap(),
        "-62135596800"
    );
    assert_eq!(
        render("{{ b64dec \"!!!!\" }}", &[]).unwrap(),
        "illegal base64 data at input byte 0"
    );
}
