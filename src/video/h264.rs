//! H.264 encoding with OpenH264: YUV pictures in, MP4-ready samples out.
//!
//! OpenH264 writes Annex B (start codes). MP4 wants each access unit as
//! length-prefixed NAL units with the parameter sets moved into the `avcC`
//! box, so that conversion happens here, frame by frame.

use openh264::OpenH264API;
use openh264::Timestamp;
use openh264::encoder::{
    BitRate, Complexity, Encoder, EncoderConfig, FrameRate, IntraFramePeriod, QpRange,
    RateControlMode, SpsPpsStrategy, VuiConfig,
};
use openh264::formats::YUVSource;

use super::color::Yuv420;
use super::error::{Result, VideoError};

/// Encoding quality preset. Each is a fixed quantiser (QP): every frame gets
/// the same quality whatever its content, and output depends only on input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Quality {
    /// Small files for quick looks (QP 30).
    Draft,
    /// Good quality at modest size (QP 23).
    #[default]
    Default,
    /// Near-transparent quality, larger files (QP 18).
    High,
}

impl Quality {
    /// The H.264 quantiser used for every macroblock.
    pub fn qp(self) -> u8 {
        match self {
            Quality::Draft => 30,
            Quality::Default => 23,
            Quality::High => 18,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Quality::Draft => "draft",
            Quality::Default => "default",
            Quality::High => "high",
        }
    }

    /// Parses `draft`, `default` or `high`.
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "draft" => Some(Quality::Draft),
            "default" => Some(Quality::Default),
            "high" => Some(Quality::High),
            _ => None,
        }
    }
}

/// OpenH264's limits: it rejects pictures under 16 pixels a side and over
/// 3840x2160 (either orientation).
pub(crate) const MIN_SIDE: u32 = 16;
const MAX_LONG_SIDE: u32 = 3840;
const MAX_SHORT_SIDE: u32 = 2160;

pub(crate) fn check_size(width: u32, height: u32) -> Result<()> {
    let (long, short) = (width.max(height), width.min(height));
    if short < MIN_SIDE || long > MAX_LONG_SIDE || short > MAX_SHORT_SIDE {
        return Err(VideoError::invalid(format!(
            "H.264 video must be between {MIN_SIDE}x{MIN_SIDE} and \
             {MAX_LONG_SIDE}x{MAX_SHORT_SIDE} pixels, got {width}x{height}"
        )));
    }
    Ok(())
}

/// One encoded frame as an MP4 sample.
#[derive(Debug)]
pub(crate) struct Sample {
    /// Length-prefixed (4-byte big-endian) NAL units.
    pub data: Vec<u8>,
    pub keyframe: bool,
}

/// Wraps the OpenH264 encoder and collects the parameter sets it emits.
pub(crate) struct H264Encoder {
    encoder: Encoder,
    fps: u32,
    pub sps: Vec<u8>,
    pub pps: Vec<u8>,
}

impl H264Encoder {
    /// `width` and `height` must be even (see [`Yuv420`]).
    pub fn new(width: u32, height: u32, fps: u32, quality: Quality) -> Result<Self> {
        check_size(width, height)?;
        if fps == 0 {
            return Err(VideoError::invalid("fps must be at least 1"));
        }
        let qp = quality.qp();
        // Rough size guide for the rate controller; with the QP pinned it
        // only feeds OpenH264's level choice.
        let bps = (width as u64 * height as u64 * fps as u64 / 4).clamp(64_000, 50_000_000) as u32;
        let config = EncoderConfig::new()
            // Buffer-based control with a one-value QP range is constant QP
            // without the warning OpenH264 prints for quality mode.
            .rate_control_mode(RateControlMode::Bufferbased)
            .qp(QpRange::new(qp, qp))
            .bitrate(BitRate::from_bps(bps))
            // A dropped frame would break the frame count and timing.
            .skip_frames(false)
            .max_frame_rate(FrameRate::from_hz(fps as f32))
            // One keyframe a second keeps seeking in players quick.
            .intra_frame_period(IntraFramePeriod::from_num_frames(fps))
            .sps_pps_strategy(SpsPpsStrategy::ConstantId)
            .complexity(Complexity::Medium)
            // One thread: identical bytes on every machine; the caller's
            // rendering already uses the other core.
            .num_threads(1)
            .vui(VuiConfig::bt709());
        let encoder = Encoder::with_api_config(OpenH264API::from_source(), config)
            .map_err(|e| VideoError::codec("starting the H.264 encoder", e))?;
        Ok(Self {
            encoder,
            fps,
            sps: Vec::new(),
            pps: Vec::new(),
        })
    }

    /// Encodes picture number `index`. Returns `None` when the encoder
    /// produced no picture data (a skipped frame).
    pub fn encode(&mut self, yuv: &Yuv420, index: u64) -> Result<Option<Sample>> {
        let source = PlaneSource(yuv);
        let millis = index.saturating_mul(1000) / self.fps as u64;
        let stream = self
            .encoder
            .encode_at(&source, Timestamp::from_millis(millis))
            .map_err(|e| VideoError::codec(&format!("encoding frame {index}"), e))?;
        let mut data = Vec::new();
        let mut keyframe = false;
        let mut has_picture = false;
        for l in 0..stream.num_layers() {
            let Some(layer) = stream.layer(l) else {
                continue;
            };
            for n in 0..layer.nal_count() {
                let Some(raw) = layer.nal_unit(n) else {
                    continue;
                };
                // A layer can hold several NAL units back to back; split on
                // start codes rather than trusting the per-NAL lengths.
                for nal in split_annex_b(raw) {
                    let kind = nal[0] & 0x1f;
                    match kind {
                        7 => remember(&mut self.sps, nal, "SPS")?,
                        8 => remember(&mut self.pps, nal, "PPS")?,
                        // Access unit delimiters carry nothing MP4 needs.
                        9 => {}
                        _ => {
                            if kind == 5 {
                                keyframe = true;
                            }
                            if kind == 1 || kind == 5 {
                                has_picture = true;
                            }
                            let len = u32::try_from(nal.len()).map_err(|_| {
                                VideoError::Codec("NAL unit over 4 GiB".to_string())
                            })?;
                            data.extend_from_slice(&len.to_be_bytes());
                            data.extend_from_slice(nal);
                        }
                    }
                }
            }
        }
        if !has_picture {
            return Ok(None);
        }
        if self.sps.is_empty() || self.pps.is_empty() {
            return Err(VideoError::Codec(
                "the encoder produced a picture before its SPS and PPS".to_string(),
            ));
        }
        Ok(Some(Sample { data, keyframe }))
    }
}

/// Keeps the first parameter set; a different one later would need a second
/// sample description, which this writer does not produce.
fn remember(slot: &mut Vec<u8>, nal: &[u8], what: &str) -> Result<()> {
    if slot.is_empty() {
        slot.extend_from_slice(nal);
        Ok(())
    } else if slot.as_slice() == nal {
        Ok(())
    } else {
        Err(VideoError::Codec(format!(
            "the encoder changed its {what} mid-stream"
        )))
    }
}

/// Splits an Annex B byte stream into NAL units (without start codes).
pub(crate) fn split_annex_b(stream: &[u8]) -> Vec<&[u8]> {
    let mut starts = Vec::new();
    let mut i = 0;
    while i + 2 < stream.len() {
        if stream[i] == 0 && stream[i + 1] == 0 && stream[i + 2] == 1 {
            starts.push(i + 3);
            i += 3;
        } else {
            i += 1;
        }
    }
    let mut nals = Vec::with_capacity(starts.len());
    for (k, &s) in starts.iter().enumerate() {
        let mut end = starts.get(k + 1).map_or(stream.len(), |&next| next - 3);
        // Zero bytes before the next start code belong to it (4-byte codes)
        // or are trailing padding.
        while end > s && stream[end - 1] == 0 {
            end -= 1;
        }
        if end > s {
            nals.push(&stream[s..end]);
        }
    }
    nals
}

/// Lends our planes to OpenH264 without copying.
struct PlaneSource<'a>(&'a Yuv420);

impl YUVSource for PlaneSource<'_> {
    fn dimensions(&self) -> (usize, usize) {
        (self.0.width as usize, self.0.height as usize)
    }

    fn strides(&self) -> (usize, usize, usize) {
        (self.0.y_stride, self.0.uv_stride, self.0.uv_stride)
    }

    fn y(&self) -> &[u8] {
        &self.0.y
    }

    fn u(&self) -> &[u8] {
        &self.0.u
    }

    fn v(&self) -> &[u8] {
        &self.0.v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn annex_b_splits_on_three_and_four_byte_start_codes() {
        let stream = [
            0, 0, 0, 1, 0x67, 1, 2, 0, 0, 1, 0x68, 3, 0, 0, 0, 1, 0x65, 4, 0, 0,
        ];
        let nals = split_annex_b(&stream);
        assert_eq!(
            nals,
            vec![&[0x67, 1, 2][..], &[0x68, 3][..], &[0x65, 4][..]]
        );
        assert!(split_annex_b(&[1, 2, 3]).is_empty());
        assert!(split_annex_b(&[]).is_empty());
    }

    #[test]
    fn sizes_outside_the_encoder_limits_are_errors() {
        assert!(check_size(16, 16).is_ok());
        assert!(check_size(3840, 2160).is_ok());
        assert!(check_size(2160, 3840).is_ok());
        assert!(check_size(15, 100).is_err());
        assert!(check_size(3842, 2160).is_err());
        assert!(check_size(3000, 3000).is_err());
    }

    #[test]
    fn quality_names_round_trip() {
        for q in [Quality::Draft, Quality::Default, Quality::High] {
            assert_eq!(Quality::parse(q.name()), Some(q));
        }
        assert_eq!(Quality::parse("ultra"), None);
        assert!(Quality::High.qp() < Quality::Default.qp());
        assert!(Quality::Default.qp() < Quality::Draft.qp());
    }
}
