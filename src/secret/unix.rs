//! Unix: a regular file of mode 0600 owned by the user running lyncdr, opened without following
//! a link.

use std::fs::OpenOptions;
use std::io::{self, Write as _};
use std::os::unix::fs::{MetadataExt as _, OpenOptionsExt as _};
use std::path::Path;

pub fn write_new(path: &Path, secret: &[u8]) -> io::Result<()> {
    // create_new: O_CREAT | O_EXCL, which never follows a link at the last component.
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(secret)?;
    file.sync_all()
}

pub fn read(path: &Path, max: u64) -> io::Result<Vec<u8>> {
    let file = OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
        .open(path)?;
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(io::Error::other("not a regular file"));
    }
    if meta.uid() != rustix::process::geteuid().as_raw() {
        return Err(io::Error::other(
            "owned by another user: the key must belong to the account that runs the job",
        ));
    }
    if meta.mode() & 0o077 != 0 {
        return Err(io::Error::other(format!(
            "mode {:o}: other accounts can read it; the key must be 0600 (chmod 600)",
            meta.mode() & 0o777
        )));
    }
    super::read_capped(file, max)
}
