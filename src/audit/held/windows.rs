use std::fs::{File, Metadata};
use std::io;
use std::os::windows::fs::OpenOptionsExt as _;
use std::path::Path;
use std::time::SystemTime;

/// FILE_SHARE_READ: others may read the file while it is held, not write, rename or delete it.
const FILE_SHARE_READ: u32 = 0x1;
/// FILE_FLAG_OPEN_REPARSE_POINT: a reparse point (a link) is opened itself, never followed.
const FILE_FLAG_OPEN_REPARSE_POINT: u32 = 0x0020_0000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stamp {
    size: u64,
    modified: Option<SystemTime>,
    file: bool,
}

pub fn open(path: &Path) -> io::Result<File> {
    let file = std::fs::OpenOptions::new()
        .read(true)
        .share_mode(FILE_SHARE_READ)
        .custom_flags(FILE_FLAG_OPEN_REPARSE_POINT)
        .open(path)?;
    let meta = file.metadata()?;
    if !meta.is_file() || crate::fsx::is_link(&meta) {
        return Err(io::Error::other("not a regular file: not read"));
    }
    Ok(file)
}

pub fn stamp(m: &Metadata) -> Stamp {
    Stamp {
        size: m.len(),
        modified: m.modified().ok(),
        file: m.is_file(),
    }
}

pub fn len(s: &Stamp) -> u64 {
    s.size
}

/// The path cannot name another file while the handle is held (no rename, no delete).
pub fn same_file(a: &Stamp, b: &Stamp) -> bool {
    a == b
}
