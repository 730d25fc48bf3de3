//! The checks a topology passes before it runs: every number within its
//! range, names given once, calls and entry points that lead somewhere,
//! no cycle, and few enough spans per request.

use super::read::{FieldPath, Violation};
use super::{
    ENTRY_WEIGHT, LATENCY_MS, MAX_RETRIES, MAX_SPANS_PER_REQUEST, NumberRange, REQUESTS_PER_S,
    SHARE, SIGMA, Topology, TopologyError,
};

/// Checks that `value` at `field` is within `range`.
fn in_range(field: FieldPath, value: f64, range: NumberRange) -> Result<(), Violation> {
    range.check(value).map_err(|m| Violation::new(field, m))
}

impl Topology {
    /// Every number is within its range (see [`super::ranges`]), names
    /// are given once, every call and entry point names an endpoint that
    /// exists, the calls have no cycle, and no request can make more than
    /// [`MAX_SPANS_PER_REQUEST`] spans.
    pub fn validate(&self) -> Result<(), TopologyError> {
        self.check().map_err(|v| v.into_error(None))
    }

    pub(super) fn check(&self) -> Result<(), Violation> {
        let root = FieldPath::default();
        let Some(first) = self.services.first() else {
            return Err(Violation::new(
                root.key("services"),
                "a topology needs at least one service",
            ));
        };
        in_range(
            root.key("requests_per_s"),
            self.requests_per_s,
            REQUESTS_PER_S,
        )?;
        let mut names = std::collections::HashSet::new();
        for (si, s) in self.services.iter().enumerate() {
            let at = root.key("services").index(si).key("name");
            if s.name.is_empty() {
                return Err(Violation::new(at, "a service needs a name"));
            }
            if !names.insert(s.name.as_str()) {
                return Err(Violation::new(
                    at,
                    format!("there is already a service named {:?}", s.name),
                ));
            }
        }
        for (si, s) in self.services.iter().enumerate() {
            let at = root.key("services").index(si);
            let mut endpoints = std::collections::HashSet::new();
            for (ei, e) in s.endpoints.iter().enumerate() {
                let at = at.key("endpoints").index(ei);
                if e.name.is_empty() {
                    return Err(Violation::new(at.key("name"), "an endpoint needs a name"));
                }
                if !endpoints.insert(e.name.as_str()) {
                    return Err(Violation::new(
                        at.key("name"),
                        format!("{} already has an endpoint named {:?}", s.name, e.name),
                    ));
                }
                if e.method.is_empty() {
                    return Err(Violation::new(at.key("method"), "the method is empty"));
                }
                in_range(at.key("latency_ms"), e.latency_ms, LATENCY_MS)?;
                in_range(at.key("sigma"), e.sigma, SIGMA)?;
                in_range(at.key("error_rate"), e.error_rate, SHARE)?;
                for (ci, c) in e.calls.iter().enumerate() {
                    let at = at.key("calls").index(ci);
                    if c.retries > MAX_RETRIES {
                        return Err(Violation::new(
                            at.key("retries"),
                            format!(
                                "{} is out of range: it must be from 0 to {MAX_RETRIES}",
                                c.retries
                            ),
                        ));
                    }
                    in_range(at.key("timeout_ms"), c.timeout_ms, LATENCY_MS)?;
                    if self.endpoint(&c.service, &c.endpoint).is_none() {
                        return Err(Violation::new(
                            at,
                            format!(
                                "{} {} calls {} {}, which does not exist",
                                s.name, e.name, c.service, c.endpoint
                            ),
                        ));
                    }
                }
            }
        }
        if !self.entry.iter().any(|e| e.weight > 0.0) {
            return Err(Violation::new(
                root.key("entry"),
                "traffic needs an entry point with a weight above 0",
            ));
        }
        for (i, e) in self.entry.iter().enumerate() {
            let at = root.key("entry").index(i);
            in_range(at.key("weight"), e.weight, ENTRY_WEIGHT)?;
            if !first.endpoints.iter().any(|x| x.name == e.endpoint) {
                return Err(Violation::new(
                    at.key("endpoint"),
                    format!(
                        "entry point {:?} is not an endpoint of {}",
                        e.endpoint, first.name
                    ),
                ));
            }
        }
        self.check_cycles()?;
        // No cycles, so the most spans one request can make is finite: keep it small.
        // Remembered per endpoint, so a deep graph of shared calls is quick.
        fn most_spans<'t>(
            t: &'t Topology,
            s: &'t str,
            e: &'t str,
            memo: &mut std::collections::HashMap<(&'t str, &'t str), f64>,
        ) -> f64 {
            if let Some(n) = memo.get(&(s, e)) {
                return *n;
            }
            let n = t.endpoint(s, e).map_or(1.0, |ep| {
                1.0 + ep
                    .calls
                    .iter()
                    .map(|c| {
                        (c.retries as f64 + 1.0)
                            * (1.0 + most_spans(t, &c.service, &c.endpoint, memo))
                    })
                    .sum::<f64>()
            });
            memo.insert((s, e), n);
            n
        }
        let mut memo = std::collections::HashMap::new();
        for (i, entry) in self.entry.iter().enumerate() {
            let spans = most_spans(self, &first.name, &entry.endpoint, &mut memo);
            if spans > MAX_SPANS_PER_REQUEST as f64 {
                return Err(Violation::new(
                    root.key("entry").index(i).key("endpoint"),
                    format!(
                        "a request to {} can make up to {} spans (with retries); at most {MAX_SPANS_PER_REQUEST} are allowed",
                        entry.endpoint,
                        o11y_model::number::format_float(spans)
                    ),
                ));
            }
        }
        Ok(())
    }

    /// No call leads back to an endpoint it came from: a depth-first walk
    /// from every endpoint, endpoints already walked skipped (so shared
    /// calls are walked once). A cycle is reported at the call that closes it.
    fn check_cycles(&self) -> Result<(), Violation> {
        /// An endpoint by its service's and its own index.
        type At = (usize, usize);
        let index: std::collections::HashMap<(&str, &str), At> = self
            .services
            .iter()
            .enumerate()
            .flat_map(|(si, s)| {
                s.endpoints
                    .iter()
                    .enumerate()
                    .map(move |(ei, e)| ((s.name.as_str(), e.name.as_str()), (si, ei)))
            })
            .collect();
        fn walk(
            t: &Topology,
            index: &std::collections::HashMap<(&str, &str), At>,
            at: At,
            path: &mut Vec<At>,
            done: &mut std::collections::HashSet<At>,
        ) -> Result<(), Violation> {
            if done.contains(&at) {
                return Ok(());
            }
            path.push(at);
            let (s, e) = (&t.services[at.0], &t.services[at.0].endpoints[at.1]);
            for (ci, c) in e.calls.iter().enumerate() {
                let Some(&next) = index.get(&(c.service.as_str(), c.endpoint.as_str())) else {
                    continue;
                };
                if path.contains(&next) {
                    return Err(Violation::new(
                        FieldPath::default()
                            .key("services")
                            .index(at.0)
                            .key("endpoints")
                            .index(at.1)
                            .key("calls")
                            .index(ci),
                        format!(
                            "calls go round in a cycle: {} {} calls {} {}, which leads back to it",
                            s.name, e.name, c.service, c.endpoint
                        ),
                    ));
                }
                walk(t, index, next, path, done)?;
            }
            path.pop();
            done.insert(at);
            Ok(())
        }
        let mut done = std::collections::HashSet::new();
        for si in 0..self.services.len() {
            for ei in 0..self.services[si].endpoints.len() {
                walk(self, &index, (si, ei), &mut Vec::new(), &mut done)?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::topology::default_shop::ep;
    use crate::topology::{Call, EntryPoint, Service};

    #[test]
    fn topology_json_round_trips_and_is_checked() {
        let t = Topology::default();
        assert_eq!(Topology::from_json(&t.to_json()).unwrap(), t);
        let mut cyclic = t.clone();
        cyclic.services[6].endpoints[0].calls.push(Call {
            service: "frontend".into(),
            endpoint: "/".into(),
            retries: 0,
            timeout_ms: 1.0,
        });
        assert!(
            matches!(cyclic.validate(), Err(TopologyError::Invalid { message, .. }) if message.contains("cycle"))
        );
        assert!(matches!(
            Topology::from_json("{"),
            Err(TopologyError::Syntax { format: "JSON", .. })
        ));
        let yaml = "services:\n  - name: web\n    endpoints:\n      - name: /\n        latency_ms: 5\nentry:\n  - endpoint: /\n    weight: 1\nrequests_per_s: 3\ndaily_shape: true\n";
        let parsed = Topology::from_text(yaml).unwrap();
        assert_eq!(parsed.services[0].endpoints[0].method, "GET");
        assert!(parsed.daily_shape);
        assert_eq!(Topology::from_text(&t.to_json()).unwrap(), t);
        let err = Topology::from_text("services: [\n")
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("2:1: topology YAML"), "{err}");
        let mut dangling = t.clone();
        dangling.services[0].endpoints[0].calls[0].endpoint = "/nope".into();
        assert!(dangling.validate().is_err());
        // A topology that would freeze the page is refused.
        let mut retrying = t.clone();
        retrying.services[0].endpoints[0].calls[0].retries = u32::MAX;
        assert!(retrying.validate().is_err());
        let mut fan_out = t;
        for s in &mut fan_out.services {
            for e in &mut s.endpoints {
                for c in &mut e.calls {
                    c.retries = 10;
                }
            }
        }
        let err = fan_out.validate().unwrap_err().to_string();
        assert!(err.contains("spans"), "{err}");
        // A deep chain where each level calls the next twice: refused, and quickly.
        let levels = 40;
        let deep = Topology {
            services: (0..levels)
                .map(|i| Service {
                    name: format!("s{i}"),
                    kind: "http".into(),
                    endpoints: vec![ep(
                        "/",
                        "GET",
                        1.0,
                        0.0,
                        &if i + 1 < levels {
                            vec![(format!("s{}", i + 1), "/".to_string()); 2]
                        } else {
                            vec![]
                        }
                        .iter()
                        .map(|(s, e)| (s.as_str(), e.as_str()))
                        .collect::<Vec<_>>(),
                        false,
                    )],
                })
                .collect(),
            entry: vec![EntryPoint {
                endpoint: "/".into(),
                weight: 1.0,
            }],
            requests_per_s: 1.0,
            daily_shape: false,
        };
        assert!(deep.validate().unwrap_err().to_string().contains("spans"));
    }
}
