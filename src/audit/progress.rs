//! Progress while hashing and parsing: a small trait the audit reports bytes to, so the core
//! does not care whether a terminal is watching. [`ProgressBar`] is the terminal's implementation.

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

/// A bar on standard error with bytes done, throughput and time left.
pub struct ProgressBar(indicatif::ProgressBar);

impl ProgressBar {
    pub fn stderr() -> Self {
        let bar = indicatif::ProgressBar::with_draw_target(Some(0), indicatif::ProgressDrawTarget::stderr());
        if let Ok(style) = indicatif::ProgressStyle::with_template(
            "{spinner} checking backups [{bar:30}] {bytes}/{total_bytes} {binary_bytes_per_sec} eta {eta}",
        ) {
            bar.set_style(style.progress_chars("=> "));
        }
        Self(bar)
    }
}

impl Progress for ProgressBar {
    fn start(&self, total_bytes: u64) {
        self.0.set_length(total_bytes);
    }

    fn advance(&self, bytes: u64) {
        self.0.inc(bytes);
    }

    fn finish(&self) {
        self.0.finish_and_clear();
    }
}
