//! The header of a SQL Server native backup (`.bak`), read without SQL Server.
//!
//! An uncompressed backup is a Microsoft Tape Format stream: a `TAPE` block at offset 0, then (at a
//! 512-byte boundary below 64 KiB, after a soft filemark `SFMB`) the `SSET` block that starts the
//! backup set, the data, and an `ESET` block that ends it. Every block starts with a 52-byte
//! header whose last word is a checksum of the rest. A compressed backup starts with `MSSQLBAK` and
//! its contents are XPRESS-compressed: it is recognised, not read.
//! Offsets follow the MTF 1.00a specification (see `reference/lync2010-facts.md`).

use jiff::Timestamp;
use jiff::tz::TimeZone;
use serde::Serialize;
use std::io::{self, Read, Seek, SeekFrom};

pub const MTF_MAGIC: &[u8] = b"TAPE";
pub const COMPRESSED_MAGIC: &[u8] = b"MSSQLBAK";
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
        return Ok(SqlBackupHeader {
            compressed: true,
            data_set_name: None,
            backup_time: None,
            backup_type: None,
            software: None,
            user: None,
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
        let text = match self.0[STRING_TYPE] {
            2 => char::decode_utf16(raw.chunks_exact(2).map(|w| u16::from_le_bytes([w[0], w[1]])))
                .map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER))
                .collect::<String>(),
            _ => raw.iter().map(|&b| char::from(b)).collect(),
        };
        let text = text.trim_end_matches('\0').trim().to_owned();
        Ok((!text.is_empty()).then_some(text))
    }
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

    /// 2024-05-01 22:30:15 as an MTF date.
    const DATE: [u8; 5] = {
        let v: u64 = (2024 << 26) | (5 << 22) | (1 << 17) | (22 << 12) | (30 << 6) | 15;
        [
            (v >> 32) as u8,
            (v >> 24) as u8,
            (v >> 16) as u8,
            (v >> 8) as u8,
            v as u8,
        ]
    };

    fn backup(name: &str) -> Vec<u8> {
        let software = utf16("Microsoft SQL Server");
        let mut f = block(
            b"TAPE",
            512,
            &[
                (TAPE_SOFTWARE_NAME, &pointer(software.len(), 100)),
                (100, &software),
            ],
        );
        f.extend(block(b"SFMB", 512, &[]));
        let name = utf16(name);
        let attrs = 0x4_u32.to_le_bytes();
        f.extend(block(
            b"SSET",
            512,
            &[
                (SSET_ATTRIBUTES, &attrs),
                (SSET_DATA_SET_NAME, &pointer(name.len(), 200)),
                (200, &name),
                (SSET_WRITE_DATE, &DATE),
            ],
        ));
        f.extend(vec![0xAB; 8192]);
        f.extend(block(b"ESET", 512, &[]));
        f.extend(block(b"SFMB", 512, &[]));
        f
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
    }

    #[test]
    fn compressed_and_foreign_files() {
        let compressed = [COMPRESSED_MAGIC, &[0; 100]].concat();
        assert!(matches!(
            read_header(&mut Cursor::new(&compressed), 108),
            Ok(SqlBackupHeader { compressed: true, .. })
        ));
        let text = b"this is a text file\n".repeat(100);
        assert!(matches!(
            read_header(&mut Cursor::new(&text), text.len() as u64),
            Err(MtfError::NotABackup)
        ));
    }
}
