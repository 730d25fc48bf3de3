//! The workspace: everything a user made, in one JSON document that is
//! saved to local storage, exported and imported as a file, and shared in
//! a URL fragment (deflated and base64url-encoded).
//!
//! A document that does not parse, or is of a newer version, is an error
//! that says why; the page then starts clean and keeps the text for
//! download. Pastes are kept up to [`MAX_PASTE_BYTES`] in all; larger ones
//! are left out of the workspace (and it says so).

use serde::{Deserialize, Serialize};

use o11y_sim::custom::MetricDefinition;
use o11y_sim::failure::Failure;
use o11y_sim::topology::Topology;

/// The format's version; documents of a later version are refused.
pub const VERSION: u32 = 1;

/// The most history a workspace asks for: a day, the store's retention
/// (`demo::MAX_BACKFILL_MS`).
pub const MAX_HISTORY_HOURS: u32 = 24;

fn one_hour() -> u32 {
    1
}

fn is_one_hour(hours: &u32) -> bool {
    *hours == 1
}

/// Pasted text kept in a workspace, in all.
pub const MAX_PASTE_BYTES: usize = 512 * 1024;

/// Longest share link fragment offered (browsers and chat tools cut
/// longer URLs).
pub const MAX_SHARE_CHARS: usize = crate::link::MAX_LINK_CHARS;

/// A `/metrics` paste: the target it was stored as, and the text.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MetricsPaste {
    pub job: String,
    pub instance: String,
    pub text: String,
}

/// A logs paste with the labels it was stored under.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LogsPaste {
    /// Stream labels as pairs.
    pub labels: Vec<(String, String)>,
    pub label_fields: Vec<String>,
    pub text: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Workspace {
    pub version: u32,
    pub seed: u64,
    pub topology: Topology,
    /// Hours of history simulated when the workspace opens, 1 to 24 (the
    /// simulator panel's "History"); 1 when absent, and left out then.
    #[serde(default = "one_hour", skip_serializing_if = "is_one_hour")]
    pub history_hours: u32,
    /// Failures switched on (until switched off).
    #[serde(default)]
    pub failures: Vec<Failure>,
    pub speed: f64,
    #[serde(default)]
    pub paused: bool,
    pub rules: String,
    pub alertmanager: String,
    pub scrape_config: String,
    #[serde(default)]
    pub metric_definitions: Vec<MetricDefinition>,
    #[serde(default)]
    pub metrics_pastes: Vec<MetricsPaste>,
    #[serde(default)]
    pub logs_pastes: Vec<LogsPaste>,
    /// Pastes left out because the workspace was full.
    #[serde(default)]
    pub pastes_left_out: usize,
    /// Dashboards as Grafana JSON.
    #[serde(default)]
    pub dashboards: Vec<String>,
    /// The page and its state (a URL fragment such as `#/explore?q=…`).
    #[serde(default)]
    pub view: String,
    /// The learner's progress in the lessons (kept beside the workspace in
    /// the browser; carried in exports and share links).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub progress: Option<crate::progress::Progress>,
}

/// Why a workspace could not be read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum WorkspaceError {
    #[error("the workspace is not valid JSON or not a workspace: {0}")]
    Json(String),
    #[error("the workspace is of version {0}; this page reads version {VERSION}")]
    Version(u32),
    #[error("the share link is damaged: {0}")]
    Link(String),
    #[error(
        "the workspace is {0} characters as a link; at most {MAX_SHARE_CHARS} fit. Export it as a file instead."
    )]
    TooBig(usize),
}

impl From<crate::link::LinkError> for WorkspaceError {
    fn from(e: crate::link::LinkError) -> WorkspaceError {
        match e {
            crate::link::LinkError::Damaged(why) => WorkspaceError::Link(why),
            crate::link::LinkError::TooBig(n) => WorkspaceError::TooBig(n),
        }
    }
}

impl From<&WorkspaceError> for o11y_model::diag::Diagnostic {
    /// The error's text, without a place.
    fn from(e: &WorkspaceError) -> o11y_model::diag::Diagnostic {
        o11y_model::diag::Diagnostic::new(e.to_string())
    }
}

impl Workspace {
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    pub fn from_json(text: &str) -> Result<Workspace, WorkspaceError> {
        // The version first, so a newer document says so rather than "unknown field".
        let version = serde_json::from_str::<serde_json::Value>(text)
            .map_err(|e| WorkspaceError::Json(e.to_string()))?
            .get("version")
            .and_then(serde_json::Value::as_u64)
            .ok_or_else(|| WorkspaceError::Json("no \"version\"".into()))?;
        if version != u64::from(VERSION) {
            return Err(WorkspaceError::Version(
                version.min(u64::from(u32::MAX)) as u32
            ));
        }
        let ws: Workspace =
            serde_json::from_str(text).map_err(|e| WorkspaceError::Json(e.to_string()))?;
        ws.topology
            .validate()
            .map_err(|e| WorkspaceError::Json(format!("topology: {e}")))?;
        if !(1..=MAX_HISTORY_HOURS).contains(&ws.history_hours) {
            return Err(WorkspaceError::Json(format!(
                "history_hours: {} is out of range: it must be from 1 to {MAX_HISTORY_HOURS}",
                ws.history_hours
            )));
        }
        Ok(ws)
    }

    /// The share link's fragment payload: deflated JSON in base64url.
    pub fn to_link(&self) -> Result<String, WorkspaceError> {
        let json = serde_json::to_vec(self).unwrap_or_default();
        crate::link::pack(&json).map_err(WorkspaceError::from)
    }

    pub fn from_link(text: &str) -> Result<Workspace, WorkspaceError> {
        let json = crate::link::unpack(text).map_err(WorkspaceError::from)?;
        Workspace::from_json(&json)
    }
}

/// A built-in example workspace: a name, what it shows, the workspace.
pub struct Example {
    pub id: &'static str,
    pub name: &'static str,
    pub about: &'static str,
    pub workspace: Workspace,
}

fn base(view: &str) -> Workspace {
    Workspace {
        version: VERSION,
        seed: 42,
        topology: Topology::default(),
        history_hours: 1,
        failures: Vec::new(),
        speed: 1.0,
        paused: false,
        rules: crate::defaults::DEFAULT_RULES.to_string(),
        alertmanager: o11y_alerting::alertmanager::DEFAULT_CONFIG.to_string(),
        scrape_config: crate::defaults::DEFAULT_SCRAPE_CONFIG.to_string(),
        metric_definitions: Vec::new(),
        metrics_pastes: Vec::new(),
        logs_pastes: Vec::new(),
        pastes_left_out: 0,
        dashboards: Vec::new(),
        view: view.to_string(),
        progress: None,
    }
}

/// Logs of a checkout outage, for the log-only example.
const INCIDENT_LOGS: &str = "ts=2026-11-25T09:00:01Z level=info service=checkout msg=\"order placed\" order=1001 duration=120ms
ts=2026-11-25T09:00:03Z level=info service=checkout msg=\"order placed\" order=1002 duration=135ms
ts=2026-11-25T09:00:05Z level=warn service=payment msg=\"slow upstream\" upstream=bank duration=1.8s
ts=2026-11-25T09:00:06Z level=error service=payment msg=\"charge failed\" err=\"bank timeout\" order=1003 duration=5s
ts=2026-11-25T09:00:07Z level=error service=checkout msg=\"order failed\" err=\"payment declined\" order=1003 duration=5.2s
ts=2026-11-25T09:00:09Z level=error service=payment msg=\"charge failed\" err=\"bank timeout\" order=1004 duration=5s
ts=2026-11-25T09:00:10Z level=error service=checkout msg=\"order failed\" err=\"payment declined\" order=1004 duration=5.1s
ts=2026-11-25T09:00:12Z level=info service=checkout msg=\"order placed\" order=1005 duration=140ms
ts=2026-11-25T09:00:14Z level=error service=payment msg=\"charge failed\" err=\"bank timeout\" order=1006 duration=5s
ts=2026-11-25T09:00:15Z level=warn service=payment msg=\"circuit open\" upstream=bank
ts=2026-11-25T09:00:20Z level=info service=payment msg=\"circuit closed\" upstream=bank
ts=2026-11-25T09:00:21Z level=info service=checkout msg=\"order placed\" order=1007 duration=118ms
";

/// The built-in examples on the start page.
pub fn examples() -> Vec<Example> {
    let incident = Workspace {
        failures: vec![Failure::ErrorBurst {
            service: "frontend".into(),
            rate: 0.2,
        }],
        speed: 10.0,
        ..base("#/alerts")
    };
    let slow_db = Workspace {
        failures: vec![Failure::LatencySpike {
            service: "postgres".into(),
            factor: 40.0,
        }],
        ..base("#/traces")
    };
    let logs = Workspace {
        logs_pastes: vec![LogsPaste {
            labels: vec![("job".into(), "incident".into())],
            label_fields: vec!["service".into()],
            text: INCIDENT_LOGS.to_string(),
        }],
        ..base(
            "#/logs?q=%7Bjob%3D%22incident%22%7D%20%7C%20logfmt%20%7C%20level%3D%22error%22&range=all",
        )
    };
    vec![
        Example {
            id: "high-error-rate",
            name: "High error rate incident",
            about: "The frontend fails 20% of requests: HighErrorRate goes pending, fires and pages on-call.",
            workspace: incident,
        },
        Example {
            id: "slow-database",
            name: "Slow database",
            about: "Postgres answers 40× slower: find the culprit span in the traces of slow orders.",
            workspace: slow_db,
        },
        Example {
            id: "log-only",
            name: "Log-only troubleshooting",
            about: "A checkout outage told by its logs alone: filter, parse and count the errors with LogQL.",
            workspace: logs,
        },
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn history_hours_default_to_one_are_left_out_then_and_are_checked() {
        let mut ws = sample();
        let json = ws.to_json();
        assert!(!json.contains("history_hours"), "{json}");
        assert_eq!(Workspace::from_json(&json).unwrap().history_hours, 1);
        ws.history_hours = 24;
        let json = ws.to_json();
        assert_eq!(Workspace::from_json(&json).unwrap().history_hours, 24);
        for (hours, said) in [(0, "0 is out of range"), (25, "25 is out of range")] {
            let bad = json.replace(
                "\"history_hours\": 24",
                &format!("\"history_hours\": {hours}"),
            );
            let err = Workspace::from_json(&bad).unwrap_err().to_string();
            assert!(err.contains("history_hours") && err.contains(said), "{err}");
        }
    }

    fn sample() -> Workspace {
        Workspace {
            version: VERSION,
            seed: 7,
            topology: Topology::default(),
            history_hours: 1,
            failures: vec![Failure::CacheMissStorm],
            speed: 10.0,
            paused: false,
            rules: "groups: []\n".into(),
            alertmanager: o11y_alerting::alertmanager::DEFAULT_CONFIG.into(),
            scrape_config: "job_name: shop\n".into(),
            metric_definitions: Vec::new(),
            metrics_pastes: vec![MetricsPaste {
                job: "j".into(),
                instance: "i".into(),
                text: "up 1\n".into(),
            }],
            logs_pastes: Vec::new(),
            pastes_left_out: 0,
            dashboards: Vec::new(),
            view: "#/alerts".into(),
            progress: Some({
                let mut p = crate::progress::Progress::default();
                p.record_attempt("promql-selectors", "payment-requests", "up", true);
                p
            }),
        }
    }

    #[test]
    fn json_and_links_round_trip() {
        let ws = sample();
        assert_eq!(Workspace::from_json(&ws.to_json()).unwrap(), ws);
        let link = ws.to_link().unwrap();
        assert!(link.len() < 4_000, "{}", link.len());
        assert_eq!(Workspace::from_link(&link).unwrap(), ws);
    }

    #[test]
    fn damaged_or_newer_documents_say_why() {
        assert!(matches!(
            Workspace::from_json("{"),
            Err(WorkspaceError::Json(_))
        ));
        let newer = sample()
            .to_json()
            .replace("\"version\": 1", "\"version\": 2");
        assert_eq!(
            Workspace::from_json(&newer),
            Err(WorkspaceError::Version(2))
        );
        assert!(matches!(
            Workspace::from_link("!!!"),
            Err(WorkspaceError::Link(_))
        ));
        assert!(matches!(
            Workspace::from_link("AAAA"),
            Err(WorkspaceError::Link(_))
        ));
        let mut big = sample();
        big.metrics_pastes[0].text = (0..60_000).map(|i| format!("m{i} {i}\n")).collect();
        assert!(matches!(big.to_link(), Err(WorkspaceError::TooBig(_))));
        let unknown = sample().to_json().replace("\"seed\"", "\"sede\"");
        assert!(Workspace::from_json(&unknown).is_err());
    }
}
