//! Text carried in a URL fragment: deflated, then base64url, as share
//! links carry workspaces (`#/share/…`) and lessons (`#/lesson/…`).

/// Longest fragment payload offered (browsers and chat tools cut longer
/// URLs).
pub const MAX_LINK_CHARS: usize = 32_000;

/// Why a link's payload could not be made or read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum LinkError {
    #[error("the link is damaged: {0}")]
    Damaged(String),
    #[error(
        "it is {0} characters as a link; at most {MAX_LINK_CHARS} fit. Export it as a file instead."
    )]
    TooBig(usize),
}

/// `text` deflated and in base64url, or too big for a link.
pub fn pack(text: &[u8]) -> Result<String, LinkError> {
    use base64::Engine;
    let packed = miniz_oxide::deflate::compress_to_vec(text, 9);
    let out = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(packed);
    if out.len() > MAX_LINK_CHARS {
        return Err(LinkError::TooBig(out.len()));
    }
    Ok(out)
}

/// The text a payload carries; a small payload cannot inflate past 16 MB.
pub fn unpack(payload: &str) -> Result<String, LinkError> {
    use base64::Engine;
    if payload.len() > 4 * MAX_LINK_CHARS {
        return Err(LinkError::TooBig(payload.len()));
    }
    let packed = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim())
        .map_err(|e| LinkError::Damaged(e.to_string()))?;
    let bytes = miniz_oxide::inflate::decompress_to_vec_with_limit(&packed, 16 * 1024 * 1024)
        .map_err(|e| LinkError::Damaged(format!("{e:?}")))?;
    String::from_utf8(bytes).map_err(|e| LinkError::Damaged(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_damage() {
        let text = "groups: []\n".repeat(50);
        assert_eq!(unpack(&pack(text.as_bytes()).unwrap()).unwrap(), text);
        assert!(matches!(unpack("%%%"), Err(LinkError::Damaged(_))));
        assert!(matches!(unpack("AAAA"), Err(LinkError::Damaged(_))));
        // 100 kB that does not compress: a xorshift's bytes as hex.
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        let noise: String = (0..50_000)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                format!("{:02x}", x as u8)
            })
            .collect();
        assert!(matches!(pack(noise.as_bytes()), Err(LinkError::TooBig(_))));
    }
}
