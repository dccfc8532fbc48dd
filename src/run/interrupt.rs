//! Ctrl-C as a flag, for the whole run. The console ([`crate::console`]) turns every stop request
//! into this flag: on Linux SIGINT (the terminal's Ctrl-C, sent to its foreground process group:
//! lyncdr, and a step that took the console), SIGHUP (the terminal closed) and SIGTERM; on Windows
//! Ctrl-C, Ctrl-Break, the console window closed, a logoff or a shutdown. Each only sets the flag: lyncdr never dies in the middle of a checkpoint, and it looks
//! at the flag before it starts any command (so a Ctrl-C pressed between two commands never
//! reaches the next one), while a command runs (it stops the command), and after a prompt.

use std::sync::Arc;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, Ordering};

static FLAG: OnceLock<Arc<AtomicBool>> = OnceLock::new();

fn flag() -> &'static Arc<AtomicBool> {
    FLAG.get_or_init(|| Arc::new(AtomicBool::new(false)))
}

/// Catch every stop request of the console from now on (idempotent).
pub fn install() -> std::io::Result<()> {
    static INSTALLED: OnceLock<()> = OnceLock::new();
    if INSTALLED.get().is_some() {
        return Ok(());
    }
    crate::console::install_stop_handler(Arc::clone(flag()))?;
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
