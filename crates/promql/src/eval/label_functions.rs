//! Functions of labels: `label_replace`, `label_join`, and
//! `sort_by_label`/`sort_by_label_desc` in natural order.

use super::call::Call;
use super::{EvalError, Evaluator, Result, Value, VectorSample, fail};

impl Evaluator<'_> {
    /// The label functions; `None` for another name.
    pub(super) fn label_function(&self, call: Call) -> Result<Option<Value>> {
        let Call {
            expr, name, args, ..
        } = call;
        let value = match name {
            "label_replace" => {
                let v = call.vector(0)?;
                let dst = call.string(1)?;
                let replacement = call.string(2)?;
                let src = call.string(3)?;
                let pattern = call.string(4)?;
                let regex =
                    o11y_model::labels::go_compile(&format!("^(?s:{pattern})$")).map_err(|e| {
                        EvalError::at_span(
                            args[4].span.clone(),
                            format!(
                                "invalid regular expression in label_replace(): {pattern}: {e}"
                            ),
                        )
                    })?;
                if !o11y_model::labels::is_valid_label_name(&dst) {
                    return fail(
                        &args[1].span,
                        format!("invalid destination label name in label_replace(): {dst}"),
                    );
                }
                let out = v
                    .into_iter()
                    .map(|s| {
                        let source = s.labels.get(&src).unwrap_or("").to_string();
                        let labels = match regex.captures(&source) {
                            Some(caps) => {
                                let mut value = String::new();
                                caps.expand(&replacement, &mut value);
                                s.labels.with(&dst, &value)
                            }
                            None => s.labels,
                        };
                        VectorSample {
                            labels,
                            value: s.value,
                            histogram: s.histogram,
                        }
                    })
                    .collect();
                self.check_unique(&expr.span, out).map(Value::Vector)
            }
            "label_join" => {
                let v = call.vector(0)?;
                let dst = call.string(1)?;
                let separator = call.string(2)?;
                let sources: Vec<String> = (3..args.len())
                    .map(|i| call.string(i))
                    .collect::<Result<_>>()?;
                if !o11y_model::labels::is_valid_label_name(&dst) {
                    return fail(
                        &args[1].span,
                        format!("invalid destination label name in label_join(): {dst}"),
                    );
                }
                let out = v
                    .into_iter()
                    .map(|s| {
                        let joined = sources
                            .iter()
                            .map(|n| s.labels.get(n).unwrap_or(""))
                            .collect::<Vec<_>>()
                            .join(&separator);
                        VectorSample {
                            labels: s.labels.with(&dst, &joined),
                            value: s.value,
                            histogram: s.histogram,
                        }
                    })
                    .collect();
                self.check_unique(&expr.span, out).map(Value::Vector)
            }
            "sort_by_label" | "sort_by_label_desc" => {
                let mut v = call.vector(0)?;
                let names: Vec<String> = (1..args.len())
                    .map(|i| call.string(i))
                    .collect::<Result<_>>()?;
                v.sort_by(|a, b| {
                    let key = |s: &VectorSample| {
                        names
                            .iter()
                            .map(|n| s.labels.get(n).unwrap_or("").to_string())
                            .collect::<Vec<_>>()
                    };
                    let ord =
                        natural_cmp_all(&key(a), &key(b)).then_with(|| a.labels.cmp(&b.labels));
                    if name == "sort_by_label" {
                        ord
                    } else {
                        ord.reverse()
                    }
                });
                Ok(Value::Vector(v))
            }
            _ => return Ok(None),
        };
        value.map(Some)
    }
}

/// Natural order: runs of digits compare by number (`2` < `10`).
fn natural_cmp(a: &str, b: &str) -> std::cmp::Ordering {
    let chunks = |s: &str| -> Vec<(bool, String)> {
        let mut out: Vec<(bool, String)> = Vec::new();
        for c in s.chars() {
            let digit = c.is_ascii_digit();
            match out.last_mut() {
                Some((d, chunk)) if *d == digit => chunk.push(c),
                _ => out.push((digit, c.to_string())),
            }
        }
        out
    };
    let (ca, cb) = (chunks(a), chunks(b));
    for ((da, xa), (db, xb)) in ca.iter().zip(&cb) {
        let ord = if *da && *db {
            let (ta, tb) = (xa.trim_start_matches('0'), xb.trim_start_matches('0'));
            ta.len().cmp(&tb.len()).then_with(|| ta.cmp(tb))
        } else {
            xa.cmp(xb)
        };
        if ord != std::cmp::Ordering::Equal {
            return ord;
        }
    }
    ca.len().cmp(&cb.len())
}

fn natural_cmp_all(a: &[String], b: &[String]) -> std::cmp::Ordering {
    a.iter()
        .zip(b)
        .map(|(x, y)| natural_cmp(x, y))
        .find(|o| o.is_ne())
        .unwrap_or(a.len().cmp(&b.len()))
}

#[cfg(test)]
mod tests {
    use super::natural_cmp;
    use crate::eval::fixture::{eval_at, eval_err, store};
    use std::cmp::Ordering;

    #[test]
    fn label_replace_expands_captures() {
        let s = store(&[("x{src=\"a-b\"}", &[(0, 1.0)])]);
        assert_eq!(
            eval_at(
                &s,
                "label_replace(x, \"dst\", \"$2/$1\", \"src\", \"(.*)-(.*)\")",
                0
            ),
            ["x{dst=\"b/a\", src=\"a-b\"} 1"]
        );
        // The regex is anchored: no match leaves the series as it was.
        assert_eq!(
            eval_at(&s, "label_replace(x, \"dst\", \"$1\", \"src\", \"a\")", 0),
            ["x{src=\"a-b\"} 1"]
        );
        // An empty value removes the label.
        assert_eq!(
            eval_at(&s, "label_replace(x, \"src\", \"\", \"src\", \".*\")", 0),
            ["x 1"]
        );
    }

    #[test]
    fn label_replace_and_label_join_check_their_arguments() {
        let s = store(&[("x{src=\"a\"}", &[(0, 1.0)])]);
        assert!(
            eval_err(&s, "label_replace(x, \"dst\", \"\", \"src\", \"(\")", 0)
                .starts_with("invalid regular expression in label_replace(): (: ")
        );
        assert_eq!(
            eval_err(&s, "label_replace(x, \"1dst\", \"\", \"src\", \".*\")", 0),
            "invalid destination label name in label_replace(): 1dst"
        );
        assert_eq!(
            eval_err(&s, "label_join(x, \"1dst\", \"-\", \"src\")", 0),
            "invalid destination label name in label_join(): 1dst"
        );
    }

    #[test]
    fn label_join_joins_values_in_order() {
        let s = store(&[("x{a=\"1\", b=\"2\"}", &[(0, 1.0)])]);
        assert_eq!(
            eval_at(
                &s,
                "label_join(x, \"c\", \"-\", \"b\", \"a\", \"missing\")",
                0
            ),
            ["x{a=\"1\", b=\"2\", c=\"2-1-\"} 1"]
        );
    }

    #[test]
    fn sort_by_label_uses_natural_order() {
        let s = store(&[
            ("x{i=\"10\"}", &[(0, 1.0)]),
            ("x{i=\"2\"}", &[(0, 2.0)]),
            ("x{i=\"1\"}", &[(0, 3.0)]),
        ]);
        assert_eq!(
            eval_at(&s, "sort_by_label(x, \"i\")", 0),
            ["x{i=\"1\"} 3", "x{i=\"2\"} 2", "x{i=\"10\"} 1"]
        );
        assert_eq!(
            eval_at(&s, "sort_by_label_desc(x, \"i\")", 0),
            ["x{i=\"10\"} 1", "x{i=\"2\"} 2", "x{i=\"1\"} 3"]
        );
    }

    #[test]
    fn natural_cmp_compares_digit_runs_as_numbers() {
        assert_eq!(natural_cmp("a2", "a10"), Ordering::Less);
        assert_eq!(natural_cmp("a10", "b1"), Ordering::Less);
        assert_eq!(natural_cmp("x1y", "x1"), Ordering::Greater);
        assert_eq!(natural_cmp("a02", "a2"), Ordering::Equal);
    }
}
