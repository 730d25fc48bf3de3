//! A JSON object scanner for the `json` stage: visits every scalar field
//! with its flattened name (`request.headers.User-Agent` →
//! `request_headers_User_Agent`, as Loki names them) without building a
//! document. Arrays are skipped, as Loki's `json` does without parameters.
//! The visitor is asked whether it wants a field before its value is
//! copied, so a query that needs two fields copies two.

use std::borrow::Cow;

struct Scanner<'a> {
    s: &'a str,
    b: &'a [u8],
    i: usize,
}

/// Why a line is not a JSON object.
pub type ScanError = &'static str;

/// Copies a field's value out when called.
pub type ValueFn<'a, 'v> = dyn FnMut() -> Result<Cow<'a, str>, ScanError> + 'v;

/// Called with each scalar field's flattened name and a way to get its value.
pub type Visitor<'a, 'f> = dyn FnMut(&str, &mut ValueFn<'a, '_>) -> Result<(), ScanError> + 'f;

impl<'a> Scanner<'a> {
    fn ws(&mut self) {
        while self.i < self.b.len() && matches!(self.b[self.i], b' ' | b'\t' | b'\n' | b'\r') {
            self.i += 1;
        }
    }

    /// A string at `i` (at its quote): its raw contents and whether it has escapes.
    fn string(&mut self) -> Result<(usize, usize, bool), ScanError> {
        if self.b.get(self.i) != Some(&b'"') {
            return Err("expected a string");
        }
        self.i += 1;
        let start = self.i;
        let mut escaped = false;
        while self.i < self.b.len() {
            match self.b[self.i] {
                b'"' => {
                    let end = self.i;
                    self.i += 1;
                    return Ok((start, end, escaped));
                }
                b'\\' => {
                    escaped = true;
                    self.i += 2;
                }
                _ => self.i += 1,
            }
        }
        Err("a string is not closed")
    }

    fn text(&self, (start, end, escaped): (usize, usize, bool)) -> Result<Cow<'a, str>, ScanError> {
        if !escaped {
            return Ok(Cow::Borrowed(&self.s[start..end]));
        }
        serde_json::from_str::<String>(&self.s[start - 1..end + 1])
            .map(Cow::Owned)
            .map_err(|_| "a bad escape in a string")
    }

    fn skip_value(&mut self) -> Result<(), ScanError> {
        self.ws();
        match self.b.get(self.i) {
            Some(b'"') => self.string().map(|_| ()),
            Some(b'{') | Some(b'[') => {
                let mut depth = 0usize;
                while self.i < self.b.len() {
                    match self.b[self.i] {
                        b'"' => {
                            self.string()?;
                            continue;
                        }
                        b'{' | b'[' => depth += 1,
                        b'}' | b']' => {
                            depth -= 1;
                            if depth == 0 {
                                self.i += 1;
                                return Ok(());
                            }
                        }
                        _ => {}
                    }
                    self.i += 1;
                }
                Err("an object or array is not closed")
            }
            Some(_) => self.scalar().map(|_| ()),
            None => Err("expected a value"),
        }
    }

    /// A number, `true`, `false` or `null`.
    fn scalar(&mut self) -> Result<&'a str, ScanError> {
        let start = self.i;
        while self.i < self.b.len()
            && !matches!(
                self.b[self.i],
                b',' | b'}' | b']' | b' ' | b'\t' | b'\n' | b'\r'
            )
        {
            self.i += 1;
        }
        let token = &self.s[start..self.i];
        let ok = matches!(token, "true" | "false" | "null")
            || (!token.is_empty() && token.parse::<f64>().is_ok());
        if ok {
            Ok(token)
        } else {
            Err("expected a value")
        }
    }

    fn object(&mut self, key: &mut String, visit: &mut Visitor<'a, '_>) -> Result<(), ScanError> {
        self.i += 1; // '{'
        self.ws();
        if self.b.get(self.i) == Some(&b'}') {
            self.i += 1;
            return Ok(());
        }
        loop {
            self.ws();
            let name = self.string()?;
            self.ws();
            if self.b.get(self.i) != Some(&b':') {
                return Err("expected ':'");
            }
            self.i += 1;
            self.ws();
            let before = key.len();
            if before > 0 {
                key.push('_');
            }
            let name = self.text(name)?;
            for c in name.chars() {
                key.push(if c.is_ascii_alphanumeric() || c == '_' {
                    c
                } else {
                    '_'
                });
            }
            match self.b.get(self.i) {
                Some(b'{') => self.object(key, visit)?,
                Some(b'[') => self.skip_value()?,
                Some(b'"') => {
                    let span = self.string()?;
                    let this = &*self;
                    visit(key, &mut || this.text(span))?;
                }
                Some(_) => {
                    let token = self.scalar()?;
                    if token != "null" {
                        visit(key, &mut || Ok(Cow::Borrowed(token)))?;
                    }
                }
                None => return Err("expected a value"),
            }
            key.truncate(before);
            self.ws();
            match self.b.get(self.i) {
                Some(b',') => self.i += 1,
                Some(b'}') => {
                    self.i += 1;
                    return Ok(());
                }
                _ => return Err("expected ',' or '}'"),
            }
        }
    }
}

/// Visits the scalar fields of a JSON object line: `visit(name, value)`,
/// where calling `value()` copies the value out (only if wanted).
pub fn scan<'a>(line: &'a str, visit: &mut Visitor<'a, '_>) -> Result<(), ScanError> {
    let mut s = Scanner {
        s: line,
        b: line.as_bytes(),
        i: 0,
    };
    s.ws();
    if s.b.get(s.i) != Some(&b'{') {
        return Err("the line is not a JSON object");
    }
    let mut key = String::new();
    s.object(&mut key, visit)?;
    s.ws();
    if s.i != s.b.len() {
        return Err("text after the JSON object");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(line: &str) -> Result<Vec<(String, String)>, ScanError> {
        let mut out = Vec::new();
        scan(line, &mut |k, v| {
            out.push((k.to_string(), v()?.into_owned()));
            Ok(())
        })?;
        Ok(out)
    }

    #[test]
    fn flattens_like_lokis_json_parser() {
        let line = r#"{"a":1,"b":{"c":"x\"y","d.e":true,"n":null},"arr":[1,{"z":2}],"s":"é"}"#;
        assert_eq!(
            all(line).unwrap(),
            [
                ("a".to_string(), "1".to_string()),
                ("b_c".to_string(), "x\"y".to_string()),
                ("b_d_e".to_string(), "true".to_string()),
                ("s".to_string(), "é".to_string()),
            ]
        );
        for bad in [
            "",
            "[1]",
            "{",
            r#"{"a":}"#,
            r#"{"a":1} x"#,
            r#"{"a":tru}"#,
            r#"{"a":"x}"#,
            r#"{"a" 1}"#,
        ] {
            assert!(all(bad).is_err(), "{bad}");
        }
        // A realistic line, fields in document order.
        let line = r#"{"timestamp":"2024-01-01T00:00:00Z","level":"error","http":{"status":500,"path":"/a/b"},"tags":["x"],"ok":false}"#;
        let names: Vec<String> = all(line).unwrap().into_iter().map(|(k, _)| k).collect();
        assert_eq!(
            names,
            ["timestamp", "level", "http_status", "http_path", "ok"]
        );
    }
}
