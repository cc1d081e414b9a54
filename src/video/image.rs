//! A plain RGBA8 image, the unit every part of this module trades in.

use super::error::{Result, VideoError};

/// An sRGB RGBA8 image, row-major, `width * height * 4` bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RgbaImage {
    pub width: u32,
    pub height: u32,
    pub data: Vec<u8>,
}

impl RgbaImage {
    /// Wraps `data`, checking that its length matches the size.
    pub fn from_vec(width: u32, height: u32, data: Vec<u8>) -> Result<Self> {
        let want = byte_len(width, height)?;
        if data.len() != want {
            return Err(VideoError::invalid(format!(
                "a {width}x{height} RGBA image needs {want} bytes, got {}",
                data.len()
            )));
        }
        Ok(Self {
            width,
            height,
            data,
        })
    }

    /// An image filled with one colour.
    pub fn filled(width: u32, height: u32, rgba: [u8; 4]) -> Result<Self> {
        let len = byte_len(width, height)?;
        let mut data = Vec::with_capacity(len);
        for _ in 0..len / 4 {
            data.extend_from_slice(&rgba);
        }
        Ok(Self {
            width,
            height,
            data,
        })
    }

    /// The pixel at (x, y), or `None` outside the image.
    pub fn pixel(&self, x: u32, y: u32) -> Option<[u8; 4]> {
        if x >= self.width || y >= self.height {
            return None;
        }
        let i = (y as usize * self.width as usize + x as usize) * 4;
        Some([
            self.data[i],
            self.data[i + 1],
            self.data[i + 2],
            self.data[i + 3],
        ])
    }

    /// Sets the pixel at (x, y); points outside the image are ignored so
    /// drawing code can clip by simply trying.
    pub fn set_pixel(&mut self, x: i64, y: i64, rgba: [u8; 4]) {
        if x < 0 || y < 0 || x >= self.width as i64 || y >= self.height as i64 {
            return;
        }
        let i = (y as usize * self.width as usize + x as usize) * 4;
        self.data[i..i + 4].copy_from_slice(&rgba);
    }

    /// Fills a rectangle, clipped to the image.
    pub fn fill_rect(&mut self, x: i64, y: i64, w: i64, h: i64, rgba: [u8; 4]) {
        let x0 = x.clamp(0, self.width as i64) as usize;
        let y0 = y.clamp(0, self.height as i64) as usize;
        let x1 = (x.saturating_add(w)).clamp(0, self.width as i64) as usize;
        let y1 = (y.saturating_add(h)).clamp(0, self.height as i64) as usize;
        let stride = self.width as usize * 4;
        for row in y0..y1 {
            for px in self.data[row * stride + x0 * 4..row * stride + x1 * 4].chunks_exact_mut(4) {
                px.copy_from_slice(&rgba);
            }
        }
    }
}

/// `width * height * 4`, or an error when that does not fit in memory terms.
/// Checks that a pushed frame has exactly the bytes its size needs.
pub(crate) fn check_frame_len(width: u32, height: u32, len: usize) -> Result<()> {
    let need = byte_len(width, height)?;
    if len != need {
        return Err(VideoError::invalid(format!(
            "a {width}x{height} frame needs {need} bytes, got {len}"
        )));
    }
    Ok(())
}

pub(crate) fn byte_len(width: u32, height: u32) -> Result<usize> {
    (width as usize)
        .checked_mul(height as usize)
        .and_then(|n| n.checked_mul(4))
        .ok_or_else(|| VideoError::invalid(format!("image size {width}x{height} is too large")))
}
