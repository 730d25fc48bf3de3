//! The body of a notification: the JSON Alertmanager's webhook notifier
//! POSTs (`version: "4"`), with the group's key, its common labels and
//! annotations. Nothing is sent; the body is kept with the notification.

use super::{AggrGroup, AmAlert};

/// The key Alertmanager knows a group by: its route's key and group labels.
pub(super) fn group_key(g: &AggrGroup) -> String {
    let labels: Vec<String> = g
        .group_labels
        .iter()
        .map(|l| format!("{}={:?}", l.name, l.value))
        .collect();
    format!("{}:{{{}}}", g.route_key, labels.join(", "))
}

fn rfc3339(ms: Option<i64>) -> String {
    match ms {
        Some(ms) => o11y_model::time::format_rfc3339_nanos(ms * 1_000_000),
        None => "0001-01-01T00:00:00Z".to_string(),
    }
}

fn kv(pairs: impl Iterator<Item = (String, String)>) -> serde_json::Value {
    serde_json::Value::Object(o11y_model::sort::map_from(
        pairs.map(|(k, v)| (k, serde_json::Value::String(v))),
    ))
}

/// The webhook body, as Alertmanager's webhook notifier builds it.
pub(super) fn webhook_payload(
    g: &AggrGroup,
    alerts: &[AmAlert],
    status: &str,
    at: i64,
    external_url: &str,
) -> String {
    let common = |get: &dyn Fn(&AmAlert) -> Vec<(String, String)>| -> Vec<(String, String)> {
        let Some(first) = alerts.first() else {
            return Vec::new();
        };
        get(first)
            .into_iter()
            .filter(|(k, v)| {
                alerts
                    .iter()
                    .all(|a| get(a).iter().any(|(k2, v2)| k2 == k && v2 == v))
            })
            .collect()
    };
    let labels_of = |a: &AmAlert| {
        a.labels
            .iter()
            .map(|l| (l.name.clone(), l.value.clone()))
            .collect::<Vec<_>>()
    };
    let annotations_of = |a: &AmAlert| a.annotations.clone();
    let body = serde_json::json!({
        "receiver": g.receiver,
        "status": status,
        "alerts": alerts.iter().map(|a| serde_json::json!({
            "status": if a.resolved(at) { "resolved" } else { "firing" },
            "labels": kv(labels_of(a).into_iter()),
            "annotations": kv(a.annotations.iter().cloned()),
            "startsAt": rfc3339(Some(a.starts_at_ms)),
            "endsAt": rfc3339(a.ends_at_ms),
            "generatorURL": a.generator_url,
            "fingerprint": format!("{:016x}", a.fingerprint()),
        })).collect::<Vec<_>>(),
        "groupLabels": kv(g.group_labels.iter().map(|l| (l.name.clone(), l.value.clone()))),
        "commonLabels": kv(common(&labels_of).into_iter()),
        "commonAnnotations": kv(common(&annotations_of).into_iter()),
        "externalURL": external_url,
        "version": "4",
        "groupKey": group_key(g),
        "truncatedAlerts": 0,
    });
    serde_json::to_string_pretty(&body).unwrap_or_default()
}
