//! OTLP/JSON traces (`resourceSpans` → `scopeSpans` → `spans`): import and
//! export. Ids are hex (either case in, lowercase out), times are
//! nanosecond strings, enums numbers, as the OTLP/JSON mapping says; an
//! export imports back to the same spans.

use serde_json::{Map, Value as Json, json};

use super::model::{
    AttrValue, Attributes, Event, Link, Span, SpanId, SpanKind, Status, StatusCode, TraceId,
};

/// Why an OTLP/JSON document could not be imported: where (`path`) and
/// what (`"{path}: {message}"`).
pub type OtlpError = o11y_model::diag::Diagnostic;

fn err<T>(path: &str, message: impl Into<String>) -> Result<T, OtlpError> {
    Err(OtlpError::at_path(path.to_string(), message))
}

fn any_value(v: &Json, path: &str) -> Result<AttrValue, OtlpError> {
    let Some(obj) = v.as_object() else {
        return err(
            path,
            "an attribute value must be an object such as {\"stringValue\": …}",
        );
    };
    if let Some(s) = obj.get("stringValue") {
        return Ok(AttrValue::String(
            s.as_str().unwrap_or_default().to_string(),
        ));
    }
    if let Some(b) = obj.get("boolValue") {
        return Ok(AttrValue::Bool(b.as_bool().unwrap_or(false)));
    }
    if let Some(i) = obj.get("intValue") {
        // int64 travels as a string in OTLP/JSON (numbers are accepted too).
        let n = i
            .as_str()
            .and_then(|s| s.parse().ok())
            .or_else(|| i.as_i64());
        return n
            .map(AttrValue::Int)
            .ok_or_else(|| OtlpError::at_path(path.to_string(), "intValue is not an integer"));
    }
    if let Some(d) = obj.get("doubleValue") {
        let n = d
            .as_f64()
            .or_else(|| d.as_str().and_then(|s| s.parse().ok()));
        return n
            .map(AttrValue::Double)
            .ok_or_else(|| OtlpError::at_path(path.to_string(), "doubleValue is not a number"));
    }
    if let Some(b) = obj.get("bytesValue") {
        return Ok(AttrValue::Bytes(b.as_str().unwrap_or_default().to_string()));
    }
    if let Some(a) = obj.get("arrayValue") {
        let values = a
            .get("values")
            .and_then(Json::as_array)
            .map(Vec::as_slice)
            .unwrap_or_default();
        return values
            .iter()
            .enumerate()
            .map(|(i, v)| any_value(v, &format!("{path}.arrayValue.values[{i}]")))
            .collect::<Result<_, _>>()
            .map(AttrValue::Array);
    }
    if let Some(kv) = obj.get("kvlistValue") {
        let values = kv.get("values").map_or(Ok(Vec::new()), |v| {
            attributes(v, &format!("{path}.kvlistValue.values"))
        })?;
        return Ok(AttrValue::KvList(values));
    }
    Ok(AttrValue::String(String::new()))
}

fn attributes(list: &Json, path: &str) -> Result<Attributes, OtlpError> {
    let Some(items) = list.as_array() else {
        return if list.is_null() {
            Ok(Vec::new())
        } else {
            err(path, "attributes must be an array")
        };
    };
    items
        .iter()
        .enumerate()
        .map(|(i, kv)| {
            let p = format!("{path}[{i}]");
            let key = kv
                .get("key")
                .and_then(Json::as_str)
                .ok_or_else(|| OtlpError::at_path(p.clone(), "an attribute needs a key"))?;
            Ok((
                key.to_string(),
                any_value(&kv["value"], &format!("{p}.value"))?,
            ))
        })
        .collect()
}

fn nanos(v: &Json, path: &str) -> Result<i64, OtlpError> {
    if v.is_null() {
        return Ok(0);
    }
    v.as_str()
        .and_then(|s| s.parse::<i64>().ok())
        .or_else(|| v.as_i64())
        .ok_or_else(|| {
            OtlpError::at_path(
                path.to_string(),
                "expected nanoseconds since the epoch, as a string",
            )
        })
}

fn parse_span_id(v: &Json, path: &str) -> Result<Option<SpanId>, OtlpError> {
    match v.as_str() {
        None | Some("") => Ok(None),
        Some(s) => SpanId::from_hex(s).map(Some).ok_or_else(|| {
            OtlpError::at_path(path.to_string(), format!("{s:?} is not 16 hex digits"))
        }),
    }
}

/// Spans of an OTLP/JSON `ExportTraceServiceRequest`.
pub fn import(text: &str) -> Result<Vec<Span>, OtlpError> {
    let doc: Json = serde_json::from_str(text).map_err(|e| {
        OtlpError::at_path(
            format!("line {}, column {}", e.line(), e.column()),
            e.to_string(),
        )
    })?;
    let Some(resources) = doc.get("resourceSpans").and_then(Json::as_array) else {
        return err("$", "expected an object with \"resourceSpans\"");
    };
    let mut out = Vec::new();
    for (ri, r) in resources.iter().enumerate() {
        let rp = format!("resourceSpans[{ri}]");
        let resource = attributes(
            &r["resource"]["attributes"],
            &format!("{rp}.resource.attributes"),
        )?;
        for (si, scope) in r["scopeSpans"]
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or_default()
            .iter()
            .enumerate()
        {
            let sp = format!("{rp}.scopeSpans[{si}]");
            let scope_name = scope["scope"]["name"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            let scope_version = scope["scope"]["version"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            for (k, s) in scope["spans"]
                .as_array()
                .map(Vec::as_slice)
                .unwrap_or_default()
                .iter()
                .enumerate()
            {
                let p = format!("{sp}.spans[{k}]");
                let trace_hex = s["traceId"].as_str().unwrap_or_default();
                let trace_id = TraceId::from_hex(trace_hex)
                    .filter(TraceId::is_valid)
                    .ok_or_else(|| {
                        OtlpError::at_path(
                            format!("{p}.traceId"),
                            format!("{trace_hex:?} is not 32 hex digits (and not all zero)"),
                        )
                    })?;
                let span_id = parse_span_id(&s["spanId"], &format!("{p}.spanId"))?
                    .filter(SpanId::is_valid)
                    .ok_or_else(|| {
                        OtlpError::at_path(
                            format!("{p}.spanId"),
                            "a span needs a span id that is not all zero",
                        )
                    })?;
                let kind = match &s["kind"] {
                    Json::Null => SpanKind::Unspecified,
                    Json::String(name) => SpanKind::from_name(name).ok_or_else(|| {
                        OtlpError::at_path(format!("{p}.kind"), format!("unknown kind {name}"))
                    })?,
                    v => v.as_i64().and_then(SpanKind::from_number).ok_or_else(|| {
                        OtlpError::at_path(format!("{p}.kind"), "kind must be 0 to 5")
                    })?,
                };
                let status = Status {
                    code: match s["status"]["code"].as_i64().or_else(|| {
                        match s["status"]["code"].as_str() {
                            Some("STATUS_CODE_OK") => Some(1),
                            Some("STATUS_CODE_ERROR") => Some(2),
                            _ => None,
                        }
                    }) {
                        Some(1) => StatusCode::Ok,
                        Some(2) => StatusCode::Error,
                        _ => StatusCode::Unset,
                    },
                    message: s["status"]["message"]
                        .as_str()
                        .unwrap_or_default()
                        .to_string(),
                };
                let mut events = Vec::new();
                for (ei, e) in s["events"]
                    .as_array()
                    .map(Vec::as_slice)
                    .unwrap_or_default()
                    .iter()
                    .enumerate()
                {
                    let ep = format!("{p}.events[{ei}]");
                    events.push(Event {
                        time_ns: nanos(&e["timeUnixNano"], &format!("{ep}.timeUnixNano"))?,
                        name: e["name"].as_str().unwrap_or_default().to_string(),
                        attributes: attributes(&e["attributes"], &format!("{ep}.attributes"))?,
                    });
                }
                let mut links = Vec::new();
                for (li, l) in s["links"]
                    .as_array()
                    .map(Vec::as_slice)
                    .unwrap_or_default()
                    .iter()
                    .enumerate()
                {
                    let lp = format!("{p}.links[{li}]");
                    let t = l["traceId"].as_str().unwrap_or_default();
                    links.push(Link {
                        trace_id: TraceId::from_hex(t).ok_or_else(|| {
                            OtlpError::at_path(
                                format!("{lp}.traceId"),
                                format!("{t:?} is not 32 hex digits"),
                            )
                        })?,
                        span_id: parse_span_id(&l["spanId"], &format!("{lp}.spanId"))?
                            .unwrap_or_default(),
                        attributes: attributes(&l["attributes"], &format!("{lp}.attributes"))?,
                    });
                }
                out.push(Span {
                    trace_id,
                    span_id,
                    parent_span_id: parse_span_id(
                        &s["parentSpanId"],
                        &format!("{p}.parentSpanId"),
                    )?,
                    trace_state: s["traceState"].as_str().unwrap_or_default().to_string(),
                    name: s["name"].as_str().unwrap_or_default().to_string(),
                    kind,
                    start_ns: nanos(&s["startTimeUnixNano"], &format!("{p}.startTimeUnixNano"))?,
                    end_ns: nanos(&s["endTimeUnixNano"], &format!("{p}.endTimeUnixNano"))?,
                    attributes: attributes(&s["attributes"], &format!("{p}.attributes"))?,
                    events,
                    links,
                    status,
                    resource: resource.clone(),
                    scope_name: scope_name.clone(),
                    scope_version: scope_version.clone(),
                });
            }
        }
    }
    Ok(out)
}

fn value_json(v: &AttrValue) -> Json {
    match v {
        AttrValue::String(s) => json!({"stringValue": s}),
        AttrValue::Bool(b) => json!({"boolValue": b}),
        AttrValue::Int(i) => json!({"intValue": i.to_string()}),
        AttrValue::Double(d) => json!({"doubleValue": d}),
        AttrValue::Bytes(b) => json!({"bytesValue": b}),
        AttrValue::Array(items) => {
            json!({"arrayValue": {"values": items.iter().map(value_json).collect::<Vec<_>>()}})
        }
        AttrValue::KvList(items) => json!({"kvlistValue": {"values": attributes_json(items)}}),
    }
}

fn attributes_json(attrs: &Attributes) -> Vec<Json> {
    attrs
        .iter()
        .map(|(k, v)| json!({"key": k, "value": value_json(v)}))
        .collect()
}

/// A scope's (name, version) and its spans, as JSON.
type ScopeGroup<'a> = ((&'a str, &'a str), Vec<Json>);

/// An OTLP/JSON document of `spans`, grouped by resource and scope in the
/// order they first appear.
pub fn export(spans: &[Span]) -> String {
    let mut resources: Vec<(&Attributes, Vec<ScopeGroup>)> = Vec::new();
    for s in spans {
        let mut span = Map::new();
        span.insert("traceId".into(), json!(s.trace_id.to_string()));
        span.insert("spanId".into(), json!(s.span_id.to_string()));
        if let Some(p) = s.parent_span_id {
            span.insert("parentSpanId".into(), json!(p.to_string()));
        }
        if !s.trace_state.is_empty() {
            span.insert("traceState".into(), json!(s.trace_state));
        }
        span.insert("name".into(), json!(s.name));
        span.insert("kind".into(), json!(s.kind as i64));
        span.insert("startTimeUnixNano".into(), json!(s.start_ns.to_string()));
        span.insert("endTimeUnixNano".into(), json!(s.end_ns.to_string()));
        span.insert(
            "attributes".into(),
            Json::Array(attributes_json(&s.attributes)),
        );
        if !s.events.is_empty() {
            span.insert(
                "events".into(),
                Json::Array(s.events.iter().map(|e| json!({"timeUnixNano": e.time_ns.to_string(), "name": e.name, "attributes": attributes_json(&e.attributes)})).collect()),
            );
        }
        if !s.links.is_empty() {
            span.insert(
                "links".into(),
                Json::Array(s.links.iter().map(|l| json!({"traceId": l.trace_id.to_string(), "spanId": l.span_id.to_string(), "attributes": attributes_json(&l.attributes)})).collect()),
            );
        }
        let mut status = Map::new();
        if s.status.code != StatusCode::Unset {
            status.insert("code".into(), json!(s.status.code as i64));
        }
        if !s.status.message.is_empty() {
            status.insert("message".into(), json!(s.status.message));
        }
        span.insert("status".into(), Json::Object(status));
        let scopes = match resources.iter_mut().find(|(r, _)| **r == s.resource) {
            Some((_, scopes)) => scopes,
            None => {
                resources.push((&s.resource, Vec::new()));
                &mut resources.last_mut().expect("just pushed").1
            }
        };
        let key = (s.scope_name.as_str(), s.scope_version.as_str());
        match scopes.iter_mut().find(|(k, _)| *k == key) {
            Some((_, list)) => list.push(Json::Object(span)),
            None => scopes.push((key, vec![Json::Object(span)])),
        }
    }
    let doc = json!({
        "resourceSpans": resources.into_iter().map(|(resource, scopes)| json!({
            "resource": {"attributes": attributes_json(resource)},
            "scopeSpans": scopes.into_iter().map(|((name, version), spans)| json!({
                "scope": {"name": name, "version": version},
                "spans": spans,
            })).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
    });
    serde_json::to_string_pretty(&doc).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_say_where() {
        let e = import(r#"{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"xyz","spanId":"00f067aa0ba902b7"}]}]}]}"#).unwrap_err();
        assert_eq!(e.path, "resourceSpans[0].scopeSpans[0].spans[0].traceId");
        assert!(import("{").unwrap_err().path.starts_with("line 1"));
        assert_eq!(import("{}").unwrap_err().path, "$");
    }
}
