//! Output encoding: rendered RGBA8 frames become files.
//!
//! * [`VideoWriter`] encodes frames to H.264 with OpenH264 (built from source,
//!   so no system codec or ffmpeg is needed) on a worker thread behind a
//!   bounded queue, and writes a fast-start MP4.
//! * [`read_mp4`] / [`probe_mp4`] parse an MP4 back into an [`Mp4Info`];
//!   [`decode_mp4`] decodes the stream with OpenH264's decoder.
//! * [`write_png`] and [`FrameDumper`] write PNG stills (`frames/0000.png`...).
//! * [`contact_sheet`] lays chosen frames out in a labelled grid.
//!
//! Frames are sRGB, row-major, `width * height * 4` bytes. Alpha is ignored by
//! the video path (video has no alpha) and kept by the PNG path.
//!
//! # Why the MP4 muxer is written by hand
//!
//! One video track without B-frames needs about twenty small boxes, all
//! written once at the end (see `mp4write`). Writing them here keeps the
//! output byte-for-byte deterministic (zero creation times, no library
//! version strings), puts `moov` before `mdat` (fast start), switches to
//! `co64` and a 64-bit `mdat` size only when needed, and writes the `colr`
//! box our colour conversion promises. The established `mp4` crate writes
//! `moov` after `mdat` and refuses an `mdat` over 4 GiB; `muxide` does fast
//! start but is a few months old with few users. Neither would save more
//! code than the reader we need anyway for validation.
//!
//! All files are written through a temporary file and a rename, so a reader
//! sees the old file or the whole new one.

mod color;
mod decode;
mod error;
mod font;
mod frames;
mod h264;
mod image;
mod mp4read;
mod mp4write;
mod sheet;
mod writer;

pub use color::{Yuv420, psnr_rgb, rgba_to_yuv420, yuv420_to_rgba};
pub use decode::{DecodeSummary, decode_mp4};
pub use error::{Result, VideoError};
pub use font::{GLYPH_HEIGHT, GLYPH_WIDTH, draw_text, text_width};
pub use frames::{DumpStats, FrameDumper, frame_file_name, read_png, write_png};
pub use h264::Quality;
pub use image::RgbaImage;
pub use mp4read::{ColorInfo, Mp4Info, Mp4Track, SampleRef, probe_mp4, read_mp4};
pub use sheet::{
    SheetOptions, SheetTile, contact_sheet, contact_sheet_from_mp4, sheet_frame_indices, time_label,
};
pub use writer::{VideoStats, VideoWriter};

/// Writes `parts` to `path` atomically, through the crate's one writer.
pub(crate) fn write_atomic_parts(path: &std::path::Path, parts: &[&[u8]]) -> Result<()> {
    crate::util::fsx::write_atomic_parts(path, parts).map_err(|e| VideoError::io(path, e))
}
