//! What is pasted into the demo: exposition text as a scrape of a job and
//! instance, log lines, OTLP spans, and metrics defined in the form; the
//! pastes are kept for the workspace up to `MAX_PASTE_BYTES`.

use super::*;

/// Why a paste was not stored.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum IngestError {
    /// Occurs when the text does not parse; every bad line is listed.
    #[error("{} error(s) in the exposition text", .0.len())]
    Parse(Vec<ParseError>),
    /// Occurs when the job or instance is empty.
    #[error("job and instance must not be empty")]
    EmptyTarget,
}

impl From<&IngestError> for o11y_model::diag::Diagnostic {
    /// The error's text (how many lines are bad), without a place: each
    /// bad line converts on its own (`Diagnostic::from(&errors[0])`).
    fn from(e: &IngestError) -> o11y_model::diag::Diagnostic {
        o11y_model::diag::Diagnostic::new(e.to_string())
    }
}

impl Demo {
    /// Stores imported spans (OTLP/JSON) beside the shop's.
    pub fn import_spans(&mut self, spans: Vec<o11y_traces::Span>) {
        self.settle();
        for s in spans {
            self.traces.insert(s);
        }
    }

    /// Stores pasted logs (see [`o11y_logs::ingest::ingest`]).
    pub fn ingest_logs(
        &mut self,
        text: &str,
        options: &o11y_logs::ingest::IngestOptions,
    ) -> Result<o11y_logs::ingest::IngestReport, o11y_logs::ingest::IngestError> {
        self.settle();
        let report = o11y_logs::ingest::ingest(&mut self.logs, text, options)?;
        if self.keep_paste(text.len()) {
            self.logs_pastes.push(crate::workspace::LogsPaste {
                labels: options
                    .labels
                    .iter()
                    .map(|l| (l.name.clone(), l.value.clone()))
                    .collect(),
                label_fields: options.label_fields.clone(),
                text: text.to_string(),
            });
        }
        Ok(report)
    }

    /// Whether a paste of `bytes` still fits in the workspace.
    fn keep_paste(&mut self, bytes: usize) -> bool {
        if self.paste_bytes + bytes > crate::workspace::MAX_PASTE_BYTES {
            self.pastes_left_out += 1;
            return false;
        }
        self.paste_bytes += bytes;
        true
    }

    /// Stores pasted `/metrics` text (text format or OpenMetrics, detected)
    /// as a scrape of `job`/`instance` at the current virtual time. Pasting
    /// again for the same target is that target's next scrape.
    pub fn ingest_exposition(
        &mut self,
        text: &str,
        job: &str,
        instance: &str,
    ) -> Result<ScrapeReport, IngestError> {
        self.settle();
        let (job, instance) = (job.trim(), instance.trim());
        if job.is_empty() || instance.is_empty() {
            return Err(IngestError::EmptyTarget);
        }
        let families = parse(text, Format::detect(text)).map_err(IngestError::Parse)?;
        for family in &families {
            let help = family.help.clone().unwrap_or_default();
            self.pasted_metadata
                .insert(family.name.clone(), (family.kind, help));
        }
        let scraper = self
            .pasted
            .entry((job.to_string(), instance.to_string()))
            .or_insert_with(|| Scraper::new(job, instance));
        let report = scraper.ingest(&mut self.store, Some(&families), self.clock.now_ms(), 0.0);
        self.scrape_refused.merge(&report.refusals);
        if self.keep_paste(text.len()) {
            self.metrics_pastes.push(crate::workspace::MetricsPaste {
                job: job.to_string(),
                instance: instance.to_string(),
                text: text.to_string(),
            });
        }
        Ok(report)
    }

    /// Registers a user-defined metric with the shop's simulator.
    pub fn define_metric(&mut self, definition: &MetricDefinition) -> Result<(), MetricsError> {
        self.settle();
        self.shop.define(definition)
    }
}
