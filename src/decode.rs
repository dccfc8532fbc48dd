//! Text from outside as Rust strings, one way for the whole program: a document an operator hands
//! over (event XML, a PowerShell transcript: UTF-8 or UTF-16, with or without a byte order mark)
//! and a line a program printed on a Windows server (UTF-8 where the step wrapper set it, else the
//! console's OEM code page: Windows PowerShell and native programs write redirected output in
//! `[Console]::OutputEncoding`, by default the OEM code page, 437, 850, ...). Decoding never
//! fails on a line: a byte the code page does not define becomes U+FFFD, so output never stalls.
//! [`printable`] then keeps control characters from ever reaching the operator's terminal.

use crate::utf16::{TextEncoding, Utf8Reader};
use std::fmt;

/// A Windows OEM (console) code page lyncdr can decode, e.g. 437 (US) or 850 (Western Europe).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CodePage(u16);

impl CodePage {
    pub const DEFAULT: CodePage = CodePage(437);

    /// A code page number from the command line; `Err` names the ones lyncdr knows.
    pub fn parse(text: &str) -> Result<CodePage, String> {
        let known = || {
            let mut all: Vec<u16> = oem_cp::code_table::DECODING_TABLE_CP_MAP
                .keys()
                .copied()
                .collect();
            all.sort_unstable();
            all.iter().map(u16::to_string).collect::<Vec<_>>().join(", ")
        };
        let n: u16 = text
            .trim()
            .parse()
            .map_err(|_| format!("`{text}` is not a code page number; known: {}", known()))?;
        if oem_cp::code_table::DECODING_TABLE_CP_MAP.contains_key(&n) {
            Ok(CodePage(n))
        } else {
            Err(format!(
                "code page {n} is not a single-byte OEM code page lyncdr knows; known: {}",
                known()
            ))
        }
    }

    /// The console's code page where there is one (Windows: `chcp`), when lyncdr knows it;
    /// else [`CodePage::DEFAULT`].
    pub fn console() -> CodePage {
        crate::console::oem_code_page()
            .and_then(|n| CodePage::parse(&n.to_string()).ok())
            .unwrap_or(CodePage::DEFAULT)
    }

    pub fn number(self) -> u16 {
        self.0
    }

    /// Bytes in this code page; undefined bytes become U+FFFD.
    pub fn decode(self, bytes: &[u8]) -> String {
        match oem_cp::code_table::DECODING_TABLE_CP_MAP.get(&self.0) {
            Some(table) => table.decode_string_lossy(bytes),
            None => String::from_utf8_lossy(bytes).into_owned(),
        }
    }
}

impl Default for CodePage {
    fn default() -> Self {
        CodePage::DEFAULT
    }
}

impl fmt::Display for CodePage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// One line of a program's output: UTF-8 when it is valid UTF-8 (ASCII is both), else the console
/// code page. A line is decoded whole, so a multi-byte UTF-8 character is never split.
pub fn console_line(bytes: &[u8], page: CodePage) -> String {
    match std::str::from_utf8(bytes) {
        Ok(s) => s.to_owned(),
        Err(_) => page.decode(bytes),
    }
}

/// A whole document, strictly: UTF-16 (LE or BE, by its byte order mark, or recognised by a `<`
/// beside a zero byte) or UTF-8 (BOM dropped), decoded by the one UTF-16 decoder
/// ([`crate::utf16`]). `None` when it is not valid text.
pub fn document(bytes: &[u8]) -> Option<String> {
    use std::io::Read as _;
    let (encoding, bom) = TextEncoding::sniff(bytes);
    let mut text = String::new();
    Utf8Reader::new(&bytes[bom..], encoding)
        .read_to_string(&mut text)
        .ok()?;
    Some(text)
}

/// A whole document that must be shown whatever it holds (a transcript): as [`document`], and
/// where that fails, line by line as [`console_line`].
pub fn document_lossy(bytes: &[u8], page: CodePage) -> String {
    document(bytes).unwrap_or_else(|| {
        bytes
            .split(|b| *b == b'\n')
            .map(|l| console_line(l, page))
            .collect::<Vec<_>>()
            .join("\n")
    })
}

/// `text` safe to print on a terminal: tabs kept, carriage returns dropped (CRLF output), every
/// other control character (escape sequences, bells, backspaces) shown as `\u{..}` instead of
/// acting on the terminal. So are the characters that reorder or break what is shown without
/// being controls: the bidirectional overrides and isolates (a file name that reads `kab.txt`
/// but is `txt.bak`, CVE-2021-42574), the Unicode line and paragraph separators, and the
/// invisible ones (the direction marks U+200E, U+200F, U+061C, the zero-width characters).
pub fn printable(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\t' | '\n' => out.push(c),
            '\r' => {}
            c if needs_escape(c) => out.extend(c.escape_unicode()),
            c => out.push(c),
        }
    }
    out
}

/// One line of text from outside (a file name, a zip entry's name, an id or a detail read from
/// a file) for a single-line field: as [`printable`], and a newline, carriage return or tab is
/// shown as `\n`, `\r`, `\t`, so it cannot start a line of its own (a fake `Result: ready`).
pub fn one_line(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\t' | '\n' | '\r' => out.extend(c.escape_default()),
            c if needs_escape(c) => out.extend(c.escape_unicode()),
            c => out.push(c),
        }
    }
    out
}

/// JSON text with the characters [`printable`] escapes written as `\uXXXX` escapes: the same
/// JSON to a parser, and nothing that reorders or hides text on a terminal (serde escapes only
/// the control characters).
pub fn json_safe(json: &str) -> String {
    let mut out = String::with_capacity(json.len());
    for c in json.chars() {
        if needs_escape(c) && !c.is_ascii() {
            let mut units = [0u16; 2];
            for u in c.encode_utf16(&mut units) {
                out.push_str(&format!("\\u{u:04x}"));
            }
        } else {
            out.push(c);
        }
    }
    out
}

fn needs_escape(c: char) -> bool {
    c.is_control() || is_layout_format(c) || is_invisible(c)
}

/// Bidirectional embeddings, overrides and isolates, and the line and paragraph separators.
fn is_layout_format(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{2028}' | '\u{2029}')
}

/// Characters that print as nothing: the direction marks (LRM U+200E, RLM U+200F, ALM U+061C),
/// the zero-width space, non-joiner and joiner, the word joiner and invisible operators, the
/// byte order mark, the Mongolian vowel separator and the soft hyphen.
fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}' | '\u{061C}' | '\u{180E}' | '\u{200B}'..='\u{200F}' | '\u{2060}'..='\u{2064}' | '\u{FEFF}'
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn oem_lines_decode_and_utf8_stays() {
        let cp437 = [b'M', 0x81, b'l', b'l', b'e', b'r'];
        assert_eq!(console_line(&cp437, CodePage::DEFAULT), "Müller");
        assert_eq!(console_line("Müller".as_bytes(), CodePage::DEFAULT), "Müller");
        let cp850 = CodePage::parse("850").expect("850");
        assert_eq!(console_line(&[0x90], cp850), "É");
        assert!(CodePage::parse("65001").is_err());
        assert!(CodePage::parse("x").expect_err("not a number").contains("437"));
    }

    #[test]
    fn documents_by_byte_order_mark() {
        let mut le = vec![0xFF, 0xFE];
        le.extend("Grüße".encode_utf16().flat_map(u16::to_le_bytes));
        assert_eq!(document(&le).as_deref(), Some("Grüße"));
        let mut be = vec![0xFE, 0xFF];
        be.extend("<a/>".encode_utf16().flat_map(u16::to_be_bytes));
        assert_eq!(document(&be).as_deref(), Some("<a/>"));
        assert_eq!(document(b"\xEF\xBB\xBFok").as_deref(), Some("ok"));
        assert_eq!(document(&[0xFF, 0xFE, 0x00, 0xD8]), None, "lone surrogate");
        assert_eq!(
            document(&[0xFF, 0xFE, b'a']),
            None,
            "cut in the middle of a character"
        );
        assert_eq!(document(b"\xFF"), None, "not UTF-8");
        assert_eq!(
            document_lossy(&[b'a', 0x81, b'\n', b'b'], CodePage::DEFAULT),
            "aü\nb"
        );
    }

    #[test]
    fn control_characters_never_reach_the_terminal() {
        assert_eq!(printable("a\x1b[2Jb\x07\r\n\tc"), "a\\u{1b}[2Jb\\u{7}\n\tc");
        assert_eq!(
            printable("rtc\u{202E}kab.txt\u{2028}x"),
            "rtc\\u{202e}kab.txt\\u{2028}x"
        );
    }

    #[test]
    fn invisible_and_direction_marks_are_shown() {
        for c in [
            '\u{200E}', '\u{200F}', '\u{061C}', '\u{200B}', '\u{200D}', '\u{2060}', '\u{FEFF}',
        ] {
            let shown = printable(&format!("a{c}b"));
            assert_eq!(shown, format!("a{}b", c.escape_unicode()), "{c:?}");
        }
    }

    #[test]
    fn one_line_stays_one_line() {
        assert_eq!(
            one_line("x.zip\nResult: ready (exit 0)\r\t\u{200F}"),
            "x.zip\\nResult: ready (exit 0)\\r\\t\\u{200f}"
        );
        assert_eq!(json_safe("{\"a\": \"x\u{202E}y\"}"), "{\"a\": \"x\\u202ey\"}");
        let back: serde_json::Value =
            serde_json::from_str(&json_safe("{\"a\": \"x\u{202E}\u{FEFF}y\"}")).unwrap_or_default();
        assert_eq!(back["a"], "x\u{202E}\u{FEFF}y");
    }
}
