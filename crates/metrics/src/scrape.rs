//! The scrape model: what Prometheus stores when it scrapes a target.
//!
//! A [`Scraper`] belongs to one target (`job`, `instance` and any other
//! target labels). Each scrape either parsed or failed. A good scrape stores
//! every sample with the target's labels (a sample's own label of the same
//! name is kept as `exported_<name>`, as with `honor_labels: false`), at the
//! sample's own timestamp if it has one; samples that are refused (out of
//! order, duplicates, limits) are counted, not fatal. Every scrape, good or
//! failed, writes `up`, `scrape_duration_seconds`, `scrape_samples_scraped`,
//! `scrape_samples_post_metric_relabeling` and `scrape_series_added`. Series
//! of the previous scrape that are missing from this one get a staleness
//! marker, as do all of them when the scrape fails.
//!
//! ```
//! use o11y_metrics::expfmt::{parse, Format};
//! use o11y_model::labels::Matcher;
//! use o11y_metrics::scrape::Scraper;
//! use o11y_metrics::store::SeriesStore;
//! use o11y_metrics::tsdb::Tsdb;
//!
//! let mut db = Tsdb::default();
//! let mut scraper = Scraper::new("node", "host:9100");
//! let families = parse("temp 21.5\n", Format::Text).unwrap();
//! let report = scraper.ingest(&mut db, Some(&families), 15_000, 0.002);
//! assert_eq!(report.samples_stored, 1);
//! let up = db.select(&[Matcher::metric("up")], 0, 15_000);
//! assert_eq!(up[0].samples[0].value, 1.0);
//! ```

use rustc_hash::FxHashSet as HashSet;

use crate::expfmt::Family;
use crate::store::{AppendError, Refusals, STALE_NAN, Sample, SeriesStore};
use o11y_model::labels::{Labels, METRIC_NAME};

/// What one scrape did.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ScrapeReport {
    /// Samples in the exposition.
    pub samples_scraped: usize,
    pub samples_stored: usize,
    /// Series this target had not sent before.
    pub series_added: usize,
    /// Samples the store refused, with why (the first few).
    pub refused: Vec<AppendError>,
    /// Samples the store refused.
    pub refused_count: usize,
    /// Every write of this scrape the store refused, by reason: samples,
    /// the scrape's own series (`up`…) and staleness markers.
    pub refusals: Refusals,
    /// Series that got a staleness marker.
    pub stale_marked: usize,
    /// Exemplars kept (new ones; a repeat of the last is not).
    pub exemplars_stored: usize,
    /// Samples `metric_relabel_configs` dropped.
    pub samples_dropped: usize,
}

/// Refusals kept in a report; the rest are only counted.
const REFUSALS_KEPT: usize = 10;

/// Scrapes of one target.
#[derive(Clone, Debug)]
pub struct Scraper {
    target_labels: Vec<(String, String)>,
    /// `metric_relabel_configs`, applied to every scraped sample.
    metric_relabel: Vec<crate::relabel::RelabelConfig>,
    previous_series: HashSet<Labels>,
    seen_series: HashSet<Labels>,
}

impl Scraper {
    /// A target with its `job` and `instance` labels.
    pub fn new(job: &str, instance: &str) -> Scraper {
        Scraper {
            target_labels: vec![
                ("instance".to_string(), instance.to_string()),
                ("job".to_string(), job.to_string()),
            ],
            metric_relabel: Vec::new(),
            previous_series: HashSet::default(),
            seen_series: HashSet::default(),
        }
    }

    /// A target as a scrape config finds it: its discovered labels
    /// (`__address__`, `job`, `__meta_…`) through `relabel_configs`, then
    /// `instance` defaulting to `__address__` and every `__` label removed,
    /// as Prometheus does. `None` when relabeling drops the target.
    pub fn from_discovered(
        discovered: &Labels,
        relabel: &[crate::relabel::RelabelConfig],
        metric_relabel: Vec<crate::relabel::RelabelConfig>,
    ) -> Option<Scraper> {
        let labels = crate::relabel::process(discovered, relabel)?;
        let target_labels = crate::relabel::target_labels(&labels)
            .iter()
            .map(|l| (l.name.clone(), l.value.clone()))
            .collect();
        Some(Scraper {
            target_labels,
            metric_relabel,
            previous_series: HashSet::default(),
            seen_series: HashSet::default(),
        })
    }

    /// The target is gone (its scrape config changed): every series it
    /// wrote, `up` and the scrape series included, gets a stale marker at
    /// `ts_ms`, as Prometheus marks a vanished target's series. Returns
    /// the markers the store refused, by reason.
    pub fn end(&mut self, store: &mut impl SeriesStore, ts_ms: i64) -> Refusals {
        let report = [
            "up",
            "scrape_duration_seconds",
            "scrape_samples_scraped",
            "scrape_samples_post_metric_relabeling",
            "scrape_series_added",
        ];
        let mut gone: Vec<Labels> = self.previous_series.drain().collect();
        gone.extend(report.iter().map(|name| self.series_labels(name, &[])));
        let mut refused = Refusals::default();
        for labels in gone {
            let marker = Sample {
                ts_ms,
                value: STALE_NAN,
            };
            if let Err(e) = store.append(&labels, marker) {
                refused.count(&e);
            }
        }
        refused
    }

    /// The target's labels, sorted by name.
    pub fn target_labels(&self) -> &[(String, String)] {
        &self.target_labels
    }

    /// The labels a scraped sample is stored under.
    fn series_labels(&self, name: &str, labels: &[(String, String)]) -> Labels {
        let mut pairs: Vec<(String, String)> = labels
            .iter()
            .map(|(n, v)| {
                let clashes = self.target_labels.iter().any(|(t, _)| t == n);
                (
                    if clashes {
                        format!("exported_{n}")
                    } else {
                        n.clone()
                    },
                    v.clone(),
                )
            })
            .collect();
        pairs.push((METRIC_NAME.to_string(), name.to_string()));
        pairs.extend(self.target_labels.iter().cloned());
        Labels::new(pairs)
    }

    /// Stores one scrape taken at `ts_ms`: the parsed families, or `None`
    /// when the scrape failed.
    pub fn ingest(
        &mut self,
        store: &mut impl SeriesStore,
        scraped: Option<&[Family]>,
        ts_ms: i64,
        duration_s: f64,
    ) -> ScrapeReport {
        let mut report = ScrapeReport::default();
        // About the last scrape's series: sized once, not grown by rehashing.
        let mut current =
            HashSet::with_capacity_and_hasher(self.previous_series.len(), Default::default());
        let up = scraped.is_some();
        if let Some(families) = scraped {
            for sample in families.iter().flat_map(|f| &f.samples) {
                report.samples_scraped += 1;
                let mut labels = self.series_labels(&sample.name, &sample.labels);
                if !self.metric_relabel.is_empty() {
                    match crate::relabel::process(&labels, &self.metric_relabel) {
                        Some(kept) => labels = kept,
                        None => {
                            report.samples_dropped += 1;
                            continue;
                        }
                    }
                }
                let at = Sample {
                    ts_ms: sample.ts_ms.unwrap_or(ts_ms),
                    value: sample.value,
                };
                match store.append(&labels, at) {
                    Ok(()) => {
                        report.samples_stored += 1;
                        if let Some(exemplar) = &sample.exemplar
                            && store.append_exemplar(&labels, exemplar, ts_ms)
                        {
                            report.exemplars_stored += 1;
                        }
                        if self.seen_series.insert(labels.clone()) {
                            report.series_added += 1;
                        }
                        // Samples with their own timestamps are not marked stale, as in Prometheus.
                        if sample.ts_ms.is_none() {
                            current.insert(labels);
                        }
                    }
                    Err(e) => {
                        report.refused_count += 1;
                        report.refusals.count(&e);
                        if report.refused.len() < REFUSALS_KEPT {
                            report.refused.push(e);
                        }
                    }
                }
            }
        }
        for gone in self.previous_series.difference(&current) {
            let marker = Sample {
                ts_ms,
                value: STALE_NAN,
            };
            match store.append(gone, marker) {
                Ok(()) => report.stale_marked += 1,
                Err(e) => report.refusals.count(&e),
            }
        }
        self.previous_series = current;
        let report_series = [
            ("up", if up { 1.0 } else { 0.0 }),
            ("scrape_duration_seconds", duration_s),
            ("scrape_samples_scraped", report.samples_scraped as f64),
            (
                "scrape_samples_post_metric_relabeling",
                (report.samples_scraped - report.samples_dropped) as f64,
            ),
            ("scrape_series_added", report.series_added as f64),
        ];
        for (name, value) in report_series {
            let labels = self.series_labels(name, &[]);
            if let Err(e) = store.append(&labels, Sample { ts_ms, value }) {
                report.refusals.count(&e);
                if report.refused.len() < REFUSALS_KEPT {
                    report.refused.push(e);
                }
            }
        }
        report
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::expfmt::{Format, parse};
    use crate::store::is_stale;
    use crate::tsdb::Tsdb;
    use o11y_model::labels::Matcher;

    fn values(db: &Tsdb, name: &str) -> Vec<(i64, f64)> {
        db.select(&[Matcher::metric(name)], i64::MIN, i64::MAX)
            .iter()
            .flat_map(|s| s.samples.iter().map(|x| (x.ts_ms, x.value)))
            .collect()
    }

    #[test]
    fn target_labels_win_and_clashes_are_exported() {
        let mut db = Tsdb::default();
        let mut scraper = Scraper::new("api", "a:1");
        let families = parse("m{job=\"inner\",x=\"1\"} 5\n", Format::Text).unwrap();
        scraper.ingest(&mut db, Some(&families), 1000, 0.0);
        let labels = db.series_labels(&[Matcher::metric("m")]);
        assert_eq!(
            labels[0].to_string(),
            r#"m{exported_job="inner", instance="a:1", job="api", x="1"}"#
        );
    }

    #[test]
    fn vanished_series_and_failed_scrapes_get_stale_markers() {
        let mut db = Tsdb::default();
        let mut scraper = Scraper::new("api", "a:1");
        let first = parse("a 1\nb 2\n", Format::Text).unwrap();
        let report = scraper.ingest(&mut db, Some(&first), 1000, 0.01);
        assert_eq!((report.samples_stored, report.series_added), (2, 2));
        let second = parse("a 3\n", Format::Text).unwrap();
        let report = scraper.ingest(&mut db, Some(&second), 2000, 0.01);
        assert_eq!((report.stale_marked, report.series_added), (1, 0));
        assert!(is_stale(values(&db, "b")[1].1));
        scraper.ingest(&mut db, None, 3000, 0.01);
        assert!(is_stale(values(&db, "a")[2].1));
        assert_eq!(values(&db, "up"), [(1000, 1.0), (2000, 1.0), (3000, 0.0)]);
        assert_eq!(
            values(&db, "scrape_samples_scraped"),
            [(1000, 2.0), (2000, 1.0), (3000, 0.0)]
        );
    }

    #[test]
    fn targets_and_samples_go_through_relabeling() {
        use crate::relabel::parse_configs;
        let discovered = Labels::new([
            ("__address__", "shop:8080"),
            ("job", "shop"),
            ("__meta_team", "web"),
        ]);
        let relabel = parse_configs("- {source_labels: [__meta_team], target_label: team}\n- {source_labels: [__address__], regex: '([^:]+):.*', target_label: instance}").unwrap();
        let metric =
            parse_configs("- {source_labels: [__name__], regex: 'b', action: drop}").unwrap();
        let mut scraper = Scraper::from_discovered(&discovered, &relabel, metric).unwrap();
        assert_eq!(
            scraper.target_labels(),
            [
                ("instance".to_string(), "shop".to_string()),
                ("job".to_string(), "shop".to_string()),
                ("team".to_string(), "web".to_string())
            ]
        );
        let mut db = Tsdb::default();
        let report = scraper.ingest(
            &mut db,
            Some(&parse("a 1\nb 2\n", Format::Text).unwrap()),
            1000,
            0.0,
        );
        assert_eq!((report.samples_stored, report.samples_dropped), (1, 1));
        assert_eq!(
            values(&db, "scrape_samples_post_metric_relabeling"),
            [(1000, 1.0)]
        );
        let keep_none =
            parse_configs("- {source_labels: [job], regex: other, action: keep}").unwrap();
        assert!(Scraper::from_discovered(&discovered, &keep_none, Vec::new()).is_none());
        // Without an instance, the address is the instance.
        let plain = Scraper::from_discovered(&discovered, &[], Vec::new()).unwrap();
        assert!(
            plain
                .target_labels()
                .contains(&("instance".to_string(), "shop:8080".to_string()))
        );
    }

    #[test]
    fn exemplars_are_stored_once() {
        let mut db = Tsdb::default();
        let mut scraper = Scraper::new("api", "a:1");
        let text = "# TYPE d histogram\nd_bucket{le=\"+Inf\"} 1 # {trace_id=\"ab\"} 0.3 1.5\nd_count 1\nd_sum 0.3\n# EOF\n";
        let families = parse(text, Format::OpenMetrics).unwrap();
        let report = scraper.ingest(&mut db, Some(&families), 2000, 0.0);
        assert_eq!(report.exemplars_stored, 1);
        let report = scraper.ingest(&mut db, Some(&families), 3000, 0.0);
        assert_eq!(report.exemplars_stored, 0, "the same exemplar again");
        let found = db.exemplars(&[Matcher::metric("d_bucket")], 0, 5000);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].0.get("job"), Some("api"));
        assert_eq!(found[0].1[0].ts_ms, 1500);
        assert_eq!(found[0].1[0].label("trace_id"), Some("ab"));
    }

    #[test]
    fn refused_samples_are_counted_not_fatal() {
        let mut db = Tsdb::default();
        let mut scraper = Scraper::new("api", "a:1");
        let families = parse("a 1 5000\n", Format::Text).unwrap();
        scraper.ingest(&mut db, Some(&families), 6000, 0.0);
        let older = parse("a 1 4000\nb 1\n", Format::Text).unwrap();
        let report = scraper.ingest(&mut db, Some(&older), 7000, 0.0);
        assert_eq!((report.samples_stored, report.refused_count), (1, 1));
        assert!(matches!(report.refused[0], AppendError::OutOfOrder { .. }));
        assert_eq!(report.refusals.to_string(), "1 out_of_order");
    }

    /// Staleness markers the store refuses were dropped with `let _ =`;
    /// they are counted now, in the report and by the store.
    #[test]
    fn refused_staleness_markers_are_counted() {
        let mut db = Tsdb::default();
        let mut scraper = Scraper::new("api", "a:1");
        let families = parse(
            "a 1
",
            Format::Text,
        )
        .unwrap();
        scraper.ingest(&mut db, Some(&families), 6000, 0.0);
        // The next scrape comes earlier than the last: `a` cannot be marked stale then.
        let report = scraper.ingest(&mut db, Some(&[]), 5000, 0.0);
        assert_eq!(report.stale_marked, 0);
        assert_eq!(
            report.refusals.get("out_of_order"),
            6,
            "a's marker and the scrape's own 5 series"
        );
        let refused = scraper.end(&mut db, 4000);
        assert_eq!(
            refused.get("out_of_order"),
            5,
            "up and the scrape series (a is no longer current)"
        );
        assert_eq!(db.refused().get("out_of_order"), 11);
    }
}
