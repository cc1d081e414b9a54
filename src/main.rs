//! The `c2w` binary: everything lives in the library; this only gives the
//! work a thread with a generous stack, so deep (but limited) script
//! recursion cannot overflow it.

fn main() {
    // Mesa's device-selection Vulkan layer probes for a Wayland display and
    // prints an error on every headless machine; we never present to one.
    if std::env::var_os("NODEVICE_SELECT").is_none() {
        // SAFETY: no other thread exists yet.
        unsafe { std::env::set_var("NODEVICE_SELECT", "1") };
    }
    let worker = std::thread::Builder::new()
        .name("c2w".into())
        .stack_size(code2worlds::limits::SCRIPT_THREAD_STACK)
        .spawn(code2worlds::cli::main)
        .expect("cannot start the main thread");
    let code = worker.join().unwrap_or(1);
    std::process::exit(code);
}
