//! PNG output: single images and numbered frame dumps (`0000.png`, ...)
//! written by worker threads so the renderer does not wait on compression.

use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Instant;

use super::error::{Result, VideoError, panic_message};
use super::image::{RgbaImage, byte_len, check_frame_len};
use super::write_atomic_parts;

/// Encodes RGBA8 pixels as a PNG (tagged sRGB).
fn encode_png(
    width: u32,
    height: u32,
    rgba: &[u8],
    compression: png::Compression,
) -> Result<Vec<u8>> {
    if width == 0 || height == 0 || rgba.len() != byte_len(width, height)? {
        return Err(VideoError::invalid(format!(
            "a {width}x{height} PNG needs {} RGBA bytes, got {}",
            width as u64 * height as u64 * 4,
            rgba.len()
        )));
    }
    let mut out = Vec::new();
    let mut enc = png::Encoder::new(&mut out, width, height);
    enc.set_color(png::ColorType::Rgba);
    enc.set_depth(png::BitDepth::Eight);
    enc.set_compression(compression);
    enc.set_source_srgb(png::SrgbRenderingIntent::Perceptual);
    let fail = |e: png::EncodingError| VideoError::Format(format!("PNG encoding: {e}"));
    let mut writer = enc.write_header().map_err(fail)?;
    writer.write_image_data(rgba).map_err(fail)?;
    writer.finish().map_err(fail)?;
    Ok(out)
}

impl RgbaImage {
    /// The image as PNG bytes, tagged sRGB.
    pub fn encode_png(&self) -> Result<Vec<u8>> {
        encode_png(
            self.width,
            self.height,
            &self.data,
            png::Compression::Balanced,
        )
    }
}

/// Writes `image` as a PNG (tagged sRGB) at `path`, atomically: the one way
/// the crate writes PNG files.
pub fn write_png(path: &Path, image: &RgbaImage) -> Result<()> {
    write_atomic_parts(path, &[&image.encode_png()?])
}

/// Reads an 8-bit PNG of any colour type as RGBA.
pub fn read_png(path: &Path) -> Result<RgbaImage> {
    let file = std::fs::File::open(path).map_err(|e| VideoError::io(path, e))?;
    let mut decoder = png::Decoder::new(std::io::BufReader::new(file));
    decoder.set_transformations(png::Transformations::normalize_to_color8());
    let bad = |e: png::DecodingError| VideoError::Format(format!("{}: {e}", path.display()));
    let mut reader = decoder.read_info().map_err(bad)?;
    let size = reader
        .output_buffer_size()
        .ok_or_else(|| VideoError::format(format!("{}: image too large", path.display())))?;
    let mut buf = vec![0u8; size];
    let info = reader.next_frame(&mut buf).map_err(bad)?;
    buf.truncate(info.buffer_size());
    let (w, h) = (info.width, info.height);
    let data = match info.color_type {
        png::ColorType::Rgba => buf,
        png::ColorType::Rgb => buf
            .chunks_exact(3)
            .flat_map(|p| [p[0], p[1], p[2], 255])
            .collect(),
        png::ColorType::Grayscale => buf.iter().flat_map(|&g| [g, g, g, 255]).collect(),
        png::ColorType::GrayscaleAlpha => buf
            .chunks_exact(2)
            .flat_map(|p| [p[0], p[0], p[0], p[1]])
            .collect(),
        png::ColorType::Indexed => {
            return Err(VideoError::format(format!(
                "{}: palette was not expanded",
                path.display()
            )));
        }
    };
    RgbaImage::from_vec(w, h, data)
}

/// The file name of frame `index` in a dump: `0000.png`, `0001.png`, ...
pub fn frame_file_name(index: u64) -> String {
    format!("{index:04}.png")
}

/// What a finished frame dump wrote.
#[derive(Debug, Clone, PartialEq)]
pub struct DumpStats {
    pub dir: PathBuf,
    pub frames: u64,
    pub bytes: u64,
    /// PNG compression and writing, summed over workers.
    pub write_ms_total: f64,
    /// Time the caller spent blocked because the queue was full.
    pub queue_wait_ms: f64,
}

type Job = (u64, Vec<u8>);

struct WorkerTotals {
    bytes: u64,
    write_ms: f64,
}

/// Writes frames as numbered PNGs on worker threads behind a bounded queue.
pub struct FrameDumper {
    dir: PathBuf,
    width: u32,
    height: u32,
    sender: Option<SyncSender<Job>>,
    workers: Vec<JoinHandle<Result<WorkerTotals>>>,
    first_error: Arc<Mutex<Option<VideoError>>>,
    next_index: u64,
    queue_wait_ms: f64,
    failed: bool,
}

impl FrameDumper {
    /// Starts `workers` writer threads (at least one) for frames of the
    /// given size, creating `dir`.
    pub fn create(dir: &Path, width: u32, height: u32, workers: usize) -> Result<Self> {
        if width == 0 || height == 0 {
            return Err(VideoError::invalid(format!(
                "frame size {width}x{height} has no pixels"
            )));
        }
        byte_len(width, height)?;
        std::fs::create_dir_all(dir).map_err(|e| VideoError::io(dir, e))?;
        let workers = workers.clamp(1, 16);
        // Two frames per worker keep every worker busy without hoarding memory.
        let (sender, receiver) = sync_channel::<Job>(2 * workers);
        let receiver = Arc::new(Mutex::new(receiver));
        let first_error = Arc::new(Mutex::new(None));
        let mut handles = Vec::with_capacity(workers);
        for n in 0..workers {
            let receiver = Arc::clone(&receiver);
            let first_error = Arc::clone(&first_error);
            let dir = dir.to_path_buf();
            let handle = std::thread::Builder::new()
                .name(format!("c2w-png-{n}"))
                .spawn(move || png_worker(&dir, width, height, &receiver, &first_error))
                .map_err(|e| VideoError::Worker(format!("cannot start a PNG writer: {e}")))?;
            handles.push(handle);
        }
        Ok(Self {
            dir: dir.to_path_buf(),
            width,
            height,
            sender: Some(sender),
            workers: handles,
            first_error,
            next_index: 0,
            queue_wait_ms: 0.0,
            failed: false,
        })
    }

    /// Queues the next frame; blocks while the queue is full. Returns the
    /// path the frame will be written to.
    pub fn push(&mut self, rgba: Vec<u8>) -> Result<PathBuf> {
        if self.failed {
            return Err(VideoError::invalid("frame dump already failed"));
        }
        check_frame_len(self.width, self.height, rgba.len())?;
        if let Some(e) = self.take_error() {
            self.failed = true;
            return Err(e);
        }
        let index = self.next_index;
        let waited = Instant::now();
        let sent = self
            .sender
            .as_ref()
            .map(|s| s.send((index, rgba)).is_ok())
            .unwrap_or(false);
        self.queue_wait_ms += waited.elapsed().as_secs_f64() * 1000.0;
        if !sent {
            self.failed = true;
            return Err(self
                .take_error()
                .unwrap_or_else(|| VideoError::Worker("PNG writers stopped".to_string())));
        }
        self.next_index += 1;
        Ok(self.dir.join(frame_file_name(index)))
    }

    /// Waits for every queued frame to be written.
    pub fn finish(mut self) -> Result<DumpStats> {
        self.sender = None;
        let mut bytes = 0;
        let mut write_ms = 0.0;
        let mut failure = None;
        for handle in std::mem::take(&mut self.workers) {
            match handle.join() {
                Ok(Ok(t)) => {
                    bytes += t.bytes;
                    write_ms += t.write_ms;
                }
                Ok(Err(e)) => {
                    failure.get_or_insert(e);
                }
                Err(p) => {
                    failure.get_or_insert(VideoError::Worker(panic_message(p.as_ref())));
                }
            }
        }
        if let Some(e) = self.take_error().or(failure) {
            return Err(e);
        }
        Ok(DumpStats {
            dir: self.dir.clone(),
            frames: self.next_index,
            bytes,
            write_ms_total: write_ms,
            queue_wait_ms: self.queue_wait_ms,
        })
    }

    fn take_error(&self) -> Option<VideoError> {
        self.first_error
            .lock()
            .ok()
            .and_then(|mut slot| slot.take())
    }
}

impl Drop for FrameDumper {
    fn drop(&mut self) {
        self.sender = None;
        for handle in std::mem::take(&mut self.workers) {
            let _ = handle.join();
        }
    }
}

fn png_worker(
    dir: &Path,
    width: u32,
    height: u32,
    receiver: &Mutex<Receiver<Job>>,
    first_error: &Mutex<Option<VideoError>>,
) -> Result<WorkerTotals> {
    let mut totals = WorkerTotals {
        bytes: 0,
        write_ms: 0.0,
    };
    loop {
        // Hold the lock only while taking a job, not while compressing it.
        let job = match receiver.lock() {
            Ok(rx) => rx.recv(),
            Err(_) => return Err(VideoError::Worker("PNG queue poisoned".to_string())),
        };
        let Ok((index, rgba)) = job else {
            return Ok(totals);
        };
        let started = Instant::now();
        let result = encode_png(width, height, &rgba, png::Compression::Fast).and_then(|png| {
            write_atomic_parts(&dir.join(frame_file_name(index)), &[&png]).map(|()| png.len())
        });
        match result {
            Ok(n) => {
                totals.bytes += n as u64;
                totals.write_ms += started.elapsed().as_secs_f64() * 1000.0;
            }
            Err(e) => {
                if let Ok(mut slot) = first_error.lock() {
                    slot.get_or_insert(e);
                }
                return Err(VideoError::Worker(
                    "PNG writer stopped after an error".into(),
                ));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pngs_are_tagged_srgb_written_whole_and_read_back() {
        let img = RgbaImage::from_vec(3, 2, (0..24).map(|v| v as u8 * 10).collect()).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.png");
        write_png(&p, &img).unwrap();
        assert_eq!(read_png(&p).unwrap(), img);
        let bytes = std::fs::read(&p).unwrap();
        assert_eq!(bytes, img.encode_png().unwrap());
        let info = png::Decoder::new(std::io::Cursor::new(&bytes))
            .read_info()
            .unwrap()
            .info()
            .clone();
        assert!(info.srgb.is_some(), "no sRGB chunk");
        assert!(RgbaImage::from_vec(3, 2, vec![0; 5]).is_err());
    }
}
