//! PromQL: lexer, parser and evaluator with Prometheus 3 semantics.
//!
//! So far: [`lexer`], which turns source into tokens with byte spans.
//! The parser and evaluator build on it.

pub mod lexer;
