//! Opening a file the scan listed: never through a link or reparse point at its last component,
//! never hanging on a FIFO, only a regular file ([`crate::fsx::open_read`]). A folder on the
//! path swapped for a link is not caught here; the audit runs on a folder its operator chose,
//! and [`super::scan`] refuses links out of it when listing.

use std::fs::File;
use std::io;
use std::path::Path;

pub fn listed(path: &Path) -> io::Result<File> {
    crate::fsx::open_read(path)
}
