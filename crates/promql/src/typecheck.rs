//! PromQL's type rules (Prometheus's `checkAST`), for any tree whose nodes
//! have a [`ValueType`] and a span: PromQL's own parser and LogQL's, whose
//! operators around range aggregations are PromQL's. A unary sign takes a
//! scalar or an instant vector, an aggregation takes an instant vector
//! (and its parameter's type), a function the number and types of
//! arguments it declares, and a binary operation scalars and instant
//! vectors, with `bool` on comparisons only, and set operators and vector
//! matching between vectors only. Each error points at the node it is
//! about.

use crate::ast::{AggOp, BinOp, ValueType};
use crate::functions::Function;
use crate::lexer::Span;
use o11y_model::diag::Diagnostic;

/// A node the rules can check: its type and where it is.
pub trait Typed {
    fn value_type(&self) -> ValueType;
    fn span(&self) -> Span;
}

type Result = std::result::Result<(), Diagnostic>;

fn error(span: Span, message: impl Into<String>) -> Result {
    Err(Diagnostic::at_span(span, message))
}

/// A unary sign over `operand`, the whole written at `span`.
pub fn unary(operand: &impl Typed, span: Span) -> Result {
    match operand.value_type() {
        ValueType::Scalar | ValueType::InstantVector => Ok(()),
        other => error(
            span,
            format!(
                "unary expression only allowed on expressions of type scalar or instant vector, got {}",
                other.name()
            ),
        ),
    }
}

/// The arguments of an aggregation (its parameter first, if it takes
/// one), the whole written at `span`.
pub fn aggregation(op: AggOp, args: &[impl Typed], span: Span) -> Result {
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
    let Some((expr, param)) = args.split_last() else {
        return error(span, "missing argument");
    };
    if expr.value_type() != ValueType::InstantVector {
        return error(
            expr.span(),
            format!(
                "expected type instant vector in aggregation expression, got {}",
                expr.value_type().name()
            ),
        );
    }
    if let (Some(p), Some(want)) = (param.last(), op.param_type())
        && p.value_type() != want
    {
        return error(
            p.span(),
            format!(
                "expected type {} in aggregation parameter, got {}",
                want.name(),
                p.value_type().name()
            ),
        );
    }
    Ok(())
}

/// A call of `func` with `args`, the whole written at `span`.
pub fn call(func: &Function, args: &[impl Typed], span: Span) -> Result {
    let declared = func.arg_types.len();
    let got = args.len();
    if func.variadic == 0 {
        if got != declared {
            return error(
                span,
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
                span,
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
                span,
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
                arg.span(),
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

/// A binary operation `op` (written at `op_span`, with `bool` at
/// `bool_span` if given, with vector matching if `matching`).
pub fn binary(
    op: BinOp,
    op_span: Span,
    bool_span: Option<Span>,
    matching: bool,
    lhs: &impl Typed,
    rhs: &impl Typed,
) -> Result {
    let (lt, rt) = (lhs.value_type(), rhs.value_type());
    for (side, t) in [(lhs.span(), lt), (rhs.span(), rt)] {
        if !matches!(t, ValueType::Scalar | ValueType::InstantVector) {
            return error(
                side,
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
    if matching && scalars {
        return error(
            op_span,
            "vector matching only allowed between instant vectors",
        );
    }
    Ok(())
}

impl Typed for crate::ast::Expr {
    fn value_type(&self) -> ValueType {
        crate::ast::Expr::value_type(self)
    }

    fn span(&self) -> Span {
        self.span.clone()
    }
}
