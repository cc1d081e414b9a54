//! Any bytes as an MP4 file: the reader must describe a video track or
//! return an error; a panic, a hang or an allocation beyond the input is a
//! bug. Seed it with real clips: `c2w run examples/pendulum.rhai`, then
//!
//!     mkdir -p corpus/read_mp4 && cp ../out/pendulum/video.mp4 corpus/read_mp4/
//!     cargo fuzz run read_mp4 corpus/read_mp4
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(track) = code2worlds::video::read_mp4(data) {
        // Whatever it accepts stays inside the file it was given.
        for s in &track.samples {
            assert!(s.offset + s.size as u64 <= data.len() as u64);
        }
    }
});
