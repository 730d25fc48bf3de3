//! Function calls: [`Call`] (what each function implementation gets) and
//! the dispatcher that hands a call to its family. Each family is a method
//! that answers `Ok(None)` for a name it does not implement, so a name
//! lives in exactly one `match`, next to its implementation.

use super::{Evaluator, Result, Value, fail};
use crate::ast::Expr;
use o11y_metrics::store::SeriesStore;

/// One function call being evaluated: the call expression (for error
/// spans), the function's name, its arguments and the evaluation time.
#[derive(Clone, Copy)]
pub(super) struct Call<'e> {
    pub expr: &'e Expr,
    pub name: &'e str,
    pub args: &'e [Expr],
    pub ts: i64,
}

/// A family of functions: the value of `call`, or `None` if the family has
/// no function of that name.
type Family<'a, S> = fn(&Evaluator<'a, S>, Call<'_>) -> Result<Option<Value>>;

impl<'a, S: SeriesStore> Evaluator<'a, S> {
    /// Evaluates the function `name` applied to `args` at `ts`.
    pub(super) fn call(&self, expr: &Expr, name: &str, args: &[Expr], ts: i64) -> Result<Value> {
        let call = Call {
            expr,
            name,
            args,
            ts,
        };
        let families: [Family<'a, S>; 6] = [
            Self::range_function,
            Self::math_function,
            Self::time_function,
            Self::vector_function,
            Self::label_function,
            Self::histogram_function,
        ];
        for family in families {
            if let Some(value) = family(self, call)? {
                return Ok(value);
            }
        }
        fail(
            &expr.span,
            format!("function {name}() is not supported yet"),
        )
    }
}
