//! Evidence of Windows events, from a file the operator exported on the Lync server: an `.evtx`
//! log (`wevtutil epl "Lync Server" f.evtx`) or event XML (`wevtutil qe ... /f:xml`, a series of
//! `<Event>` fragments, with or without an enclosing `<Events>` root).

use quick_xml::Reader;
use quick_xml::events::Event as Xml;
use std::path::Path;

/// The largest event log export read (a whole "Lync Server" log is rarely above a few hundred MiB).
const MAX_EVIDENCE_BYTES: u64 = 1 << 30;

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

/// Every event in the file.
pub fn read(path: &Path) -> Result<Vec<Event>, String> {
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
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read `{}`: {e}", path.display()))?;
    if bytes.starts_with(b"ElfFile\0") {
        return read_evtx(path);
    }
    let text = decode(&bytes)
        .ok_or_else(|| format!("`{}` is neither an .evtx log nor event XML", path.display()))?;
    parse_xml(&text).map_err(|e| format!("`{}`: {e}", path.display()))
}

fn read_evtx(path: &Path) -> Result<Vec<Event>, String> {
    let mut parser = evtx::EvtxParser::from_path(path).map_err(|e| format!("`{}`: {e}", path.display()))?;
    let mut out = Vec::new();
    for record in parser.records() {
        let record = record.map_err(|e| format!("`{}`: damaged record: {e}", path.display()))?;
        out.extend(parse_xml(&record.data).map_err(|e| format!("`{}`: {e}", path.display()))?);
    }
    Ok(out)
}

/// UTF-8 or UTF-16 (wevtutil writes either, depending on the console), BOM or not.
fn decode(bytes: &[u8]) -> Option<String> {
    crate::decode::document(bytes).filter(|t| t.trim_start().starts_with('<'))
}

pub fn parse_xml(text: &str) -> Result<Vec<Event>, String> {
    let mut reader = Reader::from_str(text);
    let mut out = Vec::new();
    let mut current: Option<Event> = None;
    let mut field = String::new();
    loop {
        let ev = reader
            .read_event()
            .map_err(|e| format!("bad event XML at byte {}: {e}", reader.buffer_position()))?;
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
                if let Some(ev) = current.as_mut() {
                    let text = t.xml10_content().trim().to_owned();
                    match field.as_str() {
                        "EventID" => ev.id = text.parse().unwrap_or(0),
                        "Computer" => ev.computer = text,
                        "Channel" => ev.channel = text,
                        _ if !text.is_empty() && ev.text.len() < TEXT_LIMIT => {
                            if !ev.text.is_empty() {
                                ev.text.push(' ');
                            }
                            let room = TEXT_LIMIT - ev.text.len();
                            ev.text.extend(text.chars().scan(0, |n, c| {
                                *n += c.len_utf8();
                                (*n <= room).then_some(c)
                            }));
                        }
                        _ => {}
                    }
                }
            }
            Xml::End(e) => {
                if e.local_name().as_ref() == "Event"
                    && let Some(ev) = current.take()
                {
                    out.push(ev);
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
    Ok(out)
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
