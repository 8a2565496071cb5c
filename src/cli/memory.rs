//! Running out of memory ends the command with a message and exit 1, not an abort.
//!
//! Rust aborts (exit 134, "memory allocation of N bytes failed") when an allocation fails.
//! The command's allocator passes every request to the system's and, when one is refused
//! (a `ulimit -v`, a container's limit), says which phase needed how much, removes the
//! temporary files of outputs being written, and exits with 1. The phase is set by the
//! command as it goes ([`phase`]): reading a file, drawing samples, fitting.

use std::alloc::{GlobalAlloc, Layout, System};
use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

/// The system allocator, with a clean exit when it refuses.
pub struct ExitWhenExhausted;

/// What the command is doing, for the message.
static PHASE: Mutex<String> = Mutex::new(String::new());

/// Set by the first refusal: a second one (while reporting) aborts at once.
static EXHAUSTED: AtomicBool = AtomicBool::new(false);

/// Names what the command does from now on ("reading d.txt", "fitting").
pub fn phase(what: impl Into<String>) {
    let mut what = what.into();
    if let Ok(mut p) = PHASE.lock() {
        // Swapped, not assigned: nothing is allocated while the lock is held.
        std::mem::swap(&mut *p, &mut what);
    }
}

/// Runs `f` under the phase `what`, then restores the phase before it.
pub fn during<R>(what: impl Into<String>, f: impl FnOnce() -> R) -> R {
    let mut what = what.into();
    if let Ok(mut p) = PHASE.lock() {
        std::mem::swap(&mut *p, &mut what);
    }
    let result = f();
    phase(what);
    result
}

/// Reads a raster under the phase "reading PATH".
pub fn read_raster(
    path: &std::path::Path,
    layout: spinfer::data::Layout,
) -> spinfer::Result<spinfer::Raster> {
    use crate::cli::console::Shown;
    during(format!("reading {}", path.shown()), || {
        spinfer::data::read_raster(path, layout)
    })
}

/// Reads a model file under the phase "reading PATH".
pub fn read_model(path: &std::path::Path) -> spinfer::Result<spinfer::data::ModelFile> {
    use crate::cli::console::Shown;
    during(format!("reading {}", path.shown()), || {
        spinfer::data::ModelFile::read(path)
    })
}

#[cold]
fn exhausted(bytes: usize) -> ! {
    if EXHAUSTED.swap(true, Ordering::SeqCst) {
        std::process::abort();
    }
    let mut err = std::io::stderr().lock();
    let _ = match PHASE.try_lock() {
        Ok(p) if !p.is_empty() => writeln!(
            err,
            "spinfer: error: out of memory while {}: an allocation of {bytes} bytes was \
             refused (raise the memory limit, or use fewer spins or samples)",
            *p
        ),
        _ => writeln!(
            err,
            "spinfer: error: out of memory: an allocation of {bytes} bytes was refused"
        ),
    };
    drop(err);
    spinfer::data::remove_unfinished();
    std::process::exit(1);
}

// SAFETY: every call is forwarded to `System` with the same arguments; only a null result
// (a refusal) is handled, by exiting instead of returning it.
unsafe impl GlobalAlloc for ExitWhenExhausted {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if p.is_null() {
            exhausted(layout.size());
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc_zeroed(layout) };
        if p.is_null() {
            exhausted(layout.size());
        }
        p
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if p.is_null() {
            exhausted(new_size);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
}
