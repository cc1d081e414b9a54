//! sRGB RGBA8 <-> Y'CbCr 4:2:0 with BT.709 coefficients, limited range
//! (Y' 16..235, Cb/Cr 16..240), the combination browsers assume for H.264
//! that carries no other signal and the one our `colr` box states.
//!
//! Integer fixed point keeps the conversion exact across machines, so the
//! encoded bytes are the same everywhere.

use super::error::{Result, VideoError};
use super::image::{RgbaImage, byte_len};

const KR: f64 = 0.2126;
const KB: f64 = 0.0722;
const KG: f64 = 1.0 - KR - KB;
/// Limited-range excursions out of 255.
const Y_SCALE: f64 = 219.0 / 255.0;
const C_SCALE: f64 = 224.0 / 255.0;

const SHIFT: u32 = 16;

const fn fix(x: f64) -> i32 {
    let s = x * (1u32 << SHIFT) as f64;
    if s >= 0.0 {
        (s + 0.5) as i32
    } else {
        (s - 0.5) as i32
    }
}

// Forward matrix, already scaled to limited range.
const YR: i32 = fix(KR * Y_SCALE);
const YG: i32 = fix(KG * Y_SCALE);
const YB: i32 = fix(KB * Y_SCALE);
const UR: i32 = fix(-KR / (2.0 * (1.0 - KB)) * C_SCALE);
const UG: i32 = fix(-KG / (2.0 * (1.0 - KB)) * C_SCALE);
const UB: i32 = fix(0.5 * C_SCALE);
const VR: i32 = fix(0.5 * C_SCALE);
const VG: i32 = fix(-KG / (2.0 * (1.0 - KR)) * C_SCALE);
const VB: i32 = fix(-KB / (2.0 * (1.0 - KR)) * C_SCALE);

// Inverse matrix, from limited range back to 0..255.
const IY: i32 = fix(1.0 / Y_SCALE);
const IRV: i32 = fix(2.0 * (1.0 - KR) / C_SCALE);
const IGU: i32 = fix(2.0 * (1.0 - KB) * KB / KG / C_SCALE);
const IGV: i32 = fix(2.0 * (1.0 - KR) * KR / KG / C_SCALE);
const IBU: i32 = fix(2.0 * (1.0 - KB) / C_SCALE);

/// A 4:2:0 picture; chroma planes are half size. Pictures made here have
/// even sizes (odd sources are padded by repeating their last column and
/// row); decoded ones may be odd, with chroma rounded up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Yuv420 {
    pub width: u32,
    pub height: u32,
    pub y_stride: usize,
    pub uv_stride: usize,
    pub y: Vec<u8>,
    pub u: Vec<u8>,
    pub v: Vec<u8>,
}

impl Yuv420 {
    /// An empty picture for `width x height` pixels (rounded up to even).
    pub fn for_size(width: u32, height: u32) -> Result<Self> {
        if width == 0 || height == 0 {
            return Err(VideoError::invalid(format!(
                "picture size {width}x{height} has no pixels"
            )));
        }
        let (w, h) = (even_up(width), even_up(height));
        byte_len(w, h)?;
        let (w, h) = (w as usize, h as usize);
        Ok(Self {
            width: w as u32,
            height: h as u32,
            y_stride: w,
            uv_stride: w / 2,
            y: vec![0; w * h],
            u: vec![0; w * h / 4],
            v: vec![0; w * h / 4],
        })
    }

    /// Planes must cover the picture; odd sizes (from other encoders) have
    /// chroma rounded up.
    fn check_planes(&self) -> Result<()> {
        let (w, h) = (self.width as usize, self.height as usize);
        let (cw, ch) = (w.div_ceil(2), h.div_ceil(2));
        let ok = w > 0
            && h > 0
            && self.y_stride >= w
            && self.uv_stride >= cw
            && self.y.len() >= self.y_stride * (h - 1) + w
            && self.u.len() >= self.uv_stride * (ch - 1) + cw
            && self.v.len() >= self.uv_stride * (ch - 1) + cw;
        if ok {
            Ok(())
        } else {
            Err(VideoError::invalid(format!(
                "YUV planes do not match a {}x{} picture",
                self.width, self.height
            )))
        }
    }
}

/// Rounds up to the next even number; 4:2:0 needs whole chroma samples.
pub(crate) fn even_up(n: u32) -> u32 {
    n.saturating_add(n & 1)
}

/// Converts an RGBA frame into `out`, whose size must be `width x height`
/// rounded up to even. Alpha is ignored.
pub fn rgba_to_yuv420(rgba: &[u8], width: u32, height: u32, out: &mut Yuv420) -> Result<()> {
    let need = byte_len(width, height)?;
    if rgba.len() != need {
        return Err(VideoError::invalid(format!(
            "a {width}x{height} frame needs {need} bytes, got {}",
            rgba.len()
        )));
    }
    if width == 0 || height == 0 || out.width != even_up(width) || out.height != even_up(height) {
        return Err(VideoError::invalid(format!(
            "YUV picture is {}x{}, frame is {width}x{height}",
            out.width, out.height
        )));
    }
    out.check_planes()?;
    let (w, h) = (width as usize, height as usize);
    let (cw, ch) = (out.width as usize, out.height as usize);
    let stride = w * 4;

    for row in 0..ch {
        let src = &rgba[row.min(h - 1) * stride..][..stride];
        let dst = &mut out.y[row * out.y_stride..][..cw];
        for (d, px) in dst.iter_mut().zip(src.chunks_exact(4)) {
            *d = luma(px[0], px[1], px[2]);
        }
        if cw > w {
            dst[w] = dst[w - 1];
        }
    }

    for crow in 0..ch / 2 {
        let r0 = &rgba[(2 * crow).min(h - 1) * stride..][..stride];
        let r1 = &rgba[(2 * crow + 1).min(h - 1) * stride..][..stride];
        let u_row = &mut out.u[crow * out.uv_stride..][..cw / 2];
        let v_row = &mut out.v[crow * out.uv_stride..][..cw / 2];
        // Whole pairs first; the loop body stays branch-free.
        let pairs = w / 2;
        for (i, (a, b)) in r0
            .chunks_exact(8)
            .zip(r1.chunks_exact(8))
            .take(pairs)
            .enumerate()
        {
            let r = a[0] as i32 + a[4] as i32 + b[0] as i32 + b[4] as i32;
            let g = a[1] as i32 + a[5] as i32 + b[1] as i32 + b[5] as i32;
            let bl = a[2] as i32 + a[6] as i32 + b[2] as i32 + b[6] as i32;
            u_row[i] = chroma(UR, UG, UB, r, g, bl);
            v_row[i] = chroma(VR, VG, VB, r, g, bl);
        }
        if w % 2 == 1 {
            // The padded column repeats the last one.
            let x = (w - 1) * 4;
            let r = 2 * (r0[x] as i32 + r1[x] as i32);
            let g = 2 * (r0[x + 1] as i32 + r1[x + 1] as i32);
            let bl = 2 * (r0[x + 2] as i32 + r1[x + 2] as i32);
            u_row[pairs] = chroma(UR, UG, UB, r, g, bl);
            v_row[pairs] = chroma(VR, VG, VB, r, g, bl);
        }
    }
    Ok(())
}

#[inline(always)]
fn luma(r: u8, g: u8, b: u8) -> u8 {
    let y = YR * r as i32 + YG * g as i32 + YB * b as i32 + (16 << SHIFT) + (1 << (SHIFT - 1));
    (y >> SHIFT).clamp(0, 255) as u8
}

/// Chroma from the sums of a 2x2 block (four samples per channel).
#[inline(always)]
fn chroma(cr: i32, cg: i32, cb: i32, r: i32, g: i32, b: i32) -> u8 {
    let c = cr * r + cg * g + cb * b + (128 << (SHIFT + 2)) + (1 << (SHIFT + 1));
    (c >> (SHIFT + 2)).clamp(0, 255) as u8
}

/// Converts a 4:2:0 picture back to RGBA (alpha 255), repeating each chroma
/// sample over its 2x2 block. Used to check decoded video against its source.
pub fn yuv420_to_rgba(yuv: &Yuv420) -> Result<RgbaImage> {
    yuv.check_planes()?;
    let (w, h) = (yuv.width as usize, yuv.height as usize);
    let mut data = vec![0u8; byte_len(yuv.width, yuv.height)?];
    for row in 0..h {
        let ys = &yuv.y[row * yuv.y_stride..][..w];
        let us = &yuv.u[(row / 2) * yuv.uv_stride..][..w.div_ceil(2)];
        let vs = &yuv.v[(row / 2) * yuv.uv_stride..][..w.div_ceil(2)];
        let dst = &mut data[row * w * 4..][..w * 4];
        for (x, px) in dst.chunks_exact_mut(4).enumerate() {
            let y = (ys[x] as i32 - 16) * IY;
            let u = us[x / 2] as i32 - 128;
            let v = vs[x / 2] as i32 - 128;
            let round = 1 << (SHIFT - 1);
            px[0] = ((y + IRV * v + round) >> SHIFT).clamp(0, 255) as u8;
            px[1] = ((y - IGU * u - IGV * v + round) >> SHIFT).clamp(0, 255) as u8;
            px[2] = ((y + IBU * u + round) >> SHIFT).clamp(0, 255) as u8;
            px[3] = 255;
        }
    }
    RgbaImage::from_vec(yuv.width, yuv.height, data)
}

/// Peak signal-to-noise ratio over the R, G and B channels of two RGBA
/// buffers of equal size, in dB; infinite when they are identical.
pub fn psnr_rgb(a: &[u8], b: &[u8]) -> Result<f64> {
    if a.len() != b.len() || a.is_empty() || !a.len().is_multiple_of(4) {
        return Err(VideoError::invalid(format!(
            "PSNR needs two RGBA buffers of equal size, got {} and {} bytes",
            a.len(),
            b.len()
        )));
    }
    let mut sum = 0u64;
    for (p, q) in a.chunks_exact(4).zip(b.chunks_exact(4)) {
        for c in 0..3 {
            let d = p[c] as i64 - q[c] as i64;
            sum += (d * d) as u64;
        }
    }
    if sum == 0 {
        return Ok(f64::INFINITY);
    }
    let mse = sum as f64 / (a.len() / 4 * 3) as f64;
    Ok(10.0 * (255.0 * 255.0 / mse).log10())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn convert(rgba: &[u8], w: u32, h: u32) -> Yuv420 {
        let mut yuv = Yuv420::for_size(w, h).unwrap();
        rgba_to_yuv420(rgba, w, h, &mut yuv).unwrap();
        yuv
    }

    #[test]
    fn reference_colours_map_to_bt709_limited_values() {
        // Worked out by hand from the BT.709 matrix, scaled to 16..235 and
        // 16..240 and rounded.
        let cases: [([u8; 3], [u8; 3]); 5] = [
            ([0, 0, 0], [16, 128, 128]),
            ([255, 255, 255], [235, 128, 128]),
            ([255, 0, 0], [63, 102, 240]),
            ([0, 255, 0], [173, 42, 26]),
            ([0, 0, 255], [32, 240, 118]),
        ];
        for (rgb, want) in cases {
            let px = [rgb[0], rgb[1], rgb[2], 255];
            let frame: Vec<u8> = px.iter().copied().cycle().take(16).collect();
            let yuv = convert(&frame, 2, 2);
            let got = [yuv.y[0], yuv.u[0], yuv.v[0]];
            for c in 0..3 {
                assert!(
                    (got[c] as i32 - want[c] as i32).abs() <= 1,
                    "{rgb:?}: got {got:?}, want {want:?}"
                );
            }
        }
    }

    #[test]
    fn flat_colours_survive_a_round_trip() {
        for rgb in [[12u8, 200, 99], [250, 250, 3], [128, 64, 32], [0, 0, 0]] {
            let px = [rgb[0], rgb[1], rgb[2], 255];
            let frame: Vec<u8> = px.iter().copied().cycle().take(4 * 6 * 4).collect();
            let back = yuv420_to_rgba(&convert(&frame, 6, 4)).unwrap();
            for (a, b) in frame.iter().zip(&back.data) {
                assert!(
                    (*a as i32 - *b as i32).abs() <= 2,
                    "{rgb:?} -> {:?}",
                    &back.data[..4]
                );
            }
        }
    }

    #[test]
    fn odd_sizes_repeat_the_last_column_and_row() {
        // 3x3: a red last column and a blue last row.
        let mut frame = vec![0u8; 3 * 3 * 4];
        for y in 0..3 {
            for x in 0..3 {
                let i = (y * 3 + x) * 4;
                let c = if y == 2 {
                    [0, 0, 255, 255]
                } else if x == 2 {
                    [255, 0, 0, 255]
                } else {
                    [0, 255, 0, 255]
                };
                frame[i..i + 4].copy_from_slice(&c);
            }
        }
        let yuv = convert(&frame, 3, 3);
        assert_eq!((yuv.width, yuv.height), (4, 4));
        assert_eq!(yuv.y[3], yuv.y[2], "padded column copies the red column");
        assert_eq!(yuv.y[3 * 4], yuv.y[2 * 4], "padded row copies the blue row");
        // The bottom-right chroma block is all blue (repeated row and column
        // of the blue corner pixel).
        assert_eq!(yuv.u[3], chroma(UR, UG, UB, 0, 0, 4 * 255));
    }

    #[test]
    fn wrong_lengths_are_errors_not_panics() {
        let mut yuv = Yuv420::for_size(4, 4).unwrap();
        assert!(rgba_to_yuv420(&[0; 10], 4, 4, &mut yuv).is_err());
        assert!(rgba_to_yuv420(&[0; 36], 3, 3, &mut yuv).is_ok());
        assert!(rgba_to_yuv420(&[0; 64], 4, 4, &mut Yuv420::for_size(6, 4).unwrap()).is_err());
        assert!(Yuv420::for_size(0, 4).is_err());
        yuv.u.truncate(1);
        assert!(yuv420_to_rgba(&yuv).is_err());
        assert!(psnr_rgb(&[0; 8], &[0; 4]).is_err());
    }

    #[test]
    fn psnr_reflects_the_error_size() {
        let a = vec![100u8; 400];
        let mut b = a.clone();
        assert_eq!(psnr_rgb(&a, &b).unwrap(), f64::INFINITY);
        for px in b.chunks_exact_mut(4) {
            px[0] += 1;
            px[1] += 1;
            px[2] += 1;
        }
        // MSE 1 -> 20*log10(255) = 48.13 dB.
        assert!((psnr_rgb(&a, &b).unwrap() - 48.13).abs() < 0.01);
    }
}
