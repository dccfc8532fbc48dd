//! Progress while hashing and parsing: a small trait the audit reports bytes to, so the core
//! does not care whether a terminal is watching. The terminal's implementation,
//! a bar, lives with the other terminal code in `front::terminal`.

/// Receives the byte counts of the heavy phase (hashing and XML parsing). Called from several
/// threads at once.
pub trait Progress: Sync {
    fn start(&self, _total_bytes: u64) {}
    fn advance(&self, _bytes: u64) {}
    fn finish(&self) {}
}

/// No progress shown: tests, pipes, `--format json` into a file.
pub struct Silent;

impl Progress for Silent {}
