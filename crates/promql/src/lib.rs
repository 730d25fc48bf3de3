//! PromQL: lexer, parser, evaluator with Prometheus 3 semantics.
//!
//! ```
//! use o11y_promql::parse;
//!
//! let expr = parse("sum by(route)(rate(http_requests_total[5m]))").unwrap();
//! assert_eq!(expr.to_string(), "sum by (route) (rate(http_requests_total[5m]))");
//! let err = parse("rate(http_requests_total)").unwrap_err();
//! assert_eq!(err.span, 5..24);
//! ```

pub mod assist;
pub mod ast;
pub mod eval;
pub mod functions;
pub mod lexer;
pub mod parser;
pub mod promqltest;
pub mod rate;
pub mod typecheck;

pub use parser::{ParseError, parse};
