//! Decode check: plays an MP4's H.264 stream through OpenH264's decoder.
//!
//! A file that parses can still carry a stream no decoder accepts; decoding
//! every sample is the check that the video will actually play.

use std::path::Path;

use openh264::OpenH264API;
use openh264::decoder::{DecodedYUV, Decoder, DecoderConfig};
use openh264::formats::YUVSource;

use super::color::{Yuv420, yuv420_to_rgba};
use super::error::{Result, VideoError};
use super::image::RgbaImage;
use super::mp4read::{Mp4Info, read_mp4};

/// What decoding a whole file found.
#[derive(Debug, Clone)]
pub struct DecodeSummary {
    pub info: Mp4Info,
    /// Pictures the decoder produced; equals `info.frames` for a good file.
    pub frames_decoded: u64,
    /// Size of the decoded pictures.
    pub width: u32,
    pub height: u32,
    /// The frames `keep` asked for, by index, as RGBA (BT.709 limited range
    /// converted back to sRGB values).
    pub kept: Vec<(u64, RgbaImage)>,
}

/// Decodes every frame of the MP4 at `path`; frames for which `keep(index)`
/// is true are converted to RGBA and returned.
pub fn decode_mp4(path: &Path, keep: impl FnMut(u64) -> bool) -> Result<DecodeSummary> {
    let bytes = std::fs::read(path).map_err(|e| VideoError::io(path, e))?;
    decode_mp4_bytes(&bytes, keep)
}

pub(crate) fn decode_mp4_bytes(
    file: &[u8],
    mut keep: impl FnMut(u64) -> bool,
) -> Result<DecodeSummary> {
    let track = read_mp4(file)?;
    let mut decoder = Decoder::with_api_config(OpenH264API::from_source(), DecoderConfig::new())
        .map_err(|e| VideoError::codec("starting the H.264 decoder", e))?;

    let mut out = DecodeSummary {
        info: track.info.clone(),
        frames_decoded: 0,
        width: 0,
        height: 0,
        kept: Vec::new(),
    };

    let mut headers = Vec::new();
    for nal in track.sps.iter().chain(&track.pps) {
        headers.extend_from_slice(&[0, 0, 0, 1]);
        headers.extend_from_slice(nal);
    }
    decoder
        .decode(&headers)
        .map_err(|e| VideoError::codec("decoding the SPS/PPS", e))?;

    let mut annex_b = Vec::new();
    for (i, sample) in track.samples.iter().enumerate() {
        let start = sample.offset as usize;
        let data = &file[start..start + sample.size as usize];
        to_annex_b(data, track.nal_length_size, &mut annex_b)
            .map_err(|e| VideoError::format(format!("sample {}: {e}", i + 1)))?;
        let picture = decoder
            .decode(&annex_b)
            .map_err(|e| VideoError::codec(&format!("decoding sample {}", i + 1), e))?;
        if let Some(p) = picture {
            take_picture(&p, &mut out, &mut keep)?;
        }
    }
    let rest = decoder
        .flush_remaining()
        .map_err(|e| VideoError::codec("flushing the decoder", e))?;
    for p in &rest {
        take_picture(p, &mut out, &mut keep)?;
    }
    Ok(out)
}

fn take_picture(
    p: &DecodedYUV<'_>,
    out: &mut DecodeSummary,
    keep: &mut impl FnMut(u64) -> bool,
) -> Result<()> {
    let (w, h) = p.dimensions();
    let index = out.frames_decoded;
    out.frames_decoded += 1;
    out.width = w as u32;
    out.height = h as u32;
    if keep(index) {
        let (ys, us, _) = p.strides();
        let yuv = Yuv420 {
            width: w as u32,
            height: h as u32,
            y_stride: ys,
            uv_stride: us,
            y: p.y().to_vec(),
            u: p.u().to_vec(),
            v: p.v().to_vec(),
        };
        out.kept.push((index, yuv420_to_rgba(&yuv)?));
    }
    Ok(())
}

/// Length-prefixed NAL units to start-code form, which the decoder reads.
fn to_annex_b(
    sample: &[u8],
    length_size: u8,
    out: &mut Vec<u8>,
) -> std::result::Result<(), String> {
    out.clear();
    let n = length_size as usize;
    let mut at = 0;
    while at < sample.len() {
        if sample.len() - at < n {
            return Err("truncated NAL length".to_string());
        }
        let len = sample[at..at + n]
            .iter()
            .fold(0usize, |acc, &b| (acc << 8) | b as usize);
        at += n;
        if len == 0 || sample.len() - at < len {
            return Err(format!("NAL unit of {len} bytes does not fit the sample"));
        }
        out.extend_from_slice(&[0, 0, 0, 1]);
        out.extend_from_slice(&sample[at..at + len]);
        at += len;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn length_prefixes_become_start_codes() {
        let mut out = Vec::new();
        to_annex_b(&[0, 0, 0, 2, 0x65, 7, 0, 0, 0, 1, 0x41], 4, &mut out).unwrap();
        assert_eq!(out, [0, 0, 0, 1, 0x65, 7, 0, 0, 0, 1, 0x41]);
        assert!(to_annex_b(&[0, 0, 0, 9, 1], 4, &mut out).is_err());
        assert!(to_annex_b(&[0, 0], 4, &mut out).is_err());
    }
}
