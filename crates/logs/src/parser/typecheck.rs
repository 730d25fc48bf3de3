//! The nodes of a sample expression, built by PromQL's type rules (its
//! `checkAST`): a range aggregation is an instant vector, an aggregation
//! takes one, `bool` goes on comparisons, set operators and vector
//! matching are between vectors, a function gets the number and types of
//! arguments it declares. Each error points at the node it is about.
//!
//! ```text
//! sum(1)          → expected type instant vector in aggregation expression, got scalar
//! 1 > 2           → comparisons between scalars must use BOOL modifier
//! ```

use super::ast::{
    AggOp, BinOp, BinaryExpr, Grouping, SampleExpr, SampleKind, UnaryOp, VectorAgg, VectorMatching,
};
use super::lexer::{LogqlError, Span, error};
use o11y_promql::ast::ValueType;
use o11y_promql::functions::Function;

type Result<T> = std::result::Result<T, LogqlError>;

/// A unary sign on `operand`, written at `sign_start`; on a number literal,
/// that number.
pub(super) fn unary(op: UnaryOp, sign_start: usize, operand: SampleExpr) -> Result<SampleExpr> {
    let span = sign_start..operand.span.end;
    match operand.value_type() {
        ValueType::Scalar | ValueType::InstantVector => {}
        other => {
            return error(
                span,
                format!(
                    "unary expression only allowed on expressions of type scalar or instant vector, got {}",
                    other.name()
                ),
            );
        }
    }
    // A signed number literal is that number, as in PromQL.
    let kind = match (operand.kind, op) {
        (SampleKind::Number(v), UnaryOp::Minus) => SampleKind::Number(-v),
        (SampleKind::Number(v), UnaryOp::Plus) => SampleKind::Number(v),
        (kind, op) => SampleKind::Unary {
            op,
            expr: Box::new(SampleExpr {
                kind,
                span: operand.span,
            }),
        },
    };
    Ok(SampleExpr { kind, span })
}

/// A vector aggregation of `args` (its parameter first, if it takes one).
pub(super) fn aggregation(
    op: AggOp,
    mut args: Vec<SampleExpr>,
    grouping: Option<Grouping>,
    span: Span,
) -> Result<SampleExpr> {
    let expected = if op.param_type().is_some() { 2 } else { 1 };
    if args.len() != expected {
        return error(
            span,
            format!(
                "wrong number of arguments for aggregate expression provided, expected {expected}, got {}",
                args.len()
            ),
        );
    }
    let Some(expr) = args.pop() else {
        return error(span, "missing argument");
    };
    let param = args.pop();
    if expr.value_type() != ValueType::InstantVector {
        return error(
            expr.span.clone(),
            format!(
                "expected type instant vector in aggregation expression, got {}",
                expr.value_type().name()
            ),
        );
    }
    if let (Some(p), Some(want)) = (&param, op.param_type())
        && p.value_type() != want
    {
        return error(
            p.span.clone(),
            format!(
                "expected type {} in aggregation parameter, got {}",
                want.name(),
                p.value_type().name()
            ),
        );
    }
    let agg = VectorAgg {
        op,
        expr,
        param,
        grouping,
    };
    Ok(SampleExpr {
        kind: SampleKind::Vector(Box::new(agg)),
        span,
    })
}

/// A call of `func` with `args`.
pub(super) fn call(
    func: &'static Function,
    args: Vec<SampleExpr>,
    span: Span,
) -> Result<SampleExpr> {
    check_call(func, &args, &span)?;
    Ok(SampleExpr {
        kind: SampleKind::Call { func, args },
        span,
    })
}

/// A function's arguments, by number and type, as PromQL checks them.
fn check_call(func: &Function, args: &[SampleExpr], span: &Span) -> Result<()> {
    let declared = func.arg_types.len();
    let got = args.len();
    if func.variadic == 0 {
        if got != declared {
            return error(
                span.clone(),
                format!(
                    "expected {declared} argument(s) in call to {:?}, got {got}",
                    func.name
                ),
            );
        }
    } else {
        let min = declared.saturating_sub(1);
        if got < min {
            return error(
                span.clone(),
                format!(
                    "expected at least {min} argument(s) in call to {:?}, got {got}",
                    func.name
                ),
            );
        }
        // A negative `variadic` means any number of further arguments.
        let max = usize::try_from(func.variadic).map_or(usize::MAX, |more| min + more);
        if got > max {
            return error(
                span.clone(),
                format!(
                    "expected at most {max} argument(s) in call to {:?}, got {got}",
                    func.name
                ),
            );
        }
    }
    for (i, arg) in args.iter().enumerate() {
        let want = func.arg_types[i.min(declared.saturating_sub(1))];
        if arg.value_type() != want {
            return error(
                arg.span.clone(),
                format!(
                    "expected type {} in call to function {:?}, got {}",
                    want.name(),
                    func.name,
                    arg.value_type().name()
                ),
            );
        }
    }
    Ok(())
}

/// A binary operation.
pub(super) fn binary(
    op: BinOp,
    op_span: Span,
    bool_span: Option<Span>,
    matching: Option<VectorMatching>,
    lhs: SampleExpr,
    rhs: SampleExpr,
) -> Result<SampleExpr> {
    let span = lhs.span.start..rhs.span.end;
    let (lt, rt) = (lhs.value_type(), rhs.value_type());
    for (side, t) in [(&lhs, lt), (&rhs, rt)] {
        if !matches!(t, ValueType::Scalar | ValueType::InstantVector) {
            return error(
                side.span.clone(),
                format!(
                    "binary expression must contain only scalar and instant vector types, got {}",
                    t.name()
                ),
            );
        }
    }
    if let Some(b) = &bool_span
        && !op.is_comparison()
    {
        return error(
            b.clone(),
            "bool modifier can only be used on comparison operators",
        );
    }
    let scalars = lt == ValueType::Scalar || rt == ValueType::Scalar;
    if op.is_comparison()
        && lt == ValueType::Scalar
        && rt == ValueType::Scalar
        && bool_span.is_none()
    {
        return error(
            op_span,
            "comparisons between scalars must use BOOL modifier",
        );
    }
    if op.is_set() && scalars {
        return error(
            op_span,
            format!(
                "set operator {:?} not allowed in binary scalar expression",
                op.symbol()
            ),
        );
    }
    if matching.is_some() && scalars {
        return error(
            op_span,
            "vector matching only allowed between instant vectors",
        );
    }
    let binary = BinaryExpr {
        op,
        lhs,
        rhs,
        return_bool: bool_span.is_some(),
        matching,
    };
    Ok(SampleExpr {
        kind: SampleKind::Binary(Box::new(binary)),
        span,
    })
}
