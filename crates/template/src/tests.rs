//! Tests of the language itself, run with Prometheus's variables:
//! actions, pipelines, variables, control structures, trimming, errors
//! with their lines, and junk that must never panic.

use crate::{Env, Template, TemplateError, Value};

fn render(text: &str, env: &Env<'_>) -> Result<String, TemplateError> {
    Template::parse(
        "t",
        text,
        &["labels", "value", "externalLabels", "externalURL"],
    )?
    .render(env)
}

fn alert_env<'a>() -> Env<'a> {
    Env::default()
        .var(
            "labels",
            Value::labels([("instance", "web-1:9100"), ("job", "node")]),
        )
        .var("value", Value::Float(0.0567))
        .var("externalLabels", Value::labels([("cluster", "eu")]))
        .var("externalURL", Value::Str("http://prom:9090/p".into()))
}

#[test]
fn alert_templates() {
    let env = alert_env();
    let cases: &[(&str, &str)] = &[
        (
            "{{ $labels.instance }} of job {{ $labels.job }}",
            "web-1:9100 of job node",
        ),
        ("{{ $value | humanizePercentage }}", "5.67%"),
        ("{{ $value }}", "0.0567"),
        ("{{ $labels.missing }}|", "|"),
        (
            "{{ $externalLabels.cluster }} {{ $externalURL }}",
            "eu http://prom:9090/p",
        ),
        (
            "{{ if gt $value 0.05 }}high{{ else if gt $value 0.01 }}mid{{ else }}low{{ end }}",
            "high",
        ),
        ("{{- /* a comment */ -}}  x  {{- \"y\" }}", "xy"),
        (
            "{{ range $k, $v := $labels }}{{ $k }}={{ $v }};{{ end }}",
            "instance=web-1:9100;job=node;",
        ),
        ("{{ $x := 3 }}{{ if eq $x 3 }}three{{ end }}", "three"),
        ("{{ index $labels \"job\" }} {{ len $labels }}", "node 2"),
        (
            "{{ and 1 0 }} {{ or 0 \"\" 2 }} {{ not true }}",
            "0 2 false",
        ),
        ("{{ with $labels.nope }}x{{ else }}empty{{ end }}", "empty"),
    ];
    for (text, want) in cases {
        assert_eq!(render(text, &env).unwrap(), *want, "{text}");
    }
}

#[test]
fn errors_name_their_line() {
    let err = Template::parse("__alert_X", "a\n{{ $label.foo }}", &["labels"]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "template: __alert_X:2: undefined variable \"$label\""
    );
    assert!(
        Template::parse("t", "{{ nope 1 }}", &[])
            .unwrap_err()
            .message
            .contains("function \"nope\" not defined")
    );
    assert!(Template::parse("t", "{{ if 1 }}", &[]).is_err());
    assert!(Template::parse("t", "{{ end }}", &[]).is_err());
    assert!(Template::parse("t", "{{ \"x }}", &[]).is_err());
    assert!(Template::parse("t", "{{ 1 | 2 }}", &[]).is_err());
    let err = render("{{ humanize \"abc\" }}", &Env::default()).unwrap_err();
    assert!(err.message.starts_with("error calling humanize"), "{err}");
}

#[test]
fn junk_never_panics() {
    for junk in [
        "{{",
        "}}",
        "{{-}}",
        "{{ ( }}",
        "{{ ) }}",
        "{{ $ }}",
        "{{ . . }}",
        "{{/*",
        "{{ printf \"%\" }}",
        "{{ slice \"ab\" 5 }}",
        "{{ range 3 }}{{ . }}{{ end }}",
        "{{ -1.5e }}",
        "{{ else }}",
        "{{ index 1 2 }}",
        "{{-",
        "{{ 0x }}",
        "{{ `a }}",
    ] {
        let _ = render(junk, &Env::default());
    }
}

/// Regression: `range` over a huge number built the whole list first,
/// and an empty body never counted a step; a huge `printf` width padded
/// a gigabyte; deep nesting overflowed the stack.
#[test]
fn rendering_is_bounded() {
    let env = Env::default();
    for text in [
        "{{ range 1000000000 }}{{ end }}",
        "{{ range $i := 1000000000 }}{{ $i }}{{ end }}",
        "{{ range 2000 }}{{ range 2000 }}x{{ end }}{{ end }}",
    ] {
        let err = render(text, &env).unwrap_err();
        assert!(err.message.contains("runs too long"), "{text}: {err}");
    }
    assert_eq!(
        render("{{ printf \"%1000000000d|\" 1 }}", &env).unwrap(),
        "%!(NOVERB)%!(EXTRA int=1)"
    );
    let deep = format!("{{{{ {}1{} }}}}", "(".repeat(5000), ")".repeat(5000));
    let err = render(&deep, &env).unwrap_err();
    assert!(err.message.contains("depth"), "{err}");
    let deep = "{{ if 1 }}".repeat(5000) + &"{{ end }}".repeat(5000);
    let err = render(&deep, &env).unwrap_err();
    assert!(err.message.contains("depth"), "{err}");
}

/// Errors carry the bytes of the action they are about, so LogQL can
/// point into the query.
#[test]
fn errors_carry_the_action_span() {
    let err = Template::parse("t", "ok {{ .a }} {{ nope }} x", &[]).unwrap_err();
    assert_eq!(err.span, 12..22);
    let err = Template::parse("t", "{{ if 1 }}never closed", &[]).unwrap_err();
    assert_eq!(err.span, 22..22);
    let err = render("a {{ index 1 2 }}", &Env::default()).unwrap_err();
    assert_eq!(err.span, 2..17);
}
