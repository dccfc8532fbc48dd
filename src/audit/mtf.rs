//! The header of a SQL Server native backup (`.bak`), read without SQL Server.
//!
//! An uncompressed backup is a Microsoft Tape Format stream: a `TAPE` block at offset 0, then (at a
//! 512-byte boundary below 64 KiB, after a soft filemark `SFMB`) the `SSET` block that starts the
//! backup set, the data, and an `ESET` block that ends it. Every block starts with a 52-byte
//! header whose last word is a checksum of the rest. A compressed backup starts with `MSSQLBAK` and
//! its contents are XPRESS-compressed: it is recognised, not read.
//! Offsets follow the MTF 1.00a specification (see `reference/lync2010-facts.md`).
//!
//! A file can hold several backup sets, appended one after the other (`BACKUP ... WITH NOINIT`,
//! the default of SQL Server Management Studio). [`read_header`] reads the first, from the first
//! 128 KiB; [`SetScanner`] is fed the whole file block by block, in the pass that hashes it, and
//! lists every set.

use jiff::Timestamp;
use jiff::tz::TimeZone;
use serde::Serialize;
use std::io::{self, Read, Seek, SeekFrom};

pub const MTF_MAGIC: &[u8] = b"TAPE";
pub const COMPRESSED_MAGIC: &[u8] = b"MSSQLBAK";
/// The smallest compressed backup taken as one: SQL Server writes a backup's media header in
/// whole blocks of at least 4 KiB before any data (a conservative floor: an 8-byte `MSSQLBAK`
/// file, or any stub of a few blocks, is not a backup).
pub const MIN_COMPRESSED: u64 = 4096;
/// MTF blocks start at multiples of this.
const ALIGN: usize = 512;
const BLOCK_HEADER: usize = 52;
/// The `SSET` block starts at a block boundary no later than this.
const SSET_LIMIT: usize = 65_536;
/// Bytes read from the start: the `SSET` block and the strings it points to (u16 offsets).
const HEAD_READ: u64 = (SSET_LIMIT + 65_536 + BLOCK_HEADER) as u64;
/// The end-of-set block is looked for in this many bytes at the end of the file.
pub const TAIL_SEARCH: u64 = 1 << 20;

// Offsets in the TAPE and SSET blocks.
const STRING_TYPE: usize = 48;
const CHECKSUM: usize = 50;
const TAPE_SOFTWARE_NAME: usize = 80;
const SSET_ATTRIBUTES: usize = 52;
const SSET_DATA_SET_NAME: usize = 64;
const SSET_USER_NAME: usize = 76;
const SSET_WRITE_DATE: usize = 88;

/// What the header of a SQL Server backup says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SqlBackupHeader {
    pub compressed: bool,
    /// The data set name of the backup set: the database name (or a backup name holding it).
    pub data_set_name: Option<String>,
    /// When the backup set was written. The MTF date has no time zone; it is taken as UTC.
    pub backup_time: Option<Timestamp>,
    pub backup_type: Option<BackupType>,
    /// The program that wrote it, e.g. `Microsoft SQL Server`.
    pub software: Option<String>,
    /// The account that ran the backup.
    pub user: Option<String>,
    /// How many backup sets the file holds (`None`: not read to its end, e.g. compressed).
    pub backup_sets: Option<u64>,
    /// The newest full backup set of the file's database, numbered as `RESTORE HEADERONLY`
    /// numbers them (`Position`, from 1): the set lyncdr's restore takes (`WITH FILE = n`).
    pub newest_full_position: Option<u64>,
    /// When that set was written; the backup's age is measured from it.
    pub newest_full_time: Option<Timestamp>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum BackupType {
    Full,
    Differential,
    CopyOnly,
    Other,
}

impl BackupType {
    fn from_attributes(a: u32) -> Self {
        match a {
            _ if a & 0x2 != 0 => BackupType::CopyOnly,
            _ if a & 0x8 != 0 => BackupType::Differential,
            _ if a & 0x4 != 0 => BackupType::Full,
            _ => BackupType::Other,
        }
    }

    /// A full database backup, as lyncdr's restore picks one (`BackupType = 1` in `RESTORE
    /// HEADERONLY`, which a copy-only full backup also has). Unconfirmed: whether SQL Server marks
    /// a copy-only log backup with the same MTF copy bit; if so, it would be counted here too.
    pub fn is_full_database(self) -> bool {
        matches!(self, BackupType::Full | BackupType::CopyOnly)
    }

    pub fn name(self) -> &'static str {
        match self {
            BackupType::Full => "full",
            BackupType::Differential => "differential",
            BackupType::CopyOnly => "copy-only",
            BackupType::Other => "other",
        }
    }
}

#[derive(Debug)]
pub enum MtfError {
    /// Neither `TAPE` nor `MSSQLBAK` at offset 0.
    NotABackup,
    /// The file ends before the structure does.
    Truncated(String),
    /// The structure is there but wrong (checksum, pointers).
    Corrupt(String),
    Io(io::Error),
}

impl From<io::Error> for MtfError {
    fn from(e: io::Error) -> Self {
        MtfError::Io(e)
    }
}

/// Reads the TAPE and SSET blocks of the backup in `r`, `len` bytes long.
pub fn read_header(r: &mut (impl Read + Seek), len: u64) -> Result<SqlBackupHeader, MtfError> {
    r.seek(SeekFrom::Start(0))?;
    let mut head = Vec::new();
    r.take(HEAD_READ).read_to_end(&mut head)?;
    if head.starts_with(COMPRESSED_MAGIC) {
        // Its contents are not read, so at least its size must be that of a backup.
        if len < MIN_COMPRESSED {
            return Err(MtfError::Truncated(format!(
                "it is {len} bytes, less than the {MIN_COMPRESSED} bytes of any SQL Server backup (its media header alone is larger)"
            )));
        }
        return Ok(SqlBackupHeader {
            compressed: true,
            data_set_name: None,
            backup_time: None,
            backup_type: None,
            software: None,
            user: None,
            backup_sets: None,
            newest_full_position: None,
            newest_full_time: None,
        });
    }
    if !head.starts_with(MTF_MAGIC) {
        return Err(MtfError::NotABackup);
    }
    let whole = head.len() as u64 == len;
    let tape = Block::at(&head, 0)
        .ok_or_else(|| MtfError::Truncated(format!("it ends inside the TAPE block ({len} bytes)")))?;
    if !tape.checksum_ok() {
        return Err(MtfError::Corrupt(
            "the checksum of the TAPE block header does not match".into(),
        ));
    }
    let sset = (ALIGN..=SSET_LIMIT)
        .step_by(ALIGN)
        .filter_map(|at| Block::at(&head, at))
        .find(|b| b.is(b"SSET") && b.checksum_ok());
    let Some(sset) = sset else {
        return Err(if whole && len < (SSET_LIMIT + BLOCK_HEADER) as u64 {
            MtfError::Truncated(format!(
                "it ends ({len} bytes) before the backup set (SSET) block"
            ))
        } else {
            MtfError::Corrupt("no backup set (SSET) block in the first 64 KiB".into())
        });
    };
    Ok(SqlBackupHeader {
        compressed: false,
        data_set_name: sset.string(SSET_DATA_SET_NAME, whole)?,
        backup_time: sset.bytes(SSET_WRITE_DATE, 5).and_then(mtf_date),
        backup_type: sset.u32(SSET_ATTRIBUTES).map(BackupType::from_attributes),
        software: tape.string(TAPE_SOFTWARE_NAME, whole)?,
        user: sset.string(SSET_USER_NAME, whole)?,
        backup_sets: None,
        newest_full_position: None,
        newest_full_time: None,
    })
}

/// Checks that an uncompressed backup ends as a complete backup set does: whole 512-byte blocks
/// and an `ESET` block near the end.
pub fn check_tail(r: &mut (impl Read + Seek), len: u64) -> Result<(), MtfError> {
    if !len.is_multiple_of(ALIGN as u64) {
        return Err(MtfError::Truncated(format!(
            "its size ({len} bytes) is not a whole number of 512-byte blocks"
        )));
    }
    let start = len.saturating_sub(TAIL_SEARCH);
    r.seek(SeekFrom::Start(start))?;
    let mut tail = Vec::new();
    r.take(TAIL_SEARCH).read_to_end(&mut tail)?;
    let found = (0..tail.len())
        .step_by(ALIGN)
        .rev()
        .filter_map(|at| Block::at(&tail, at))
        .any(|b| b.is(b"ESET") && b.checksum_ok());
    if found {
        Ok(())
    } else {
        Err(MtfError::Truncated(
            "no end-of-set (ESET) block at its end: the backup set is incomplete".into(),
        ))
    }
}

/// One backup set of a file, from its `SSET` block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupSet {
    /// 1 for the first set in the file, as `RESTORE HEADERONLY` numbers them (`Position`).
    pub position: u64,
    pub backup_type: BackupType,
    pub data_set_name: Option<String>,
    pub backup_time: Option<Timestamp>,
}

/// The backup sets of a file, as [`SetScanner`] found them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BackupSets {
    /// The first [`MAX_SETS`] sets, in file order.
    pub sets: Vec<BackupSet>,
    /// Every set found, also those beyond [`MAX_SETS`].
    pub count: u64,
}

impl BackupSets {
    /// The newest full database backup among the sets whose data set name `of_database` accepts:
    /// the latest backup time, the later position among equals (as lyncdr's restore sorts them).
    pub fn newest_full(&self, of_database: impl Fn(Option<&str>) -> bool) -> Option<&BackupSet> {
        self.sets
            .iter()
            .filter(|s| s.backup_type.is_full_database() && of_database(s.data_set_name.as_deref()))
            .max_by_key(|s| (s.backup_time, s.position))
    }
}

/// Sets whose headers are kept per file; later ones are only counted. A real file holds a few
/// (one per `BACKUP` without `INIT`); the cap bounds memory on a file full of fake `SSET` tags.
pub const MAX_SETS: usize = 10_000;
/// Bytes of a data set name kept: SQL Server names are `sysname`, at most 128 UTF-16 units.
const MAX_NAME: usize = 256;
/// The fixed fields of an `SSET` block the scanner reads: up to and with the backup date.
const SSET_FIXED: usize = SSET_WRITE_DATE + 5;

/// Finds every backup set of an uncompressed backup in one pass over its bytes, fed in order in
/// chunks of any size (the hash pass's 128 KiB blocks), without holding the file.
///
/// How one set is found is the one unconfirmed rule here: an appended set starts with its own
/// `SSET` block at a 512-byte boundary (after the previous set's `ESET` and an `SFMB`), as the
/// first does. MTF block headers carry no length of what follows them (the data is a chain of
/// streams), so instead of walking from set to set, every 512-byte boundary is looked at: the
/// cost is a 4-byte compare per 512 bytes, and the header checksum of a candidate is computed
/// only when the tag matches. A boundary whose tag is `SSET` but whose checksum fails (damage,
/// or a backed-up page that happens to hold the tag) is skipped; the sets after it keep their
/// order, so their positions shift by one if it was a real, damaged set.
#[derive(Debug, Default)]
pub struct SetScanner {
    /// File offset of the next byte fed.
    offset: u64,
    /// A candidate `SSET` block whose fixed fields run past the chunk fed last: its start and
    /// its bytes so far (less than [`SSET_FIXED`]; at most one, since that is below [`ALIGN`]).
    partial: Option<(u64, Vec<u8>)>,
    /// Data set names still being read (their pointer leads past the chunk fed last).
    names: Vec<PendingName>,
    found: BackupSets,
}

/// The bytes of a data set name, from the file offset `start`, for set `index`.
#[derive(Debug)]
struct PendingName {
    index: usize,
    start: u64,
    string_type: u8,
    bytes: Vec<u8>,
    len: usize,
}

impl PendingName {
    /// Copies the part of `data` (from file offset `at`) that continues the name.
    fn fill(&mut self, at: u64, data: &[u8]) {
        let next = self.start + self.bytes.len() as u64;
        let end = self.start + self.len as u64;
        let data_end = at + data.len() as u64;
        if next < at || next >= data_end {
            return;
        }
        let from = (next - at) as usize;
        let to = (end.min(data_end) - at) as usize;
        self.bytes.extend_from_slice(&data[from..to]);
    }

    fn done(&self) -> bool {
        self.bytes.len() >= self.len
    }
}

impl SetScanner {
    pub fn new() -> Self {
        Self::default()
    }

    /// Looks at the next bytes of the file.
    pub fn feed(&mut self, data: &[u8]) {
        let at = self.offset;
        let end = at + data.len() as u64;
        for name in &mut self.names {
            name.fill(at, data);
        }
        self.complete_names();
        if let Some((start, mut head)) = self.partial.take() {
            let take = (SSET_FIXED - head.len()).min(data.len());
            head.extend_from_slice(&data[..take]);
            if head.len() < SSET_FIXED {
                self.partial = Some((start, head));
            } else {
                self.candidate(start, &head, &[(start, &head), (at, data)]);
            }
        }
        let mut block = at.next_multiple_of(ALIGN as u64);
        while block < end {
            let rest = &data[(block - at) as usize..];
            if rest.len() >= SSET_FIXED {
                if rest.starts_with(b"SSET") {
                    self.candidate(block, &rest[..SSET_FIXED], &[(at, data)]);
                }
            } else if b"SSET".starts_with(&rest[..rest.len().min(4)]) {
                self.partial = Some((block, rest.to_vec()));
            }
            block += ALIGN as u64;
        }
        self.offset = end;
    }

    /// The sets found; names still unread when the file ended stay unknown.
    pub fn finish(self) -> BackupSets {
        self.found
    }

    /// Records the set whose fixed fields are `head` (from file offset `start`) if its header
    /// checksum holds; its name is read from `seen` (chunks fed so far that may hold it) and
    /// from what comes next.
    fn candidate(&mut self, start: u64, head: &[u8], seen: &[(u64, &[u8])]) {
        let sset = Block(head);
        if !sset.is(b"SSET") || !sset.checksum_ok() {
            return;
        }
        self.found.count += 1;
        if self.found.sets.len() >= MAX_SETS {
            return;
        }
        let index = self.found.sets.len();
        self.found.sets.push(BackupSet {
            position: self.found.count,
            backup_type: sset
                .u32(SSET_ATTRIBUTES)
                .map_or(BackupType::Other, BackupType::from_attributes),
            data_set_name: None,
            backup_time: sset.bytes(SSET_WRITE_DATE, 5).and_then(mtf_date),
        });
        let (Some(size), Some(offset)) = (sset.u16(SSET_DATA_SET_NAME), sset.u16(SSET_DATA_SET_NAME + 2))
        else {
            return;
        };
        let mut name = PendingName {
            index,
            start: start + u64::from(offset),
            string_type: head[STRING_TYPE],
            bytes: Vec::new(),
            len: usize::from(size).min(MAX_NAME),
        };
        for (at, data) in seen {
            name.fill(*at, data);
        }
        self.names.push(name);
        self.complete_names();
    }

    fn complete_names(&mut self) {
        let sets = &mut self.found.sets;
        self.names.retain(|name| {
            if !name.done() {
                return true;
            }
            if let Some(set) = sets.get_mut(name.index) {
                set.data_set_name = decode(&name.bytes, name.string_type);
            }
            false
        });
    }
}

/// An MTF block: its bytes from the block start to the end of what was read.
struct Block<'a>(&'a [u8]);

impl<'a> Block<'a> {
    fn at(buf: &'a [u8], at: usize) -> Option<Self> {
        let b = buf.get(at..)?;
        (b.len() >= BLOCK_HEADER).then_some(Block(b))
    }

    fn is(&self, tag: &[u8; 4]) -> bool {
        self.0.starts_with(tag)
    }

    /// The header checksum: the XOR of the 25 little-endian words before it.
    fn checksum_ok(&self) -> bool {
        let xor = self.0[..CHECKSUM]
            .chunks_exact(2)
            .fold(0, |x, w| x ^ u16::from_le_bytes([w[0], w[1]]));
        self.u16(CHECKSUM) == Some(xor)
    }

    fn bytes(&self, at: usize, n: usize) -> Option<&'a [u8]> {
        self.0.get(at..at + n)
    }

    fn u16(&self, at: usize) -> Option<u16> {
        self.bytes(at, 2).map(|b| u16::from_le_bytes([b[0], b[1]]))
    }

    fn u32(&self, at: usize) -> Option<u32> {
        self.bytes(at, 4)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    /// The string a {size, offset} pointer at `at` points to, in the block's string type.
    /// `whole`: the buffer holds the whole file, so a string beyond it means truncation.
    fn string(&self, at: usize, whole: bool) -> Result<Option<String>, MtfError> {
        let (Some(size), Some(offset)) = (self.u16(at), self.u16(at + 2)) else {
            return Ok(None);
        };
        if size == 0 {
            return Ok(None);
        }
        let Some(raw) = self.bytes(usize::from(offset), usize::from(size)) else {
            return Err(if whole {
                MtfError::Truncated("it ends inside the strings of its header".into())
            } else {
                MtfError::Corrupt(format!(
                    "a string pointer ({size} bytes at {offset}) leaves the header"
                ))
            });
        };
        Ok(decode(raw, self.0[STRING_TYPE]))
    }
}

/// A string of a block in its string type (2: UTF-16LE, else one byte per character); `None`
/// when empty.
fn decode(raw: &[u8], string_type: u8) -> Option<String> {
    let text = match string_type {
        2 => char::decode_utf16(raw.chunks_exact(2).map(|w| u16::from_le_bytes([w[0], w[1]])))
            .map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER))
            .collect::<String>(),
        _ => raw.iter().map(|&b| char::from(b)).collect(),
    };
    let text = text.trim_end_matches('\0').trim().to_owned();
    (!text.is_empty()).then_some(text)
}

/// An MTF date: 5 bytes, big-endian, holding year (14 bits), month (4), day (5), hour (5),
/// minute (6) and second (6). All zero means "not set".
fn mtf_date(b: &[u8]) -> Option<Timestamp> {
    let v = b.iter().fold(0_u64, |v, &b| v << 8 | u64::from(b));
    let field = |shift: u32, bits: u32| ((v >> shift) & ((1 << bits) - 1)) as i16;
    let dt = jiff::civil::DateTime::new(
        field(26, 14),
        field(22, 4) as i8,
        field(17, 5) as i8,
        field(12, 5) as i8,
        field(6, 6) as i8,
        field(0, 6) as i8,
        0,
    )
    .ok()?;
    TimeZone::UTC.to_timestamp(dt).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    /// A block header with `tag`, string type UTF-16, and its checksum.
    fn block(tag: &[u8; 4], size: usize, fields: &[(usize, &[u8])]) -> Vec<u8> {
        let mut b = vec![0; size];
        b[..4].copy_from_slice(tag);
        b[STRING_TYPE] = 2;
        for (at, bytes) in fields {
            b[*at..*at + bytes.len()].copy_from_slice(bytes);
        }
        let xor = b[..CHECKSUM]
            .chunks_exact(2)
            .fold(0, |x, w| x ^ u16::from_le_bytes([w[0], w[1]]));
        b[CHECKSUM..CHECKSUM + 2].copy_from_slice(&xor.to_le_bytes());
        b
    }

    fn pointer(size: usize, offset: usize) -> Vec<u8> {
        [(size as u16).to_le_bytes(), (offset as u16).to_le_bytes()].concat()
    }

    fn utf16(s: &str) -> Vec<u8> {
        s.encode_utf16().flat_map(u16::to_le_bytes).collect()
    }

    /// A date in MTF form: 5 bytes, big-endian.
    const fn date(day: u64, hour: u64) -> [u8; 5] {
        let v: u64 = (2024 << 26) | (5 << 22) | (day << 17) | (hour << 12) | (30 << 6) | 15;
        [
            (v >> 32) as u8,
            (v >> 24) as u8,
            (v >> 16) as u8,
            (v >> 8) as u8,
            v as u8,
        ]
    }

    /// 2024-05-01 22:30:15 as an MTF date.
    const DATE: [u8; 5] = date(1, 22);

    const FULL: u32 = 0x4;
    const DIFFERENTIAL: u32 = 0x8;

    fn backup(name: &str) -> Vec<u8> {
        appended(&[(name, FULL, DATE)])
    }

    /// A backup file with one set per (data set name, attributes, date), appended as SQL Server
    /// does: TAPE, then per set SFMB, SSET, data, ESET; a closing SFMB.
    fn appended(sets: &[(&str, u32, [u8; 5])]) -> Vec<u8> {
        let software = utf16("Microsoft SQL Server");
        let mut f = block(
            b"TAPE",
            512,
            &[
                (TAPE_SOFTWARE_NAME, &pointer(software.len(), 100)),
                (100, &software),
            ],
        );
        for (name, attrs, date) in sets {
            f.extend(block(b"SFMB", 512, &[]));
            let name = utf16(name);
            f.extend(block(
                b"SSET",
                512,
                &[
                    (SSET_ATTRIBUTES, &attrs.to_le_bytes()),
                    (SSET_DATA_SET_NAME, &pointer(name.len(), 200)),
                    (200, &name),
                    (SSET_WRITE_DATE, date),
                ],
            ));
            f.extend(vec![0xAB; 8192]);
            f.extend(block(b"ESET", 512, &[]));
        }
        f.extend(block(b"SFMB", 512, &[]));
        f
    }

    /// Feeds `f` to a scanner in chunks of `chunk` bytes.
    fn scan(f: &[u8], chunk: usize) -> BackupSets {
        let mut scanner = SetScanner::new();
        f.chunks(chunk).for_each(|c| scanner.feed(c));
        scanner.finish()
    }

    fn summary(found: &BackupSets) -> Vec<(u64, BackupType, Option<&str>, Option<String>)> {
        found
            .sets
            .iter()
            .map(|s| {
                (
                    s.position,
                    s.backup_type,
                    s.data_set_name.as_deref(),
                    s.backup_time.map(|t| t.to_string()),
                )
            })
            .collect()
    }

    fn three_sets() -> Vec<u8> {
        appended(&[
            ("rtc-Full Database Backup", FULL, date(1, 22)),
            ("rtc-Differential Database Backup", DIFFERENTIAL, date(3, 22)),
            ("rtc-Full Database Backup", FULL, date(5, 22)),
        ])
    }

    #[test]
    fn finds_every_appended_set_whatever_the_chunks() {
        let f = three_sets();
        let expected = vec![
            (
                1,
                BackupType::Full,
                Some("rtc-Full Database Backup"),
                Some("2024-05-01T22:30:15Z".to_owned()),
            ),
            (
                2,
                BackupType::Differential,
                Some("rtc-Differential Database Backup"),
                Some("2024-05-03T22:30:15Z".to_owned()),
            ),
            (
                3,
                BackupType::Full,
                Some("rtc-Full Database Backup"),
                Some("2024-05-05T22:30:15Z".to_owned()),
            ),
        ];
        // Chunks that cut headers and names at every place, and the hash pass's block size.
        for chunk in [1, 3, 50, 93, 200, 511, 512, 4096, 128 << 10] {
            let found = scan(&f, chunk);
            assert_eq!(found.count, 3, "chunk {chunk}");
            assert_eq!(summary(&found), expected, "chunk {chunk}");
        }
        let found = scan(&f, 4096);
        let newest = found.newest_full(|name| name.is_some_and(|n| n.starts_with("rtc")));
        assert_eq!(newest.map(|s| s.position), Some(3));
        assert_eq!(found.newest_full(|_| false), None);
        // The first set is the one read_header reads.
        let header = read_header(&mut Cursor::new(&f), f.len() as u64).ok();
        assert_eq!(
            header.and_then(|h| h.backup_time),
            found.sets.first().and_then(|s| s.backup_time)
        );
    }

    #[test]
    fn a_set_with_a_damaged_header_is_skipped() {
        let mut f = three_sets();
        let second = (1024..f.len())
            .step_by(ALIGN)
            .filter(|&at| f[at..].starts_with(b"SSET"))
            .nth(1)
            .unwrap_or(0);
        f[second + 20] ^= 1;
        let found = scan(&f, 128 << 10);
        assert_eq!(found.count, 2);
        assert_eq!(
            found.sets.iter().map(|s| s.backup_type).collect::<Vec<_>>(),
            [BackupType::Full, BackupType::Full]
        );
    }

    #[test]
    fn only_block_boundaries_are_looked_at() {
        // A valid SSET header 256 bytes into the data of a set is data, not a set.
        let mut f = backup("rtc");
        let fake = block(b"SSET", 256, &[(SSET_ATTRIBUTES, &FULL.to_le_bytes())]);
        f[1536 + 256..1536 + 512].copy_from_slice(&fake);
        assert_eq!(scan(&f, 4096).count, 1);
    }

    #[test]
    fn names_past_the_end_stay_unknown_and_long_ones_are_cut() {
        // The name pointer leads past the end of the file (64 KiB away).
        let f = [
            backup("rtc"),
            block(
                b"SSET",
                512,
                &[
                    (SSET_DATA_SET_NAME, &pointer(100, 65_000)),
                    (SSET_WRITE_DATE, &DATE),
                ],
            ),
        ]
        .concat();
        let found = scan(&f, 1000);
        assert_eq!(summary(&found).last().map(|s| (s.0, s.2)), Some((2, None)));
        // A name of 60 000 bytes: only its first MAX_NAME bytes are kept.
        let long = "x".repeat(30_000);
        let f = backup("rtc");
        let mut long_block = block(
            b"SSET",
            512,
            &[
                (SSET_DATA_SET_NAME, &pointer(60_000, 512)),
                (SSET_WRITE_DATE, &DATE),
            ],
        );
        long_block.extend(utf16(&long));
        let f = [f, long_block].concat();
        let found = scan(&f, 128 << 10);
        assert_eq!(
            found
                .sets
                .last()
                .and_then(|s| s.data_set_name.as_ref())
                .map(String::len),
            Some(MAX_NAME / 2)
        );
    }

    #[test]
    fn sets_beyond_the_cap_are_counted_not_kept() {
        // A file of nothing but valid SSET headers, one per 512-byte block.
        let sset = block(b"SSET", 512, &[(SSET_ATTRIBUTES, &FULL.to_le_bytes())]);
        let mut scanner = SetScanner::new();
        scanner.feed(&block(b"TAPE", 512, &[]));
        for _ in 0..MAX_SETS + 5 {
            scanner.feed(&sset);
        }
        let found = scanner.finish();
        assert_eq!((found.count, found.sets.len()), (MAX_SETS as u64 + 5, MAX_SETS));
        assert!(found.sets.capacity() < 2 * MAX_SETS);
    }

    #[test]
    fn reads_name_date_type_and_software() {
        let f = backup("rtc");
        let h = read_header(&mut Cursor::new(&f), f.len() as u64);
        let h = h.ok();
        assert_eq!(h.as_ref().and_then(|h| h.data_set_name.as_deref()), Some("rtc"));
        assert_eq!(
            h.as_ref().and_then(|h| h.software.as_deref()),
            Some("Microsoft SQL Server")
        );
        assert_eq!(h.as_ref().and_then(|h| h.backup_type), Some(BackupType::Full));
        assert_eq!(
            h.and_then(|h| h.backup_time).map(|t| t.to_string()).as_deref(),
            Some("2024-05-01T22:30:15Z")
        );
        assert!(check_tail(&mut Cursor::new(&f), f.len() as u64).is_ok());
    }

    #[test]
    fn decodes_the_date_of_a_real_tape_header() {
        // Bytes 0x58..0x5D of a TAPE block written by SQL Server.
        assert_eq!(
            mtf_date(&[0x1F, 0xA8, 0xAA, 0x22, 0x8D])
                .map(|t| t.to_string())
                .as_deref(),
            Some("2026-02-21T02:10:13Z")
        );
        assert_eq!(mtf_date(&[0; 5]), None);
    }

    #[test]
    fn a_bad_checksum_is_corrupt() {
        let mut f = backup("rtc");
        f[20] ^= 1;
        assert!(matches!(
            read_header(&mut Cursor::new(&f), f.len() as u64),
            Err(MtfError::Corrupt(_))
        ));
    }

    #[test]
    fn cuts_are_truncations() {
        let f = backup("rtc");
        for cut in [30, 700, f.len() - 1024, f.len() - 100] {
            let part = &f[..cut];
            let header = read_header(&mut Cursor::new(part), cut as u64);
            let tail = check_tail(&mut Cursor::new(part), cut as u64);
            assert!(
                matches!(header, Err(MtfError::Truncated(_))) || matches!(tail, Err(MtfError::Truncated(_))),
                "cut at {cut}"
            );
        }
    }

    proptest::proptest! {
        #[test]
        fn damaged_headers_never_panic(at in 0..1600_usize, byte in proptest::prelude::any::<u8>(), cut in 0..12_000_usize) {
            let mut f = backup("rtc");
            f[at] = byte;
            f.truncate(cut.max(4));
            let len = f.len() as u64;
            let _ = read_header(&mut Cursor::new(&f), len);
            let _ = check_tail(&mut Cursor::new(&f), len);
        }

        #[test]
        fn the_scan_never_panics_and_ignores_chunking(at in 0..30_000_usize, byte in proptest::prelude::any::<u8>(), cut in 0..30_000_usize, chunk in 1..3000_usize) {
            let mut f = three_sets();
            let at = at % f.len();
            f[at] = byte;
            f.truncate(cut.max(4));
            proptest::prop_assert_eq!(scan(&f, chunk), scan(&f, f.len()));
        }
    }

    #[test]
    fn compressed_and_foreign_files() {
        let compressed = [COMPRESSED_MAGIC, &[0; 4096]].concat();
        assert!(matches!(
            read_header(&mut Cursor::new(&compressed), 4104),
            Ok(SqlBackupHeader { compressed: true, .. })
        ));
        // Too small to be any backup.
        assert!(matches!(
            read_header(&mut Cursor::new(COMPRESSED_MAGIC), 8),
            Err(MtfError::Truncated(_))
        ));
        let text = b"this is a text file\n".repeat(100);
        assert!(matches!(
            read_header(&mut Cursor::new(&text), text.len() as u64),
            Err(MtfError::NotABackup)
        ));
    }
}
