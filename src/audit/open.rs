//! Opening a file the scan listed. Between the listing and the read, whoever can write to the
//! backup folder may swap the file for a link to `/etc/shadow` or for a FIFO that would hang
//! the audit on its open. So a listed file is opened never through a link at its last
//! component (`O_NOFOLLOW`: the open fails with ELOOP), without waiting for a FIFO's writer
//! (`O_NONBLOCK`, which changes nothing for a regular file), and read only when what was opened
//! is still a regular file. A folder on the path swapped for a link is not caught here; the
//! audit runs on a folder its operator chose, and [`super::scan`] refuses links when listing.

use std::fs::File;
use std::io;
use std::path::Path;

pub fn listed(path: &Path) -> io::Result<File> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::custom_flags(&mut options, libc::O_NOFOLLOW | libc::O_NONBLOCK);
    let file = options.open(path)?;
    if !file.metadata()?.is_file() {
        return Err(io::Error::other(
            "it is no longer a regular file (replaced since the folder was listed): not read",
        ));
    }
    Ok(file)
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    #[test]
    fn a_link_or_a_fifo_swapped_in_is_not_opened() {
        let dir = tempfile::tempdir().expect("tempdir");
        let real = dir.path().join("rtc.bak");
        std::fs::write(&real, b"TAPE").expect("write");
        assert!(listed(&real).is_ok());
        let link = dir.path().join("link.bak");
        std::os::unix::fs::symlink(&real, &link).expect("symlink");
        assert!(listed(&link).is_err(), "opened through a link");
        let fifo = dir.path().join("fifo.bak");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status();
        if made.is_ok_and(|s| s.success()) {
            // Would block forever without O_NONBLOCK; refused as not a regular file.
            assert!(listed(&fifo).is_err(), "a FIFO was read");
        }
    }
}
