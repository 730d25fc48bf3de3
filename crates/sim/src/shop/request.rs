//! One request's walk through the call graph: each endpoint it reaches
//! does its own work (log-normal, slowed or failed by the failures in
//! effect), calls downstream (in turn or at once, with retries and a
//! timeout) and records a server span, a JSON log line and its RED
//! metrics; each call records a client span, the trace context passed on
//! as a `traceparent` header would carry it.

use rand::Rng;
use rand_distr::{Distribution, LogNormal};

use o11y_traces::model::{AttrValue, Span, SpanId, SpanKind, Status, StatusCode, TraceId};
use o11y_traces::traceparent::TraceParent;

use super::{ShopLog, ShopSim};
use crate::failure::Failure;
use crate::topology::{Call, MAX_SAMPLED_LATENCY_MS, Service};

/// One request on its way through the shop.
pub(super) struct Walk {
    pub(super) trace_id: TraceId,
    pub(super) now_ms: i64,
    /// Whether this request makes spans, logs and exemplars.
    pub(super) detail: bool,
}

impl ShopSim {
    fn span_id(&mut self) -> SpanId {
        let mut id = [0u8; 8];
        self.ids.fill(&mut id);
        id[7] |= 1;
        SpanId(id)
    }

    /// Serves `endpoint` of `service` from `start_ns` under `parent`:
    /// returns the end time and the error, if it failed.
    pub(super) fn serve(
        &mut self,
        walk: &Walk,
        service: &str,
        endpoint: &str,
        start_ns: i64,
        parent: Option<SpanId>,
    ) -> (i64, Option<String>) {
        let topology = self.topology.clone();
        let Some(svc_index) = topology.services.iter().position(|s| s.name == service) else {
            return (start_ns, Some(format!("unknown service {service}")));
        };
        let svc = &topology.services[svc_index];
        self.calls += 1;
        let Some(ep) = svc.endpoints.iter().find(|e| e.name == endpoint) else {
            return (start_ns, Some(format!("unknown endpoint {endpoint}")));
        };
        let mut slow = 1.0;
        let mut error_rate = ep.error_rate;
        let mut outage = false;
        for f in self.active(walk.now_ms) {
            match f {
                Failure::LatencySpike { service: s, factor } if *s == svc.name => {
                    slow *= factor.max(0.0)
                }
                Failure::ErrorBurst { service: s, rate } if *s == svc.name => {
                    error_rate = error_rate.max(rate.clamp(0.0, 1.0))
                }
                Failure::Outage { service: s } if *s == svc.name => outage = true,
                Failure::CacheMissStorm if svc.kind == "redis" => slow *= 8.0,
                Failure::MemoryLeak { service: s } if *s == svc.name => slow *= 1.5,
                _ => {}
            }
        }
        let span_id = if walk.detail {
            self.span_id()
        } else {
            SpanId([0; 8])
        };
        // Capped, so that a request's times stay inside i64 nanoseconds (see
        // `topology::ranges`): with the validated latency, spread and factors,
        // the cap is only reached far out in the tail.
        let own_ms = LogNormal::new((ep.latency_ms * slow).ln(), ep.sigma.max(0.01))
            .map(|d| d.sample(&mut self.rng))
            .unwrap_or(ep.latency_ms)
            .min(MAX_SAMPLED_LATENCY_MS);
        let mut error = None;
        let mut end_ns;
        if outage {
            end_ns = start_ns + 200_000;
            error = Some(format!("{} is unavailable: connection refused", svc.name));
        } else {
            // Own work first (half), then the calls, then the rest. Plain
            // arithmetic: a request's times are bounded (see `topology::ranges`).
            let mut at = start_ns + (own_ms * 0.5e6) as i64;
            let mut latest = at;
            for call in &ep.calls {
                let call_start = if ep.parallel { at } else { latest };
                let (call_end, call_error) = self.client_call(walk, svc, call, call_start, span_id);
                latest = latest.max(call_end);
                if error.is_none() {
                    error = call_error;
                }
                if !ep.parallel {
                    at = call_end;
                }
            }
            end_ns = latest + (own_ms * 0.5e6) as i64;
            if error.is_none() && self.rng.random::<f64>() < error_rate {
                error = Some(format!("{} failed to handle {}", svc.name, ep.name));
            }
        }
        end_ns = end_ns.max(start_ns + 1);
        let status_code = match (&error, svc.kind.as_str()) {
            (Some(_), _) => 500,
            (None, _) if ep.method == "POST" => 201,
            _ => 200,
        };
        if let Some(spans) = self.in_flight.get_mut(svc_index) {
            spans.push((start_ns, end_ns));
        }
        let status = status_code.to_string();
        let _ = self.registry.counter_inc_by(
            self.families.requests_total,
            &[
                svc.name.as_str(),
                ep.method.as_str(),
                ep.name.as_str(),
                status.as_str(),
            ],
            1.0,
        );
        let seconds = (end_ns - start_ns) as f64 / 1e9;
        if !walk.detail {
            let _ = self.registry.histogram_observe(
                self.families.duration,
                &[svc.name.as_str(), ep.name.as_str()],
                seconds,
            );
            return (end_ns, error);
        }
        let trace_hex = walk.trace_id.to_string();
        let exemplar = o11y_metrics::expfmt::Exemplar {
            labels: vec![
                ("trace_id".to_string(), trace_hex.clone()),
                ("span_id".to_string(), span_id.to_string()),
            ],
            value: seconds,
            ts_ms: Some(end_ns.div_euclid(1_000_000)),
        };
        let _ = self.registry.histogram_observe_with_exemplar(
            self.families.duration,
            &[svc.name.as_str(), ep.name.as_str()],
            seconds,
            Some(exemplar),
        );
        let mut span = Span {
            trace_id: walk.trace_id,
            span_id,
            parent_span_id: parent,
            name: if svc.kind == "http" {
                format!("{} {}", ep.method, ep.name)
            } else {
                ep.name.clone()
            },
            // Databases and caches are simulated as services of their own.
            kind: SpanKind::Server,
            start_ns,
            end_ns,
            resource: vec![(
                "service.name".to_string(),
                AttrValue::String(svc.name.clone()),
            )],
            scope_name: "o11y-playground/shop".to_string(),
            ..Span::default()
        };
        if svc.kind == "http" {
            span.attributes = vec![
                (
                    "http.request.method".to_string(),
                    AttrValue::String(ep.method.clone()),
                ),
                ("http.route".to_string(), AttrValue::String(ep.name.clone())),
                (
                    "http.response.status_code".to_string(),
                    AttrValue::Int(status_code),
                ),
            ];
        } else {
            span.attributes = vec![
                ("db.system".to_string(), AttrValue::String(svc.kind.clone())),
                (
                    "db.operation.name".to_string(),
                    AttrValue::String(ep.method.clone()),
                ),
                (
                    "server.address".to_string(),
                    AttrValue::String(svc.name.clone()),
                ),
            ];
        }
        if let Some(message) = &error {
            span.status = Status {
                code: StatusCode::Error,
                message: message.clone(),
            };
            span.record_exception(end_ns, "ServiceError", message);
        }
        let level = if error.is_some() { "error" } else { "info" };
        let message = match &error {
            Some(m) => m.clone(),
            None => format!("{} handled", span.name),
        };
        let line = format!(
            r#"{{"timestamp":"{}","level":"{level}","message":{},"service":"{}","request_id":"req-{}","user_id":"user-{}","trace_id":"{trace_hex}","span_id":"{span_id}","route":{},"status":{status_code},"duration_ms":{}}}"#,
            o11y_model::time::format_rfc3339_nanos(end_ns),
            serde_json::Value::String(message),
            svc.name,
            &trace_hex[..12],
            walk.trace_id.0[1] as u16 * 2 % 500,
            serde_json::Value::String(ep.name.clone()),
            (end_ns - start_ns) as f64 / 1e6,
        );
        self.logs.push(ShopLog {
            ts_ms: end_ns / 1_000_000,
            service: svc.name.clone(),
            level,
            line,
        });
        self.spans.push(span);
        (end_ns, error)
    }

    /// A call from `caller` to a downstream endpoint: a client span, the
    /// callee's server span under it (context passed as a traceparent),
    /// retries on failure and a timeout.
    fn client_call(
        &mut self,
        walk: &Walk,
        caller: &Service,
        call: &Call,
        start_ns: i64,
        parent: SpanId,
    ) -> (i64, Option<String>) {
        let (client_id, context_parent) = if walk.detail {
            let client_id = self.span_id();
            // The context the callee receives, as the header would carry it.
            let header = TraceParent::new(walk.trace_id, client_id, true).to_string();
            let context: TraceParent = header.parse().expect("a formatted traceparent parses");
            (client_id, Some(context.parent_id))
        } else {
            (SpanId([0; 8]), None)
        };
        let mut at = start_ns;
        let mut error = None;
        for attempt in 0..=call.retries {
            let (end, err) = self.serve(
                walk,
                &call.service,
                &call.endpoint,
                at + 100_000,
                context_parent,
            );
            let timeout_ns = (call.timeout_ms * 1e6) as i64;
            if end - at > timeout_ns {
                at += timeout_ns;
                error = Some(format!(
                    "{} timed out after {} ms",
                    call.service, call.timeout_ms
                ));
            } else {
                at = end + 100_000;
                error = err;
            }
            if error.is_none() {
                break;
            }
            let _ = attempt;
        }
        if !walk.detail {
            return (at, error);
        }
        let mut span = Span {
            trace_id: walk.trace_id,
            span_id: client_id,
            parent_span_id: Some(parent),
            name: format!("{} {}", call.service, call.endpoint),
            kind: SpanKind::Client,
            start_ns,
            end_ns: at.max(start_ns + 1),
            attributes: vec![
                (
                    "server.address".to_string(),
                    AttrValue::String(call.service.clone()),
                ),
                (
                    "peer.service".to_string(),
                    AttrValue::String(call.service.clone()),
                ),
            ],
            resource: vec![(
                "service.name".to_string(),
                AttrValue::String(caller.name.clone()),
            )],
            scope_name: "o11y-playground/shop".to_string(),
            ..Span::default()
        };
        if let Some(message) = &error {
            span.status = Status {
                code: StatusCode::Error,
                message: message.clone(),
            };
        }
        self.spans.push(span);
        (at, error)
    }
}
