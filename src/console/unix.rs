//! Unix: a terminal sends SIGINT to its foreground process group, closing it SIGHUP, a polite
//! kill SIGTERM; each sets the flag (signal-hook). Glyphs follow the locale.

use std::sync::Arc;
use std::sync::atomic::AtomicBool;

pub fn install_stop_handler(flag: Arc<AtomicBool>) -> std::io::Result<()> {
    use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
    for signal in [SIGINT, SIGTERM, SIGHUP] {
        signal_hook::flag::register(signal, Arc::clone(&flag))?;
    }
    Ok(())
}

pub fn oem_code_page() -> Option<u16> {
    None
}

pub fn unicode_glyphs() -> bool {
    let var = |name| std::env::var(name).ok();
    super::locale_is_utf8(
        var("LC_ALL").as_deref(),
        var("LC_CTYPE").as_deref(),
        var("LANG").as_deref(),
    )
}
