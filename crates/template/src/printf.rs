//! Go's `fmt.Sprintf` for the verbs templates use (`%s %v %d %f %e %g %q
//! %x %X %t %%`, with flags, width and precision), and Go's `%g`
//! ([`go_g`]). LogQL's `printf` reads numbers from strings, as Loki's
//! labels are strings ([`sprintf_loose`]).
//!
//! ```
//! use o11y_template::{Value, sprintf};
//!
//! let args = [Value::Float(3.14159), Value::Str("x".into())];
//! assert_eq!(sprintf("%.2f|%-3s|", &args), "3.14|x  |");
//! ```

use std::fmt::Write as _;

use o11y_model::number::format_float;

use crate::value::{MAX_OUTPUT, Value};

/// Go's largest width or precision (`fmt`'s `tooLarge`).
const MAX_WIDTH: usize = 1_000_000;

/// Go's `fmt.Sprintf` for the verbs templates use: `%s %v %d %f %e %g %q
/// %x %X %t %%`, with flags, width and precision.
pub fn sprintf(format: &str, args: &[Value]) -> String {
    format_args_with(format, args, false)
}

/// [`sprintf`] as LogQL's `printf` runs: a string under a number verb
/// (`%d`, `%f`, `%e`, `%g`) is read as a number, or printed as it is when
/// it is not one.
pub(crate) fn sprintf_loose(format: &str, args: &[Value]) -> String {
    format_args_with(format, args, true)
}

fn format_args_with(format: &str, args: &[Value], loose: bool) -> String {
    let mut out = String::new();
    let mut next = 0;
    let mut chars = format.chars().peekable();
    while let Some(c) = chars.next() {
        if out.len() > MAX_OUTPUT {
            break;
        }
        if c != '%' {
            out.push(c);
            continue;
        }
        let mut flags = String::new();
        while let Some(&f) = chars.peek() {
            if "-+ 0#".contains(f) {
                flags.push(f);
                chars.next();
            } else {
                break;
            }
        }
        let mut width = String::new();
        while let Some(&d) = chars.peek().filter(|d| d.is_ascii_digit()) {
            width.push(d);
            chars.next();
        }
        let mut precision = None;
        if chars.peek() == Some(&'.') {
            chars.next();
            let mut p = String::new();
            while let Some(&d) = chars.peek().filter(|d| d.is_ascii_digit()) {
                p.push(d);
                chars.next();
            }
            precision = Some(if p.is_empty() {
                0
            } else {
                p.parse::<usize>().unwrap_or(usize::MAX)
            });
        }
        let width = width
            .parse::<usize>()
            .unwrap_or(if width.is_empty() { 0 } else { usize::MAX });
        // Go gives up on the rest of the format at a width or precision over 1e6.
        if width > MAX_WIDTH || precision.is_some_and(|p| p > MAX_WIDTH) {
            out.push_str("%!(NOVERB)");
            break;
        }
        let Some(verb) = chars.next() else {
            out.push_str("%!(NOVERB)");
            break;
        };
        if verb == '%' {
            out.push('%');
            continue;
        }
        let Some(arg) = args.get(next) else {
            let _ = write!(out, "%!{verb}(MISSING)");
            continue;
        };
        next += 1;
        let number;
        let (verb, arg) = match arg {
            Value::Str(s) if loose && matches!(verb, 'd' | 'f' | 'F' | 'e' | 'g') => {
                match s.parse::<f64>() {
                    Ok(v) if verb == 'd' => {
                        number = Value::Int(v.trunc() as i64);
                        (verb, &number)
                    }
                    Ok(v) => {
                        number = Value::Float(v);
                        (verb, &number)
                    }
                    Err(_) => ('s', arg),
                }
            }
            _ => (verb, arg),
        };
        let body = match (verb, arg) {
            ('s' | 'v', v) => {
                let s = v.print();
                match precision {
                    Some(p) if verb == 's' => s.chars().take(p).collect(),
                    _ => s,
                }
            }
            ('q', Value::Str(s)) => format!("{s:?}"),
            ('t', Value::Bool(b)) => b.to_string(),
            ('d', Value::Int(i)) => i.to_string(),
            ('x', Value::Int(i)) => format!("{i:x}"),
            ('X', Value::Int(i)) => format!("{i:X}"),
            ('x', Value::Str(s)) => s.bytes().map(|b| format!("{b:02x}")).collect(),
            ('f' | 'F' | 'e' | 'g', v @ (Value::Float(_) | Value::Int(_)))
                if !matches!((verb, v), ('d', _)) =>
            {
                let f = v.to_float().unwrap_or(f64::NAN);
                if !f.is_finite() {
                    go_g(f, 1)
                } else {
                    match verb {
                        'f' | 'F' => format!("{f:.*}", precision.unwrap_or(6)),
                        'e' => {
                            let s = format!("{f:.*e}", precision.unwrap_or(6));
                            let (m, e) = s.split_once('e').unwrap_or((&s, "0"));
                            let e: i32 = e.parse().unwrap_or(0);
                            format!("{m}e{}{:02}", if e < 0 { '-' } else { '+' }, e.abs())
                        }
                        _ => match precision {
                            Some(p) => go_g(f, p),
                            None => format_float(f),
                        },
                    }
                }
            }
            (verb, v) => format!("%!{verb}({}={})", v.kind(), v.print()),
        };
        let body = if flags.contains('+')
            && matches!(arg, Value::Int(_) | Value::Float(_))
            && !body.starts_with('-')
        {
            format!("+{body}")
        } else {
            body
        };
        let len = body.chars().count();
        if len < width {
            let pad = width - len;
            if flags.contains('-') {
                out.push_str(&body);
                out.extend(std::iter::repeat_n(' ', pad));
            } else if flags.contains('0') && matches!(arg, Value::Int(_) | Value::Float(_)) {
                let (sign, digits) = body.split_at(usize::from(body.starts_with(['-', '+'])));
                out.push_str(sign);
                out.extend(std::iter::repeat_n('0', pad));
                out.push_str(digits);
            } else {
                out.extend(std::iter::repeat_n(' ', pad));
                out.push_str(&body);
            }
        } else {
            out.push_str(&body);
        }
    }
    if next < args.len() {
        out.push_str("%!(EXTRA ");
        let extra: Vec<String> = args[next..]
            .iter()
            .map(|v| format!("{}={}", v.kind(), v.print()))
            .collect();
        out.push_str(&extra.join(", "));
        out.push(')');
    }
    out
}

/// Go's `%.{prec}g`.
pub fn go_g(v: f64, prec: usize) -> String {
    if v.is_nan() {
        return "NaN".into();
    }
    if v.is_infinite() {
        return if v > 0.0 {
            "+Inf".into()
        } else {
            "-Inf".into()
        };
    }
    if v == 0.0 {
        return if v.is_sign_negative() {
            "-0".into()
        } else {
            "0".into()
        };
    }
    let prec = prec.max(1);
    // Round to `prec` significant digits, then choose fixed or exponent form.
    let sci = format!("{:.*e}", prec - 1, v);
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    if exp < -4 || exp >= prec as i32 {
        let m = trim_zeros(mantissa);
        format!("{m}e{}{:02}", if exp < 0 { '-' } else { '+' }, exp.abs())
    } else {
        let decimals = (prec as i32 - 1 - exp).max(0) as usize;
        trim_zeros(&format!("{v:.decimals$}")).to_string()
    }
}

fn trim_zeros(s: &str) -> &str {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.')
    } else {
        s
    }
}
