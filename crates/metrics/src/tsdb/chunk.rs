//! Gorilla-compressed chunks of float samples, in Prometheus's XOR layout.
//!
//! A chunk starts with a 2-byte big-endian sample count. The first sample is
//! a signed varint timestamp and 64 raw value bits; the second a uvarint
//! timestamp delta and an XOR-encoded value. After that each timestamp is a
//! delta-of-delta in a variable-width bucket (`0`, `10`+14 bits, `110`+17,
//! `1110`+20, `1111`+64) and each value the XOR with the previous value:
//! `0` if equal, else `1` and either `0` (same leading/trailing zero window
//! as before) or `1` + 5 bits of leading zeros + 6 bits of length.
//! Values round-trip bit for bit, so NaN payloads such as Prometheus's
//! stale marker survive.
//!
//! ```
//! use o11y_metrics::tsdb::chunk::XorChunk;
//!
//! let mut chunk = XorChunk::new();
//! for i in 0..120 {
//!     chunk.append(i * 15_000, (i * 3) as f64);
//! }
//! let decoded: Vec<(i64, f64)> = chunk.iter().collect();
//! assert_eq!(decoded.len(), 120);
//! assert!(chunk.bytes().len() < 120 * 2); // under 2 bytes a sample
//! ```

/// Samples per chunk before a new one is cut, as Prometheus does.
pub const SAMPLES_PER_CHUNK: u16 = 120;

/// Appends bits to a byte vector, most significant bit first.
#[derive(Clone, Debug, Default)]
struct BitWriter {
    bytes: Vec<u8>,
    /// Bits still free in the last byte (0 when a new byte is needed).
    free_bits: u8,
}

impl BitWriter {
    fn write_bit(&mut self, bit: bool) {
        if self.free_bits == 0 {
            self.bytes.push(0);
            self.free_bits = 8;
        }
        self.free_bits -= 1;
        if bit {
            let last = self.bytes.len() - 1;
            self.bytes[last] |= 1 << self.free_bits;
        }
    }

    /// Writes the low `count` bits of `value`, highest first.
    fn write_bits(&mut self, value: u64, mut count: u8) {
        while count > 0 {
            if self.free_bits == 0 {
                self.bytes.push(0);
                self.free_bits = 8;
            }
            let take = count.min(self.free_bits);
            let shift = count - take;
            let chunk = ((value >> shift) & ((1u64 << take) - 1)) as u8;
            let last = self.bytes.len() - 1;
            self.bytes[last] |= chunk << (self.free_bits - take);
            self.free_bits -= take;
            count -= take;
        }
    }

    fn write_byte(&mut self, byte: u8) {
        self.write_bits(byte as u64, 8);
    }

    fn write_uvarint(&mut self, mut v: u64) {
        while v >= 0x80 {
            self.write_byte((v as u8) | 0x80);
            v >>= 7;
        }
        self.write_byte(v as u8);
    }

    fn write_varint(&mut self, v: i64) {
        // Zig-zag, as Go's binary.PutVarint.
        self.write_uvarint(((v << 1) ^ (v >> 63)) as u64);
    }
}

/// Reads bits written by [`BitWriter`]. Reading past the end yields `None`.
#[derive(Clone, Debug)]
struct BitReader<'a> {
    bytes: &'a [u8],
    bit_pos: usize,
}

impl<'a> BitReader<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        BitReader { bytes, bit_pos: 0 }
    }

    fn read_bit(&mut self) -> Option<bool> {
        let byte = *self.bytes.get(self.bit_pos / 8)?;
        let bit = byte & (0x80 >> (self.bit_pos % 8)) != 0;
        self.bit_pos += 1;
        Some(bit)
    }

    fn read_bits(&mut self, mut count: u8) -> Option<u64> {
        // Most reads fit in the 8 bytes from the current one: one load.
        let (byte, offset) = (self.bit_pos / 8, self.bit_pos % 8);
        if count > 0 && offset + count as usize <= 64 && byte + 8 <= self.bytes.len() {
            let mut window = [0u8; 8];
            window.copy_from_slice(&self.bytes[byte..byte + 8]);
            self.bit_pos += count as usize;
            return Some((u64::from_be_bytes(window) << offset) >> (64 - count as u32));
        }
        let mut out = 0u64;
        while count > 0 {
            let byte = *self.bytes.get(self.bit_pos / 8)?;
            let offset = (self.bit_pos % 8) as u8;
            let available = 8 - offset;
            let take = count.min(available);
            let bits = (byte >> (available - take)) & (((1u16 << take) - 1) as u8);
            out = (out << take) | bits as u64;
            self.bit_pos += take as usize;
            count -= take;
        }
        Some(out)
    }

    fn read_uvarint(&mut self) -> Option<u64> {
        let mut out = 0u64;
        for shift in (0..70).step_by(7) {
            let byte = self.read_bits(8)? as u8;
            if shift == 63 && byte > 1 {
                return None; // overflow
            }
            out |= ((byte & 0x7f) as u64) << shift;
            if byte < 0x80 {
                return Some(out);
            }
        }
        None
    }

    fn read_varint(&mut self) -> Option<i64> {
        let u = self.read_uvarint()?;
        Some(((u >> 1) as i64) ^ -((u & 1) as i64))
    }
}

/// A chunk of up to [`SAMPLES_PER_CHUNK`] samples, appended in time order.
#[derive(Clone, Debug)]
pub struct XorChunk {
    bits: BitWriter,
    count: u16,
    first_ts_ms: i64,
    last_ts_ms: i64,
    last_delta_ms: i64,
    last_value_bits: u64,
    leading: u8,
    trailing: u8,
}

impl Default for XorChunk {
    fn default() -> Self {
        XorChunk::new()
    }
}

impl XorChunk {
    pub fn new() -> Self {
        let mut bits = BitWriter::default();
        bits.write_bits(0, 16); // sample count, patched on append
        XorChunk {
            bits,
            count: 0,
            first_ts_ms: 0,
            last_ts_ms: 0,
            last_delta_ms: 0,
            last_value_bits: 0,
            leading: 0xff,
            trailing: 0,
        }
    }

    pub fn len(&self) -> usize {
        self.count as usize
    }

    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    pub fn is_full(&self) -> bool {
        self.count >= SAMPLES_PER_CHUNK
    }

    /// Frees spare capacity once the chunk is closed.
    pub fn shrink_to_fit(&mut self) {
        self.bits.bytes.shrink_to_fit();
    }

    /// The encoded chunk, header included.
    pub fn bytes(&self) -> &[u8] {
        &self.bits.bytes
    }

    pub fn min_ts_ms(&self) -> i64 {
        self.first_ts_ms
    }

    pub fn max_ts_ms(&self) -> i64 {
        self.last_ts_ms
    }

    /// The last sample's value, if any.
    pub fn last_value(&self) -> Option<f64> {
        (self.count > 0).then(|| f64::from_bits(self.last_value_bits))
    }

    /// Appends a sample. The caller keeps timestamps increasing and cuts a
    /// new chunk when this one [`is_full`](Self::is_full); deltas that do not
    /// fit the buckets still encode (in 64 bits).
    pub fn append(&mut self, ts_ms: i64, value: f64) {
        let value_bits = value.to_bits();
        match self.count {
            0 => {
                self.bits.write_varint(ts_ms);
                self.bits.write_bits(value_bits, 64);
                self.first_ts_ms = ts_ms;
            }
            1 => {
                let delta = ts_ms.wrapping_sub(self.last_ts_ms);
                self.bits.write_uvarint(delta as u64);
                self.write_value(value_bits);
                self.last_delta_ms = delta;
            }
            _ => {
                let delta = ts_ms.wrapping_sub(self.last_ts_ms);
                let dod = delta.wrapping_sub(self.last_delta_ms);
                match dod {
                    0 => self.bits.write_bit(false),
                    -8191..=8192 => {
                        self.bits.write_bits(0b10, 2);
                        self.bits.write_bits(dod as u64, 14);
                    }
                    -65535..=65536 => {
                        self.bits.write_bits(0b110, 3);
                        self.bits.write_bits(dod as u64, 17);
                    }
                    -524287..=524288 => {
                        self.bits.write_bits(0b1110, 4);
                        self.bits.write_bits(dod as u64, 20);
                    }
                    _ => {
                        self.bits.write_bits(0b1111, 4);
                        self.bits.write_bits(dod as u64, 64);
                    }
                }
                self.write_value(value_bits);
                self.last_delta_ms = delta;
            }
        }
        self.last_ts_ms = ts_ms;
        self.last_value_bits = value_bits;
        self.count += 1;
        let [hi, lo] = self.count.to_be_bytes();
        self.bits.bytes[0] = hi;
        self.bits.bytes[1] = lo;
    }

    fn write_value(&mut self, value_bits: u64) {
        let xor = value_bits ^ self.last_value_bits;
        if xor == 0 {
            self.bits.write_bit(false);
            return;
        }
        self.bits.write_bit(true);
        // At most 31 leading zeros fit in 5 bits.
        let leading = (xor.leading_zeros() as u8).min(31);
        let trailing = xor.trailing_zeros() as u8;
        if self.leading != 0xff && leading >= self.leading && trailing >= self.trailing {
            self.bits.write_bit(false);
            let significant = 64 - self.leading - self.trailing;
            self.bits.write_bits(xor >> self.trailing, significant);
        } else {
            self.leading = leading;
            self.trailing = trailing;
            self.bits.write_bit(true);
            self.bits.write_bits(leading as u64, 5);
            let significant = 64 - leading - trailing;
            // 64 significant bits are written as 0 in 6 bits, as Prometheus does.
            self.bits.write_bits((significant % 64) as u64, 6);
            self.bits.write_bits(xor >> trailing, significant);
        }
    }

    /// Iterates the samples in order.
    pub fn iter(&self) -> XorIter<'_> {
        XorIter::new(self.bytes())
    }
}

/// Decodes a chunk's bytes. Stops (rather than panicking) at the end of the
/// samples the header announces, or at the first malformed bit.
#[derive(Clone, Debug)]
pub struct XorIter<'a> {
    reader: BitReader<'a>,
    total: u16,
    read: u16,
    ts_ms: i64,
    delta_ms: i64,
    value_bits: u64,
    leading: u8,
    trailing: u8,
}

impl<'a> XorIter<'a> {
    pub fn new(bytes: &'a [u8]) -> Self {
        let total = match bytes {
            [hi, lo, ..] => u16::from_be_bytes([*hi, *lo]),
            _ => 0,
        };
        XorIter {
            reader: BitReader::new(bytes.get(2..).unwrap_or(&[])),
            total,
            read: 0,
            ts_ms: 0,
            delta_ms: 0,
            value_bits: 0,
            leading: 0,
            trailing: 0,
        }
    }

    fn next_sample(&mut self) -> Option<(i64, f64)> {
        match self.read {
            0 => {
                self.ts_ms = self.reader.read_varint()?;
                self.value_bits = self.reader.read_bits(64)?;
            }
            1 => {
                self.delta_ms = self.reader.read_uvarint()? as i64;
                self.ts_ms = self.ts_ms.wrapping_add(self.delta_ms);
                self.read_value()?;
            }
            _ => {
                let mut prefix = 0;
                while prefix < 4 && self.reader.read_bit()? {
                    prefix += 1;
                }
                let dod = match prefix {
                    0 => 0,
                    1 => sign_extend(self.reader.read_bits(14)?, 14),
                    2 => sign_extend(self.reader.read_bits(17)?, 17),
                    3 => sign_extend(self.reader.read_bits(20)?, 20),
                    _ => self.reader.read_bits(64)? as i64,
                };
                self.delta_ms = self.delta_ms.wrapping_add(dod);
                self.ts_ms = self.ts_ms.wrapping_add(self.delta_ms);
                self.read_value()?;
            }
        }
        self.read += 1;
        Some((self.ts_ms, f64::from_bits(self.value_bits)))
    }

    fn read_value(&mut self) -> Option<()> {
        if !self.reader.read_bit()? {
            return Some(());
        }
        if self.reader.read_bit()? {
            self.leading = self.reader.read_bits(5)? as u8;
            let significant = match self.reader.read_bits(6)? as u8 {
                0 => 64,
                n => n,
            };
            self.trailing = 64u8.checked_sub(self.leading + significant)?;
        }
        let significant = 64 - self.leading - self.trailing;
        let bits = self.reader.read_bits(significant)?;
        self.value_bits ^= bits.checked_shl(self.trailing as u32).unwrap_or(0);
        Some(())
    }
}

/// Interprets the low `bits` bits of `v` as a two's-complement number.
/// Prometheus treats the bucket's top value as positive: ranges are
/// `-(2^(n-1) - 1) ..= 2^(n-1)`, so the all-ones-high pattern decodes up.
fn sign_extend(v: u64, bits: u32) -> i64 {
    let half = 1u64 << (bits - 1);
    if v > half {
        v as i64 - (1i64 << bits)
    } else {
        v as i64
    }
}

impl Iterator for XorIter<'_> {
    type Item = (i64, f64);

    fn next(&mut self) -> Option<(i64, f64)> {
        if self.read >= self.total {
            return None;
        }
        let sample = self.next_sample();
        if sample.is_none() {
            self.read = self.total; // malformed: stop for good
        }
        sample
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Prometheus's staleness marker: a NaN with a distinct payload.
    const STALE_NAN_BITS: u64 = 0x7ff0_0000_0000_0002;

    fn round_trip(samples: &[(i64, u64)]) {
        let mut chunk = XorChunk::new();
        for &(t, bits) in samples {
            chunk.append(t, f64::from_bits(bits));
        }
        let decoded: Vec<(i64, u64)> = chunk.iter().map(|(t, v)| (t, v.to_bits())).collect();
        assert_eq!(decoded, samples);
    }

    #[test]
    fn special_values_round_trip_bit_exactly() {
        let values = [
            0.0f64.to_bits(),
            (-0.0f64).to_bits(),
            f64::NAN.to_bits(),
            STALE_NAN_BITS,
            f64::INFINITY.to_bits(),
            f64::NEG_INFINITY.to_bits(),
            f64::MIN_POSITIVE.to_bits(),
            f64::MAX.to_bits(),
            1.0f64.to_bits(),
            1.0f64.to_bits(),
            u64::MAX,
            1,
        ];
        let samples: Vec<(i64, u64)> = values
            .iter()
            .enumerate()
            .map(|(i, &v)| (i as i64 * 15_000, v))
            .collect();
        round_trip(&samples);
    }

    #[test]
    fn every_timestamp_bucket_and_its_edges() {
        let mut t = -1_000_000i64;
        let mut delta = 15_000i64;
        let mut samples = vec![(t, 0)];
        for dod in [
            0,
            1,
            -1,
            8192,
            -8191,
            8193,
            -8192,
            65536,
            -65535,
            65537,
            524288,
            -524287,
            524289,
            -524288,
            1 << 40,
            -(1 << 40),
        ] {
            delta += dod;
            t += delta;
            samples.push((t, 1));
        }
        round_trip(&samples);
    }

    #[test]
    fn malformed_bytes_end_iteration_without_panic() {
        let mut chunk = XorChunk::new();
        for i in 0..50 {
            chunk.append(i * 1000, i as f64 * 1.5);
        }
        let bytes = chunk.bytes();
        for cut in 0..bytes.len() {
            let _ = XorIter::new(&bytes[..cut]).count();
        }
        let mut lying = bytes.to_vec();
        lying[0] = 0xff; // claims 65k samples
        assert!(XorIter::new(&lying).count() < 1000);
    }

    proptest! {
        #[test]
        fn random_series_round_trip(
            start in any::<i64>().prop_map(|t| t / 4),
            steps in prop::collection::vec((0i64..100_000_000, any::<u64>(), any::<bool>()), 0..200),
        ) {
            // Timestamps increase by arbitrary gaps; values are either random
            // bits or a small drift from the previous value.
            let mut t = start;
            let mut last = 0.0f64;
            let mut samples = Vec::new();
            for (gap, bits, drift) in steps.into_iter().take(SAMPLES_PER_CHUNK as usize) {
                t = t.saturating_add(gap);
                let v = if drift { last + (bits % 1000) as f64 } else { f64::from_bits(bits) };
                last = if v.is_finite() { v } else { 0.0 };
                samples.push((t, v.to_bits()));
            }
            round_trip(&samples);
        }

        #[test]
        fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..300)) {
            let _ = XorIter::new(&bytes).count();
        }
    }
}
