//! Parsing a range aggregation, the leaf of every metric query: a range
//! function over a log query and a range, with `offset` inside and, for an
//! unwrapped range, `by`/`without` after.
//!
//! ```text
//! count_over_time({job="x"} |= "error" [5m] offset 1h)
//! quantile_over_time(0.99, {job="x"} | logfmt | unwrap duration(latency) [1m]) by (route)
//! ```

use super::Parser;
use super::ast::{Grouping, RangeAgg, RangeFunc, StageKind};
use super::lexer::{LogqlError, Span, Tok, error};

impl Parser<'_> {
    fn duration_in_brackets(&mut self) -> Result<i64, LogqlError> {
        self.expect_sym("[", "before the range")?;
        let t = self.next();
        let text = match &t.tok {
            Tok::Num(n) | Tok::Ident(n) => n.clone(),
            _ => {
                return error(
                    t.span.clone(),
                    format!(
                        "unexpected {}: expected a range such as 5m",
                        Self::describe(&t)
                    ),
                );
            }
        };
        let ms = o11y_model::duration::parse_duration(&text)
            .map_err(|e| LogqlError::at_span(t.span.clone(), e.to_string()))?;
        if ms <= 0 {
            return error(t.span.clone(), "a range must be positive");
        }
        self.expect_sym("]", "after the range")?;
        Ok(ms)
    }

    /// The rest of a range aggregation, after its function's name (at
    /// `name_span`).
    pub(super) fn range_agg(
        &mut self,
        func: RangeFunc,
        name_span: Span,
    ) -> Result<RangeAgg, LogqlError> {
        let name = func.name();
        self.expect_sym("(", &format!("after {name}"))?;
        let param = if func == RangeFunc::QuantileOverTime {
            let t = self.next();
            let v = match &t.tok {
                Tok::Num(n) => n.parse::<f64>().ok(),
                _ => None,
            };
            let Some(v) = v else {
                return error(
                    t.span.clone(),
                    "quantile_over_time needs φ first, such as 0.99",
                );
            };
            self.expect_sym(",", "after φ")?;
            Some(v)
        } else {
            None
        };
        let log = self.log_expr()?;
        let range_ms = self.duration_in_brackets()?;
        let mut offset_ms = 0;
        if self.is_ident("offset") {
            self.next();
            let t = self.next();
            let text = match &t.tok {
                Tok::Num(n) | Tok::Ident(n) => n.clone(),
                _ => return error(t.span.clone(), "expected a duration after offset"),
            };
            offset_ms = o11y_model::duration::parse_duration(text.trim_start_matches('-'))
                .map_err(|e| LogqlError::at_span(t.span.clone(), e.to_string()))?;
            if text.starts_with('-') {
                offset_ms = -offset_ms;
            }
        }
        let close = self.expect_sym(")", &format!("to close {name}"))?;
        let unwrapped = log
            .stages
            .iter()
            .any(|s| matches!(s.kind, StageKind::Unwrap { .. }));
        if func.needs_unwrap() && !unwrapped {
            return error(
                name_span.start..close.end,
                format!("{name} needs an unwrapped range: add | unwrap <label> before the range"),
            );
        }
        if !func.needs_unwrap() && unwrapped {
            return error(
                name_span.start..close.end,
                format!("{name} does not take an unwrapped range"),
            );
        }
        let mut end = close.end;
        let grouping = if self.is_ident("by") || self.is_ident("without") {
            let without = self.is_ident("without");
            self.next();
            self.expect_sym("(", "after by")?;
            let mut labels = Vec::new();
            while !self.is_sym(")") {
                labels.push(self.ident("in the grouping")?.0);
                if !self.is_sym(",") {
                    break;
                }
                self.next();
            }
            end = self.expect_sym(")", "after the grouping")?.end;
            Some(Grouping { without, labels })
        } else {
            None
        };
        let span = name_span.start..end;
        // Loki's rule: lines are grouped by a vector aggregation around them.
        if grouping.is_some() && !func.needs_unwrap() {
            return error(
                span,
                format!(
                    "grouping is only allowed on unwrapped range aggregations; write sum by (…) ({name}(…)) instead"
                ),
            );
        }
        Ok(RangeAgg {
            func,
            param,
            log,
            range_ms,
            offset_ms,
            grouping,
            span,
        })
    }
}
