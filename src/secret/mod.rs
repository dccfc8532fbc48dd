//! The signing secret of the backup job, kept where only the job's account can use it. One
//! public API, a file per platform: on Unix a file of mode 0600 owned by the user (refused
//! otherwise, as ssh refuses a private key others can read); on Windows the bytes sealed with
//! DPAPI for the current user (`CryptProtectData`, Windows 2000 and later, so 2008 R2), so a
//! copy of the file is useless to any other account, whatever the share's or folder's ACL.
//!
//! Data flow: `lyncdr backup --new-key FILE` -> [`write_new`] (never over an existing file) ->
//! each night `lyncdr backup --key FILE` -> [`read`].

#[cfg(unix)]
mod unix;
#[cfg(unix)]
use unix as imp;
#[cfg(windows)]
mod windows;
#[cfg(windows)]
use windows as imp;

use std::io;
use std::path::Path;

/// A secret larger than this is not one lyncdr wrote (a DPAPI blob of 32 bytes is a few hundred).
const MAX_SECRET: u64 = 64 << 10;

/// Writes `secret` to the new file `path` (an existing file is an error), readable only by this
/// account.
pub fn write_new(path: &Path, secret: &[u8]) -> io::Result<()> {
    imp::write_new(path, secret)
}

/// Reads the secret at `path`, refusing a file other accounts could read or have replaced.
pub fn read(path: &Path) -> io::Result<Vec<u8>> {
    imp::read(path, MAX_SECRET)
}

/// Reads at most `max` bytes of an open file; more is an error.
fn read_capped(file: std::fs::File, max: u64) -> io::Result<Vec<u8>> {
    use std::io::Read as _;
    let mut bytes = Vec::new();
    file.take(max + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > max {
        return Err(io::Error::other("too large to be a key lyncdr wrote"));
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secret_round_trips_and_is_never_overwritten() {
        let d = tempfile::tempdir().expect("tmp");
        let p = d.path().join("backup.key");
        write_new(&p, b"0123456789abcdef0123456789abcdef").expect("write");
        assert_eq!(read(&p).expect("read"), b"0123456789abcdef0123456789abcdef");
        assert!(write_new(&p, b"other").is_err(), "an existing key was replaced");
    }

    // Unix modes: Windows protects the secret with DPAPI, not a mode.
    #[cfg(unix)]
    #[test]
    fn a_secret_others_can_read_is_refused() {
        use std::os::unix::fs::PermissionsExt as _;
        let d = tempfile::tempdir().expect("tmp");
        let p = d.path().join("backup.key");
        write_new(&p, b"k").expect("write");
        let mode = std::fs::metadata(&p).expect("meta").permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o644)).expect("chmod");
        let e = read(&p).expect_err("a world-readable key was read");
        assert!(e.to_string().contains("0600"), "{e}");
        let link = d.path().join("link.key");
        std::os::unix::fs::symlink(&p, &link).expect("link");
        assert!(read(&link).is_err(), "read through a link");
    }
}
