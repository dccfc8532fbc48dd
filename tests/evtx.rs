//! A minimal `.evtx` writer for tests: one chunk, records in plain BinXML (no templates), enough
//! for an exported "Lync Server" log holding the events a test needs. Layout from MS-EVEN6.

const FILE_HEADER: usize = 4096;
const CHUNK: usize = 65536;
const CHUNK_HEADER: usize = 512;
const RECORD_HEADER: usize = 24;

pub struct Event<'a> {
    pub id: u32,
    pub provider: &'a str,
    pub time: &'a str,
    pub computer: &'a str,
    /// The text of one `<EventData><Data>` element; none when empty.
    pub data: &'a str,
}

struct BinXml {
    bytes: Vec<u8>,
    /// Offset of `bytes[0]` in the chunk: inline names point at their own chunk offset.
    base: usize,
}

impl BinXml {
    fn raw(&mut self, b: &[u8]) -> &mut Self {
        self.bytes.extend_from_slice(b);
        self
    }
    fn utf16(&mut self, s: &str) -> &mut Self {
        for u in s.encode_utf16() {
            self.raw(&u.to_le_bytes());
        }
        self
    }
    /// A name written inline: its offset (pointing just past itself), next-name link, hash,
    /// length, UTF-16 characters, NUL.
    fn name(&mut self, name: &str) -> &mut Self {
        let at = (self.base + self.bytes.len() + 4) as u32;
        let len = name.encode_utf16().count() as u16;
        self.raw(&at.to_le_bytes())
            .raw(&0u32.to_le_bytes())
            .raw(&0u16.to_le_bytes())
            .raw(&len.to_le_bytes());
        self.utf16(name).raw(&0u16.to_le_bytes())
    }
    fn text(&mut self, s: &str) -> &mut Self {
        let len = s.encode_utf16().count() as u16;
        self.raw(&[0x05, 0x01]).raw(&len.to_le_bytes()).utf16(s)
    }
    /// `<name>` (0x01), or `<name attr="...">` (0x41, then the attribute list).
    fn open(&mut self, name: &str, attribute: Option<(&str, &str)>) -> &mut Self {
        self.raw(&[if attribute.is_some() { 0x41 } else { 0x01 }])
            .raw(&0u32.to_le_bytes())
            .name(name);
        if let Some((a, v)) = attribute {
            self.raw(&0u32.to_le_bytes()).raw(&[0x06]).name(a).text(v);
        }
        self
    }
    fn element(&mut self, name: &str, text: &str) -> &mut Self {
        self.open(name, None).raw(&[0x02]).text(text).raw(&[0x04])
    }
    fn empty(&mut self, name: &str, attribute: (&str, &str)) -> &mut Self {
        self.open(name, Some(attribute)).raw(&[0x03])
    }
}

fn put(buf: &mut [u8], at: usize, bytes: &[u8]) {
    buf[at..at + bytes.len()].copy_from_slice(bytes);
}

pub fn evtx(events: &[Event]) -> Vec<u8> {
    let mut file = vec![0u8; FILE_HEADER + CHUNK];
    put(&mut file, 0, b"ElfFile\0");
    put(&mut file, 24, &(events.len() as u64 + 1).to_le_bytes());
    put(&mut file, 32, &128u32.to_le_bytes());
    put(&mut file, 36, &1u16.to_le_bytes());
    put(&mut file, 38, &3u16.to_le_bytes());
    put(&mut file, 40, &(FILE_HEADER as u16).to_le_bytes());
    put(&mut file, 42, &1u16.to_le_bytes());
    let sum = evtx::checksum_ieee(&file[..120]);
    put(&mut file, 124, &sum.to_le_bytes());

    let chunk = &mut file[FILE_HEADER..];
    let (mut start, mut last) = (CHUNK_HEADER, CHUNK_HEADER);
    for (i, e) in events.iter().enumerate() {
        let mut x = BinXml {
            bytes: Vec::new(),
            base: start + RECORD_HEADER,
        };
        x.raw(&[0x0f, 1, 1, 0]).open(
            "Event",
            Some(("xmlns", "http://schemas.microsoft.com/win/2004/08/events/event")),
        );
        x.raw(&[0x02]).open("System", None).raw(&[0x02]);
        x.empty("Provider", ("Name", e.provider))
            .element("EventID", &e.id.to_string());
        x.empty("TimeCreated", ("SystemTime", e.time))
            .element("Channel", "Lync Server")
            .element("Computer", e.computer);
        x.raw(&[0x04]);
        if !e.data.is_empty() {
            x.open("EventData", None)
                .raw(&[0x02])
                .element("Data", e.data)
                .raw(&[0x04]);
        }
        x.raw(&[0x04, 0x00]);
        let size = RECORD_HEADER + x.bytes.len() + 4;
        let record = &mut chunk[start..start + size];
        put(record, 0, &[0x2a, 0x2a, 0, 0]);
        put(record, 4, &(size as u32).to_le_bytes());
        put(record, 8, &(i as u64 + 1).to_le_bytes());
        put(record, 16, &131_000_000_000_000_000u64.to_le_bytes());
        put(record, RECORD_HEADER, &x.bytes);
        put(record, size - 4, &(size as u32).to_le_bytes());
        last = start;
        start += size;
    }
    put(chunk, 0, b"ElfChnk\0");
    for (at, n) in [
        (8, 1u64),
        (16, events.len() as u64),
        (24, 1),
        (32, events.len() as u64),
    ] {
        put(chunk, at, &n.to_le_bytes());
    }
    put(chunk, 40, &128u32.to_le_bytes());
    put(chunk, 44, &(last as u32).to_le_bytes());
    put(chunk, 48, &(start as u32).to_le_bytes());
    let records = evtx::checksum_ieee(&chunk[CHUNK_HEADER..start]);
    put(chunk, 52, &records.to_le_bytes());
    let header = evtx::checksum_ieee(&[&chunk[..120], &chunk[128..CHUNK_HEADER]].concat());
    put(chunk, 124, &header.to_le_bytes());
    file
}

#[test]
fn lyncdr_reads_the_events_back() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("lync.evtx");
    let events = [
        Event {
            id: 32118,
            provider: "LS User Services",
            time: "2026-11-25T09:00:00.0000000Z",
            computer: "fe01.contoso.com",
            data: "",
        },
        Event {
            id: 30024,
            provider: "LS User Replicator",
            time: "2026-11-25T09:14:03.1234567Z",
            computer: "fe01.contoso.com",
            data: "",
        },
    ];
    std::fs::write(&path, evtx(&events)).expect("write");
    let read = lyncdr::run::evidence::read(&path, &|_| true).expect("readable .evtx");
    assert_eq!(read.len(), 2, "{read:?}");
    assert_eq!(read[1].id, 30024);
    assert_eq!(read[1].provider, "LS User Replicator");
    assert_eq!(read[1].computer, "fe01.contoso.com");
    assert_eq!(
        read[1].time.map(|t| t.to_string()).as_deref(),
        Some("2026-11-25T09:14:03.1234567Z")
    );
}
