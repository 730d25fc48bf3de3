//! The routing tree: [`Route`] with what each node inherits from its
//! parent (receiver, `group_by`, timings), `continue`, the route keys
//! groups are known by, and Alertmanager's checks of each node and of the
//! matchers of routes and inhibit rules.

use o11y_model::labels::{Labels, MatchOp, Matcher};
use o11y_model::yaml::Node;
use o11y_model::yaml::typed;

use super::matchers::{matcher_text, new_matcher, parse_matchers};
use super::{ConfigError, err};

/// A node of the routing tree, with its settings resolved (inherited from
/// its parent where not written).
#[derive(Clone, Debug)]
pub struct Route {
    pub receiver: String,
    /// `None` groups by every label (`group_by: ['...']`).
    pub group_by: Option<Vec<String>>,
    pub matchers: Vec<Matcher>,
    pub continue_: bool,
    pub group_wait_ms: i64,
    pub group_interval_ms: i64,
    pub repeat_interval_ms: i64,
    pub routes: Vec<Route>,
    /// `{}` for the root, `{}/{matchers}` below it.
    pub key: String,
}

impl Route {
    /// The routes an alert goes to, as Alertmanager's `Route.Match`.
    pub fn matching(&self, labels: &Labels) -> Vec<&Route> {
        if !self.matchers.iter().all(|m| m.matches(labels)) {
            return Vec::new();
        }
        let mut all = Vec::new();
        for child in &self.routes {
            let found = child.matching(labels);
            let matched = !found.is_empty();
            all.extend(found);
            if matched && !child.continue_ {
                break;
            }
        }
        if all.is_empty() {
            all.push(self);
        }
        all
    }
}

/// Whether a label name is valid as `match`/`match_re` keys need it
/// (Prometheus's legacy `LabelNameRE`).
fn legacy_label_name(name: &str) -> bool {
    o11y_model::labels::is_valid_label_name(name)
}

/// The names routes may refer to, and where problems go.
pub(super) struct Checker<'a> {
    pub(super) receivers: &'a [String],
    pub(super) time_intervals: &'a [String],
    pub(super) errors: Vec<ConfigError>,
}

impl Checker<'_> {
    pub(super) fn at(&mut self, node: &Node, message: impl Into<String>) {
        self.errors.push(err(node, message));
    }

    /// `matchers`, `match` and `match_re` (or `source_…`/`target_…` with a
    /// prefix) of a route or an inhibit rule, already type-checked.
    pub(super) fn matchers(&mut self, node: &Node, prefix: &str) -> Vec<Matcher> {
        let mut out = Vec::new();
        let field = |name: &str| node.get(&format!("{prefix}{name}"));
        for (name, value) in field("match").map(Node::entries).unwrap_or_default() {
            let (n, v) = (typed::string(name), typed::string(value));
            if !legacy_label_name(&n) {
                self.at(name, format!("invalid label name {n:?}"));
                continue;
            }
            match Matcher::new(MatchOp::Equal, &n, &v) {
                Ok(m) => out.push(m),
                Err(e) => self.at(value, e.to_string()),
            }
        }
        for (name, value) in field("match_re").map(Node::entries).unwrap_or_default() {
            let n = typed::string(name);
            if !legacy_label_name(&n) {
                self.at(name, format!("invalid label name {n:?}"));
                continue;
            }
            if value.is_null() {
                // An empty value has no place of its own: its key's.
                self.at(name, format!("invalid regexp value for {n:?}"));
                continue;
            }
            let v = typed::string(value);
            match new_matcher("=~", &n, &v) {
                Ok(m) => out.push(m),
                Err(e) => self.at(value, format!("invalid regular expression {v:?}: {e}")),
            }
        }
        // Each entry may hold several matchers, or none (`''`).
        for m in field("matchers").map(Node::items).unwrap_or_default() {
            match parse_matchers(&typed::string(m)) {
                Ok(matchers) => out.extend(matchers),
                Err(e) => self.at(m, e.to_string()),
            }
        }
        out
    }

    /// A node of the routing tree, already type-checked, with what it
    /// inherits from its parent; Alertmanager's checks of it.
    pub(super) fn route(&mut self, node: &Node, parent: Option<&Route>) -> Route {
        // A field written as null is as if it were not written.
        let get = |k: &str| node.get(k).filter(|n| !n.is_null());
        let root = parent.is_none();
        let receiver = match get("receiver").map(|r| (r, typed::string(r))) {
            Some((r, name)) if !name.is_empty() => {
                if !self.receivers.contains(&name) {
                    self.at(r, format!("undefined receiver {name:?} used in route"));
                }
                name
            }
            _ => match parent {
                Some(p) => p.receiver.clone(),
                None => {
                    self.at(node, "root route must specify a default receiver");
                    String::new()
                }
            },
        };
        let mut matchers = self.matchers(node, "");
        // Sorted as Alertmanager sorts them, which makes the route's key.
        o11y_model::sort::sort_by(&mut matchers[..], |a, b| {
            let rank = |m: &Matcher| match m.op {
                MatchOp::Equal => 0,
                MatchOp::NotEqual => 1,
                MatchOp::Regex => 2,
                MatchOp::NotRegex => 3,
            };
            (&a.name, &a.value, rank(a)).cmp(&(&b.name, &b.value, rank(b)))
        });
        // What counts is the matchers parsed: `matchers: ['']` has none.
        let written = |k: &str| get(k).is_some_and(|m| !m.entries().is_empty());
        if root && (!matchers.is_empty() || ["match", "match_re"].into_iter().any(written)) {
            self.at(node, "root route must not have any matchers");
        }
        for (field, what) in [
            ("mute_time_intervals", "mute time intervals"),
            ("active_time_intervals", "active time intervals"),
        ] {
            let Some(list) = get(field) else { continue };
            if root && !list.items().is_empty() {
                self.at(list, format!("root route must not have any {what}"));
            }
            for item in list.items() {
                let name = typed::string(item);
                if !self.time_intervals.contains(&name) {
                    self.at(
                        item,
                        format!("undefined time interval {name:?} used in route"),
                    );
                }
            }
        }
        let group_by = match get("group_by") {
            Some(g) => {
                let mut all = false;
                let mut names: Vec<String> = Vec::new();
                for item in g.items() {
                    let name = typed::string(item);
                    if name == "..." {
                        all = true;
                    } else if name.is_empty() {
                        self.at(
                            item,
                            format!("invalid label name {name:?} in group_by list"),
                        );
                    } else if names.contains(&name) {
                        self.at(item, format!("duplicated label {name:?} in group_by"));
                    } else {
                        names.push(name);
                    }
                }
                if all && !names.is_empty() {
                    self.at(
                        g,
                        "cannot have wildcard group_by (`...`) and other labels at the same time",
                    );
                }
                (!all).then_some(names)
            }
            None => parent.map_or(Some(Vec::new()), |p| p.group_by.clone()),
        };
        let continue_ = get("continue").is_some_and(typed::boolean);
        if root && continue_ {
            self.at(
                get("continue").unwrap_or(node),
                "cannot have continue in root route",
            );
        }
        let mut duration = |field: &str, inherited: i64, zero_allowed: bool| match get(field) {
            None => inherited,
            Some(n) => {
                let ms =
                    o11y_model::duration::parse_duration(&typed::string(n)).unwrap_or(inherited);
                if ms == 0 && !zero_allowed {
                    self.at(n, format!("{field} cannot be zero"));
                }
                ms
            }
        };
        let group_wait_ms = duration(
            "group_wait",
            parent.map_or(30_000, |p| p.group_wait_ms),
            true,
        );
        let group_interval_ms = duration(
            "group_interval",
            parent.map_or(300_000, |p| p.group_interval_ms),
            false,
        );
        let repeat_interval_ms = duration(
            "repeat_interval",
            parent.map_or(4 * 3_600_000, |p| p.repeat_interval_ms),
            false,
        );
        let key = match parent {
            None => "{}".to_string(),
            Some(p) => {
                let ms: Vec<String> = matchers.iter().map(matcher_text).collect();
                format!("{}/{{{}}}", p.key, ms.join(","))
            }
        };
        let mut r = Route {
            receiver,
            group_by,
            matchers,
            continue_,
            group_wait_ms,
            group_interval_ms,
            repeat_interval_ms,
            routes: Vec::new(),
            key,
        };
        let children = get("routes").map(Node::items).unwrap_or_default();
        r.routes = children.iter().map(|c| self.route(c, Some(&r))).collect();
        r
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alertmanager::{AmConfig, DEFAULT_CONFIG};

    #[test]
    fn routing_with_continue_and_inheritance() {
        let c = AmConfig::parse(DEFAULT_CONFIG).unwrap();
        let page = Labels::new([("alertname", "X"), ("severity", "page")]);
        let routes: Vec<&str> = c
            .route
            .matching(&page)
            .iter()
            .map(|r| r.receiver.as_str())
            .collect();
        assert_eq!(
            routes,
            ["on-call"],
            "continue on the last child: no more children, no root"
        );
        let ticket = Labels::new([("alertname", "X"), ("severity", "ticket")]);
        assert_eq!(c.route.matching(&ticket)[0].receiver, "team-feed");
        assert_eq!(c.route.routes[0].group_interval_ms, 300_000, "inherited");
        assert_eq!(c.route.routes[0].group_wait_ms, 10_000);
        assert_eq!(c.route.routes[0].key, "{}/{severity=\"page\"}");
    }
}
