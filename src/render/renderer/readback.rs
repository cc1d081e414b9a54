//! The readback ring: a few buffers that frames are copied into, so the
//! GPU can draw the next frame while the CPU reads the last one, and the
//! waiting that brings their pixels back.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::{Rendered, Renderer};
use crate::render::RenderError;
use crate::render::gpu::Gpu;
use crate::video::RgbaImage;

/// How long to wait for the GPU before calling it stuck.
pub(super) const GPU_TIMEOUT: Duration = Duration::from_secs(120);

pub(super) type MapResult = Arc<Mutex<Option<Result<(), wgpu::BufferAsyncError>>>>;

/// One readback buffer of the ring, with the frame it holds.
pub(super) struct Slot {
    pub(super) buffer: wgpu::Buffer,
    pub(super) mapped: MapResult,
    pub(super) submission: Option<wgpu::SubmissionIndex>,
    pub(super) index: u64,
    pub(super) submit_ms: f64,
}

/// Bytes per row of a texture copy: padded to wgpu's 256-byte alignment.
pub(super) fn padded_row(width: u32, bytes_per_pixel: u32) -> u32 {
    let align = wgpu::COPY_BYTES_PER_ROW_ALIGNMENT;
    (width * bytes_per_pixel).div_ceil(align) * align
}

pub(super) fn readback_buffer(device: &wgpu::Device, label: &str, size: u64) -> wgpu::Buffer {
    device.create_buffer(&wgpu::BufferDescriptor {
        label: Some(label),
        size,
        usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
        mapped_at_creation: false,
    })
}

impl Renderer {
    /// Waits for every frame in flight and returns them in order.
    pub fn flush(&mut self) -> Result<Vec<Rendered>, RenderError> {
        let mut out = Vec::with_capacity(self.pending.len());
        while !self.pending.is_empty() {
            out.push(self.collect_oldest()?);
        }
        Ok(out)
    }

    /// Drops all frames in flight after an error, leaving the ring usable.
    pub(super) fn abandon(&mut self) {
        let _ = self.gpu.device.poll(wgpu::PollType::Wait {
            submission_index: None,
            timeout: Some(GPU_TIMEOUT),
        });
        for slot in self.pending.drain(..) {
            let s = &mut self.ring[slot];
            s.submission = None;
            s.buffer.unmap();
        }
    }

    pub(super) fn collect_oldest(&mut self) -> Result<Rendered, RenderError> {
        let Some(slot) = self.pending.pop_front() else {
            return Err(RenderError::Gpu("no frame in flight".into()));
        };
        let start = Instant::now();
        let result = self.read_slot(slot);
        let s = &mut self.ring[slot];
        s.submission = None;
        match result {
            Ok(rgba) => Ok(Rendered {
                index: s.index,
                image: RgbaImage {
                    width: self.opts.width,
                    height: self.opts.height,
                    data: rgba,
                },
                submit_ms: s.submit_ms,
                readback_ms: start.elapsed().as_secs_f64() * 1000.0,
            }),
            Err(e) => {
                self.abandon();
                Err(e)
            }
        }
    }

    fn read_slot(&mut self, slot: usize) -> Result<Vec<u8>, RenderError> {
        let s = &self.ring[slot];
        wait_mapped(&self.gpu, s.submission.clone(), &s.mapped)?;
        self.gpu.take_error()?;
        let (w, h) = (self.opts.width as usize, self.opts.height as usize);
        let row = padded_row(self.opts.width, 4) as usize;
        let mut rgba = Vec::with_capacity(w * h * 4);
        {
            let data = s
                .buffer
                .slice(..)
                .get_mapped_range()
                .map_err(|e| RenderError::Gpu(format!("reading back a frame: {e}")))?;
            for y in 0..h {
                rgba.extend_from_slice(&data[y * row..y * row + w * 4]);
            }
        }
        s.buffer.unmap();
        Ok(rgba)
    }
}

pub(super) fn poisoned() -> RenderError {
    RenderError::Gpu("a readback lock was poisoned by a panic".into())
}

/// Blocks until a buffer's mapping (requested after `submission`) is done.
pub(super) fn wait_mapped(
    gpu: &Gpu,
    submission: Option<wgpu::SubmissionIndex>,
    mapped: &MapResult,
) -> Result<(), RenderError> {
    let deadline = Instant::now() + GPU_TIMEOUT;
    let mut submission = submission;
    loop {
        if let Some(r) = mapped.lock().map_err(|_| poisoned())?.take() {
            return r.map_err(|e| RenderError::Gpu(format!("mapping a readback buffer: {e}")));
        }
        if Instant::now() > deadline {
            return Err(RenderError::Gpu(format!(
                "the GPU did not finish a frame within {} s",
                GPU_TIMEOUT.as_secs()
            )));
        }
        gpu.device
            .poll(wgpu::PollType::Wait {
                submission_index: submission.take(),
                timeout: Some(GPU_TIMEOUT),
            })
            .map_err(|e| RenderError::Gpu(format!("waiting for the GPU: {e}")))?;
        gpu.take_error()?;
    }
}
