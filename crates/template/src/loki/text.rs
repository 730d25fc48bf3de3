//! Loki's string functions: case, trimming, replacing, cutting and
//! padding, regular expressions, URL and base64 coding, `default` and
//! `printf`.
//!
//! ```text
//! {{ .path | trimPrefix "/" | trunc 5 | upper }}   /api/users → API/U
//! {{ alignRight 5 .level }}                        info → " info"
//! ```

use super::{at_least, int_of, last_text, need, text_of};
use crate::builtins::query_escape;
use crate::error::{CallError, want};
use crate::printf::sprintf_loose;
use crate::value::{MAX_OUTPUT, Value};

/// Calls the string function `f`; `None` when `f` is not one.
pub(super) fn call(f: &str, a: &[Value]) -> Result<Option<Value>, CallError> {
    let t = |i: usize| text_of(&a[i]);
    let fail = |m: String| CallError::Failed(m);
    let text = match f {
        // As this playground always ran them: the last argument (what a
        // pipeline passes), and no complaint about the count.
        "ToUpper" | "toUpper" | "upper" => last_text(a).to_uppercase(),
        "ToLower" | "toLower" | "lower" => last_text(a).to_lowercase(),
        "title" | "Title" => title(&last_text(a)),
        "TrimSpace" | "trimSpace" | "trim" => last_text(a).trim().to_string(),
        // Go's `strings.TrimPrefix(s, prefix)` takes the text first; sprig's
        // `trimPrefix prefix s` takes it last, so a pipeline can pass it.
        "TrimPrefix" | "trimPrefix" | "TrimSuffix" | "trimSuffix" => {
            need(f, a, 2)?;
            let (s, affix) = if f.starts_with('T') {
                (t(0), t(1))
            } else {
                (t(1), t(0))
            };
            let trimmed = if f.ends_with("Prefix") {
                s.strip_prefix(affix.as_str())
            } else {
                s.strip_suffix(affix.as_str())
            };
            trimmed.unwrap_or(&s).to_string()
        }
        // Go's `strings.Replace(s, old, new, n)`.
        "Replace" if a.len() == 4 => {
            let n = int_of(&a[3]);
            let count = usize::try_from(n).unwrap_or(usize::MAX);
            bounded(t(0).replacen(t(1).as_str(), &t(2), count))?
        }
        // Sprig's `replace old new s`.
        "replace" | "Replace" => {
            need(f, a, 3)?;
            bounded(t(2).replace(t(0).as_str(), &t(1)))?
        }
        "Trim" | "TrimLeft" | "TrimRight" | "trimAll" => {
            want(f, a, 2)?;
            // Go's `strings.Trim(s, cutset)`; sprig's `trimAll` takes the cutset first.
            let (s, cutset) = if f == "trimAll" {
                (t(1), t(0))
            } else {
                (t(0), t(1))
            };
            let cut = |c: char| cutset.contains(c);
            match f {
                "TrimLeft" => s.trim_start_matches(cut).to_string(),
                "TrimRight" => s.trim_end_matches(cut).to_string(),
                _ => s.trim_matches(cut).to_string(),
            }
        }
        "trunc" => {
            need(f, a, 2)?;
            let n = int_of(&a[0]);
            let chars: Vec<char> = t(1).chars().collect();
            if n >= 0 {
                chars.iter().take(n as usize).collect()
            } else {
                chars[chars.len().saturating_sub(n.unsigned_abs() as usize)..]
                    .iter()
                    .collect()
            }
        }
        "substr" => {
            need(f, a, 3)?;
            let chars: Vec<char> = t(2).chars().collect();
            let index = |v: &Value| usize::try_from(int_of(v)).ok();
            let start = index(&a[0]).unwrap_or(0).min(chars.len());
            let end = index(&a[1])
                .unwrap_or(chars.len())
                .clamp(start, chars.len());
            chars[start..end].iter().collect()
        }
        "alignLeft" | "alignRight" => {
            want(f, a, 2)?;
            align(int_of(&a[0]), &t(1), f == "alignLeft")?
        }
        "indent" | "nindent" => {
            want(f, a, 2)?;
            let spaces = usize::try_from(int_of(&a[0])).unwrap_or(0);
            let s = t(1);
            if spaces.saturating_mul(s.matches('\n').count() + 1) > MAX_OUTPUT {
                return Err(too_large());
            }
            let pad = " ".repeat(spaces);
            let body = format!("{pad}{}", s.replace('\n', &format!("\n{pad}")));
            if f == "nindent" {
                format!("\n{body}")
            } else {
                body
            }
        }
        "repeat" => {
            want(f, a, 2)?;
            let s = t(1);
            let Ok(n) = usize::try_from(int_of(&a[0])) else {
                return Err(fail("strings: negative Repeat count".into()));
            };
            if n.saturating_mul(s.len()) > MAX_OUTPUT {
                return Err(too_large());
            }
            s.repeat(n)
        }
        "contains" | "hasPrefix" | "hasSuffix" => {
            need(f, a, 2)?;
            let (needle, s) = (t(0), t(1));
            return Ok(Some(Value::Bool(match f {
                "contains" => s.contains(needle.as_str()),
                "hasPrefix" => s.starts_with(needle.as_str()),
                _ => s.ends_with(needle.as_str()),
            })));
        }
        "regexReplaceAll" | "regexReplaceAllLiteral" => {
            need(f, a, 3)?;
            // Loki's `func(regex, s, repl string)`: the text second.
            let re = regex::Regex::new(&t(0)).map_err(|e| fail(e.to_string()))?;
            let (text, with) = (t(1), t(2));
            let out = if f == "regexReplaceAll" {
                re.replace_all(&text, with.as_str()).into_owned()
            } else {
                re.replace_all(&text, regex::NoExpand(&with)).into_owned()
            };
            bounded(out)?
        }
        "count" => {
            want(f, a, 2)?;
            let re = regex::Regex::new(&t(0)).map_err(|e| fail(e.to_string()))?;
            let n = re.find_iter(&t(1)).count();
            return Ok(Some(Value::Int(n as i64)));
        }
        "urlencode" => {
            want(f, a, 1)?;
            query_escape(&t(0))
        }
        "urldecode" => {
            want(f, a, 1)?;
            query_unescape(&t(0)).map_err(fail)?
        }
        "b64enc" => {
            want(f, a, 1)?;
            base64_encode(t(0).as_bytes())
        }
        "b64dec" => {
            want(f, a, 1)?;
            // Loki pads what lacks `=`, and returns a failure as the text.
            let mut s = t(0);
            if matches!(s.len() % 4, 2 | 3) {
                s.extend(std::iter::repeat_n('=', 4 - s.len() % 4));
            }
            match base64_decode(&s) {
                Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
                Err(e) => e,
            }
        }
        "default" => {
            at_least(f, a, 1)?;
            let v = match a.get(1) {
                Some(v) if v.truthy() => v.clone(),
                _ => a[0].clone(),
            };
            return Ok(Some(v));
        }
        "printf" => {
            at_least(f, a, 1)?;
            sprintf_loose(&t(0), &a[1..])
        }
        _ => return Ok(None),
    };
    Ok(Some(Value::Str(text)))
}

fn too_large() -> CallError {
    CallError::Failed("the result is too large".into())
}

fn bounded(s: String) -> Result<String, CallError> {
    if s.len() > MAX_OUTPUT {
        return Err(too_large());
    }
    Ok(s)
}

/// The first letter of each space-separated word in upper case.
fn title(s: &str) -> String {
    s.split(' ')
        .map(|w| {
            let mut c = w.chars();
            c.next().map_or(String::new(), |f| {
                f.to_uppercase().collect::<String>() + c.as_str()
            })
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Loki's `alignLeft`/`alignRight`: pads with spaces or cuts to `count`
/// characters.
fn align(count: i64, s: &str, left: bool) -> Result<String, CallError> {
    let chars: Vec<char> = s.chars().collect();
    let Ok(count) = usize::try_from(count) else {
        return Ok(s.to_string());
    };
    if count > MAX_OUTPUT {
        return Err(too_large());
    }
    let len = chars.len();
    Ok(if count >= len {
        let pad = " ".repeat(count - len);
        if left {
            format!("{s}{pad}")
        } else {
            format!("{pad}{s}")
        }
    } else if left {
        chars[..count].iter().collect()
    } else {
        chars[len - count..].iter().collect()
    })
}

/// Go's `url.QueryUnescape`.
fn query_unescape(s: &str) -> Result<String, String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = s
                    .get(i + 1..i + 3)
                    .and_then(|h| u8::from_str_radix(h, 16).ok());
                let Some(byte) = hex.filter(|_| b[i + 1].is_ascii_hexdigit()) else {
                    let bad: String = s[i..].chars().take(3).collect();
                    return Err(format!("invalid URL escape {bad:?}"));
                };
                out.push(byte);
                i += 2;
            }
            c => out.push(c),
        }
        i += 1;
    }
    Ok(String::from_utf8_lossy(&out).into_owned())
}

const BASE64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Standard base64 with padding (Go's `base64.StdEncoding`).
fn base64_encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, &b)| n | u32::from(b) << (16 - 8 * i));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(BASE64[(n >> (18 - 6 * i) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Standard base64 with padding; Go's error text on bad input.
fn base64_decode(s: &str) -> Result<Vec<u8>, String> {
    let bad = |at: usize| format!("illegal base64 data at input byte {at}");
    let input: Vec<(usize, u8)> = s
        .bytes()
        .enumerate()
        .filter(|(_, b)| *b != b'\r' && *b != b'\n')
        .collect();
    let mut out = Vec::with_capacity(input.len() / 4 * 3);
    let quanta = input.chunks(4).count();
    for (q, chunk) in input.chunks(4).enumerate() {
        let mut n = 0u32;
        let mut used = 0;
        for (k, &(at, b)) in chunk.iter().enumerate() {
            if b == b'=' {
                let rest_padding = chunk[k..].iter().all(|(_, c)| *c == b'=');
                if k < 2 || q + 1 != quanta || chunk.len() != 4 || !rest_padding {
                    return Err(bad(at));
                }
                break;
            }
            let Some(v) = BASE64.iter().position(|&c| c == b) else {
                return Err(bad(at));
            };
            n |= (v as u32) << (18 - 6 * k);
            used += 1;
        }
        if used < 4 && chunk.len() == used {
            // A quantum cut short without padding.
            return Err(bad(s.len()));
        }
        for i in 0..used.saturating_sub(1) {
            out.push((n >> (16 - 8 * i)) as u8);
        }
    }
    Ok(out)
}
