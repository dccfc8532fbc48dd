use std::fs::{File, Metadata};
use std::io;
use std::os::unix::fs::MetadataExt as _;
use std::path::Path;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stamp {
    dev: u64,
    ino: u64,
    size: u64,
    ctime: (i64, i64),
}

pub fn open(path: &Path) -> io::Result<File> {
    crate::audit::open::listed(path)
}

pub fn stamp(m: &Metadata) -> Stamp {
    Stamp {
        dev: m.dev(),
        ino: m.ino(),
        size: m.size(),
        ctime: (m.ctime(), m.ctime_nsec()),
    }
}

pub fn len(s: &Stamp) -> u64 {
    s.size
}

pub fn same_file(a: &Stamp, b: &Stamp) -> bool {
    a == b
}
