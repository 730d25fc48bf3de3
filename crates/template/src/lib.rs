//! Go's `text/template`, as Prometheus runs it for alert labels and
//! annotations and Loki runs it for LogQL's `line_format` and
//! `label_format`: text and actions with pipelines, variables (`$x := …`,
//! `$labels.instance`), fields (`.Labels.job`), `if`/`else if`/`else`,
//! `range` (with `else`), `with`, comments, `{{-`/`-}}` trimming and Go's
//! built-in functions (`and`, `or`, `not`, `eq`…`ge`, `len`, `index`,
//! `slice`, `print`, `printf`, `println`, `html`, `js`, `urlquery`).
//!
//! A template also has one set of [`Functions`]: Prometheus's (the
//! default: `humanize`, `humanize1024`, `humanizeDuration`,
//! `humanizePercentage`, `humanizeTimestamp`, `query`, `first`, `value`,
//! `label`, `strvalue`, `sortByLabel`, `toUpper`, `toLower`, `title`,
//! `reReplaceAll`, `match`, `safeHtml`, `args`, `toTime`, `toDuration`,
//! `parseDuration`, `now`, `externalURL`, `pathPrefix`, `stripPort`,
//! `stripDomain`, `graphLink`, `tableLink`) or Loki's (`__line__`,
//! `__timestamp__`, `ToUpper`, `regexReplaceAll`, sprig's string, math
//! and date functions…). Missing map keys give empty text
//! (`missingkey=zero`, as both set it). Undefined variables and functions
//! are parse errors, as in Go. Rendering is bounded in steps and output.
//!
//! ```
//! use o11y_template::{Env, Template, Value};
//!
//! let t = Template::parse("t", "{{ $value | humanizePercentage }} on {{ $labels.instance }}", &["labels", "value"]).unwrap();
//! let env = Env::default()
//!     .var("labels", Value::labels([("instance", "web:80")]))
//!     .var("value", Value::Float(0.1234));
//! assert_eq!(t.render(&env).unwrap(), "12.34% on web:80");
//! ```
//!
//! The files, in the order a template goes through them: `lex.rs` (the
//! tokens of an action), `parse.rs` (text to the tree of `tree.rs`),
//! `exec.rs` (running it with an [`Env`], `env.rs`), `value.rs` (values,
//! Go's printing and comparisons), `functions.rs` (which set a template
//! has), `builtins.rs`, `prometheus.rs` and `loki/` (the functions),
//! `printf.rs` (Go's `fmt`) and `layout/` (Go's time layouts).

mod builtins;
mod env;
mod error;
mod exec;
mod functions;
mod layout;
mod lex;
mod loki;
mod parse;
mod printf;
mod prometheus;
mod tree;
mod value;

#[cfg(test)]
mod tests;

pub use env::{Env, QueryFn};
pub use error::TemplateError;
pub use functions::Functions;
pub use printf::{go_g, sprintf};
pub use prometheus::{humanize, humanize_duration, humanize1024};
pub use tree::Template;
pub use value::{Sample, Value};
