//! Aggregation groups and notification timing: [`Alertmanager`] takes
//! alerts into the groups of the routes they match, and flushes each group
//! after `group_wait`, then every `group_interval`, notifying when its
//! firing alerts change, when `repeat_interval` has passed, and when alerts
//! resolve (if the receiver sends resolved notifications).

use std::collections::{BTreeMap, BTreeSet};

use o11y_model::labels::Labels;

use super::config::AmConfig;
use super::webhook::{group_key, webhook_payload};
use super::{AggrGroup, Alertmanager, AmAlert, MAX_NOTIFICATIONS, Notification};

impl Alertmanager {
    pub fn new(config: AmConfig) -> Alertmanager {
        Alertmanager {
            config,
            groups: Vec::new(),
            silences: Vec::new(),
            next_silence: 1,
            notifications: Default::default(),
            external_url: "http://alertmanager.playground".to_string(),
        }
    }

    /// Takes the alerts Prometheus sends at `now_ms` (firing ones, and
    /// resolved ones with their end) into their groups.
    pub fn receive(&mut self, alerts: &[AmAlert], now_ms: i64) {
        for alert in alerts {
            let routes: Vec<(String, String, Labels, i64, i64, i64)> = self
                .config
                .route
                .matching(&alert.labels)
                .into_iter()
                .map(|r| {
                    let group_labels = match &r.group_by {
                        None => alert.labels.clone(),
                        Some(names) => Labels::new(
                            alert
                                .labels
                                .iter()
                                .filter(|l| names.contains(&l.name))
                                .map(|l| (l.name.clone(), l.value.clone())),
                        ),
                    };
                    (
                        r.key.clone(),
                        r.receiver.clone(),
                        group_labels,
                        r.group_wait_ms,
                        r.group_interval_ms,
                        r.repeat_interval_ms,
                    )
                })
                .collect();
            for (key, receiver, group_labels, wait, interval, repeat) in routes {
                let i = match self
                    .groups
                    .iter()
                    .position(|g| g.route_key == key && g.group_labels == group_labels)
                {
                    Some(i) => i,
                    None => {
                        if alert.resolved(now_ms) {
                            continue;
                        }
                        self.groups.push(AggrGroup {
                            route_key: key,
                            receiver,
                            group_labels,
                            group_interval_ms: interval,
                            repeat_interval_ms: repeat,
                            alerts: BTreeMap::new(),
                            next_flush_ms: now_ms + wait,
                            last_firing: BTreeSet::new(),
                            last_sent_ms: None,
                        });
                        self.groups.len() - 1
                    }
                };
                self.groups[i]
                    .alerts
                    .insert(alert.fingerprint(), alert.clone());
            }
        }
    }

    /// Flushes every group due by `now_ms`, sending what changed.
    pub fn advance_to(&mut self, now_ms: i64) {
        for i in 0..self.groups.len() {
            while self.groups[i].next_flush_ms <= now_ms {
                let at = self.groups[i].next_flush_ms;
                self.flush(i, at);
                let g = &mut self.groups[i];
                g.next_flush_ms = at + g.group_interval_ms;
            }
        }
        // Groups left without alerts are gone.
        self.groups.retain(|g| !g.alerts.is_empty());
    }

    fn flush(&mut self, i: usize, at: i64) {
        let g = &self.groups[i];
        let visible: Vec<AmAlert> = g
            .alerts
            .values()
            .filter(|a| self.silenced(&a.labels, at).is_none() && !self.inhibited(&a.labels, at))
            .cloned()
            .collect();
        let firing: BTreeSet<u64> = visible
            .iter()
            .filter(|a| !a.resolved(at))
            .map(AmAlert::fingerprint)
            .collect();
        let resolved: Vec<&AmAlert> = visible.iter().filter(|a| a.resolved(at)).collect();
        let send_resolved = *self.config.send_resolved.get(&g.receiver).unwrap_or(&true);
        let repeat_due = g
            .last_sent_ms
            .is_some_and(|t| at - t >= g.repeat_interval_ms);
        let changed = firing != g.last_firing;
        let newly_resolved = send_resolved
            && resolved
                .iter()
                .any(|a| g.last_firing.contains(&a.fingerprint()));
        let needs = if firing.is_empty() {
            newly_resolved || (changed && send_resolved && !g.last_firing.is_empty())
        } else {
            changed || repeat_due || newly_resolved
        };
        if needs {
            let alerts: Vec<AmAlert> = if send_resolved {
                visible.clone()
            } else {
                visible
                    .iter()
                    .filter(|a| !a.resolved(at))
                    .cloned()
                    .collect()
            };
            let status = if firing.is_empty() {
                "resolved"
            } else {
                "firing"
            };
            let payload = webhook_payload(g, &alerts, status, at, &self.external_url);
            self.notifications.push_back(Notification {
                at_ms: at,
                receiver: g.receiver.clone(),
                group_key: group_key(g),
                status,
                alerts,
                payload,
            });
            while self.notifications.len() > MAX_NOTIFICATIONS {
                self.notifications.pop_front();
            }
            let g = &mut self.groups[i];
            g.last_firing = firing;
            g.last_sent_ms = Some(at);
        }
        // Resolved alerts leave the group once they have been flushed.
        let g = &mut self.groups[i];
        g.alerts.retain(|_, a| !a.resolved(at));
    }

    /// Alerts in the groups right now (for the silence preview).
    pub fn alerts(&self) -> impl Iterator<Item = &AmAlert> {
        let mut seen = BTreeSet::new();
        self.groups
            .iter()
            .flat_map(|g| g.alerts.values())
            .filter(move |a| seen.insert(a.fingerprint()))
    }
}

#[cfg(test)]
mod tests {
    use crate::alertmanager::fixtures::alert;
    use crate::alertmanager::{Alertmanager, AmConfig, DEFAULT_CONFIG};

    #[test]
    fn group_wait_interval_repeat_and_resolve() {
        let mut c = AmConfig::parse(DEFAULT_CONFIG).unwrap();
        c.route.routes.clear();
        c.inhibit_rules.clear();
        c.route.repeat_interval_ms = 3_600_000;
        let mut am = Alertmanager::new(c);
        let a = alert("HighErrorRate", "web", "ticket", 0);
        am.receive(std::slice::from_ref(&a), 0);
        am.advance_to(29_000);
        assert!(am.notifications.is_empty(), "group_wait");
        am.advance_to(30_000);
        assert_eq!(am.notifications.len(), 1);
        // A second alert of the same group waits for the group interval.
        let b = alert("HighErrorRate", "web", "page", 40_000);
        am.receive(&[a.clone(), b.clone()], 40_000);
        am.advance_to(329_000);
        assert_eq!(am.notifications.len(), 1);
        am.advance_to(330_000);
        assert_eq!(am.notifications.len(), 2);
        assert_eq!(am.notifications[1].alerts.len(), 2);
        // Nothing changes: nothing until the repeat interval.
        am.receive(&[a.clone(), b.clone()], 600_000);
        am.advance_to(3_929_999);
        assert_eq!(am.notifications.len(), 2);
        // Flushes fall every group_interval (30 s + 5 m × k): an hour after 330 s is one.
        am.advance_to(3_930_000);
        assert_eq!(am.notifications.len(), 3, "repeated after an hour");
        // Both resolve: one resolved notification, then the group is gone.
        let (mut ra, mut rb) = (a, b);
        ra.ends_at_ms = Some(4_000_000);
        rb.ends_at_ms = Some(4_000_000);
        am.receive(&[ra, rb], 4_000_000);
        am.advance_to(4_230_000);
        let last = am.notifications.back().unwrap();
        assert_eq!(last.status, "resolved");
        let payload: serde_json::Value = serde_json::from_str(&last.payload).unwrap();
        assert_eq!(payload["version"], "4");
        assert_eq!(payload["status"], "resolved");
        assert_eq!(payload["groupLabels"]["alertname"], "HighErrorRate");
        assert_eq!(payload["commonLabels"]["service"], "web");
        assert_eq!(payload["alerts"][0]["endsAt"], "1970-01-01T01:06:40Z");
        am.advance_to(5_000_000);
        assert_eq!(am.notifications.len(), 4);
        assert_eq!(am.alerts().count(), 0);
    }
}
