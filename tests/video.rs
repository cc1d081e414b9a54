//! End-to-end checks of the output module: encode, read back, decode,
//! compare; contact sheets; PNG; atomic writes.

use std::path::Path;

use code2worlds::video::{
    FrameDumper, Quality, RgbaImage, SheetOptions, SheetTile, VideoWriter, Yuv420, contact_sheet,
    contact_sheet_from_mp4, decode_mp4, frame_file_name, probe_mp4, psnr_rgb, read_mp4, read_png,
    rgba_to_yuv420, sheet_frame_indices, write_png, yuv420_to_rgba,
};

/// A smooth gradient with a disc moving across it: content a renderer makes.
fn test_frame(w: u32, h: u32, t: u32) -> Vec<u8> {
    let mut out = Vec::with_capacity((w * h * 4) as usize);
    let cx = (t * 7 % w.max(1)) as i64;
    let cy = (h / 2) as i64;
    let r = (h / 5).max(2) as i64;
    for y in 0..h {
        for x in 0..w {
            let (dx, dy) = (x as i64 - cx, y as i64 - cy);
            if dx * dx + dy * dy < r * r {
                out.extend_from_slice(&[230, 60, 40, 255]);
            } else {
                let g = (x * 255 / w.max(1)) as u8;
                let b = (y * 255 / h.max(1)) as u8;
                out.extend_from_slice(&[g / 2 + 40, g, b, 255]);
            }
        }
    }
    out
}

fn encode(path: &Path, w: u32, h: u32, fps: u32, frames: u32, quality: Quality) -> u64 {
    let mut writer = VideoWriter::create(path, w, h, fps, quality).unwrap();
    for t in 0..frames {
        writer.push(test_frame(w, h, t)).unwrap();
    }
    let stats = writer.finish().unwrap();
    assert_eq!(stats.frames, frames as u64);
    stats.bytes
}

fn dir_names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// The frame after 4:2:0 conversion and back, without the codec: the best
/// any H.264 4:2:0 stream of it can decode to.
fn chroma_round_trip(w: u32, h: u32, t: u32) -> Vec<u8> {
    let mut yuv = Yuv420::for_size(w, h).unwrap();
    rgba_to_yuv420(&test_frame(w, h, t), w, h, &mut yuv).unwrap();
    yuv420_to_rgba(&yuv).unwrap().data
}

/// Lowest per-frame PSNR of the decoded clip against (end to end) the input
/// frames and (codec only) their 4:2:0 round trips.
fn min_psnr(path: &Path, w: u32, h: u32) -> (f64, f64) {
    let decoded = decode_mp4(path, |_| true).unwrap();
    assert_eq!(decoded.frames_decoded, decoded.info.frames);
    let mut worst = (f64::INFINITY, f64::INFINITY);
    for (i, img) in &decoded.kept {
        assert_eq!((img.width, img.height), (w, h));
        let t = *i as u32;
        let end_to_end = psnr_rgb(&test_frame(w, h, t), &img.data).unwrap();
        let codec = psnr_rgb(&chroma_round_trip(w, h, t), &img.data).unwrap();
        worst = (worst.0.min(end_to_end), worst.1.min(codec));
    }
    worst
}

#[test]
fn mp4_reads_back_with_the_right_size_count_and_duration() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("clip.mp4");
    // 360 is not a multiple of 16: the encoder crops, the file says 360.
    let bytes = encode(&path, 640, 360, 24, 48, Quality::Default);

    let info = probe_mp4(&path).unwrap();
    assert_eq!((info.width, info.height), (640, 360));
    assert_eq!(info.frames, 48);
    assert!((info.duration_s - 2.0).abs() < 1e-9, "{}", info.duration_s);
    assert!((info.fps - 24.0).abs() < 1e-9);
    assert!(info.codec.starts_with("avc1.42"), "{}", info.codec);
    assert!(info.fast_start);
    assert_eq!(info.file_bytes, bytes);
    // One keyframe a second.
    assert_eq!(info.keyframes, 2);
    let color = info.color.expect("colr box");
    assert_eq!(
        (
            color.primaries,
            color.transfer,
            color.matrix,
            color.full_range
        ),
        (1, 1, 1, false)
    );
    let track = read_mp4(&std::fs::read(&path).unwrap()).unwrap();
    assert!(track.samples[0].keyframe && track.samples[24].keyframe);
    assert!(!track.samples[1].keyframe);
}

#[test]
fn the_stream_decodes_to_frames_close_to_the_input() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("clip.mp4");
    encode(&path, 320, 180, 24, 30, Quality::Default);
    let decoded = decode_mp4(&path, |_| false).unwrap();
    assert_eq!(decoded.frames_decoded, 30);
    assert_eq!((decoded.width, decoded.height), (320, 180));
    let (end_to_end, codec) = min_psnr(&path, 320, 180);
    let ceiling = psnr_rgb(&test_frame(320, 180, 0), &chroma_round_trip(320, 180, 0)).unwrap();
    eprintln!(
        "default quality: min PSNR {end_to_end:.2} dB end to end ({ceiling:.2} dB for 4:2:0 \
         alone), {codec:.2} dB against the 4:2:0 frames"
    );
    // Measured: 38.7 dB codec only, 35.3 dB end to end (luma alone is near
    // 50 dB; RGB error is dominated by chroma).
    assert!(codec > 37.0, "codec PSNR {codec:.2} dB");
    assert!(end_to_end > 33.0, "end-to-end PSNR {end_to_end:.2} dB");
}

#[test]
fn quality_presets_trade_size_for_fidelity() {
    let dir = tempfile::tempdir().unwrap();
    let mut results = Vec::new();
    for q in [Quality::Draft, Quality::Default, Quality::High] {
        let path = dir.path().join(format!("{}.mp4", q.name()));
        let bytes = encode(&path, 320, 180, 24, 12, q);
        let (_, psnr) = min_psnr(&path, 320, 180);
        eprintln!("{}: {bytes} bytes, min codec PSNR {psnr:.2} dB", q.name());
        results.push((bytes, psnr));
    }
    for pair in results.windows(2) {
        assert!(
            pair[0].0 < pair[1].0,
            "higher quality, bigger file: {results:?}"
        );
        assert!(
            pair[0].1 < pair[1].1,
            "higher quality, higher PSNR: {results:?}"
        );
    }
    assert!(results[0].1 > 34.0, "even draft is watchable: {results:?}");
}

#[test]
fn odd_sizes_give_valid_files() {
    let dir = tempfile::tempdir().unwrap();
    for (w, h) in [(33, 17), (17, 31), (101, 57), (16, 16)] {
        let path = dir.path().join(format!("{w}x{h}.mp4"));
        encode(&path, w, h, 30, 5, Quality::Draft);
        let info = probe_mp4(&path).unwrap();
        // Padded to even by repeating the edge.
        assert_eq!((info.width, info.height), (w + w % 2, h + h % 2));
        assert_eq!(info.frames, 5);
        let decoded = decode_mp4(&path, |_| false).unwrap();
        assert_eq!(decoded.frames_decoded, 5);
        assert_eq!((decoded.width, decoded.height), (info.width, info.height));
    }
}

#[test]
fn unusable_sizes_and_buffers_are_errors() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("x.mp4");
    assert!(VideoWriter::create(&path, 8, 8, 24, Quality::Default).is_err());
    assert!(VideoWriter::create(&path, 0, 100, 24, Quality::Default).is_err());
    assert!(VideoWriter::create(&path, 5000, 100, 24, Quality::Default).is_err());
    assert!(VideoWriter::create(&path, 64, 64, 0, Quality::Default).is_err());
    let mut w = VideoWriter::create(&path, 64, 64, 24, Quality::Default).unwrap();
    assert!(w.push(vec![0; 10]).is_err());
    w.push(vec![0; 64 * 64 * 4]).unwrap();
    w.finish().unwrap();
    let empty =
        VideoWriter::create(&dir.path().join("e.mp4"), 64, 64, 24, Quality::Default).unwrap();
    assert!(empty.finish().is_err());
    assert_eq!(dir_names(dir.path()), vec!["x.mp4"]);
}

#[test]
fn the_same_frames_give_the_same_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a.mp4");
    let b = dir.path().join("b.mp4");
    encode(&a, 160, 90, 24, 20, Quality::Default);
    encode(&b, 160, 90, 24, 20, Quality::Default);
    assert_eq!(std::fs::read(&a).unwrap(), std::fs::read(&b).unwrap());
    // And different frames give different bytes (the check can fail).
    let mut w = VideoWriter::create(&b, 160, 90, 24, Quality::Default).unwrap();
    for t in 0..20 {
        w.push(test_frame(160, 90, t + 1)).unwrap();
    }
    w.finish().unwrap();
    assert_ne!(std::fs::read(&a).unwrap(), std::fs::read(&b).unwrap());
}

#[test]
fn writes_are_atomic_and_leave_no_temporaries() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("out/clip.mp4");
    encode(&path, 64, 48, 24, 3, Quality::Draft);
    assert_eq!(dir_names(path.parent().unwrap()), vec!["clip.mp4"]);
    // Overwrite: still one file, now the new clip.
    encode(&path, 64, 48, 24, 6, Quality::Draft);
    assert_eq!(dir_names(path.parent().unwrap()), vec!["clip.mp4"]);
    assert_eq!(probe_mp4(&path).unwrap().frames, 6);
    // A writer dropped unfinished writes nothing at all.
    let other = dir.path().join("out/dropped.mp4");
    let mut w = VideoWriter::create(&other, 64, 48, 24, Quality::Draft).unwrap();
    w.push(test_frame(64, 48, 0)).unwrap();
    drop(w);
    assert_eq!(dir_names(path.parent().unwrap()), vec!["clip.mp4"]);
}

#[test]
fn damaged_files_are_errors_not_panics() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("clip.mp4");
    encode(&path, 64, 48, 24, 4, Quality::Draft);
    let good = std::fs::read(&path).unwrap();
    assert!(read_mp4(&good).is_ok());
    for cut in (0..good.len()).step_by(7) {
        assert!(read_mp4(&good[..cut]).is_err(), "truncated at {cut}");
    }
    // Flip bytes one at a time through the header: any outcome but a panic.
    let moov_end = read_mp4(&good).unwrap().samples[0].offset as usize;
    let mut bad = good.clone();
    for i in 0..moov_end {
        for v in [0x00, 0xff, 0x7f] {
            let old = bad[i];
            bad[i] = v;
            let _ = read_mp4(&bad);
            bad[i] = old;
        }
    }
    assert!(read_mp4(b"not an mp4 at all").is_err());
}

#[test]
fn contact_sheet_places_tiles_and_labels() {
    let colours: Vec<[u8; 4]> = (0..9u8)
        .map(|i| {
            [
                20 + i * 25,
                200 - i * 20,
                ((i as u32 * 53) % 255) as u8,
                255,
            ]
        })
        .collect();
    let frames: Vec<RgbaImage> = colours
        .iter()
        .map(|&c| RgbaImage::filled(160, 90, c).unwrap())
        .collect();
    let tiles: Vec<SheetTile> = frames
        .iter()
        .enumerate()
        .map(|(i, image)| SheetTile {
            image,
            time_s: i as f64 * 0.25,
        })
        .collect();
    let opts = SheetOptions {
        columns: 3,
        rows: 3,
        tile_width: 80,
        border: 2,
    };
    let sheet = contact_sheet(&tiles, &opts).unwrap();
    // Tiles 80x45, label strips 8 + 2*2 = 12 px, borders 2 px.
    let (tile_h, strip_h, b) = (45u32, 12u32, 2u32);
    assert_eq!(sheet.width, 3 * 80 + 4 * b);
    assert_eq!(sheet.height, 3 * (tile_h + strip_h) + 4 * b);
    for (i, &c) in colours.iter().enumerate() {
        let (col, row) = (i as u32 % 3, i as u32 / 3);
        let x = b + col * (80 + b);
        let y = b + row * (tile_h + strip_h + b);
        assert_eq!(sheet.pixel(x + 40, y + 22), Some(c), "tile {i} centre");
        assert_eq!(sheet.pixel(x, y), Some(c), "tile {i} corner");
        assert_eq!(
            sheet.pixel(x + 79, y + tile_h - 1),
            Some(c),
            "tile {i} far corner"
        );
        // Border just outside the tile.
        assert_ne!(sheet.pixel(x - 1, y), Some(c));
        // The label strip holds light text on a dark ground.
        let mut light = 0;
        let mut dark = 0;
        for sy in y + tile_h..y + tile_h + strip_h {
            for sx in x..x + 80 {
                let p = sheet.pixel(sx, sy).unwrap();
                if p[0] > 200 && p[1] > 200 && p[2] > 200 {
                    light += 1;
                } else if p[0] < 40 && p[1] < 40 && p[2] < 40 {
                    dark += 1;
                }
            }
        }
        assert!(light > 30, "tile {i}: {light} text pixels");
        assert!(dark > light, "tile {i}: text on a dark strip");
    }
    // Different times give different labels.
    let strip = |col: u32| -> Vec<[u8; 4]> {
        let (x, y) = (b + col * (80 + b), b + tile_h);
        (0..strip_h)
            .flat_map(|dy| (0..80).map(move |dx| (x + dx, y + dy)))
            .map(|(px, py)| sheet.pixel(px, py).unwrap())
            .collect()
    };
    assert_ne!(strip(0), strip(1));
}

#[test]
fn contact_sheet_from_a_clip_uses_first_and_last_frames() {
    assert_eq!(sheet_frame_indices(48, 9).first(), Some(&0));
    assert_eq!(sheet_frame_indices(48, 9).last(), Some(&47));
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("clip.mp4");
    encode(&path, 160, 90, 24, 48, Quality::Default);
    let sheet = contact_sheet_from_mp4(&path, &SheetOptions::default()).unwrap();
    // 3x3 tiles of 320x180 with 2 px borders and 8*2 + 2*4 px strips.
    assert_eq!(sheet.width, 3 * 320 + 4 * 2);
    assert_eq!(sheet.height, 3 * (180 + 24) + 4 * 2);
    let png = dir.path().join("sheet.png");
    write_png(&png, &sheet).unwrap();
    assert_eq!(read_png(&png).unwrap(), sheet);
}

#[test]
fn png_round_trips_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let mut img = RgbaImage::from_vec(37, 23, test_frame(37, 23, 3)).unwrap();
    // Exercise alpha too.
    for (i, px) in img.data.chunks_exact_mut(4).enumerate() {
        px[3] = (i * 7 % 256) as u8;
    }
    let path = dir.path().join("still.png");
    write_png(&path, &img).unwrap();
    assert_eq!(read_png(&path).unwrap(), img);
    assert_eq!(dir_names(dir.path()), vec!["still.png"]);
}

#[test]
fn frame_dump_writes_numbered_pngs() {
    let dir = tempfile::tempdir().unwrap();
    let frames_dir = dir.path().join("frames");
    let mut dumper = FrameDumper::create(&frames_dir, 48, 32, 2).unwrap();
    for t in 0..12 {
        let p = dumper.push(test_frame(48, 32, t)).unwrap();
        assert_eq!(p, frames_dir.join(frame_file_name(t as u64)));
    }
    assert!(dumper.push(vec![0; 3]).is_err());
    let stats = dumper.finish().unwrap();
    assert_eq!(stats.frames, 12);
    let names = dir_names(&frames_dir);
    let want: Vec<String> = (0..12).map(|i| format!("{i:04}.png")).collect();
    assert_eq!(names, want);
    for t in 0..12u32 {
        let img = read_png(&frames_dir.join(format!("{t:04}.png"))).unwrap();
        assert_eq!(img.data, test_frame(48, 32, t), "frame {t}");
    }
    let on_disk: u64 = want
        .iter()
        .map(|n| std::fs::metadata(frames_dir.join(n)).unwrap().len())
        .sum();
    assert_eq!(stats.bytes, on_disk);
}

/// Our muxer's output read by an independent parser (mp4-atom): ftyp, then
/// moov before mdat (fast start), one H.264 track whose tables agree with
/// the frames we wrote and with our own reader.
#[test]
fn an_independent_parser_reads_our_mp4s() {
    use mp4_atom::{Codec, Decode, Ftyp, Mdat, Moov, StszSamples};
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("clip.mp4");
    encode(&path, 320, 180, 24, 30, Quality::Draft);
    let bytes = std::fs::read(&path).unwrap();
    let mut input = std::io::Cursor::new(bytes.as_slice());
    let ftyp = Ftyp::decode(&mut input).expect("ftyp first");
    assert!(
        ftyp.compatible_brands
            .iter()
            .chain([&ftyp.major_brand])
            .any(|b| *b == b"isom".into() || *b == b"mp42".into() || *b == b"avc1".into()),
        "{ftyp:?}"
    );
    let moov = Moov::decode(&mut input).expect("moov before mdat");
    let mdat_start = input.position() + 8;
    let mdat = Mdat::decode(&mut input).expect("mdat last");
    assert_eq!(input.position() as usize, bytes.len(), "nothing after mdat");

    assert_eq!(moov.trak.len(), 1);
    let trak = &moov.trak[0];
    let mdhd = &trak.mdia.mdhd;
    let stbl = &trak.mdia.minf.stbl;
    // Duration: 30 frames at 24 fps.
    assert_eq!(mdhd.duration * 24, mdhd.timescale as u64 * 30, "{mdhd:?}");
    let deltas: u64 = stbl
        .stts
        .entries
        .iter()
        .map(|e| e.sample_count as u64 * e.sample_delta as u64)
        .sum();
    assert_eq!(deltas, mdhd.duration);
    let Codec::Avc1(avc1) = &stbl.stsd.codecs[0] else {
        panic!("not avc1: {:?}", stbl.stsd.codecs[0]);
    };
    assert_eq!((avc1.visual.width, avc1.visual.height), (320, 180));
    assert!(!avc1.avcc.sequence_parameter_sets.is_empty());
    let sizes: Vec<u32> = match &stbl.stsz.samples {
        StszSamples::Identical { count, size } => vec![*size; *count as usize],
        StszSamples::Different { sizes } => sizes.clone(),
    };
    assert_eq!(sizes.len(), 30);
    assert_eq!(
        sizes.iter().map(|&s| s as u64).sum::<u64>(),
        mdat.data.len() as u64
    );
    // Sample offsets from the chunk tables, as any player computes them.
    let chunks: Vec<u64> = match (&stbl.stco, &stbl.co64) {
        (Some(c), _) => c.entries.iter().map(|&o| o as u64).collect(),
        (None, Some(c)) => c.entries.clone(),
        _ => panic!("no chunk offsets"),
    };
    let mut offsets = Vec::new();
    let stsc = &stbl.stsc.entries;
    for (i, &start) in chunks.iter().enumerate() {
        let chunk = i as u32 + 1;
        let per = stsc
            .iter()
            .rev()
            .find(|e| e.first_chunk <= chunk)
            .unwrap()
            .samples_per_chunk;
        let mut at = start;
        for _ in 0..per {
            if offsets.len() < sizes.len() {
                offsets.push(at);
                at += sizes[offsets.len() - 1] as u64;
            }
        }
    }
    assert_eq!(offsets.len(), 30);
    assert_eq!(offsets[0], mdat_start);
    let ours = read_mp4(&bytes).unwrap();
    let theirs: Vec<(u64, u32)> = offsets.iter().copied().zip(sizes.iter().copied()).collect();
    let mine: Vec<(u64, u32)> = ours.samples.iter().map(|s| (s.offset, s.size)).collect();
    assert_eq!(mine, theirs);
    let keyframes: Vec<u32> = stbl.stss.as_ref().expect("stss").entries.clone();
    let mine: Vec<u32> = ours
        .samples
        .iter()
        .enumerate()
        .filter(|(_, s)| s.keyframe)
        .map(|(i, _)| i as u32 + 1)
        .collect();
    assert_eq!(keyframes, mine);
    assert_eq!(keyframes[0], 1);
}

/// What fuzz/fuzz_targets/read_mp4.rs checks, on a fixed set of damaged
/// copies of a real clip (CI does not run the fuzzer): the reader never
/// panics, and what it accepts stays inside the bytes it was given.
#[test]
fn damaged_copies_of_a_real_clip_are_read_or_refused_never_panic() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("clip.mp4");
    encode(&path, 64, 48, 12, 6, Quality::Draft);
    let clip = std::fs::read(&path).unwrap();
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let check = |bytes: &[u8]| {
        let outcome = std::panic::catch_unwind(|| read_mp4(bytes));
        let read = outcome.unwrap_or_else(|_| panic!("read_mp4 panicked on {} bytes", bytes.len()));
        if let Ok(track) = read {
            for s in &track.samples {
                assert!(s.offset + s.size as u64 <= bytes.len() as u64);
            }
        }
    };
    for _ in 0..400 {
        let mut bytes = clip.clone();
        match next() % 3 {
            // Overwrite a few bytes, most often in the header, where the
            // sizes and counts are.
            0 | 1 => {
                for _ in 0..1 + next() % 4 {
                    let span = if next() % 4 == 0 {
                        bytes.len()
                    } else {
                        600.min(bytes.len())
                    };
                    let at = (next() as usize) % span;
                    bytes[at] = next() as u8;
                }
            }
            _ => bytes.truncate((next() as usize) % clip.len()),
        }
        check(&bytes);
    }
}
