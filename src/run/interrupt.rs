//! Ctrl-C as a flag, for the whole run. A terminal sends SIGINT to its foreground process group
//! (lyncdr, and a step that took the console); closing the terminal sends SIGHUP, a polite kill
//! SIGTERM. Each only sets the flag: lyncdr never dies in the middle of a checkpoint, and it looks
//! at the flag before it starts any command (so a Ctrl-C pressed between two commands never
//! reaches the next one), while a command runs (it stops the command), and after a prompt.

use std::sync::Arc;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, Ordering};

static FLAG: OnceLock<Arc<AtomicBool>> = OnceLock::new();

fn flag() -> &'static Arc<AtomicBool> {
    FLAG.get_or_init(|| Arc::new(AtomicBool::new(false)))
}

/// Catch SIGINT, SIGTERM and SIGHUP from now on (idempotent).
pub fn install() -> std::io::Result<()> {
    static INSTALLED: OnceLock<()> = OnceLock::new();
    if INSTALLED.get().is_some() {
        return Ok(());
    }
    use signal_hook::consts::{SIGINT, SIGTERM};
    signal_hook::flag::register(SIGINT, Arc::clone(flag()))?;
    signal_hook::flag::register(SIGTERM, Arc::clone(flag()))?;
    #[cfg(unix)]
    signal_hook::flag::register(signal_hook::consts::SIGHUP, Arc::clone(flag()))?;
    let _ = INSTALLED.set(());
    Ok(())
}

/// Has the operator asked to stop?
pub fn requested() -> bool {
    flag().load(Ordering::SeqCst)
}

/// Record a stop request that did not come as a signal (Ctrl-C read as a key at a prompt).
pub fn request() {
    flag().store(true, Ordering::SeqCst);
}
