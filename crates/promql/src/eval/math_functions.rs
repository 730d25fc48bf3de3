//! Functions of each sample's value and of scalars: `abs`, `ceil`,
//! `floor`, `exp`, `sqrt`, the logarithms, `sgn`, trigonometry, `deg`,
//! `rad`, `round`, `clamp`, `clamp_min`, `clamp_max`, `pi`, `min_of` and
//! `max_of`. Histogram samples are left out, and the metric name dropped.

use super::call::Call;
use super::{Evaluator, Result, Value, VectorSample, drop_name};

impl Evaluator<'_> {
    /// `f` of each float sample of the first argument, without its name.
    pub(super) fn map_values(&self, call: Call, f: &dyn Fn(f64) -> f64) -> Result<Value> {
        let out = call
            .vector(0)?
            .into_iter()
            .filter(|s| s.histogram.is_none())
            .map(|s| VectorSample::float(drop_name(&s.labels), f(s.value)))
            .collect();
        self.check_unique(&call.expr.span, out).map(Value::Vector)
    }

    /// The math functions; `None` for another name.
    pub(super) fn math_function(&self, call: Call) -> Result<Option<Value>> {
        let Call { name, args, .. } = call;
        let value = match name {
            "abs" => self.map_values(call, &f64::abs),
            "ceil" => self.map_values(call, &f64::ceil),
            "floor" => self.map_values(call, &f64::floor),
            "exp" => self.map_values(call, &f64::exp),
            "sqrt" => self.map_values(call, &f64::sqrt),
            "ln" => self.map_values(call, &f64::ln),
            "log2" => self.map_values(call, &f64::log2),
            "log10" => self.map_values(call, &f64::log10),
            "sgn" => self.map_values(call, &|v| {
                if v > 0.0 {
                    1.0
                } else if v < 0.0 {
                    -1.0
                } else {
                    v
                }
            }),
            "sin" => self.map_values(call, &f64::sin),
            "cos" => self.map_values(call, &f64::cos),
            "tan" => self.map_values(call, &f64::tan),
            "asin" => self.map_values(call, &f64::asin),
            "acos" => self.map_values(call, &f64::acos),
            "atan" => self.map_values(call, &f64::atan),
            "sinh" => self.map_values(call, &f64::sinh),
            "cosh" => self.map_values(call, &f64::cosh),
            "tanh" => self.map_values(call, &f64::tanh),
            "asinh" => self.map_values(call, &f64::asinh),
            "acosh" => self.map_values(call, &f64::acosh),
            "atanh" => self.map_values(call, &f64::atanh),
            "deg" => self.map_values(call, &f64::to_degrees),
            "rad" => self.map_values(call, &f64::to_radians),
            "round" => {
                let to_nearest = if args.len() > 1 { call.scalar(1)? } else { 1.0 };
                // Rounds half up, as Prometheus (floor(v / n + 0.5) * n).
                let inverse = 1.0 / to_nearest;
                self.map_values(call, &|v| (v * inverse + 0.5).floor() / inverse)
            }
            "clamp" => {
                let (lo, hi) = (call.scalar(1)?, call.scalar(2)?);
                if lo > hi {
                    return Ok(Some(Value::Vector(Vec::new())));
                }
                self.map_values(call, &|v| go_max(lo, go_min(hi, v)))
            }
            "clamp_min" => {
                let lo = call.scalar(1)?;
                self.map_values(call, &|v| go_max(lo, v))
            }
            "clamp_max" => {
                let hi = call.scalar(1)?;
                self.map_values(call, &|v| go_min(hi, v))
            }
            "pi" => Ok(Value::Scalar(std::f64::consts::PI)),
            "min_of" | "max_of" => {
                let (a, b) = (call.scalar(0)?, call.scalar(1)?);
                let pick = if a.is_nan() || b.is_nan() {
                    f64::NAN
                } else if name == "min_of" {
                    a.min(b)
                } else {
                    a.max(b)
                };
                Ok(Value::Scalar(pick))
            }
            _ => return Ok(None),
        };
        value.map(Some)
    }
}

/// Go's `math.Max`: NaN if either is NaN.
fn go_max(a: f64, b: f64) -> f64 {
    if a.is_nan() || b.is_nan() {
        f64::NAN
    } else {
        a.max(b)
    }
}

/// Go's `math.Min`: NaN if either is NaN.
fn go_min(a: f64, b: f64) -> f64 {
    if a.is_nan() || b.is_nan() {
        f64::NAN
    } else {
        a.min(b)
    }
}

#[cfg(test)]
mod tests {
    use super::{go_max, go_min};
    use crate::eval::fixture::{eval_at, store};

    #[test]
    fn functions_of_each_value_drop_the_name() {
        let s = store(&[("x{job=\"a\"}", &[(0, -2.25)])]);
        for (query, expected) in [
            ("abs(x)", "{job=\"a\"} 2.25"),
            ("ceil(x)", "{job=\"a\"} -2"),
            ("floor(x)", "{job=\"a\"} -3"),
            ("sgn(x)", "{job=\"a\"} -1"),
            ("sqrt(abs(x))", "{job=\"a\"} 1.5"),
            ("deg(vector(pi()))", "{} 180"),
            ("sgn(vector(0))", "{} 0"),
        ] {
            assert_eq!(eval_at(&s, query, 0), [expected], "{query}");
        }
    }

    #[test]
    fn round_rounds_half_up_to_a_multiple() {
        let s = store(&[]);
        assert_eq!(eval_at(&s, "round(vector(2.5))", 0), ["{} 3"]);
        assert_eq!(eval_at(&s, "round(vector(-2.5))", 0), ["{} -2"]);
        assert_eq!(eval_at(&s, "round(vector(7), 5)", 0), ["{} 5"]);
        assert_eq!(eval_at(&s, "round(vector(8), 5)", 0), ["{} 10"]);
    }

    #[test]
    fn clamp_bounds_values_and_empties_on_crossed_bounds() {
        let s = store(&[]);
        assert_eq!(eval_at(&s, "clamp(vector(5), 0, 3)", 0), ["{} 3"]);
        assert!(eval_at(&s, "clamp(vector(5), 3, 0)", 0).is_empty());
        assert_eq!(eval_at(&s, "clamp_min(vector(-1), 0)", 0), ["{} 0"]);
        assert_eq!(eval_at(&s, "clamp_max(vector(NaN), 1)", 0), ["{} NaN"]);
        assert_eq!(eval_at(&s, "min_of(2, 3)", 0), ["2"]);
        assert_eq!(eval_at(&s, "max_of(2, NaN)", 0), ["NaN"]);
    }

    #[test]
    fn go_max_and_go_min_propagate_nan() {
        assert!(go_max(f64::NAN, 1.0).is_nan());
        assert!(go_min(1.0, f64::NAN).is_nan());
        assert_eq!(go_max(-1.0, 2.0), 2.0);
        assert_eq!(go_min(-1.0, 2.0), -1.0);
    }
}
