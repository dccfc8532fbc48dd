//! Lyncdr's one UTF-16 decoder: the text encoding of a file by its first bytes, and a streaming
//! adapter that hands UTF-8 on. The audit reads DBImpExp exports through it (UTF-16LE with a byte
//! order mark; quick-xml reads UTF-8), and [`crate::decode::document`] reads environment files
//! and event XML through it.
//!
//! [`Utf8Reader`] decodes in large chunks so a multi-gigabyte export goes through a fixed amount
//! of memory, with a fast path for runs of ASCII (nearly all of an export: element names, SIP
//! addresses, numbers). quick-xml's `encoding` feature (`DecodingReader`, encoding_rs) was
//! measured as an alternative (issue 11 item 6): about as fast on a 255 MiB export, but it
//! reports every decoding error alike, so the audit could no longer tell a file cut short in the
//! middle of a character from a corrupt one, nor say at which byte a lone surrogate is; and
//! turning the feature on changes quick-xml's `Reader` for the whole crate (it then follows the
//! declared encoding). So this decoder stays, as the only one.

use serde::Serialize;
use std::io::{self, BufRead, Read};

/// Bytes read from the underlying file per refill.
const CHUNK: usize = 128 << 10;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum TextEncoding {
    Utf8,
    Utf16Le,
    Utf16Be,
}

impl TextEncoding {
    /// The encoding and the length of its byte order mark, from the first bytes of a file. Without
    /// a mark, UTF-16 is recognised by a `<` with a zero byte beside it.
    pub fn sniff(head: &[u8]) -> (TextEncoding, usize) {
        match head {
            [0xFF, 0xFE, ..] => (TextEncoding::Utf16Le, 2),
            [0xFE, 0xFF, ..] => (TextEncoding::Utf16Be, 2),
            [0xEF, 0xBB, 0xBF, ..] => (TextEncoding::Utf8, 3),
            [b'<', 0, ..] => (TextEncoding::Utf16Le, 0),
            [0, b'<', ..] => (TextEncoding::Utf16Be, 0),
            _ => (TextEncoding::Utf8, 0),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            TextEncoding::Utf8 => "UTF-8",
            TextEncoding::Utf16Le => "UTF-16LE",
            TextEncoding::Utf16Be => "UTF-16BE",
        }
    }
}

/// Why UTF-16 text could not be decoded; carried inside an `InvalidData` [`io::Error`].
#[derive(Debug, thiserror::Error)]
pub enum DecodeError {
    #[error("the file ends in the middle of a UTF-16 character")]
    CutCharacter,
    #[error("the file ends in the middle of a UTF-16 surrogate pair")]
    CutPair,
    #[error("invalid UTF-16 (a lone surrogate) at byte {0}")]
    LoneSurrogate(u64),
}

impl DecodeError {
    /// The error behind `e`, if it came from [`Utf8Reader`].
    pub fn of(e: &io::Error) -> Option<&DecodeError> {
        e.get_ref()?.downcast_ref()
    }

    /// The input stopped mid-character: the file was cut short.
    pub fn is_truncation(&self) -> bool {
        matches!(self, DecodeError::CutCharacter | DecodeError::CutPair)
    }
}

/// Reads `inner` (positioned after any byte order mark) as UTF-8, decoding UTF-16 on the way.
///
/// Errors are `InvalidData` with a [`DecodeError`]: a byte count that is not even at the end (the
/// file was cut in the middle of a character) or a lone surrogate. UTF-8 input passes through unchecked; quick-xml
/// checks it where it matters (names, attribute values when decoded).
pub struct Utf8Reader<R> {
    inner: R,
    encoding: TextEncoding,
    /// Undecoded UTF-16 bytes carried over from the previous read (at most one).
    carry: Option<u8>,
    /// A high surrogate whose low half is in the next chunk.
    high: Option<u16>,
    raw: Vec<u8>,
    out: Vec<u8>,
    pos: usize,
    /// Code units decoded so far, to say where an invalid one is.
    units: u64,
    eof: bool,
}

impl<R: Read> Utf8Reader<R> {
    pub fn new(inner: R, encoding: TextEncoding) -> Self {
        let raw = if encoding == TextEncoding::Utf8 {
            Vec::new()
        } else {
            vec![0; CHUNK]
        };
        Self {
            inner,
            encoding,
            carry: None,
            high: None,
            raw,
            out: Vec::with_capacity(CHUNK + CHUNK / 2 + 8),
            pos: 0,
            units: 0,
            eof: false,
        }
    }

    fn refill(&mut self) -> io::Result<()> {
        self.out.clear();
        self.pos = 0;
        if self.encoding == TextEncoding::Utf8 {
            self.out.resize(CHUNK, 0);
            let n = read_some(&mut self.inner, &mut self.out)?;
            self.out.truncate(n);
            self.eof = n == 0;
            return Ok(());
        }
        let start = usize::from(self.carry.is_some());
        if let Some(b) = self.carry.take() {
            self.raw[0] = b;
        }
        let n = read_some(&mut self.inner, &mut self.raw[start..])?;
        if n == 0 {
            self.eof = true;
            if start == 1 {
                return Err(invalid(DecodeError::CutCharacter));
            }
            if self.high.is_some() {
                return Err(invalid(DecodeError::CutPair));
            }
            return Ok(());
        }
        let len = start + n;
        let even = len & !1;
        if even < len {
            self.carry = Some(self.raw[even]);
        }
        let big_endian = self.encoding == TextEncoding::Utf16Be;
        let units = decode_utf16(&self.raw[..even], big_endian, &mut self.high, &mut self.out)
            .map_err(|at| invalid(DecodeError::LoneSurrogate(2 * (self.units + at as u64))))?;
        self.units += units as u64;
        Ok(())
    }
}

impl<R: Read> Read for Utf8Reader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let avail = self.fill_buf()?;
        let n = avail.len().min(buf.len());
        buf[..n].copy_from_slice(&avail[..n]);
        self.consume(n);
        Ok(n)
    }
}

impl<R: Read> BufRead for Utf8Reader<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        // A UTF-16 chunk can decode to nothing (a lone high surrogate carried over); loop.
        while self.pos >= self.out.len() && !self.eof {
            self.refill()?;
        }
        Ok(&self.out[self.pos..])
    }

    fn consume(&mut self, amt: usize) {
        self.pos = (self.pos + amt).min(self.out.len());
    }
}

fn read_some(r: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    loop {
        match r.read(buf) {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            other => return other,
        }
    }
}

fn invalid(e: DecodeError) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, e)
}

/// Decodes whole UTF-16 code units from `src` (even length) onto `out`; returns how many units it
/// read, or the index of a lone surrogate.
fn decode_utf16(
    src: &[u8],
    big_endian: bool,
    high: &mut Option<u16>,
    out: &mut Vec<u8>,
) -> Result<usize, usize> {
    // ASCII in a 16-bit lane: the low byte below 0x80 and the high byte zero.
    let (lane_mask, lo) = if big_endian {
        (0x80FF_u16, 1)
    } else {
        (0xFF80_u16, 0)
    };
    let mask = u128::from(lane_mask) * 0x0001_0001_0001_0001_0001_0001_0001_0001;
    let units = src.len() / 2;
    let mut i = 0;
    while i < units {
        if let (None, Some(b)) = (*high, src[2 * i..].first_chunk::<16>())
            && u128::from_le_bytes(*b) & mask == 0
        {
            out.extend_from_slice(&[
                b[lo],
                b[lo + 2],
                b[lo + 4],
                b[lo + 6],
                b[lo + 8],
                b[lo + 10],
                b[lo + 12],
                b[lo + 14],
            ]);
            i += 8;
            continue;
        }
        let pair = [src[2 * i], src[2 * i + 1]];
        let u = if big_endian {
            u16::from_be_bytes(pair)
        } else {
            u16::from_le_bytes(pair)
        };
        let c = match (high.take(), u) {
            (None, 0..=0x7F) => {
                out.push(u as u8);
                i += 1;
                continue;
            }
            (None, 0xD800..=0xDBFF) => {
                *high = Some(u);
                i += 1;
                continue;
            }
            (None, 0xDC00..=0xDFFF) => return Err(i),
            (None, u) => char::from_u32(u32::from(u)),
            (Some(h), 0xDC00..=0xDFFF) => {
                char::from_u32(0x10000 + ((u32::from(h) - 0xD800) << 10) + (u32::from(u) - 0xDC00))
            }
            (Some(_), _) => return Err(i),
        };
        let c = c.ok_or(i)?;
        let mut tmp = [0; 4];
        out.extend_from_slice(c.encode_utf8(&mut tmp).as_bytes());
        i += 1;
    }
    Ok(units)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utf16(s: &str, big_endian: bool) -> Vec<u8> {
        s.encode_utf16()
            .flat_map(|u| {
                if big_endian {
                    u.to_be_bytes()
                } else {
                    u.to_le_bytes()
                }
            })
            .collect()
    }

    fn decode_all(bytes: &[u8], enc: TextEncoding) -> io::Result<String> {
        let mut s = String::new();
        Utf8Reader::new(bytes, enc).read_to_string(&mut s)?;
        Ok(s)
    }

    #[test]
    fn sniffs_boms_and_bare_utf16() {
        assert_eq!(
            TextEncoding::sniff(&[0xFF, 0xFE, b'<', 0]),
            (TextEncoding::Utf16Le, 2)
        );
        assert_eq!(
            TextEncoding::sniff(&[0xFE, 0xFF, 0, b'<']),
            (TextEncoding::Utf16Be, 2)
        );
        assert_eq!(
            TextEncoding::sniff(&[0xEF, 0xBB, 0xBF, b'<']),
            (TextEncoding::Utf8, 3)
        );
        assert_eq!(TextEncoding::sniff(b"<\0?\0"), (TextEncoding::Utf16Le, 0));
        assert_eq!(TextEncoding::sniff(b"\0<\0?"), (TextEncoding::Utf16Be, 0));
        assert_eq!(TextEncoding::sniff(b"<?xml"), (TextEncoding::Utf8, 0));
    }

    #[test]
    fn decodes_mixed_text_in_both_byte_orders() {
        // Long ASCII runs take the fast path; the rest exercises 2-, 3- and 4-byte UTF-8.
        let text =
            "<Contact Buddy=\"sip:jose.garcia@contoso.com\"/> Jos\u{e9} \u{4e2d}\u{6587} \u{1F600} end";
        for be in [false, true] {
            let enc = if be {
                TextEncoding::Utf16Be
            } else {
                TextEncoding::Utf16Le
            };
            assert_eq!(decode_all(&utf16(text, be), enc).ok().as_deref(), Some(text));
        }
    }

    #[test]
    fn decodes_across_chunk_boundaries() {
        // A surrogate pair and an odd byte split across the 1 MiB refill boundary.
        let mut text = "a".repeat(CHUNK / 2 - 1);
        text.push('\u{1F600}');
        text.push_str(&"b".repeat(1000));
        let mut bytes = vec![b'x'];
        bytes.extend(utf16(&text, false));
        assert_eq!(
            decode_all(&bytes[1..], TextEncoding::Utf16Le).ok(),
            Some(text.clone())
        );
        let mut odd = "c".to_string();
        odd.push_str(&text);
        let bytes = utf16(&odd, false);
        assert_eq!(decode_all(&bytes, TextEncoding::Utf16Le).ok(), Some(odd));
    }

    #[test]
    fn odd_length_is_a_truncation_error() {
        let mut bytes = utf16("<a/>", false);
        bytes.pop();
        let err = decode_all(&bytes, TextEncoding::Utf16Le)
            .err()
            .map(|e| e.to_string());
        assert_eq!(
            err.as_deref(),
            Some("the file ends in the middle of a UTF-16 character")
        );
    }

    #[test]
    fn lone_surrogate_is_reported_with_its_offset() {
        let mut bytes = utf16("abc", false);
        bytes.extend(0xDC00_u16.to_le_bytes());
        let err = decode_all(&bytes, TextEncoding::Utf16Le)
            .err()
            .map(|e| e.to_string());
        assert_eq!(
            err.as_deref(),
            Some("invalid UTF-16 (a lone surrogate) at byte 6")
        );
    }
}
