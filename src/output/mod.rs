//! Stage six: frames to files. A [`Recorder`] is a [`FrameSink`] that
//! renders every frame a run produces and turns the images into the run's
//! visual outputs: `video.mp4`, `contact_sheet.png`, `frames/NNNN.png` on
//! request and snapshots at chosen times. It can also feed the critic's
//! visual checks (every frame's pixels, and ID and depth passes on the
//! contact-sheet keyframes).
//!
//! Rendering never fails a run: a missing adapter or a GPU error stops the
//! recording, and the reason is kept for the report, while the simulation,
//! trace and expectations go on.

mod recorder;

pub use recorder::{Recorder, RecorderOptions};

/// File name of a snapshot at `time` seconds: `snap_2.50s.png`.
pub fn snapshot_file_name(time: f64) -> String {
    format!("snap_{time:.2}s.png")
}

/// The frame shown at `time` at `fps` frames per second.
pub fn frame_index_at(time: f64, fps: u32) -> u64 {
    (time.max(0.0) * fps as f64).round() as u64
}
