//! The functions PromQL knows: name, argument types and result type, as
//! Prometheus 3's `promql/parser/functions.go` declares them.

use ValueType::{InstantVector as V, RangeVector as M, Scalar as S, String as Str};

/// The type of value an expression evaluates to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ValueType {
    Scalar,
    String,
    InstantVector,
    RangeVector,
}

impl ValueType {
    pub fn name(self) -> &'static str {
        match self {
            ValueType::Scalar => "scalar",
            ValueType::String => "string",
            ValueType::InstantVector => "instant vector",
            ValueType::RangeVector => "range vector",
        }
    }
}

#[derive(Debug, PartialEq, Eq)]
pub struct Function {
    pub name: &'static str,
    pub arg_types: &'static [ValueType],
    /// 0: exactly `arg_types`; n > 0: up to n more optional arguments of
    /// the last type (the last one itself optional); -1: any number more.
    pub variadic: i8,
    pub return_type: ValueType,
    /// One line of what it does, for autocomplete.
    pub doc: &'static str,
}

macro_rules! functions {
    ($(($name:literal, [$($arg:expr),*], $variadic:expr, $ret:expr, $doc:literal)),* $(,)?) => {
        /// Every function, sorted by name.
        pub static FUNCTIONS: &[Function] = &[
            $(Function { name: $name, arg_types: &[$($arg),*], variadic: $variadic, return_type: $ret, doc: $doc }),*
        ];
    };
}

functions![
    ("abs", [V], 0, V, "Absolute value of each sample."),
    (
        "absent",
        [V],
        0,
        V,
        "1-element vector if the input has no series, else empty."
    ),
    (
        "absent_over_time",
        [M],
        0,
        V,
        "1-element vector if the range has no samples, else empty."
    ),
    ("acos", [V], 0, V, "Arccosine of each sample."),
    (
        "acosh",
        [V],
        0,
        V,
        "Inverse hyperbolic cosine of each sample."
    ),
    ("asin", [V], 0, V, "Arcsine of each sample."),
    (
        "asinh",
        [V],
        0,
        V,
        "Inverse hyperbolic sine of each sample."
    ),
    ("atan", [V], 0, V, "Arctangent of each sample."),
    (
        "atanh",
        [V],
        0,
        V,
        "Inverse hyperbolic tangent of each sample."
    ),
    (
        "avg_over_time",
        [M],
        0,
        V,
        "Average of each series' samples in the range."
    ),
    ("ceil", [V], 0, V, "Rounds each sample up to an integer."),
    (
        "changes",
        [M],
        0,
        V,
        "How often each series' value changed in the range."
    ),
    (
        "clamp",
        [V, S, S],
        0,
        V,
        "Clamps samples between a minimum and a maximum."
    ),
    ("clamp_max", [V, S], 0, V, "Clamps samples to a maximum."),
    ("clamp_min", [V, S], 0, V, "Clamps samples to a minimum."),
    ("cos", [V], 0, V, "Cosine of each sample."),
    ("cosh", [V], 0, V, "Hyperbolic cosine of each sample."),
    (
        "count_over_time",
        [M],
        0,
        V,
        "Number of samples of each series in the range."
    ),
    (
        "day_of_month",
        [V],
        1,
        V,
        "Day of the month (1–31) of each timestamp, UTC."
    ),
    (
        "day_of_week",
        [V],
        1,
        V,
        "Day of the week (0 = Sunday) of each timestamp, UTC."
    ),
    (
        "day_of_year",
        [V],
        1,
        V,
        "Day of the year (1–366) of each timestamp, UTC."
    ),
    (
        "days_in_month",
        [V],
        1,
        V,
        "Number of days in the month of each timestamp, UTC."
    ),
    ("deg", [V], 0, V, "Converts radians to degrees."),
    (
        "delta",
        [M],
        0,
        V,
        "Difference between first and last value in the range, extrapolated (gauges)."
    ),
    (
        "deriv",
        [M],
        0,
        V,
        "Per-second derivative by simple linear regression (gauges)."
    ),
    (
        "double_exponential_smoothing",
        [M, S, S],
        0,
        V,
        "Smoothed value by double exponential smoothing."
    ),
    (
        "end",
        [],
        0,
        S,
        "End of the query range in seconds (experimental)."
    ),
    ("exp", [V], 0, V, "e raised to each sample."),
    (
        "first_over_time",
        [M],
        0,
        V,
        "Oldest sample of each series in the range (experimental)."
    ),
    ("floor", [V], 0, V, "Rounds each sample down to an integer."),
    (
        "histogram_avg",
        [V],
        0,
        V,
        "Average of observations in native histograms."
    ),
    (
        "histogram_count",
        [V],
        0,
        V,
        "Count of observations in native histograms."
    ),
    (
        "histogram_fraction",
        [S, S, V],
        0,
        V,
        "Fraction of observations between two values."
    ),
    (
        "histogram_quantile",
        [S, V],
        0,
        V,
        "φ-quantile from classic buckets (by le) or native histograms."
    ),
    (
        "histogram_quantiles",
        [V, Str, S],
        -1,
        V,
        "Several φ-quantiles at once, in a new label (experimental)."
    ),
    (
        "histogram_stddev",
        [V],
        0,
        V,
        "Standard deviation of observations in native histograms."
    ),
    (
        "histogram_stdvar",
        [V],
        0,
        V,
        "Variance of observations in native histograms."
    ),
    (
        "histogram_sum",
        [V],
        0,
        V,
        "Sum of observations in native histograms."
    ),
    (
        "hour",
        [V],
        1,
        V,
        "Hour of the day (0–23) of each timestamp, UTC."
    ),
    (
        "idelta",
        [M],
        0,
        V,
        "Difference between the last two samples in the range."
    ),
    (
        "increase",
        [M],
        0,
        V,
        "Increase of a counter in the range, extrapolated, resets handled."
    ),
    (
        "irate",
        [M],
        0,
        V,
        "Per-second rate from the last two samples in the range."
    ),
    (
        "label_join",
        [V, Str, Str, Str],
        -1,
        V,
        "Joins label values into a new label."
    ),
    (
        "label_replace",
        [V, Str, Str, Str, Str],
        0,
        V,
        "Sets a label from a regex match on another."
    ),
    (
        "last_over_time",
        [M],
        0,
        V,
        "Most recent sample of each series in the range."
    ),
    ("ln", [V], 0, V, "Natural logarithm of each sample."),
    ("log10", [V], 0, V, "Decimal logarithm of each sample."),
    ("log2", [V], 0, V, "Binary logarithm of each sample."),
    (
        "mad_over_time",
        [M],
        0,
        V,
        "Median absolute deviation of each series in the range."
    ),
    (
        "max_of",
        [S, S],
        0,
        S,
        "The larger of two scalars (experimental)."
    ),
    (
        "max_over_time",
        [M],
        0,
        V,
        "Maximum of each series' samples in the range."
    ),
    (
        "min_of",
        [S, S],
        0,
        S,
        "The smaller of two scalars (experimental)."
    ),
    (
        "min_over_time",
        [M],
        0,
        V,
        "Minimum of each series' samples in the range."
    ),
    (
        "minute",
        [V],
        1,
        V,
        "Minute of the hour (0–59) of each timestamp, UTC."
    ),
    ("month", [V], 1, V, "Month (1–12) of each timestamp, UTC."),
    ("pi", [], 0, S, "The number π."),
    (
        "predict_linear",
        [M, S],
        0,
        V,
        "Value in t seconds by linear regression over the range."
    ),
    (
        "present_over_time",
        [M],
        0,
        V,
        "1 for each series with samples in the range."
    ),
    (
        "quantile_over_time",
        [S, M],
        0,
        V,
        "φ-quantile of each series' samples in the range."
    ),
    ("rad", [V], 0, V, "Converts degrees to radians."),
    (
        "range",
        [],
        0,
        S,
        "Length of the query range in seconds (experimental)."
    ),
    (
        "rate",
        [M],
        0,
        V,
        "Per-second average rate of increase of a counter, extrapolated."
    ),
    (
        "resets",
        [M],
        0,
        V,
        "Number of counter resets in the range."
    ),
    (
        "round",
        [V, S],
        1,
        V,
        "Rounds samples to the nearest multiple of an optional number."
    ),
    (
        "scalar",
        [V],
        0,
        S,
        "The sample of a 1-element vector as a scalar, else NaN."
    ),
    ("sgn", [V], 0, V, "Sign of each sample: 1, -1 or 0."),
    ("sin", [V], 0, V, "Sine of each sample."),
    ("sinh", [V], 0, V, "Hyperbolic sine of each sample."),
    ("sort", [V], 0, V, "Sorts by sample value, ascending."),
    (
        "sort_by_label",
        [V, Str],
        -1,
        V,
        "Sorts by label values, ascending."
    ),
    (
        "sort_by_label_desc",
        [V, Str],
        -1,
        V,
        "Sorts by label values, descending."
    ),
    ("sort_desc", [V], 0, V, "Sorts by sample value, descending."),
    ("sqrt", [V], 0, V, "Square root of each sample."),
    (
        "start",
        [],
        0,
        S,
        "Start of the query range in seconds (experimental)."
    ),
    (
        "stddev_over_time",
        [M],
        0,
        V,
        "Population standard deviation of each series in the range."
    ),
    (
        "stdvar_over_time",
        [M],
        0,
        V,
        "Population variance of each series in the range."
    ),
    (
        "step",
        [],
        0,
        S,
        "Step of the query in seconds (experimental)."
    ),
    (
        "sum_over_time",
        [M],
        0,
        V,
        "Sum of each series' samples in the range."
    ),
    ("tan", [V], 0, V, "Tangent of each sample."),
    ("tanh", [V], 0, V, "Hyperbolic tangent of each sample."),
    (
        "time",
        [],
        0,
        S,
        "Evaluation time in seconds since the epoch."
    ),
    (
        "timestamp",
        [V],
        0,
        V,
        "Timestamp of each sample in seconds."
    ),
    (
        "ts_of_first_over_time",
        [M],
        0,
        V,
        "Timestamp of the oldest sample in the range (experimental)."
    ),
    (
        "ts_of_last_over_time",
        [M],
        0,
        V,
        "Timestamp of the newest sample in the range (experimental)."
    ),
    (
        "ts_of_max_over_time",
        [M],
        0,
        V,
        "Timestamp of the largest sample in the range (experimental)."
    ),
    (
        "ts_of_min_over_time",
        [M],
        0,
        V,
        "Timestamp of the smallest sample in the range (experimental)."
    ),
    ("vector", [S], 0, V, "A scalar as a vector with no labels."),
    ("year", [V], 1, V, "Year of each timestamp, UTC."),
];

/// The function with this name.
pub fn lookup(name: &str) -> Option<&'static Function> {
    FUNCTIONS
        .binary_search_by(|f| f.name.cmp(name))
        .ok()
        .map(|i| &FUNCTIONS[i])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_sorted_for_lookup() {
        assert!(FUNCTIONS.windows(2).all(|w| w[0].name < w[1].name));
        assert_eq!(lookup("rate").map(|f| f.arg_types), Some(&[M][..]));
        assert!(lookup("nope").is_none());
    }
}
