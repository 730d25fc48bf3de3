//! The nodes of a sample expression, built by PromQL's type rules
//! (`o11y_promql::typecheck`, its `checkAST`): a range aggregation is an
//! instant vector, an aggregation takes one, `bool` goes on comparisons,
//! set operators and vector matching are between vectors, a function gets
//! the number and types of arguments it declares. Each error points at the
//! node it is about.
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
use o11y_promql::typecheck::{self, Typed};

type Result<T> = std::result::Result<T, LogqlError>;

/// A unary sign on `operand`, written at `sign_start`; on a number literal,
/// that number.
pub(super) fn unary(op: UnaryOp, sign_start: usize, operand: SampleExpr) -> Result<SampleExpr> {
    let span = sign_start..operand.span.end;
    typecheck::unary(&operand, span.clone())?;
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
    typecheck::aggregation(op, &args, span.clone())?;
    let Some(expr) = args.pop() else {
        return error(span, "missing argument");
    };
    let param = args.pop();
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
    typecheck::call(func, &args, span.clone())?;
    Ok(SampleExpr {
        kind: SampleKind::Call { func, args },
        span,
    })
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
    typecheck::binary(
        op,
        op_span,
        bool_span.clone(),
        matching.is_some(),
        &lhs,
        &rhs,
    )?;
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

impl Typed for SampleExpr {
    fn value_type(&self) -> ValueType {
        SampleExpr::value_type(self)
    }

    fn span(&self) -> Span {
        self.span.clone()
    }
}
