//! The end of a zip, read before the zip crate reads its central directory: the zip crate reads
//! every entry of the directory into memory when it opens an archive, so a zip of 1.5 M tiny
//! entries costs hundreds of MiB before any other cap applies. Here every end-of-central-directory
//! record in the zip's last 64 KiB (and the Zip64 record each points at) is read, and the zip is
//! refused when any declares more entries or a larger directory than an export or a bundle can
//! have. Every candidate is checked, not only the one a reader would pick, so no reader's choice
//! of record can pick one that was not checked.

use std::io::{self, Read, Seek, SeekFrom};

/// Entries allowed in one zip: an export holds a handful (`DocItemSet.xml`; the RGS export a
/// dozen XML files), a bundle some dozens.
pub const MAX_ENTRIES: u64 = 10_000;
/// Central-directory bytes allowed: [`MAX_ENTRIES`] entries with names of 100 bytes or so.
pub const MAX_DIRECTORY: u64 = 4 << 20;

const EOCD: &[u8; 4] = b"PK\x05\x06";
const EOCD_LEN: usize = 22;
const LOCATOR: &[u8; 4] = b"PK\x06\x07";
const LOCATOR_LEN: usize = 20;
const ZIP64_EOCD: &[u8; 4] = b"PK\x06\x06";
/// The record, then a comment of at most 65,535 bytes.
const TAIL: u64 = EOCD_LEN as u64 + 0xFFFF;

/// Why the zip in `r` (of `len` bytes) must not be opened, if it must not: a record that
/// declares more than [`MAX_ENTRIES`] entries or a directory over [`MAX_DIRECTORY`] bytes.
/// Reads at most 64 KiB and 56 bytes per Zip64 record.
pub fn too_large<R: Read + Seek>(r: &mut R, len: u64) -> io::Result<Option<String>> {
    let start = len.saturating_sub(TAIL);
    r.seek(SeekFrom::Start(start))?;
    let mut tail = Vec::new();
    r.take(TAIL).read_to_end(&mut tail)?;
    let candidates: Vec<usize> = (0..tail.len().saturating_sub(EOCD_LEN - 1))
        .filter(|&i| tail[i..].starts_with(EOCD))
        .collect();
    for at in candidates {
        let rec = &tail[at..at + EOCD_LEN];
        let mut entries = u64::from(u16_at(rec, 10));
        let mut size = u64::from(u32_at(rec, 12));
        if let Some(loc) = at.checked_sub(LOCATOR_LEN).map(|l| &tail[l..at])
            && loc.starts_with(LOCATOR)
        {
            let (e, s) = zip64(r, u64_at(loc, 8))?;
            entries = entries.max(e);
            size = size.max(s);
        }
        if entries > MAX_ENTRIES {
            return Ok(Some(format!(
                "its central directory declares {entries} entries, more than the {MAX_ENTRIES} any export or bundle holds; not opened"
            )));
        }
        if size > MAX_DIRECTORY {
            return Ok(Some(format!(
                "its central directory declares {size} bytes, more than the {MAX_DIRECTORY} any export or bundle needs; not opened"
            )));
        }
    }
    Ok(None)
}

/// (entries, directory size) of the Zip64 end record at `offset`; zeros when there is none.
fn zip64<R: Read + Seek>(r: &mut R, offset: u64) -> io::Result<(u64, u64)> {
    let mut rec = [0u8; 56];
    if r.seek(SeekFrom::Start(offset)).is_err() || r.read_exact(&mut rec).is_err() {
        return Ok((0, 0));
    }
    if !rec.starts_with(ZIP64_EOCD) {
        return Ok((0, 0));
    }
    Ok((u64_at(&rec, 32).max(u64_at(&rec, 24)), u64_at(&rec, 40)))
}

fn u16_at(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([b[at], b[at + 1]])
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

fn u64_at(b: &[u8], at: usize) -> u64 {
    let mut x = [0u8; 8];
    x.copy_from_slice(&b[at..at + 8]);
    u64::from_le_bytes(x)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    fn eocd(entries: u16, size: u32) -> Vec<u8> {
        let mut rec = EOCD.to_vec();
        rec.extend([0; 4]);
        rec.extend(entries.to_le_bytes());
        rec.extend(entries.to_le_bytes());
        rec.extend(size.to_le_bytes());
        rec.extend([0; 6]);
        rec
    }

    #[test]
    fn a_directory_too_large_is_refused_before_it_is_read() {
        let check = |bytes: Vec<u8>| {
            let len = bytes.len() as u64;
            too_large(&mut Cursor::new(bytes), len).ok().flatten()
        };
        assert_eq!(check(eocd(3, 200)), None);
        assert!(check(eocd(60_000, 200)).is_some_and(|w| w.contains("60000 entries")));
        assert!(check(eocd(3, 100 << 20)).is_some());
        // A decoy record with a comment holding the real one: both are checked.
        let mut two = eocd(60_000, 200);
        two.extend(eocd(1, 10));
        assert!(check(two).is_some());
        // Zip64: the 16-bit count says 0xFFFF, the Zip64 record 1.5 M.
        let mut z = ZIP64_EOCD.to_vec();
        z.extend([0; 20]);
        z.extend(1_500_000u64.to_le_bytes());
        z.extend(1_500_000u64.to_le_bytes());
        z.extend(100u64.to_le_bytes());
        z.extend([0; 8]);
        let mut zip = z;
        zip.extend(LOCATOR);
        zip.extend([0; 4]);
        zip.extend(0u64.to_le_bytes());
        zip.extend(1u32.to_le_bytes());
        zip.extend(eocd(0xFFFF, 0xFFFF_FFFF));
        assert!(check(zip).is_some_and(|w| w.contains("1500000 entries")));
        assert_eq!(check(Vec::new()), None);
    }
}
