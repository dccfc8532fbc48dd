//! Evidence of Windows events, from a file the operator exported on the Lync server: an `.evtx`
//! log (`wevtutil epl "Lync Server" f.evtx`) or event XML (`wevtutil qe ... /f:xml`, a series of
//! `<Event>` fragments, with or without an enclosing `<Events>` root).

use crate::utf16::{TextEncoding, Utf8Reader};
use quick_xml::Reader;
use quick_xml::events::Event as Xml;
use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;

/// The largest event log export read (a whole "Lync Server" log is rarely above a few hundred MiB).
const MAX_EVIDENCE_BYTES: u64 = 1 << 30;
/// Events kept per file, the newest: a gate looks for the newest few of one id.
pub const MAX_KEPT: usize = 2_000;
/// Bytes of event XML between two `<` or `>`: quick-xml holds a text or a tag whole in memory.
const MAX_RUN: usize = 1 << 20;
/// Elements open at once: an event nests four or five deep.
const MAX_DEPTH: usize = 64;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    pub id: u32,
    pub provider: String,
    pub time: Option<jiff::Timestamp>,
    pub computer: String,
    pub channel: String,
    /// The event's data and message text (EventData, UserData, RenderingInfo), for the domain
    /// a 30024 names; at most [`TEXT_LIMIT`] bytes.
    pub text: String,
}

/// Bytes of data text kept per event.
pub const TEXT_LIMIT: usize = 4096;

/// The events in the file that `keep` wants (at most the newest [`MAX_KEPT`]). The file is read
/// as a stream: its first bytes decide its kind (an `.evtx` log or event XML) and the rest goes
/// through a fixed amount of memory, whatever its size.
pub fn read(path: &Path, keep: &dyn Fn(&Event) -> bool) -> Result<Vec<Event>, String> {
    // An export is a file: a FIFO or a device (`/dev/zero`) would never end.
    match std::fs::metadata(path) {
        Ok(m) if !m.is_file() => return Err(format!("`{}` is not a regular file", path.display())),
        Ok(m) if m.len() > MAX_EVIDENCE_BYTES => {
            return Err(format!(
                "`{}` is {} bytes: export only event 30024 (wevtutil qe ... /q:\"*[System[(EventID=30024)]]\")",
                path.display(),
                m.len()
            ));
        }
        _ => {}
    }
    let cannot = |e: io::Error| format!("cannot read `{}`: {e}", path.display());
    let mut file = std::fs::File::open(path).map_err(cannot)?;
    let mut head = Vec::with_capacity(8);
    (&mut file).take(8).read_to_end(&mut head).map_err(cannot)?;
    if head.starts_with(b"ElfFile\0") {
        return read_evtx(path, keep);
    }
    let (encoding, bom) = TextEncoding::sniff(&head);
    let rest = io::Cursor::new(head[bom..].to_vec()).chain(file);
    let guarded = Guard::new(Utf8Reader::new(rest, encoding), encoding);
    parse_stream(BufReader::with_capacity(64 << 10, guarded), keep)
        .map_err(|e| format!("`{}`: {e}", path.display()))
}

fn read_evtx(path: &Path, keep: &dyn Fn(&Event) -> bool) -> Result<Vec<Event>, String> {
    let mut parser = evtx::EvtxParser::from_path(path).map_err(|e| format!("`{}`: {e}", path.display()))?;
    let mut out = Kept::default();
    for record in parser.records() {
        let record = record.map_err(|e| format!("`{}`: damaged record: {e}", path.display()))?;
        let events = parse_xml(&record.data).map_err(|e| format!("`{}`: {e}", path.display()))?;
        events.into_iter().filter(|e| keep(e)).for_each(|e| out.push(e));
    }
    Ok(out.into_vec())
}

/// The newest [`MAX_KEPT`] events pushed.
#[derive(Default)]
struct Kept(Vec<Event>);

impl Kept {
    fn push(&mut self, event: Event) {
        self.0.push(event);
        if self.0.len() >= 2 * MAX_KEPT {
            self.trim();
        }
    }

    fn trim(&mut self) {
        self.0.sort_by_key(|e| std::cmp::Reverse(e.time));
        self.0.truncate(MAX_KEPT);
    }

    fn into_vec(mut self) -> Vec<Event> {
        if self.0.len() > MAX_KEPT {
            self.trim();
        }
        self.0
    }
}

/// Passes decoded event XML on, refusing what is not XML from its first byte (the magic number
/// of a text file: `<`, after white space), and a run of more than [`MAX_RUN`] bytes without a
/// `<` or `>` (a text or a tag quick-xml would hold whole).
struct Guard<R> {
    inner: R,
    started: bool,
    run: usize,
    encoding: TextEncoding,
}

impl<R> Guard<R> {
    fn new(inner: R, encoding: TextEncoding) -> Self {
        Self {
            inner,
            started: false,
            run: 0,
            encoding,
        }
    }
}

impl<R: Read> Read for Guard<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        let got = &buf[..n];
        if !self.started {
            match got.iter().find(|b| !b.is_ascii_whitespace()) {
                Some(b'<') => self.started = true,
                Some(_) => {
                    return Err(io::Error::other(format!(
                        "neither an .evtx log nor event XML (read as {})",
                        self.encoding.name()
                    )));
                }
                None if n == 0 => {
                    return Err(io::Error::other("empty: neither an .evtx log nor event XML"));
                }
                None => {}
            }
        }
        let tag = |b: &u8| *b == b'<' || *b == b'>';
        // Runs inside one read are shorter than a read unless it is over MAX_RUN (it is not
        // for a BufReader's 8 KiB); only the run carried across reads is counted.
        let longest = match (got.iter().position(tag), got.iter().rposition(tag)) {
            (Some(first), Some(last)) => {
                let inner = if n > MAX_RUN { longest_run(got) } else { 0 };
                let before = self.run + first;
                self.run = n - last - 1;
                before.max(inner)
            }
            _ => {
                self.run += n;
                self.run
            }
        };
        if longest > MAX_RUN {
            return Err(io::Error::other(format!(
                "more than {MAX_RUN} bytes without a tag: not event XML"
            )));
        }
        Ok(n)
    }
}

fn longest_run(bytes: &[u8]) -> usize {
    bytes
        .split(|b| *b == b'<' || *b == b'>')
        .map(<[u8]>::len)
        .max()
        .unwrap_or(0)
}

/// Every event in `text` (tests, and each record of an `.evtx` log).
pub fn parse_xml(text: &str) -> Result<Vec<Event>, String> {
    let mut all = Vec::new();
    parse_events(text.as_bytes(), &mut |e| all.push(e))?;
    Ok(all)
}

fn parse_stream(input: impl BufRead, keep: &dyn Fn(&Event) -> bool) -> Result<Vec<Event>, String> {
    let mut out = Kept::default();
    parse_events(input, &mut |e| {
        if keep(&e) {
            out.push(e);
        }
    })?;
    Ok(out.into_vec())
}

fn parse_events(input: impl BufRead, found: &mut dyn FnMut(Event)) -> Result<(), String> {
    let mut reader = Reader::from_reader(input);
    let mut buf = Vec::new();
    let mut current: Option<Event> = None;
    let mut field = String::new();
    let mut depth = 0usize;
    loop {
        buf.clear();
        let ev = reader
            .read_event_into(&mut buf)
            .map_err(|e| format!("bad event XML at byte {}: {e}", reader.buffer_position()))?;
        match &ev {
            Xml::Start(_) => depth += 1,
            Xml::End(_) => depth = depth.saturating_sub(1),
            _ => {}
        }
        if depth > MAX_DEPTH {
            return Err(format!("elements nest more than {MAX_DEPTH} deep: not event XML"));
        }
        match ev {
            Xml::Start(e) | Xml::Empty(e) => {
                let name = e.local_name().as_ref().to_owned();
                if name == "Event" {
                    current = Some(Event {
                        id: 0,
                        provider: String::new(),
                        time: None,
                        computer: String::new(),
                        channel: String::new(),
                        text: String::new(),
                    });
                }
                if let Some(ev) = current.as_mut() {
                    for a in e.attributes().flatten() {
                        let key = a.key.local_name().as_ref().to_owned();
                        let value = a
                            .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                            .map(|v| v.into_owned())
                            .unwrap_or_default();
                        match (name.as_str(), key.as_str()) {
                            ("Provider", "Name") => ev.provider = value,
                            ("TimeCreated", "SystemTime") => ev.time = parse_time(&value),
                            _ => {}
                        }
                    }
                }
                field = name;
            }
            Xml::Text(t) => {
                // Data text past the limit is not even decoded.
                if let Some(ev) = current.as_mut()
                    && (ev.text.len() < TEXT_LIMIT
                        || matches!(field.as_str(), "EventID" | "Computer" | "Channel"))
                {
                    let text = t.xml10_content().trim().to_owned();
                    add_text(ev, &field, text);
                }
            }
            Xml::End(e) => {
                if e.local_name().as_ref() == "Event"
                    && let Some(ev) = current.take()
                {
                    found(ev);
                }
                field.clear();
            }
            Xml::Eof => break,
            _ => {}
        }
    }
    if current.is_some() {
        return Err("the last <Event> is not closed (truncated file?)".into());
    }
    Ok(())
}

fn add_text(ev: &mut Event, field: &str, text: String) {
    match field {
        "EventID" => ev.id = text.parse().unwrap_or(0),
        "Computer" => ev.computer = text,
        "Channel" => ev.channel = text,
        _ if !text.is_empty() && ev.text.len() < TEXT_LIMIT => {
            if !ev.text.is_empty() {
                ev.text.push(' ');
            }
            let mut cut = (TEXT_LIMIT - ev.text.len()).min(text.len());
            while !text.is_char_boundary(cut) {
                cut -= 1;
            }
            ev.text.push_str(&text[..cut]);
        }
        _ => {}
    }
}

/// Windows writes `2026-11-25T09:14:03.123456700Z`; jiff reads RFC 3339 with up to 9 digits.
fn parse_time(s: &str) -> Option<jiff::Timestamp> {
    s.parse().ok()
}

/// Every event matching `id` and `provider` that is newer than `after`.
pub fn find_all<'e>(
    events: &'e [Event],
    id: u32,
    provider: &str,
    after: Option<jiff::Timestamp>,
) -> Vec<&'e Event> {
    events
        .iter()
        .filter(|e| e.id == id && e.provider.eq_ignore_ascii_case(provider))
        .filter(|e| match (after, e.time) {
            (Some(after), Some(t)) => t > after,
            (Some(_), None) => false,
            (None, _) => true,
        })
        .collect()
}

/// The newest event matching `id` and `provider` that is newer than `after`.
pub fn find<'e>(
    events: &'e [Event],
    id: u32,
    provider: &str,
    after: Option<jiff::Timestamp>,
) -> Option<&'e Event> {
    find_all(events, id, provider, after)
        .into_iter()
        .max_by_key(|e| e.time)
}

/// Event XML as `wevtutil qe` prints it; used by tests and by anyone building evidence by hand.
pub fn event_xml(id: u32, provider: &str, time: &str, computer: &str) -> String {
    event_xml_with_data(
        id,
        provider,
        time,
        computer,
        "User Replicator has completed initial synchronization.",
    )
}

/// [`event_xml`] with the text of its `<Data>` element (a 30024 names its domain there; the
/// exact wording is unconfirmed).
pub fn event_xml_with_data(id: u32, provider: &str, time: &str, computer: &str, data: &str) -> String {
    format!(
        "<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System><Provider Name='{provider}'/>\
<EventID Qualifiers='16384'>{id}</EventID><Level>4</Level><TimeCreated SystemTime='{time}'/>\
<Channel>Lync Server</Channel><Computer>{computer}</Computer></System>\
<EventData><Data>{data}</Data></EventData></Event>"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fragments_with_and_without_a_root() {
        let one = event_xml(
            30024,
            "LS User Replicator",
            "2026-11-25T09:14:03.1234567Z",
            "fe01.contoso.com",
        );
        let two = event_xml(
            32118,
            "LS User Services",
            "2026-11-25T09:15:00Z",
            "fe01.contoso.com",
        );
        for text in [format!("{one}\n{two}"), format!("<Events>{one}{two}</Events>")] {
            let events = parse_xml(&text).unwrap();
            assert_eq!(events.len(), 2);
            assert_eq!(events[0].id, 30024);
            assert_eq!(events[0].provider, "LS User Replicator");
            let after: jiff::Timestamp = "2026-11-25T09:00:00Z".parse().unwrap();
            assert!(find(&events, 30024, "LS User Replicator", Some(after)).is_some());
            let later: jiff::Timestamp = "2026-11-25T10:00:00Z".parse().unwrap();
            assert!(find(&events, 30024, "LS User Replicator", Some(later)).is_none());
            assert!(find(&events, 30024, "LS User Services", None).is_none());
        }
    }

    #[test]
    fn truncated_xml_is_an_error() {
        let one = event_xml(30024, "LS User Replicator", "2026-11-25T09:14:03Z", "fe01");
        assert!(parse_xml(&one[..one.len() - 20]).is_err());
    }
}
