//! The `c2w` binary: everything lives in the library; this only gives the
//! work a thread with a generous stack, so deep (but limited) script
//! recursion cannot overflow it.

fn main() {
    let worker = std::thread::Builder::new()
        .name("c2w".into())
        .stack_size(256 << 20)
        .spawn(code2worlds::cli::main)
        .expect("cannot start the main thread");
    let code = worker.join().unwrap_or(1);
    std::process::exit(code);
}
