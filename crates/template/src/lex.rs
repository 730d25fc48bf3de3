//! Go's `text/template` lexer: the tokens inside one action (`{{ … }}`):
//! words, fields (`.a.b`), variables (`$x.a`), strings, numbers, `|`,
//! parentheses, `:=`, `=` and `,`.
//!
//! ```text
//! `$x := .Labels.job | printf "%s!"`
//!   → Var("x", []) Declare Field(["Labels", "job"]) Pipe Word("printf") Str("%s!")
//! ```

/// Tokens inside an action.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Tok {
    Word(String),
    Field(Vec<String>),
    Var(String, Vec<String>),
    Str(String),
    Num(String),
    Pipe,
    Open,
    Close(Vec<String>),
    Declare,
    Assign,
    Comma,
}

/// The tokens of one action's text (between `{{` and `}}`), or what is
/// wrong with it.
pub(crate) fn lex_action(src: &str) -> Result<Vec<Tok>, String> {
    let b = src.as_bytes();
    let mut i = 0;
    let mut out = Vec::new();
    let fields = |i: &mut usize| -> Vec<String> {
        let mut fs = Vec::new();
        while *i < b.len() && b[*i] == b'.' {
            let start = *i + 1;
            let mut j = start;
            while j < b.len() && (b[j].is_ascii_alphanumeric() || b[j] == b'_') {
                j += 1;
            }
            if j == start {
                break;
            }
            fs.push(src[start..j].to_string());
            *i = j;
        }
        fs
    };
    while i < b.len() {
        let c = b[i];
        match c {
            b' ' | b'\t' | b'\n' | b'\r' => i += 1,
            b'|' => {
                out.push(Tok::Pipe);
                i += 1
            }
            b'(' => {
                out.push(Tok::Open);
                i += 1
            }
            b')' => {
                i += 1;
                let fs = fields(&mut i);
                out.push(Tok::Close(fs));
            }
            b',' => {
                out.push(Tok::Comma);
                i += 1
            }
            b':' if b.get(i + 1) == Some(&b'=') => {
                out.push(Tok::Declare);
                i += 2
            }
            b'=' => {
                out.push(Tok::Assign);
                i += 1
            }
            b'"' => {
                let mut s = String::new();
                let mut j = i + 1;
                loop {
                    let Some(ch) = src[j..].chars().next() else {
                        return Err("unterminated quoted string".into());
                    };
                    j += ch.len_utf8();
                    match ch {
                        '"' => break,
                        '\\' => {
                            let Some(e) = src[j..].chars().next() else {
                                return Err("unterminated quoted string".into());
                            };
                            j += e.len_utf8();
                            s.push(match e {
                                'n' => '\n',
                                't' => '\t',
                                'r' => '\r',
                                '\\' => '\\',
                                '"' => '"',
                                '\'' => '\'',
                                _ => return Err(format!("unknown escape sequence \\{e}")),
                            });
                        }
                        '\n' => return Err("unterminated quoted string".into()),
                        c => s.push(c),
                    }
                }
                out.push(Tok::Str(s));
                i = j;
            }
            b'`' => {
                let Some(end) = src[i + 1..].find('`') else {
                    return Err("unterminated raw quoted string".into());
                };
                out.push(Tok::Str(src[i + 1..i + 1 + end].to_string()));
                i += end + 2;
            }
            b'.' => {
                let fs = fields(&mut i);
                if fs.is_empty() {
                    i += 1;
                }
                out.push(Tok::Field(fs));
            }
            b'$' => {
                let start = i + 1;
                let mut j = start;
                while j < b.len() && (b[j].is_ascii_alphanumeric() || b[j] == b'_') {
                    j += 1;
                }
                let name = src[start..j].to_string();
                i = j;
                let fs = fields(&mut i);
                out.push(Tok::Var(name, fs));
            }
            c if c.is_ascii_digit()
                || ((c == b'-' || c == b'+')
                    && b.get(i + 1)
                        .is_some_and(|d| d.is_ascii_digit() || *d == b'.')) =>
            {
                let start = i;
                i += 1;
                while i < b.len()
                    && (b[i].is_ascii_alphanumeric()
                        || b[i] == b'.'
                        || ((b[i] == b'-' || b[i] == b'+') && matches!(b[i - 1], b'e' | b'E')))
                {
                    i += 1;
                }
                out.push(Tok::Num(src[start..i].to_string()));
            }
            c if c.is_ascii_alphabetic() || c == b'_' => {
                let start = i;
                while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
                    i += 1;
                }
                out.push(Tok::Word(src[start..i].to_string()));
            }
            _ => {
                let ch = src[i..].chars().next().unwrap_or('?');
                return Err(format!("unexpected {ch:?} in command"));
            }
        }
    }
    Ok(out)
}
