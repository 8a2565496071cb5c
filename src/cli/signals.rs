//! SIGINT, SIGTERM and SIGHUP during a fit: the first finishes the current iteration and
//! stops the fit cleanly (checkpoint and trace written, `--out` untouched); a second one
//! exits at once.

use std::sync::{
    atomic::{AtomicUsize, Ordering},
    Arc, OnceLock,
};

use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};

/// The first signal received (0: none).
fn received() -> &'static Arc<AtomicUsize> {
    static RECEIVED: OnceLock<Arc<AtomicUsize>> = OnceLock::new();
    RECEIVED.get_or_init(|| Arc::new(AtomicUsize::new(0)))
}

/// Installs the handlers. A second signal terminates the process with 128 + its number
/// (the shell's convention), so a fit that does not stop soon enough can still be killed.
pub fn install() -> std::io::Result<()> {
    let first = Arc::new(std::sync::atomic::AtomicBool::new(false));
    for signal in [SIGINT, SIGTERM, SIGHUP] {
        // Registered before the flag is set, so it sees the flag of an earlier signal only.
        signal_hook::flag::register_conditional_shutdown(signal, 128 + signal, first.clone())?;
        signal_hook::flag::register_usize(signal, received().clone(), signal as usize)?;
        signal_hook::flag::register(signal, first.clone())?;
    }
    Ok(())
}

/// The signal that asked the fit to stop, if any.
pub fn pending() -> Option<i32> {
    match received().load(Ordering::SeqCst) {
        0 => None,
        s => Some(s as i32),
    }
}

/// The signal's name, for messages.
pub fn name(signal: i32) -> &'static str {
    match signal {
        SIGINT => "SIGINT",
        SIGTERM => "SIGTERM",
        SIGHUP => "SIGHUP",
        _ => "a signal",
    }
}
