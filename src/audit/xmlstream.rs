//! A streaming pass over an XML document: checks that it is well-formed to the end, names its root
//! and counts chosen elements, in constant memory whatever the size.
//!
//! Bytes flow file -> [`Utf8Reader`] (encoding sniffed from the first bytes) -> [`Bounded`] ->
//! quick-xml events. Nothing of the document is kept but the stack of open element names, and that
//! is bounded whatever the input: at most [`MAX_DEPTH`] open elements, names of at most
//! [`MAX_NAME`] bytes, at most [`MAX_EVENT`] bytes in one tag or run of text (quick-xml holds a
//! whole event in memory). A document over a bound is [`XmlFailure::OverLimit`].

use crate::utf16::{DecodeError, TextEncoding, Utf8Reader};
use quick_xml::errors::{Error as XmlError, SyntaxError};
use quick_xml::events::{BytesStart, Event};
use quick_xml::reader::Reader;
use std::cell::Cell;
use std::io::{self, BufRead, Read};
use std::rc::Rc;

/// Open elements at once. Real exports nest fewer than 20 levels.
pub const MAX_DEPTH: usize = 256;
/// Bytes of one element name.
pub const MAX_NAME: usize = 1024;
/// Bytes of one event (a tag with its attributes, or a run of text). A DocItem's data is split
/// into elements; no real export comes near this.
pub const MAX_EVENT: u64 = 16 << 20;

/// What a complete pass found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct XmlOutline {
    pub encoding: TextEncoding,
    /// Local name of the root element.
    pub root: String,
    /// Namespace URI of the root element, if it declares one.
    pub namespace: Option<String>,
    /// How many elements had each of the local names asked for, in the same order.
    pub counts: Vec<u64>,
}

/// Why a pass stopped.
#[derive(Debug)]
pub enum XmlFailure {
    /// The document ends before it is complete: the file was cut short.
    Truncated {
        detail: String,
    },
    /// Not well-formed; `offset` counts bytes of the UTF-8 text (see [`line_and_column`]).
    Malformed {
        offset: u64,
        detail: String,
    },
    /// Over one of the bounds that keep the pass in constant memory.
    OverLimit {
        detail: String,
    },
    Io(io::Error),
}

/// The error [`Bounded`] returns when one event grows past [`MAX_EVENT`].
#[derive(Debug)]
struct EventTooLarge;

impl std::fmt::Display for EventTooLarge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "one tag or run of text is longer than {MAX_EVENT} bytes")
    }
}

impl std::error::Error for EventTooLarge {}

/// Counts the bytes quick-xml takes since the last event ended, and fails once they pass
/// [`MAX_EVENT`]: quick-xml buffers a whole event, so without this one huge text or tag is read
/// into memory entire.
struct Bounded<R> {
    inner: R,
    since_event: Rc<Cell<u64>>,
}

impl<R: BufRead> Read for Bounded<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let avail = self.fill_buf()?;
        let n = avail.len().min(buf.len());
        buf[..n].copy_from_slice(&avail[..n]);
        self.consume(n);
        Ok(n)
    }
}

impl<R: BufRead> BufRead for Bounded<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        if self.since_event.get() > MAX_EVENT {
            return Err(io::Error::other(EventTooLarge));
        }
        self.inner.fill_buf()
    }

    fn consume(&mut self, n: usize) {
        self.since_event
            .set(self.since_event.get().saturating_add(n as u64));
        self.inner.consume(n);
    }
}

/// At most `chars` characters of `name`, for a message.
fn shortened(name: &str, chars: usize) -> String {
    match name.char_indices().nth(chars) {
        Some((at, _)) => format!("{}...", &name[..at]),
        None => name.to_owned(),
    }
}

/// Reads the document from `input` to its end. `counted` are element local names to count.
pub fn walk(input: impl Read, counted: &[&str]) -> Result<XmlOutline, XmlFailure> {
    let (encoding, text) = decode(input).map_err(XmlFailure::Io)?;
    let since_event = Rc::new(Cell::new(0));
    let mut reader = Reader::from_reader(Bounded {
        inner: text,
        since_event: Rc::clone(&since_event),
    });
    let mut buf = Vec::with_capacity(64 * 1024);
    // Names of the open elements, one after the other; `ends` marks where each one ends.
    let mut open = String::new();
    let mut ends: Vec<usize> = Vec::new();
    let mut root: Option<(String, Option<String>)> = None;
    let mut counts = vec![0; counted.len()];
    loop {
        let event = match reader.read_event_into(&mut buf) {
            Ok(event) => event,
            Err(e) => return Err(failure(e, reader.error_position(), &open, &ends)),
        };
        match event {
            Event::Start(e) | Event::Empty(e) if ends.is_empty() && root.is_some() => {
                let name = e.name().as_ref().to_owned();
                return Err(XmlFailure::Malformed {
                    offset: reader.error_position().max(reader.buffer_position()),
                    detail: format!("a second root element `<{name}>` after the first one closed"),
                });
            }
            Event::Start(e) | Event::Empty(e) if e.name().as_ref().len() > MAX_NAME => {
                let name = e.name().as_ref().to_owned();
                return Err(XmlFailure::OverLimit {
                    detail: format!(
                        "an element name is longer than {MAX_NAME} bytes (`<{}>`)",
                        shortened(&name, 40)
                    ),
                });
            }
            Event::Start(e) if ends.len() >= MAX_DEPTH => {
                let name = e.name().as_ref().to_owned();
                return Err(XmlFailure::OverLimit {
                    detail: format!(
                        "elements nest deeper than {MAX_DEPTH} levels (at `<{}>`)",
                        shortened(&name, 40)
                    ),
                });
            }
            Event::Start(e) => {
                count(&e, counted, &mut counts);
                if root.is_none() {
                    root = Some(root_of(&e));
                }
                open.push_str(e.name().as_ref());
                ends.push(open.len());
            }
            Event::Empty(e) => {
                count(&e, counted, &mut counts);
                if root.is_none() {
                    root = Some(root_of(&e));
                }
            }
            Event::End(_) => {
                ends.pop();
                open.truncate(ends.last().copied().unwrap_or(0));
            }
            Event::Text(t) if ends.is_empty() && !t.as_ref().trim().is_empty() => {
                return Err(XmlFailure::Malformed {
                    offset: reader.buffer_position(),
                    detail: "text outside the root element".into(),
                });
            }
            Event::Eof => break,
            _ => {}
        }
        // quick-xml appends each event to `buf`; without this the whole document piles up.
        buf.clear();
        since_event.set(0);
    }
    if !ends.is_empty() {
        return Err(XmlFailure::Truncated {
            detail: format!("it ends inside `<{}>`", innermost(&open, &ends)),
        });
    }
    let Some((root, namespace)) = root else {
        return Err(XmlFailure::Truncated {
            detail: "it has no root element".into(),
        });
    };
    Ok(XmlOutline {
        encoding,
        root,
        namespace,
        counts,
    })
}

/// The root element's local name and namespace, from the first bytes of a document: enough to
/// recognise a file without reading all of it. `None` if `head` holds no complete start tag.
pub fn root_of_head(head: &[u8]) -> Option<(TextEncoding, String, Option<String>)> {
    let (encoding, text) = decode(head).ok()?;
    let mut reader = Reader::from_reader(text);
    let mut buf = Vec::new();
    loop {
        match reader.read_event_into(&mut buf) {
            Ok(Event::Start(e) | Event::Empty(e)) => {
                let (root, ns) = root_of(&e);
                return Some((encoding, root, ns));
            }
            Ok(Event::Text(t)) if !t.as_ref().trim().is_empty() => return None,
            Ok(Event::Eof) | Err(_) => return None,
            Ok(_) => {}
        }
        buf.clear();
    }
}

/// Does `head` look like the start of an XML document (after any byte order mark)?
pub fn looks_like_xml(head: &[u8]) -> bool {
    let (encoding, bom) = TextEncoding::sniff(head);
    let body = &head[bom..];
    let first = match encoding {
        TextEncoding::Utf8 => body.iter().copied().find(|b| !b.is_ascii_whitespace()),
        TextEncoding::Utf16Le => body
            .chunks_exact(2)
            .find(|u| !(u[1] == 0 && u[0].is_ascii_whitespace()))
            .map(|u| if u[1] == 0 { u[0] } else { 0xFF }),
        TextEncoding::Utf16Be => body
            .chunks_exact(2)
            .find(|u| !(u[0] == 0 && u[1].is_ascii_whitespace()))
            .map(|u| if u[0] == 0 { u[1] } else { 0xFF }),
    };
    first == Some(b'<')
}

/// Line and column (1-based, columns in characters) of a byte offset in the UTF-8 text of a
/// document, found by reading it again: failures are rare, so the fast path keeps no line count.
pub fn line_and_column(input: impl Read, offset: u64) -> io::Result<(u64, u64)> {
    let (_, mut text) = decode(input)?;
    let (mut line, mut column, mut seen) = (1, 1, 0_u64);
    let mut chunk = vec![0; 64 * 1024];
    'outer: loop {
        let n = text.read(&mut chunk)?;
        if n == 0 {
            break;
        }
        for &b in &chunk[..n] {
            if seen == offset {
                break 'outer;
            }
            seen += 1;
            if b == b'\n' {
                line += 1;
                column = 1;
            } else if b & 0xC0 != 0x80 {
                column += 1;
            }
        }
    }
    Ok((line, column))
}

/// A document's text as UTF-8: the bytes sniffed for the encoding, then the rest of the input.
type Decoded<R> = Utf8Reader<io::Chain<io::Cursor<Vec<u8>>, R>>;

/// Sniffs the encoding from the first bytes and returns a UTF-8 reader past the byte order mark.
fn decode<R: Read>(mut input: R) -> io::Result<(TextEncoding, Decoded<R>)> {
    let mut head = [0; 4];
    let mut got = 0;
    while got < head.len() {
        match input.read(&mut head[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    let (encoding, bom) = TextEncoding::sniff(&head[..got]);
    let rest = io::Cursor::new(head[bom..got].to_vec()).chain(input);
    Ok((encoding, Utf8Reader::new(rest, encoding)))
}

fn count(e: &BytesStart<'_>, counted: &[&str], counts: &mut [u64]) {
    let local = e.local_name();
    if let Some(i) = counted.iter().position(|c| *c == local.as_ref()) {
        counts[i] += 1;
    }
}

/// Local name and namespace of a root element: the default namespace, or the one its prefix names.
fn root_of(e: &BytesStart<'_>) -> (String, Option<String>) {
    let name = e.name();
    let declaring = match name.prefix() {
        Some(p) => format!("xmlns:{}", p.as_ref()),
        None => "xmlns".to_owned(),
    };
    let ns = e
        .attributes()
        .flatten()
        .find(|a| a.key.as_ref() == declaring)
        .map(|a| a.value.into_owned());
    (e.local_name().as_ref().to_owned(), ns)
}

fn innermost<'a>(open: &'a str, ends: &[usize]) -> &'a str {
    let end = ends.last().copied().unwrap_or(0);
    let start = if ends.len() > 1 { ends[ends.len() - 2] } else { 0 };
    open.get(start..end).unwrap_or_default()
}

fn failure(e: XmlError, offset: u64, open: &str, ends: &[usize]) -> XmlFailure {
    match e {
        XmlError::Io(io) if io.get_ref().is_some_and(|e| e.is::<EventTooLarge>()) => XmlFailure::OverLimit {
            detail: EventTooLarge.to_string(),
        },
        XmlError::Io(io) => match DecodeError::of(&io) {
            Some(d) if d.is_truncation() => XmlFailure::Truncated {
                detail: d.to_string(),
            },
            Some(d) => XmlFailure::Malformed {
                offset,
                detail: d.to_string(),
            },
            None => XmlFailure::Io(io::Error::new(io.kind(), io.to_string())),
        },
        // These syntax errors only arise when the input ends inside a construct.
        XmlError::Syntax(
            s @ (SyntaxError::UnclosedPI
            | SyntaxError::UnclosedXmlDecl
            | SyntaxError::UnclosedComment
            | SyntaxError::UnclosedDoctype
            | SyntaxError::UnclosedCData
            | SyntaxError::UnclosedTag
            | SyntaxError::UnclosedSingleQuotedAttributeValue
            | SyntaxError::UnclosedDoubleQuotedAttributeValue),
        ) => {
            let inside = if ends.is_empty() {
                String::new()
            } else {
                format!(" inside `<{}>`", innermost(open, ends))
            };
            XmlFailure::Truncated {
                detail: format!("it ends{inside} in the middle of markup ({s})"),
            }
        }
        other => XmlFailure::Malformed {
            offset,
            detail: other.to_string(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utf16le_with_bom(s: &str) -> Vec<u8> {
        let mut v = vec![0xFF, 0xFE];
        v.extend(s.encode_utf16().flat_map(u16::to_le_bytes));
        v
    }

    const DOC: &str = r#"<?xml version="1.0" encoding="utf-16"?>
<HomedResources xmlns="urn:x">
  <HomedResource UserAtHost="a@b.c"><Contacts><Contact Buddy="x@b.c"/><Contact Buddy="y@b.c"/></Contacts></HomedResource>
  <HomedResource UserAtHost="d@b.c"/>
</HomedResources>
"#;

    #[test]
    fn counts_elements_and_names_the_root_in_utf16() {
        let outline = walk(&utf16le_with_bom(DOC)[..], &["HomedResource", "Contact"]).ok();
        assert_eq!(
            outline,
            Some(XmlOutline {
                encoding: TextEncoding::Utf16Le,
                root: "HomedResources".into(),
                namespace: Some("urn:x".into()),
                counts: vec![2, 2],
            })
        );
    }

    #[test]
    fn prefixed_root_takes_its_prefix_namespace() {
        let outline = walk(
            r#"<p:R xmlns="urn:default" xmlns:p="urn:p"><p:a/></p:R>"#.as_bytes(),
            &[],
        )
        .ok();
        assert_eq!(
            outline.map(|o| (o.root, o.namespace)),
            Some(("R".into(), Some("urn:p".into())))
        );
    }

    #[test]
    fn a_cut_document_is_truncated_wherever_the_cut_falls() {
        for cut in [
            DOC.len() - 5,
            DOC.find("<Contact ").unwrap_or(0) + 12,
            DOC.find("</Contacts>").unwrap_or(0),
        ] {
            match walk(&DOC.as_bytes()[..cut], &[]) {
                Err(XmlFailure::Truncated { .. }) => {}
                other => panic!("cut at {cut}: {other:?}"),
            }
        }
        match walk(&utf16le_with_bom(DOC)[..101], &[]) {
            Err(XmlFailure::Truncated { detail }) => {
                assert_eq!(detail, "the file ends in the middle of a UTF-16 character")
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn every_cut_of_a_document_is_caught() {
        let doc = utf16le_with_bom(DOC);
        // Only the final newline (one UTF-16 unit) can go without loss.
        for cut in 0..doc.len() - 2 {
            match walk(&doc[..cut], &[]) {
                Err(XmlFailure::Truncated { .. } | XmlFailure::Malformed { .. }) => {}
                other => panic!("cut at {cut}: {other:?}"),
            }
        }
        assert!(walk(&doc[..doc.len() - 2], &[]).is_ok());
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..512)) {
            let _ = walk(&bytes[..], &["a"]);
            let _ = root_of_head(&bytes);
            let _ = line_and_column(&bytes[..], bytes.len() as u64 / 2);
        }

        #[test]
        fn damaged_documents_never_panic(at in 0..400_usize, byte in proptest::prelude::any::<u8>()) {
            let mut doc = utf16le_with_bom(DOC);
            let at = at % doc.len();
            doc[at] = byte;
            let _ = walk(&doc[..], &["HomedResource"]);
        }
    }

    /// Issue 10: every open element was kept, so memory grew with the nesting depth.
    #[test]
    fn nesting_deeper_than_the_bound_is_over_limit() {
        let depth = 100_000;
        let doc = format!("{}{}", "<a>".repeat(depth), "</a>".repeat(depth));
        match walk(doc.as_bytes(), &[]) {
            Err(XmlFailure::OverLimit { detail }) => {
                assert_eq!(detail, "elements nest deeper than 256 levels (at `<a>`)")
            }
            other => panic!("{other:?}"),
        }
        let ok = format!("{}{}", "<a>".repeat(MAX_DEPTH), "</a>".repeat(MAX_DEPTH));
        assert!(walk(ok.as_bytes(), &[]).is_ok());
    }

    #[test]
    fn long_names_and_huge_text_are_over_limit() {
        let name = "n".repeat(MAX_NAME + 1);
        let doc = format!("<r><{name}/></r>");
        assert!(matches!(
            walk(doc.as_bytes(), &[]),
            Err(XmlFailure::OverLimit { .. })
        ));
        // A text run longer than MAX_EVENT, produced on the fly: never held in memory here.
        let text = io::repeat(b'x').take(MAX_EVENT + 1024);
        let doc = io::Cursor::new(&b"<r>"[..]).chain(text).chain(&b"</r>"[..]);
        match walk(doc, &[]) {
            Err(XmlFailure::OverLimit { detail }) => {
                assert_eq!(detail, "one tag or run of text is longer than 16777216 bytes")
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn truncation_names_the_innermost_open_element() {
        match walk("<a><b><c/>".as_bytes(), &[]) {
            Err(XmlFailure::Truncated { detail }) => assert_eq!(detail, "it ends inside `<b>`"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn mismatched_tags_are_malformed_with_a_line() {
        let doc = "<a>\n  <b>\n  </c>\n</a>";
        match walk(doc.as_bytes(), &[]) {
            Err(XmlFailure::Malformed { offset, detail }) => {
                assert!(
                    detail.contains("expected `</b>`, but `</c>` was found"),
                    "{detail}"
                );
                assert_eq!(line_and_column(doc.as_bytes(), offset).ok(), Some((3, 3)));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn second_root_and_stray_text_are_malformed() {
        for doc in ["<a/><b/>", "<a/> junk"] {
            assert!(
                matches!(walk(doc.as_bytes(), &[]), Err(XmlFailure::Malformed { .. })),
                "{doc}"
            );
        }
    }

    #[test]
    fn empty_input_has_no_root() {
        assert!(matches!(
            walk(&b"  \n"[..], &[]),
            Err(XmlFailure::Truncated { .. })
        ));
    }

    #[test]
    fn head_sniffing() {
        let doc = utf16le_with_bom(DOC);
        assert_eq!(
            root_of_head(&doc[..200]),
            Some((
                TextEncoding::Utf16Le,
                "HomedResources".into(),
                Some("urn:x".into())
            ))
        );
        assert!(looks_like_xml(&doc) && looks_like_xml(b"\n <x/>") && !looks_like_xml(b"hello <x/>"));
        assert_eq!(root_of_head(b"<?xml version=\"1.0\"?>\n<Hom"), None);
    }
}
