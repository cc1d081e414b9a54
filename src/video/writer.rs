//! `VideoWriter`: frames in on the caller's thread, H.264 MP4 out, with
//! colour conversion and encoding on a worker thread so rendering the next
//! frame overlaps with encoding this one.

use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::thread::JoinHandle;
use std::time::Instant;

use super::color::{Yuv420, even_up, rgba_to_yuv420};
use super::error::{Result, VideoError, panic_message};
use super::h264::{H264Encoder, Quality, check_size};
use super::image::check_frame_len;
use super::mp4write::{SampleInfo, TrackSpec, build_header};
use super::write_atomic_parts;

/// Frames that may wait between caller and encoder. Small: enough to absorb
/// a slow frame on either side, while bounding memory at a few frames.
const QUEUE_FRAMES: usize = 4;
/// Media time units per frame; the track timescale is `fps` times this.
const TICKS_PER_FRAME: u32 = 1000;
const MAX_FPS: u32 = 1000;

/// What `finish` reports.
#[derive(Debug, Clone, PartialEq)]
pub struct VideoStats {
    pub path: PathBuf,
    pub frames: u64,
    /// Encoded size: the input size rounded up to even.
    pub width: u32,
    pub height: u32,
    pub fps: u32,
    pub duration_s: f64,
    pub keyframes: u64,
    /// Size of the MP4 file.
    pub bytes: u64,
    /// RGBA to YUV conversion, summed over frames (worker thread).
    pub convert_ms_total: f64,
    /// H.264 encoding, summed over frames (worker thread).
    pub encode_ms_total: f64,
    /// Building the MP4 index and writing the file.
    pub mux_ms: f64,
    /// Time `push` spent blocked on a full queue: how far encoding fell
    /// behind the caller.
    pub queue_wait_ms: f64,
}

/// Everything the worker hands back for muxing.
struct Encoded {
    spec: TrackSpec,
    samples: Vec<SampleInfo>,
    payload: Vec<u8>,
    convert_ms: f64,
    encode_ms: f64,
}

/// Encodes RGBA frames to an H.264 MP4. Create, `push` every frame in order,
/// then `finish`; dropping the writer without finishing writes nothing.
pub struct VideoWriter {
    path: PathBuf,
    width: u32,
    height: u32,
    fps: u32,
    sender: Option<SyncSender<Vec<u8>>>,
    worker: Option<JoinHandle<Result<Encoded>>>,
    pushed: u64,
    queue_wait_ms: f64,
    failed: bool,
}

impl VideoWriter {
    /// Prepares a `width x height` video at `fps` frames per second, to be
    /// written to `path` when finished. Odd sizes are padded to even by
    /// repeating the last column or row.
    pub fn create(
        path: &Path,
        width: u32,
        height: u32,
        fps: u32,
        quality: Quality,
    ) -> Result<Self> {
        if fps == 0 || fps > MAX_FPS {
            return Err(VideoError::invalid(format!(
                "fps must be between 1 and {MAX_FPS}, got {fps}"
            )));
        }
        if width == 0 || height == 0 {
            return Err(VideoError::invalid(format!(
                "video size {width}x{height} has no pixels"
            )));
        }
        let (coded_w, coded_h) = (even_up(width), even_up(height));
        check_size(coded_w, coded_h)?;
        if path.file_name().is_none() {
            return Err(VideoError::invalid(format!(
                "output path '{}' names no file",
                path.display()
            )));
        }
        let encoder = H264Encoder::new(coded_w, coded_h, fps, quality)?;
        let yuv = Yuv420::for_size(width, height)?;
        let (sender, receiver) = sync_channel::<Vec<u8>>(QUEUE_FRAMES);
        let worker = std::thread::Builder::new()
            .name("c2w-video-encode".to_string())
            .spawn(move || encode_loop(receiver, encoder, yuv, width, height, fps))
            .map_err(|e| VideoError::Worker(format!("cannot start the encoder thread: {e}")))?;
        Ok(Self {
            path: path.to_path_buf(),
            width,
            height,
            fps,
            sender: Some(sender),
            worker: Some(worker),
            pushed: 0,
            queue_wait_ms: 0.0,
            failed: false,
        })
    }

    /// Frames accepted so far.
    pub fn frames_pushed(&self) -> u64 {
        self.pushed
    }

    /// Queues the next frame (`width * height * 4` RGBA bytes). Blocks while
    /// the queue is full. An encoder failure surfaces here or in `finish`.
    pub fn push(&mut self, rgba: Vec<u8>) -> Result<()> {
        if self.failed {
            return Err(VideoError::invalid("the video writer already failed"));
        }
        check_frame_len(self.width, self.height, rgba.len())?;
        let waited = Instant::now();
        let sent = self.sender.as_ref().is_some_and(|s| s.send(rgba).is_ok());
        self.queue_wait_ms += waited.elapsed().as_secs_f64() * 1000.0;
        if sent {
            self.pushed += 1;
            return Ok(());
        }
        // The worker hung up: it failed. Report why.
        self.failed = true;
        self.sender = None;
        Err(match self.join() {
            Err(e) => e,
            Ok(_) => VideoError::Worker("the encoder stopped early".to_string()),
        })
    }

    /// Waits for the encoder, then writes the MP4 (atomically).
    pub fn finish(mut self) -> Result<VideoStats> {
        if self.failed {
            return Err(VideoError::invalid("the video writer already failed"));
        }
        self.sender = None;
        let encoded = self.join()?;
        if encoded.samples.is_empty() {
            return Err(VideoError::invalid("no frames were pushed"));
        }
        let muxing = Instant::now();
        let header = build_header(&encoded.spec, &encoded.samples)?;
        write_atomic_parts(&self.path, &[&header, &encoded.payload])?;
        let mux_ms = muxing.elapsed().as_secs_f64() * 1000.0;
        let ticks: u64 = encoded.samples.iter().map(|s| s.duration as u64).sum();
        Ok(VideoStats {
            path: self.path.clone(),
            frames: encoded.samples.len() as u64,
            width: encoded.spec.width,
            height: encoded.spec.height,
            fps: self.fps,
            duration_s: ticks as f64 / encoded.spec.timescale as f64,
            keyframes: encoded.samples.iter().filter(|s| s.keyframe).count() as u64,
            bytes: (header.len() + encoded.payload.len()) as u64,
            convert_ms_total: encoded.convert_ms,
            encode_ms_total: encoded.encode_ms,
            mux_ms,
            queue_wait_ms: self.queue_wait_ms,
        })
    }

    fn join(&mut self) -> Result<Encoded> {
        let handle = self
            .worker
            .take()
            .ok_or_else(|| VideoError::Worker("the encoder thread is gone".to_string()))?;
        match handle.join() {
            Ok(result) => result,
            Err(payload) => Err(VideoError::Worker(format!(
                "the encoder thread panicked: {}",
                panic_message(payload.as_ref())
            ))),
        }
    }
}

impl Drop for VideoWriter {
    fn drop(&mut self) {
        // Unfinished: stop the worker and write nothing.
        self.sender = None;
        if let Some(handle) = self.worker.take() {
            let _ = handle.join();
        }
    }
}

fn encode_loop(
    receiver: Receiver<Vec<u8>>,
    mut encoder: H264Encoder,
    mut yuv: Yuv420,
    width: u32,
    height: u32,
    fps: u32,
) -> Result<Encoded> {
    let mut samples: Vec<SampleInfo> = Vec::new();
    let mut payload = Vec::new();
    let (mut convert_ms, mut encode_ms) = (0.0, 0.0);
    for (index, rgba) in receiver.iter().enumerate() {
        let t0 = Instant::now();
        rgba_to_yuv420(&rgba, width, height, &mut yuv)?;
        drop(rgba);
        let t1 = Instant::now();
        let sample = encoder.encode(&yuv, index as u64)?;
        encode_ms += t1.elapsed().as_secs_f64() * 1000.0;
        convert_ms += (t1 - t0).as_secs_f64() * 1000.0;
        match sample {
            Some(s) => {
                if samples.is_empty() && !s.keyframe {
                    return Err(VideoError::Codec(
                        "the first encoded frame is not a keyframe".to_string(),
                    ));
                }
                samples.push(SampleInfo {
                    size: u32::try_from(s.data.len())
                        .map_err(|_| VideoError::Codec("a frame over 4 GiB".to_string()))?,
                    duration: TICKS_PER_FRAME,
                    keyframe: s.keyframe,
                });
                payload.extend_from_slice(&s.data);
            }
            // A skipped frame: the previous picture stays up one frame longer,
            // so the timing of everything after it is unchanged.
            None => match samples.last_mut() {
                Some(last) => last.duration += TICKS_PER_FRAME,
                None => {
                    return Err(VideoError::Codec(
                        "the encoder produced nothing for the first frame".to_string(),
                    ));
                }
            },
        }
    }
    Ok(Encoded {
        spec: TrackSpec {
            width: yuv.width,
            height: yuv.height,
            timescale: fps * TICKS_PER_FRAME,
            sps: encoder.sps.clone(),
            pps: encoder.pps.clone(),
        },
        samples,
        payload,
        convert_ms,
        encode_ms,
    })
}
