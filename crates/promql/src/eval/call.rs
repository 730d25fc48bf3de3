//! Function calls: [`Call`] (what each function implementation gets) and
//! the dispatcher that hands a call to its family. Functions of a range
//! vector work on whole series over all steps (`range_functions`);
//! `timestamp` of a selector reads the selector's sample times; the other
//! families are written for one instant and run at each step on their
//! arguments' values there ([`Evaluator::per_step`]). Each family is a
//! method that answers `Ok(None)` for a name it does not implement, so a
//! name lives in exactly one `match`, next to its implementation.

use std::cell::RefCell;

use super::steps::{Grid, Steps, merge_same_labels};
use super::{Evaluator, Result, Value, VectorSample, drop_name, fail};
use crate::ast::{Expr, ExprKind};

/// One function call being evaluated at one step: the call expression
/// (for error spans), the function's name, its arguments, their values
/// at this step and the step's time.
#[derive(Clone, Copy)]
pub(super) struct Call<'e> {
    pub expr: &'e Expr,
    pub name: &'e str,
    pub args: &'e [Expr],
    pub ts: i64,
    values: &'e RefCell<Vec<Value>>,
}

impl Call<'_> {
    fn take(&self, i: usize) -> Value {
        std::mem::replace(&mut self.values.borrow_mut()[i], Value::Scalar(f64::NAN))
    }

    /// Argument `i`, an instant vector (taken: ask once).
    pub fn vector(&self, i: usize) -> Result<Vec<VectorSample>> {
        match self.take(i) {
            Value::Vector(v) => Ok(v),
            _ => fail(&self.args[i].span, "expected an instant vector"),
        }
    }

    /// Argument `i`, a scalar.
    pub fn scalar(&self, i: usize) -> Result<f64> {
        match &self.values.borrow()[i] {
            Value::Scalar(v) => Ok(*v),
            _ => fail(&self.args[i].span, "expected a scalar"),
        }
    }

    /// Argument `i`, a string.
    pub fn string(&self, i: usize) -> Result<String> {
        match &self.values.borrow()[i] {
            Value::String(s) => Ok(s.clone()),
            _ => fail(&self.args[i].span, "expected a string"),
        }
    }
}

/// A family of functions: the value of `call`, or `None` if the family has
/// no function of that name.
type Family<'a> = fn(&Evaluator<'a>, Call<'_>) -> Result<Option<Value>>;

impl<'a> Evaluator<'a> {
    /// Evaluates the function `name` applied to `args` over `grid`.
    pub(super) fn call(&self, expr: &Expr, name: &str, args: &[Expr], grid: Grid) -> Result<Steps> {
        if let Some(steps) = self.range_function(expr, name, args, grid)? {
            return Ok(steps);
        }
        let mut arg = args.first();
        while let Some(Expr {
            kind: ExprKind::Paren(inner),
            ..
        }) = arg
        {
            arg = Some(inner);
        }
        if name == "timestamp"
            && let Some(Expr {
                kind: ExprKind::VectorSelector(vs),
                span,
            }) = arg
        {
            // The sample's own time, as selected (not the evaluation time).
            let mut series = self.vector_selector(span, vs, grid, true)?;
            for s in &mut series {
                s.labels = drop_name(&s.labels);
            }
            return merge_same_labels(&expr.span, series).map(Steps::Vector);
        }
        let values = args
            .iter()
            .map(|a| self.eval_steps(a, grid))
            .collect::<Result<Vec<Steps>>>()?;
        if let Some(steps) = self.classic_histogram_function(expr, name, &values)? {
            return Ok(steps);
        }
        let families: [Family<'a>; 5] = [
            Self::math_function,
            Self::time_function,
            Self::vector_function,
            Self::label_function,
            Self::histogram_function,
        ];
        self.per_step(
            &expr.span,
            grid,
            expr.value_type(),
            &values,
            |ts, values| {
                let values = RefCell::new(values);
                let call = Call {
                    expr,
                    name,
                    args,
                    ts,
                    values: &values,
                };
                for family in families {
                    if let Some(value) = family(self, call)? {
                        return Ok(value);
                    }
                }
                fail(
                    &expr.span,
                    format!("function {name}() is not supported yet"),
                )
            },
        )
    }
}
