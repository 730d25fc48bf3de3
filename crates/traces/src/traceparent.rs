//! W3C Trace Context's `traceparent` header value:
//! `{version}-{trace-id}-{parent-id}-{trace-flags}`, parsed and formatted
//! as the Recommendation (level 1, with level 2's forward compatibility)
//! says: lowercase hex, ids not all zero, version `ff` invalid, and for a
//! version above `00` anything after the flags that starts with `-`.
//!
//! ```
//! use o11y_traces::TraceParent;
//!
//! let tp: TraceParent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01".parse().unwrap();
//! assert!(tp.sampled());
//! assert_eq!(tp.to_string(), "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
//! ```

use std::fmt;
use std::str::FromStr;

use super::model::{SpanId, TraceId};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TraceParent {
    pub version: u8,
    pub trace_id: TraceId,
    pub parent_id: SpanId,
    pub flags: u8,
}

/// Why a `traceparent` value is invalid.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("invalid traceparent: {0}")]
pub struct TraceParentError(pub &'static str);

impl TraceParent {
    pub fn new(trace_id: TraceId, parent_id: SpanId, sampled: bool) -> TraceParent {
        TraceParent {
            version: 0,
            trace_id,
            parent_id,
            flags: u8::from(sampled),
        }
    }

    pub fn sampled(&self) -> bool {
        self.flags & 1 == 1
    }
}

fn lower_hex(text: &str) -> bool {
    text.bytes()
        .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

impl FromStr for TraceParent {
    type Err = TraceParentError;

    fn from_str(value: &str) -> Result<TraceParent, TraceParentError> {
        let value = value.trim_matches([' ', '\t']);
        if value.len() < 55 {
            return Err(TraceParentError("too short"));
        }
        let b = value.as_bytes();
        if b[2] != b'-' || b[35] != b'-' || b[52] != b'-' {
            return Err(TraceParentError("fields must be separated by '-'"));
        }
        let (version, trace, parent, flags) =
            (&value[..2], &value[3..35], &value[36..52], &value[53..55]);
        for field in [version, trace, parent, flags] {
            if !lower_hex(field) {
                return Err(TraceParentError("fields must be lowercase hex"));
            }
        }
        let version =
            u8::from_str_radix(version, 16).map_err(|_| TraceParentError("bad version"))?;
        if version == 0xff {
            return Err(TraceParentError("version ff is invalid"));
        }
        if version == 0 && value.len() != 55 {
            return Err(TraceParentError("version 00 has exactly four fields"));
        }
        if value.len() > 55 && b[55] != b'-' {
            return Err(TraceParentError(
                "a later version's extra fields start with '-'",
            ));
        }
        let trace_id = TraceId::from_hex(trace).ok_or(TraceParentError("bad trace-id"))?;
        if !trace_id.is_valid() {
            return Err(TraceParentError("trace-id is all zeros"));
        }
        let parent_id = SpanId::from_hex(parent).ok_or(TraceParentError("bad parent-id"))?;
        if !parent_id.is_valid() {
            return Err(TraceParentError("parent-id is all zeros"));
        }
        let flags =
            u8::from_str_radix(flags, 16).map_err(|_| TraceParentError("bad trace-flags"))?;
        Ok(TraceParent {
            version,
            trace_id,
            parent_id,
            flags,
        })
    }
}

impl fmt::Display for TraceParent {
    /// Always version 00, as a tracer that speaks version 00 sends.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "00-{}-{}-{:02x}",
            self.trace_id, self.parent_id, self.flags
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_specifications_examples() {
        let ok = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
        let tp: TraceParent = ok.parse().unwrap();
        assert_eq!(tp.to_string(), ok);
        let unsampled: TraceParent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00"
            .parse()
            .unwrap();
        assert!(!unsampled.sampled());
        // A later version may add fields; it is read as version 00.
        let future: TraceParent =
            "cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-what-the-future-holds"
                .parse()
                .unwrap();
        assert_eq!(future.to_string(), ok);
        for bad in [
            "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
            "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
            "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra",
            "cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01.extra",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7",
            "00_4bf92f3577b34da6a3ce929d0e0e4736_00f067aa0ba902b7_01",
            "0g-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "",
        ] {
            assert!(bad.parse::<TraceParent>().is_err(), "{bad}");
        }
    }
}
