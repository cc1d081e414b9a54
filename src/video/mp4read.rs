//! Reads an MP4 back: the first video track's size, timing, codec and
//! sample table. Used by tests, by the decode check and by the critic.
//!
//! Every length and count comes from the file, so each is checked against
//! the bytes actually present before use; a damaged file is an error, never
//! a panic or a huge allocation.

use std::path::Path;

use super::error::{Result, VideoError};

/// What a player would report about a video file.
#[derive(Debug, Clone, PartialEq)]
pub struct Mp4Info {
    pub width: u32,
    pub height: u32,
    pub frames: u64,
    pub duration_s: f64,
    pub fps: f64,
    /// RFC 6381 codec string, e.g. `avc1.42C01E`.
    pub codec: String,
    pub timescale: u32,
    pub keyframes: u64,
    /// The `colr` box of the sample entry, when there is one of type `nclx`.
    pub color: Option<ColorInfo>,
    /// `moov` comes before `mdat`, so playback can start before the whole
    /// file has arrived.
    pub fast_start: bool,
    pub file_bytes: u64,
}

/// Colour description from a `colr`/`nclx` box (ISO/IEC 23091-2 code points).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ColorInfo {
    pub primaries: u16,
    pub transfer: u16,
    pub matrix: u16,
    pub full_range: bool,
}

/// Where one sample (frame) lives in the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SampleRef {
    pub offset: u64,
    pub size: u32,
    /// In timescale units.
    pub duration: u32,
    pub keyframe: bool,
}

/// A parsed video track: its info, parameter sets and samples.
#[derive(Debug, Clone)]
pub struct Mp4Track {
    pub info: Mp4Info,
    pub sps: Vec<Vec<u8>>,
    pub pps: Vec<Vec<u8>>,
    /// Bytes in each NAL length prefix (1, 2 or 4).
    pub nal_length_size: u8,
    pub samples: Vec<SampleRef>,
}

/// Reads a file and describes its video track.
pub fn probe_mp4(path: &Path) -> Result<Mp4Info> {
    let bytes = std::fs::read(path).map_err(|e| VideoError::io(path, e))?;
    Ok(read_mp4(&bytes)?.info)
}

/// Parses an MP4 held in memory.
pub fn read_mp4(file: &[u8]) -> Result<Mp4Track> {
    let mut moov = None;
    let mut moov_at = None;
    let mut mdat_at = None;
    for item in boxes(file) {
        let (kind, body, at) = item?;
        match &kind {
            b"moov" if moov.is_none() => {
                moov = Some(body);
                moov_at = Some(at);
            }
            b"mdat" if mdat_at.is_none() => mdat_at = Some(at),
            _ => {}
        }
    }
    let moov = moov.ok_or_else(|| VideoError::format("no moov box"))?;

    let mut track = None;
    for item in boxes(moov) {
        let (kind, body, _) = item?;
        if &kind == b"trak"
            && let Some(t) = parse_trak(body)?
        {
            track = Some(t);
            break;
        }
    }
    let t = track.ok_or_else(|| VideoError::format("no video track"))?;
    let samples = build_samples(&t)?;
    for (i, s) in samples.iter().enumerate() {
        if s.offset
            .checked_add(s.size as u64)
            .is_none_or(|end| end > file.len() as u64)
        {
            return Err(VideoError::format(format!(
                "sample {} ({} bytes at {}) lies outside the file",
                i + 1,
                s.size,
                s.offset
            )));
        }
    }

    let frames = samples.len() as u64;
    let total_ticks: u64 = samples.iter().map(|s| s.duration as u64).sum();
    let ticks = if t.media_duration > 0 {
        t.media_duration
    } else {
        total_ticks
    };
    let duration_s = ticks as f64 / t.timescale as f64;
    let uniform = samples
        .first()
        .map(|s| s.duration)
        .filter(|&d| d > 0 && samples.iter().all(|s| s.duration == d));
    let fps = match uniform {
        Some(d) => t.timescale as f64 / d as f64,
        None if duration_s > 0.0 => frames as f64 / duration_s,
        None => 0.0,
    };
    let avcc = &t.avcc;
    let info = Mp4Info {
        width: t.width,
        height: t.height,
        frames,
        duration_s,
        fps,
        codec: format!(
            "{}.{:02X}{:02X}{:02X}",
            String::from_utf8_lossy(&t.entry_kind),
            avcc.profile,
            avcc.compat,
            avcc.level
        ),
        timescale: t.timescale,
        keyframes: samples.iter().filter(|s| s.keyframe).count() as u64,
        color: t.color,
        fast_start: matches!((moov_at, mdat_at), (Some(m), Some(d)) if m < d),
        file_bytes: file.len() as u64,
    };
    Ok(Mp4Track {
        info,
        sps: t.avcc.sps.clone(),
        pps: t.avcc.pps.clone(),
        nal_length_size: t.avcc.nal_length_size,
        samples,
    })
}

/// Iterates the boxes in `data`: (type, body, offset of the box).
fn boxes(data: &[u8]) -> impl Iterator<Item = Result<([u8; 4], &[u8], usize)>> {
    let mut at = 0usize;
    let mut failed = false;
    std::iter::from_fn(move || {
        if failed || at >= data.len() {
            return None;
        }
        let start = at;
        let result = (|| {
            let mut r = Reader::new(&data[at..]);
            let size32 = r.u32()?;
            let kind = r.fourcc()?;
            let (header, size) = match size32 {
                0 => (8u64, (data.len() - at) as u64),
                1 => (16u64, r.u64()?),
                n => (8u64, n as u64),
            };
            if size < header || size > (data.len() - at) as u64 {
                return Err(VideoError::format(format!(
                    "box '{}' at {at} claims {size} bytes, {} remain",
                    String::from_utf8_lossy(&kind),
                    data.len() - at
                )));
            }
            let body = &data[at + header as usize..at + size as usize];
            at += size as usize;
            Ok((kind, body, start))
        })();
        if result.is_err() {
            failed = true;
        }
        Some(result)
    })
}

fn child<'a>(data: &'a [u8], kind: &[u8; 4]) -> Result<Option<&'a [u8]>> {
    for item in boxes(data) {
        let (k, body, _) = item?;
        if &k == kind {
            return Ok(Some(body));
        }
    }
    Ok(None)
}

fn need<'a>(data: &'a [u8], kind: &[u8; 4]) -> Result<&'a [u8]> {
    child(data, kind)?.ok_or_else(|| {
        VideoError::format(format!("missing '{}' box", String::from_utf8_lossy(kind)))
    })
}

/// Bounds-checked big-endian reads.
struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn new(data: &'a [u8]) -> Self {
        Self { data, pos: 0 }
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        if self.data.len() - self.pos < n {
            return Err(VideoError::format("box ends early"));
        }
        let s = &self.data[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }

    fn skip(&mut self, n: usize) -> Result<()> {
        self.take(n).map(|_| ())
    }

    fn u8(&mut self) -> Result<u8> {
        Ok(self.take(1)?[0])
    }

    fn u16(&mut self) -> Result<u16> {
        let b = self.take(2)?;
        Ok(u16::from_be_bytes([b[0], b[1]]))
    }

    fn u32(&mut self) -> Result<u32> {
        let b = self.take(4)?;
        Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }

    fn u64(&mut self) -> Result<u64> {
        let b = self.take(8)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Ok(u64::from_be_bytes(a))
    }

    fn fourcc(&mut self) -> Result<[u8; 4]> {
        let b = self.take(4)?;
        Ok([b[0], b[1], b[2], b[3]])
    }

    fn rest(&self) -> &'a [u8] {
        &self.data[self.pos..]
    }

    /// A table count whose entries of `entry_len` bytes must all be present,
    /// checked before anything is allocated for them.
    fn count(&mut self, entry_len: usize) -> Result<usize> {
        let n = self.u32()? as usize;
        if n.checked_mul(entry_len)
            .is_none_or(|len| len > self.data.len() - self.pos)
        {
            return Err(VideoError::format(format!(
                "table claims {n} entries but its box is too short"
            )));
        }
        Ok(n)
    }
}

#[derive(Debug, Default)]
struct AvcConfig {
    profile: u8,
    compat: u8,
    level: u8,
    nal_length_size: u8,
    sps: Vec<Vec<u8>>,
    pps: Vec<Vec<u8>>,
}

#[derive(Debug)]
struct RawTrack {
    width: u32,
    height: u32,
    timescale: u32,
    media_duration: u64,
    entry_kind: [u8; 4],
    avcc: AvcConfig,
    color: Option<ColorInfo>,
    /// (count, delta)
    stts: Vec<(u32, u32)>,
    sizes: Vec<u32>,
    /// (first chunk, samples per chunk)
    stsc: Vec<(u32, u32)>,
    chunk_offsets: Vec<u64>,
    /// 1-based sync sample numbers; `None` means every sample is a keyframe.
    sync: Option<Vec<u32>>,
}

/// Parses a `trak`; `None` when it is not a video track.
fn parse_trak(trak: &[u8]) -> Result<Option<RawTrack>> {
    let mdia = need(trak, b"mdia")?;
    let hdlr = need(mdia, b"hdlr")?;
    let mut r = Reader::new(hdlr);
    r.skip(8)?; // version/flags, pre_defined
    if &r.fourcc()? != b"vide" {
        return Ok(None);
    }

    let mut r = Reader::new(need(mdia, b"mdhd")?);
    let version = r.u8()?;
    r.skip(3)?;
    let (timescale, media_duration) = if version == 1 {
        r.skip(16)?;
        (r.u32()?, r.u64()?)
    } else {
        r.skip(8)?;
        (r.u32()?, r.u32()? as u64)
    };
    if timescale == 0 {
        return Err(VideoError::format("mdhd timescale is zero"));
    }

    let stbl = need(need(mdia, b"minf")?, b"stbl")?;
    let (entry_kind, width, height, avcc, color) = parse_stsd(need(stbl, b"stsd")?)?;

    let mut r = Reader::new(need(stbl, b"stts")?);
    r.skip(4)?;
    let n = r.count(8)?;
    let mut stts = Vec::with_capacity(n);
    for _ in 0..n {
        stts.push((r.u32()?, r.u32()?));
    }

    let mut r = Reader::new(need(stbl, b"stsz")?);
    r.skip(4)?;
    let fixed = r.u32()?;
    let sizes = if fixed == 0 {
        let n = r.count(4)?;
        let mut sizes = Vec::with_capacity(n);
        for _ in 0..n {
            sizes.push(r.u32()?);
        }
        sizes
    } else {
        let n = r.u32()? as usize;
        // A fixed size still has to fit in the file; cap the count by it.
        if n > 1 << 28 {
            return Err(VideoError::format(format!("stsz claims {n} samples")));
        }
        vec![fixed; n]
    };

    let mut r = Reader::new(need(stbl, b"stsc")?);
    r.skip(4)?;
    let n = r.count(12)?;
    let mut stsc = Vec::with_capacity(n);
    for _ in 0..n {
        let first = r.u32()?;
        let per = r.u32()?;
        r.skip(4)?;
        stsc.push((first, per));
    }

    let chunk_offsets = if let Some(stco) = child(stbl, b"stco")? {
        let mut r = Reader::new(stco);
        r.skip(4)?;
        let n = r.count(4)?;
        let mut v = Vec::with_capacity(n);
        for _ in 0..n {
            v.push(r.u32()? as u64);
        }
        v
    } else if let Some(co64) = child(stbl, b"co64")? {
        let mut r = Reader::new(co64);
        r.skip(4)?;
        let n = r.count(8)?;
        let mut v = Vec::with_capacity(n);
        for _ in 0..n {
            v.push(r.u64()?);
        }
        v
    } else {
        return Err(VideoError::format("no stco or co64 box"));
    };

    let sync = match child(stbl, b"stss")? {
        Some(stss) => {
            let mut r = Reader::new(stss);
            r.skip(4)?;
            let n = r.count(4)?;
            let mut v = Vec::with_capacity(n);
            for _ in 0..n {
                v.push(r.u32()?);
            }
            Some(v)
        }
        None => None,
    };

    Ok(Some(RawTrack {
        width,
        height,
        timescale,
        media_duration,
        entry_kind,
        avcc,
        color,
        stts,
        sizes,
        stsc,
        chunk_offsets,
        sync,
    }))
}

type SampleEntry = ([u8; 4], u32, u32, AvcConfig, Option<ColorInfo>);

fn parse_stsd(stsd: &[u8]) -> Result<SampleEntry> {
    let mut r = Reader::new(stsd);
    r.skip(4)?;
    if r.u32()? == 0 {
        return Err(VideoError::format("stsd has no sample entry"));
    }
    let (kind, entry, _) = boxes(r.rest())
        .next()
        .ok_or_else(|| VideoError::format("stsd has no sample entry"))??;
    if &kind != b"avc1" && &kind != b"avc3" {
        return Err(VideoError::format(format!(
            "video codec '{}' is not H.264 (avc1)",
            String::from_utf8_lossy(&kind)
        )));
    }
    let mut r = Reader::new(entry);
    r.skip(24)?; // reserved, data reference index, pre_defined
    let width = r.u16()? as u32;
    let height = r.u16()? as u32;
    r.skip(50)?; // resolutions, frame count, compressor name, depth, pre_defined
    let children = r.rest();
    let avcc = parse_avcc(need(children, b"avcC")?)?;
    let mut color = None;
    for item in boxes(children) {
        let (k, body, _) = item?;
        if &k == b"colr" && body.len() >= 11 && &body[..4] == b"nclx" {
            let mut r = Reader::new(&body[4..]);
            color = Some(ColorInfo {
                primaries: r.u16()?,
                transfer: r.u16()?,
                matrix: r.u16()?,
                full_range: r.u8()? & 0x80 != 0,
            });
        }
    }
    Ok((kind, width, height, avcc, color))
}

fn parse_avcc(data: &[u8]) -> Result<AvcConfig> {
    let mut r = Reader::new(data);
    if r.u8()? != 1 {
        return Err(VideoError::format("unknown avcC version"));
    }
    let profile = r.u8()?;
    let compat = r.u8()?;
    let level = r.u8()?;
    let nal_length_size = (r.u8()? & 3) + 1;
    if nal_length_size == 3 {
        return Err(VideoError::format("avcC NAL length size 3 is not allowed"));
    }
    let mut sps = Vec::new();
    for _ in 0..(r.u8()? & 0x1f) {
        let len = r.u16()? as usize;
        sps.push(r.take(len)?.to_vec());
    }
    let mut pps = Vec::new();
    for _ in 0..r.u8()? {
        let len = r.u16()? as usize;
        pps.push(r.take(len)?.to_vec());
    }
    if sps.is_empty() || pps.is_empty() {
        return Err(VideoError::format("avcC has no SPS or no PPS"));
    }
    Ok(AvcConfig {
        profile,
        compat,
        level,
        nal_length_size,
        sps,
        pps,
    })
}

/// Expands the run-length tables into one entry per sample.
fn build_samples(t: &RawTrack) -> Result<Vec<SampleRef>> {
    let count = t.sizes.len();

    let mut durations = Vec::with_capacity(count);
    for &(n, delta) in &t.stts {
        if durations.len() + n as usize > count {
            return Err(VideoError::format("stts lists more samples than stsz"));
        }
        durations.extend(std::iter::repeat_n(delta, n as usize));
    }
    if durations.len() != count {
        return Err(VideoError::format(format!(
            "stts covers {} samples, stsz lists {count}",
            durations.len()
        )));
    }

    let mut samples = Vec::with_capacity(count);
    let mut next = 0usize;
    let chunks = t.chunk_offsets.len();
    for (i, &(first, per)) in t.stsc.iter().enumerate() {
        let next_first = t
            .stsc
            .get(i + 1)
            .map_or(chunks as u64 + 1, |&(f, _)| f as u64);
        if first == 0 || next_first <= first as u64 || next_first > chunks as u64 + 1 {
            return Err(VideoError::format("stsc chunk numbers out of order"));
        }
        let last = next_first - 1;
        for chunk in first as u64..=last {
            let Some(&base) = t.chunk_offsets.get(chunk as usize - 1) else {
                return Err(VideoError::format("stsc refers to a missing chunk"));
            };
            let mut offset = base;
            for _ in 0..per {
                if next >= count {
                    return Err(VideoError::format(
                        "stsc places more samples than stsz lists",
                    ));
                }
                samples.push(SampleRef {
                    offset,
                    size: t.sizes[next],
                    duration: durations[next],
                    keyframe: t.sync.is_none(),
                });
                offset = offset.saturating_add(t.sizes[next] as u64);
                next += 1;
            }
        }
    }
    if samples.len() != count {
        return Err(VideoError::format(format!(
            "chunks hold {} samples, stsz lists {count}",
            samples.len()
        )));
    }
    if let Some(sync) = &t.sync {
        for &n in sync {
            let s = samples
                .get_mut((n as usize).wrapping_sub(1))
                .ok_or_else(|| VideoError::format(format!("stss names missing sample {n}")))?;
            s.keyframe = true;
        }
    }
    Ok(samples)
}
