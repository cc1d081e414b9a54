//! A fast-start MP4 (ISO BMFF) writer for one H.264 video track.
//!
//! Layout: `ftyp`, `moov` (all sample tables), then `mdat` with the samples
//! in order. Chunk offsets depend on the size of `moov`, which does not
//! depend on the offset values, so `moov` is sized first and then written
//! with the real offsets; `co64` replaces `stco` only when an offset passes
//! 4 GiB.

use super::error::{Result, VideoError};

/// What the sample description needs to know about the stream.
#[derive(Debug, Clone)]
pub(crate) struct TrackSpec {
    pub width: u32,
    pub height: u32,
    /// Media time units per second; every sample lasts a whole number of them.
    pub timescale: u32,
    pub sps: Vec<u8>,
    pub pps: Vec<u8>,
}

/// One sample's entry in the tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct SampleInfo {
    pub size: u32,
    /// In `TrackSpec::timescale` units.
    pub duration: u32,
    pub keyframe: bool,
}

/// Samples per chunk: about one second's worth, the usual interleave unit.
fn chunk_len(timescale: u32, samples: &[SampleInfo]) -> usize {
    let per_second = samples
        .first()
        .map_or(1, |s| (timescale / s.duration.max(1)).max(1) as usize);
    per_second.min(samples.len().max(1))
}

/// Everything that precedes the sample bytes: `ftyp`, `moov` and the `mdat`
/// header. The caller writes the samples' bytes right after, in order.
pub(crate) fn build_header(spec: &TrackSpec, samples: &[SampleInfo]) -> Result<Vec<u8>> {
    if samples.is_empty() {
        return Err(VideoError::invalid("a video needs at least one frame"));
    }
    if spec.sps.len() < 4 || spec.pps.is_empty() {
        return Err(VideoError::Codec("missing or short SPS/PPS".to_string()));
    }
    let payload: u64 = samples.iter().map(|s| s.size as u64).sum();
    let ftyp = ftyp();
    let mdat_header_len: u64 = if payload + 8 > u32::MAX as u64 { 16 } else { 8 };

    // Size moov with placeholder offsets (its size does not depend on
    // their values), then place the data after it.
    let per_chunk = chunk_len(spec.timescale, samples);
    let chunk_count = samples.len().div_ceil(per_chunk);
    let placeholder = vec![0; chunk_count];
    let mut use_co64 = false;
    let mut moov_len = moov(spec, samples, per_chunk, &placeholder, use_co64)?.len();
    if ftyp.len() as u64 + moov_len as u64 + mdat_header_len + payload > u32::MAX as u64 {
        use_co64 = true;
        moov_len = moov(spec, samples, per_chunk, &placeholder, use_co64)?.len();
    }
    let mut offsets = Vec::with_capacity(chunk_count);
    let mut at = ftyp.len() as u64 + moov_len as u64 + mdat_header_len;
    for chunk in samples.chunks(per_chunk) {
        offsets.push(at);
        at += chunk.iter().map(|s| s.size as u64).sum::<u64>();
    }
    let moov = moov(spec, samples, per_chunk, &offsets, use_co64)?;
    if moov.len() != moov_len {
        return Err(VideoError::Codec(
            "internal error: moov size changed with its offsets".to_string(),
        ));
    }

    let mut out = Vec::with_capacity(ftyp.len() + moov.len() + 16);
    out.extend_from_slice(&ftyp);
    out.extend_from_slice(&moov);
    if mdat_header_len == 16 {
        out.extend_from_slice(&1u32.to_be_bytes());
        out.extend_from_slice(b"mdat");
        out.extend_from_slice(&(payload + 16).to_be_bytes());
    } else {
        out.extend_from_slice(&((payload + 8) as u32).to_be_bytes());
        out.extend_from_slice(b"mdat");
    }
    Ok(out)
}

/// Big-endian box writer: `open` reserves the size, `close` fills it in.
struct Boxes {
    buf: Vec<u8>,
}

impl Boxes {
    fn new() -> Self {
        Self { buf: Vec::new() }
    }

    fn open(&mut self, kind: &[u8; 4]) -> usize {
        let at = self.buf.len();
        self.buf.extend_from_slice(&[0, 0, 0, 0]);
        self.buf.extend_from_slice(kind);
        at
    }

    fn open_full(&mut self, kind: &[u8; 4], version: u8, flags: u32) -> usize {
        let at = self.open(kind);
        self.u32((version as u32) << 24 | (flags & 0x00ff_ffff));
        at
    }

    fn close(&mut self, at: usize) -> Result<()> {
        let len = u32::try_from(self.buf.len() - at)
            .map_err(|_| VideoError::Codec("a metadata box passed 4 GiB".to_string()))?;
        self.buf[at..at + 4].copy_from_slice(&len.to_be_bytes());
        Ok(())
    }

    fn u8(&mut self, v: u8) {
        self.buf.push(v);
    }
    fn u16(&mut self, v: u16) {
        self.buf.extend_from_slice(&v.to_be_bytes());
    }
    fn u32(&mut self, v: u32) {
        self.buf.extend_from_slice(&v.to_be_bytes());
    }
    fn u64(&mut self, v: u64) {
        self.buf.extend_from_slice(&v.to_be_bytes());
    }
    fn bytes(&mut self, v: &[u8]) {
        self.buf.extend_from_slice(v);
    }
    fn zeros(&mut self, n: usize) {
        self.buf.resize(self.buf.len() + n, 0);
    }

    /// The identity transform shared by `mvhd` and `tkhd`.
    fn unity_matrix(&mut self) {
        for v in [0x0001_0000u32, 0, 0, 0, 0x0001_0000, 0, 0, 0, 0x4000_0000] {
            self.u32(v);
        }
    }
}

fn ftyp() -> Vec<u8> {
    let mut b = Boxes::new();
    let at = b.open(b"ftyp");
    b.bytes(b"isom");
    b.u32(0x200);
    for brand in [b"isom", b"iso2", b"avc1", b"mp41"] {
        b.bytes(brand);
    }
    // A box this small cannot overflow.
    let _ = b.close(at);
    b.buf
}

fn moov(
    spec: &TrackSpec,
    samples: &[SampleInfo],
    per_chunk: usize,
    offsets: &[u64],
    co64: bool,
) -> Result<Vec<u8>> {
    let duration: u64 = samples.iter().map(|s| s.duration as u64).sum();
    // Version 1 headers only when a 32-bit duration would overflow.
    let v1 = duration > u32::MAX as u64;
    let mut b = Boxes::new();
    let moov = b.open(b"moov");

    let mvhd = b.open_full(b"mvhd", v1 as u8, 0);
    times(&mut b, v1, spec.timescale, duration);
    b.u32(0x0001_0000); // rate 1.0
    b.u16(0x0100); // volume 1.0
    b.zeros(10);
    b.unity_matrix();
    b.zeros(24); // pre_defined
    b.u32(2); // next track ID
    b.close(mvhd)?;

    let trak = b.open(b"trak");
    let tkhd = b.open_full(b"tkhd", v1 as u8, 0x3); // enabled, in movie
    if v1 {
        b.u64(0);
        b.u64(0);
    } else {
        b.u32(0);
        b.u32(0);
    }
    b.u32(1); // track ID
    b.u32(0);
    if v1 {
        b.u64(duration);
    } else {
        b.u32(duration as u32);
    }
    b.zeros(8);
    b.u16(0); // layer
    b.u16(0); // alternate group
    b.u16(0); // volume: video has none
    b.u16(0);
    b.unity_matrix();
    b.u32(spec.width << 16);
    b.u32(spec.height << 16);
    b.close(tkhd)?;

    let mdia = b.open(b"mdia");
    let mdhd = b.open_full(b"mdhd", v1 as u8, 0);
    times(&mut b, v1, spec.timescale, duration);
    b.u16(0x55c4); // language "und"
    b.u16(0);
    b.close(mdhd)?;

    let hdlr = b.open_full(b"hdlr", 0, 0);
    b.u32(0);
    b.bytes(b"vide");
    b.zeros(12);
    b.bytes(b"VideoHandler\0");
    b.close(hdlr)?;

    let minf = b.open(b"minf");
    let vmhd = b.open_full(b"vmhd", 0, 1);
    b.zeros(8); // graphics mode, opcolor
    b.close(vmhd)?;
    let dinf = b.open(b"dinf");
    let dref = b.open_full(b"dref", 0, 0);
    b.u32(1);
    let url = b.open_full(b"url ", 0, 1); // data in this file
    b.close(url)?;
    b.close(dref)?;
    b.close(dinf)?;

    let stbl = b.open(b"stbl");
    sample_description(&mut b, spec)?;
    time_to_sample(&mut b, samples)?;
    if samples.iter().any(|s| !s.keyframe) {
        let stss = b.open_full(b"stss", 0, 0);
        let keys: Vec<u32> = (1..=samples.len() as u32)
            .zip(samples)
            .filter(|(_, s)| s.keyframe)
            .map(|(n, _)| n)
            .collect();
        b.u32(keys.len() as u32);
        for k in keys {
            b.u32(k);
        }
        b.close(stss)?;
    }
    sample_to_chunk(&mut b, samples.len(), per_chunk)?;
    let stsz = b.open_full(b"stsz", 0, 0);
    b.u32(0); // sizes differ: listed one by one
    b.u32(samples.len() as u32);
    for s in samples {
        b.u32(s.size);
    }
    b.close(stsz)?;
    if co64 {
        let co = b.open_full(b"co64", 0, 0);
        b.u32(offsets.len() as u32);
        for &o in offsets {
            b.u64(o);
        }
        b.close(co)?;
    } else {
        let co = b.open_full(b"stco", 0, 0);
        b.u32(offsets.len() as u32);
        for &o in offsets {
            b.u32(o as u32);
        }
        b.close(co)?;
    }
    b.close(stbl)?;
    b.close(minf)?;
    b.close(mdia)?;
    b.close(trak)?;
    b.close(moov)?;
    Ok(b.buf)
}

/// Creation and modification times are zero so output is reproducible.
fn times(b: &mut Boxes, v1: bool, timescale: u32, duration: u64) {
    if v1 {
        b.u64(0);
        b.u64(0);
        b.u32(timescale);
        b.u64(duration);
    } else {
        b.u32(0);
        b.u32(0);
        b.u32(timescale);
        b.u32(duration as u32);
    }
}

fn sample_description(b: &mut Boxes, spec: &TrackSpec) -> Result<()> {
    let stsd = b.open_full(b"stsd", 0, 0);
    b.u32(1);
    let avc1 = b.open(b"avc1");
    b.zeros(6);
    b.u16(1); // data reference index
    b.zeros(16);
    b.u16(spec.width as u16);
    b.u16(spec.height as u16);
    b.u32(0x0048_0000); // 72 dpi
    b.u32(0x0048_0000);
    b.u32(0);
    b.u16(1); // frames per sample
    b.zeros(32); // compressor name
    b.u16(0x0018); // depth
    b.u16(0xffff); // pre_defined = -1

    let avcc = b.open(b"avcC");
    let sps = &spec.sps;
    b.u8(1);
    b.u8(sps[1]); // profile
    b.u8(sps[2]); // constraint flags
    b.u8(sps[3]); // level
    b.u8(0xff); // 4-byte NAL lengths
    b.u8(0xe1); // one SPS
    b.u16(u16::try_from(sps.len()).map_err(|_| VideoError::Codec("SPS too long".into()))?);
    b.bytes(sps);
    b.u8(1);
    b.u16(u16::try_from(spec.pps.len()).map_err(|_| VideoError::Codec("PPS too long".into()))?);
    b.bytes(&spec.pps);
    if matches!(sps[1], 100 | 110 | 122 | 144) {
        // High profiles add chroma format and bit depths: 4:2:0, 8 bit.
        b.u8(0xfc | 1);
        b.u8(0xf8);
        b.u8(0xf8);
        b.u8(0);
    }
    b.close(avcc)?;

    // BT.709 primaries, transfer and matrix, limited range, as converted.
    let colr = b.open(b"colr");
    b.bytes(b"nclx");
    b.u16(1);
    b.u16(1);
    b.u16(1);
    b.u8(0);
    b.close(colr)?;

    let pasp = b.open(b"pasp");
    b.u32(1);
    b.u32(1);
    b.close(pasp)?;

    b.close(avc1)?;
    b.close(stsd)
}

/// `stts`: runs of equal durations.
fn time_to_sample(b: &mut Boxes, samples: &[SampleInfo]) -> Result<()> {
    let mut runs: Vec<(u32, u32)> = Vec::new();
    for s in samples {
        match runs.last_mut() {
            Some((count, d)) if *d == s.duration => *count += 1,
            _ => runs.push((1, s.duration)),
        }
    }
    let stts = b.open_full(b"stts", 0, 0);
    b.u32(runs.len() as u32);
    for (count, d) in runs {
        b.u32(count);
        b.u32(d);
    }
    b.close(stts)
}

/// `stsc`: every chunk holds `per_chunk` samples except perhaps the last.
fn sample_to_chunk(b: &mut Boxes, sample_count: usize, per_chunk: usize) -> Result<()> {
    let full = sample_count / per_chunk;
    let rest = sample_count % per_chunk;
    let mut entries = Vec::new();
    if full > 0 {
        entries.push((1u32, per_chunk as u32));
    }
    if rest > 0 {
        entries.push((full as u32 + 1, rest as u32));
    }
    let stsc = b.open_full(b"stsc", 0, 0);
    b.u32(entries.len() as u32);
    for (first, n) in entries {
        b.u32(first);
        b.u32(n);
        b.u32(1);
    }
    b.close(stsc)
}

#[cfg(test)]
mod tests {
    use super::super::mp4read::read_mp4;
    use super::*;

    fn spec() -> TrackSpec {
        TrackSpec {
            width: 64,
            height: 48,
            timescale: 24_000,
            sps: vec![0x67, 0x42, 0xc0, 0x1e, 0x8c],
            pps: vec![0x68, 0xce, 0x3c, 0x80],
        }
    }

    #[test]
    fn tables_read_back_sample_by_sample() {
        // 50 samples, 24 per chunk: chunks of 24, 24 and 2. One sample lasts
        // two frames, as after a skipped frame.
        let samples: Vec<SampleInfo> = (0..50u32)
            .map(|i| SampleInfo {
                size: 10 + i,
                duration: if i == 7 { 2000 } else { 1000 },
                keyframe: i % 24 == 0,
            })
            .collect();
        let header = build_header(&spec(), &samples).unwrap();
        let mut file = header.clone();
        for s in &samples {
            file.extend(std::iter::repeat_n(s.size as u8, s.size as usize));
        }
        let track = read_mp4(&file).unwrap();
        assert_eq!(track.samples.len(), 50);
        let mut at = header.len() as u64;
        for (got, want) in track.samples.iter().zip(&samples) {
            assert_eq!(got.offset, at);
            assert_eq!(got.size, want.size);
            assert_eq!(got.duration, want.duration);
            assert_eq!(got.keyframe, want.keyframe);
            let byte = file[got.offset as usize];
            assert_eq!(
                byte, want.size as u8,
                "sample bytes are where the table says"
            );
            at += want.size as u64;
        }
        let info = &track.info;
        assert_eq!((info.width, info.height, info.frames), (64, 48, 50));
        assert!((info.duration_s - 51.0 / 24.0).abs() < 1e-9);
        assert_eq!(info.keyframes, 3);
        assert_eq!(info.codec, "avc1.42C01E");
        assert!(info.fast_start);
        assert_eq!(track.sps, vec![spec().sps]);
        assert!(find(&header, b"stco") && !find(&header, b"co64"));
    }

    #[test]
    fn offsets_past_4_gib_switch_to_co64_and_a_large_mdat() {
        let samples = vec![
            SampleInfo {
                size: 3_000_000_000,
                duration: 1000,
                keyframe: true,
            };
            2
        ];
        let header = build_header(&spec(), &samples).unwrap();
        assert!(find(&header, b"co64") && !find(&header, b"stco"));
        // mdat: size field 1, then the 64-bit size after the type.
        let mdat = header.len() - 16;
        assert_eq!(
            &header[mdat..mdat + 8],
            &[0, 0, 0, 1, b'm', b'd', b'a', b't']
        );
        let large = u64::from_be_bytes(header[mdat + 8..].try_into().unwrap());
        assert_eq!(large, 6_000_000_000 + 16);
        // With one second per chunk both samples share a chunk that starts
        // right after the header.
        let co64 = position(&header, b"co64");
        let count = u32::from_be_bytes(header[co64 + 12..co64 + 16].try_into().unwrap());
        let first = u64::from_be_bytes(header[co64 + 16..co64 + 24].try_into().unwrap());
        assert_eq!((count, first), (1, header.len() as u64));
    }

    #[test]
    fn nothing_to_write_is_an_error() {
        assert!(build_header(&spec(), &[]).is_err());
        let mut bad = spec();
        bad.pps.clear();
        let one = [SampleInfo {
            size: 1,
            duration: 1,
            keyframe: true,
        }];
        assert!(build_header(&bad, &one).is_err());
    }

    fn position(hay: &[u8], kind: &[u8; 4]) -> usize {
        hay.windows(4).position(|w| w == kind).expect("box present") - 4
    }

    fn find(hay: &[u8], kind: &[u8; 4]) -> bool {
        hay.windows(4).any(|w| w == kind)
    }
}
