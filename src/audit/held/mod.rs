//! A listed file held open while it is judged and hashed, so the bytes a pin records are the
//! bytes the audit judged: one handle for both passes, and the file's identity taken before and
//! compared after (the handle's, and the path's: it must still name the same file). On Unix the
//! identity is device, inode, size and change time (a write or a `touch` changes the change
//! time, and no user can set it back); on Windows the file is opened sharing reading only, so
//! nobody can write, rename or delete it while it is held, and size and write time are compared.
//! The opening is the audit's own (`imp::open`: sharing reading only on Windows, which
//! `fsx::open_read` does not ask); the no-follow rule is `fsx`'s (`fsx::is_link`).

#[cfg(unix)]
mod unix;
#[cfg(windows)]
mod windows;
#[cfg(unix)]
use unix as imp;
#[cfg(windows)]
use windows as imp;

use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};

pub struct Held {
    pub file: File,
    path: PathBuf,
    before: imp::Stamp,
}

impl Held {
    /// Opens `path` as the audit opens a listed file (no link, no FIFO, a regular file).
    pub fn open(path: &Path) -> io::Result<Held> {
        let file = imp::open(path)?;
        let before = imp::stamp(&file.metadata()?);
        Ok(Held {
            file,
            path: path.to_owned(),
            before,
        })
    }

    pub fn len(&self) -> u64 {
        imp::len(&self.before)
    }

    /// Whether the file is still what it was when opened, and the path still names it.
    pub fn unchanged(&self) -> io::Result<bool> {
        let now = imp::stamp(&self.file.metadata()?);
        let at_path = imp::stamp(&std::fs::symlink_metadata(&self.path)?);
        Ok(now == self.before && imp::same_file(&at_path, &self.before))
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    // Unix: a file can be renamed over or written while held (Windows' sharing forbids both).
    #[test]
    fn a_file_swapped_or_written_while_held_is_seen() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("rtc.bak");
        std::fs::write(&path, b"judged").expect("write");
        let held = Held::open(&path).expect("open");
        assert!(held.unchanged().expect("stat"));
        // Swapped: the path names another file.
        let junk = dir.path().join("junk");
        std::fs::write(&junk, b"junk!!").expect("write");
        std::fs::rename(&junk, &path).expect("swap");
        assert!(!held.unchanged().expect("stat"), "a swap went unseen");
        // Written in place, same size.
        let held = Held::open(&path).expect("open");
        // Past the kernel's coarse timestamp tick (a few ms), as any real rewrite of a backup is.
        std::thread::sleep(std::time::Duration::from_millis(30));
        std::fs::write(&path, b"JUNK!!").expect("rewrite");
        assert!(!held.unchanged().expect("stat"), "a write went unseen");
    }
}
