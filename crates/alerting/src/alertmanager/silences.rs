//! What keeps an alert from being notified: inhibition rules (a firing
//! source alert mutes its targets) and silences, which the user adds and
//! expires on the virtual clock.

use o11y_model::labels::{Labels, Matcher};

use super::{Alertmanager, AmAlert};

/// A silence: alerts its matchers select are not notified while it is active.
#[derive(Clone, Debug)]
pub struct Silence {
    pub id: u64,
    pub matchers: Vec<Matcher>,
    pub starts_at_ms: i64,
    pub ends_at_ms: i64,
    pub created_by: String,
    pub comment: String,
}

impl Silence {
    pub fn active(&self, now_ms: i64) -> bool {
        self.starts_at_ms <= now_ms && now_ms < self.ends_at_ms
    }

    pub fn matches(&self, labels: &Labels) -> bool {
        self.matchers.iter().all(|m| m.matches(labels))
    }
}

impl Alertmanager {
    /// Whether an alert is muted by a firing source alert.
    pub fn inhibited(&self, labels: &Labels, now_ms: i64) -> bool {
        let firing: Vec<&AmAlert> = self
            .groups
            .iter()
            .flat_map(|g| g.alerts.values())
            .filter(|a| !a.resolved(now_ms))
            .collect();
        self.config
            .inhibit_rules
            .iter()
            .any(|rule| firing.iter().any(|src| rule.mutes(labels, &src.labels)))
    }

    /// Whether an active silence matches.
    pub fn silenced(&self, labels: &Labels, now_ms: i64) -> Option<u64> {
        self.silences
            .iter()
            .find(|s| s.active(now_ms) && s.matches(labels))
            .map(|s| s.id)
    }

    /// Adds a silence; returns its id.
    pub fn add_silence(
        &mut self,
        matchers: Vec<Matcher>,
        starts_at_ms: i64,
        ends_at_ms: i64,
        created_by: &str,
        comment: &str,
    ) -> u64 {
        let id = self.next_silence;
        self.next_silence += 1;
        self.silences.push(Silence {
            id,
            matchers,
            starts_at_ms,
            ends_at_ms,
            created_by: created_by.into(),
            comment: comment.into(),
        });
        id
    }

    /// Ends a silence now.
    pub fn expire_silence(&mut self, id: u64, now_ms: i64) {
        for s in self.silences.iter_mut().filter(|s| s.id == id) {
            s.ends_at_ms = s.ends_at_ms.min(now_ms);
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::alertmanager::fixtures::alert;
    use crate::alertmanager::{Alertmanager, AmConfig, DEFAULT_CONFIG, fingerprint, parse_matcher};
    use o11y_model::labels::Labels;

    #[test]
    fn inhibition_and_silences() {
        let mut am = Alertmanager::new(AmConfig::parse(DEFAULT_CONFIG).unwrap());
        let page = alert("Down", "web", "page", 0);
        let ticket = alert("Slow", "web", "ticket", 0);
        let other = alert("Slow", "db", "ticket", 0);
        am.receive(&[page.clone(), ticket.clone(), other.clone()], 0);
        assert!(am.inhibited(&ticket.labels, 0));
        assert!(!am.inhibited(&other.labels, 0), "equal: service differs");
        assert!(!am.inhibited(&page.labels, 0));
        let id = am.add_silence(
            vec![parse_matcher("service=db").unwrap()],
            0,
            600_000,
            "me",
            "maintenance",
        );
        assert_eq!(am.silenced(&other.labels, 10), Some(id));
        am.advance_to(60_000);
        let sent: Vec<String> = am
            .notifications
            .iter()
            .flat_map(|n| {
                n.alerts.iter().map(|a| {
                    a.labels.get("alertname").unwrap_or("").to_string()
                        + "/"
                        + a.labels.get("service").unwrap_or("")
                })
            })
            .collect();
        assert_eq!(sent, ["Down/web"], "ticket inhibited, db silenced");
        am.expire_silence(id, 100_000);
        assert_eq!(am.silenced(&other.labels, 100_000), None);
        // Prometheus's empty label set signature is FNV-1a's offset basis;
        // label order does not matter.
        assert_eq!(fingerprint(&Labels::default()), 14695981039346656037);
        let ab = Labels::new([("a", "1"), ("b", "2")]);
        assert_eq!(
            fingerprint(&ab),
            fingerprint(&Labels::new([("b", "2"), ("a", "1")]))
        );
        assert_ne!(fingerprint(&ab), fingerprint(&Labels::new([("a", "12")])));
    }
}
