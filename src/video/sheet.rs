//! Contact sheets: a grid of frames scaled down, each with its time in a
//! dark strip underneath, separated by thin borders. One image shows a
//! whole clip at a glance (for people and for the critic).

use std::path::Path;

use super::decode::decode_mp4;
use super::error::{Result, VideoError};
use super::font::{GLYPH_HEIGHT, draw_text, text_width};
use super::image::RgbaImage;

const BORDER: [u8; 4] = [96, 96, 96, 255];
const STRIP: [u8; 4] = [18, 18, 18, 255];
const TEXT: [u8; 4] = [235, 235, 235, 255];
/// Largest sheet we build, so a bad option cannot ask for gigabytes.
const MAX_SHEET_PIXELS: u64 = 64 << 20;

/// Layout of a contact sheet.
#[derive(Debug, Clone, PartialEq)]
pub struct SheetOptions {
    pub columns: u32,
    /// Most rows; a sheet with fewer tiles uses only the rows it needs.
    pub rows: u32,
    /// Width of each scaled frame; the height follows the frames' aspect.
    pub tile_width: u32,
    /// Border between and around tiles, in pixels.
    pub border: u32,
}

impl Default for SheetOptions {
    fn default() -> Self {
        Self {
            columns: 3,
            rows: 3,
            tile_width: 320,
            border: 2,
        }
    }
}

/// One frame on the sheet and the time it was shown at.
#[derive(Debug, Clone, Copy)]
pub struct SheetTile<'a> {
    pub image: &'a RgbaImage,
    pub time_s: f64,
}

/// Which frames of a clip of `frame_count` frames fill `tiles` tiles:
/// evenly spaced, first and last included, no repeats (all frames when the
/// clip is shorter than the sheet).
pub fn sheet_frame_indices(frame_count: u64, tiles: usize) -> Vec<u64> {
    if frame_count == 0 || tiles == 0 {
        return Vec::new();
    }
    if tiles as u64 >= frame_count {
        return (0..frame_count).collect();
    }
    if tiles == 1 {
        return vec![0];
    }
    let span = frame_count - 1;
    let steps = tiles as u64 - 1;
    // Rounded i * span / steps; span >= steps so neighbours never collide.
    (0..tiles as u64)
        .map(|i| (i * span + steps / 2) / steps)
        .collect()
}

/// The label drawn under a tile.
pub fn time_label(time_s: f64) -> String {
    format!("t = {time_s:.2} s")
}

/// Builds the sheet. Tiles fill the grid row by row; all frames are scaled
/// to the first one's aspect ratio.
pub fn contact_sheet(tiles: &[SheetTile<'_>], opts: &SheetOptions) -> Result<RgbaImage> {
    let first = tiles
        .first()
        .ok_or_else(|| VideoError::invalid("a contact sheet needs at least one frame"))?;
    if opts.columns == 0 || opts.rows == 0 || opts.tile_width == 0 {
        return Err(VideoError::invalid(
            "contact sheet columns, rows and tile width must be positive",
        ));
    }
    let capacity = opts.columns as u64 * opts.rows as u64;
    if tiles.len() as u64 > capacity {
        return Err(VideoError::invalid(format!(
            "{} frames do not fit a {}x{} sheet",
            tiles.len(),
            opts.columns,
            opts.rows
        )));
    }
    if first.image.width == 0 || first.image.height == 0 {
        return Err(VideoError::invalid("contact sheet frame has no pixels"));
    }
    let tile_w = opts.tile_width as u64;
    let tile_h = (tile_w * first.image.height as u64)
        .div_ceil(first.image.width as u64)
        .max(1);
    // Text twice the font size once tiles are wide enough to hold it.
    let mut scale = if opts.tile_width >= 200 { 2 } else { 1 };
    let longest = tiles
        .iter()
        .map(|t| text_width(&time_label(t.time_s), 1))
        .max()
        .unwrap_or(0);
    if longest * scale + 4 > opts.tile_width {
        scale = 1;
    }
    let pad = 2 * scale as u64;
    let strip_h = GLYPH_HEIGHT as u64 * scale as u64 + 2 * pad;

    let columns = opts.columns as u64;
    let rows = (tiles.len() as u64).div_ceil(columns);
    let b = opts.border as u64;
    let sheet_w = columns * tile_w + (columns + 1) * b;
    let sheet_h = rows * (tile_h + strip_h) + (rows + 1) * b;
    if sheet_w.saturating_mul(sheet_h) > MAX_SHEET_PIXELS {
        return Err(VideoError::invalid(format!(
            "a {sheet_w}x{sheet_h} contact sheet is too large"
        )));
    }
    let mut sheet = RgbaImage::filled(sheet_w as u32, sheet_h as u32, BORDER)?;

    for cell in 0..columns * rows {
        let (col, row) = (cell % columns, cell / columns);
        let x = (b + col * (tile_w + b)) as i64;
        let y = (b + row * (tile_h + strip_h + b)) as i64;
        let Some(tile) = tiles.get(cell as usize) else {
            // Unused cells read as empty rather than as a missing frame.
            sheet.fill_rect(x, y, tile_w as i64, (tile_h + strip_h) as i64, STRIP);
            continue;
        };
        let scaled = resize_area(tile.image, tile_w as u32, tile_h as u32)?;
        blit(&mut sheet, &scaled, x, y);
        let strip_y = y + tile_h as i64;
        sheet.fill_rect(x, strip_y, tile_w as i64, strip_h as i64, STRIP);
        draw_text(
            &mut sheet,
            x + pad as i64,
            strip_y + pad as i64,
            &time_label(tile.time_s),
            scale,
            TEXT,
        );
    }
    Ok(sheet)
}

/// Decodes the MP4 at `path` and builds a sheet of evenly spaced frames,
/// labelled with their presentation times.
pub fn contact_sheet_from_mp4(path: &Path, opts: &SheetOptions) -> Result<RgbaImage> {
    let info = super::mp4read::probe_mp4(path)?;
    let wanted = sheet_frame_indices(info.frames, (opts.columns * opts.rows) as usize);
    let decoded = decode_mp4(path, |i| wanted.binary_search(&i).is_ok())?;
    let fps = if info.fps > 0.0 { info.fps } else { 1.0 };
    let tiles: Vec<SheetTile<'_>> = decoded
        .kept
        .iter()
        .map(|(i, image)| SheetTile {
            image,
            time_s: *i as f64 / fps,
        })
        .collect();
    contact_sheet(&tiles, opts)
}

/// Downscales by averaging the source pixels under each target pixel (a box
/// filter, so thin lines fade rather than vanish); upscaling repeats pixels.
fn resize_area(src: &RgbaImage, w: u32, h: u32) -> Result<RgbaImage> {
    let (sw, sh) = (src.width as u64, src.height as u64);
    let mut out = RgbaImage::filled(w, h, [0, 0, 0, 255])?;
    let stride = sw as usize * 4;
    for ty in 0..h as u64 {
        let y0 = ty * sh / h as u64;
        let y1 = ((ty + 1) * sh / h as u64).max(y0 + 1).min(sh);
        for tx in 0..w as u64 {
            let x0 = tx * sw / w as u64;
            let x1 = ((tx + 1) * sw / w as u64).max(x0 + 1).min(sw);
            let mut acc = [0u64; 4];
            for sy in y0..y1 {
                let row = &src.data[sy as usize * stride..][x0 as usize * 4..x1 as usize * 4];
                for px in row.chunks_exact(4) {
                    for c in 0..4 {
                        acc[c] += px[c] as u64;
                    }
                }
            }
            let n = (y1 - y0) * (x1 - x0);
            let i = (ty as usize * w as usize + tx as usize) * 4;
            for (dst, sum) in out.data[i..i + 3].iter_mut().zip(acc) {
                *dst = ((sum + n / 2) / n) as u8;
            }
            // Sheets are opaque whatever the frames' alpha.
            out.data[i + 3] = 255;
        }
    }
    Ok(out)
}

fn blit(dst: &mut RgbaImage, src: &RgbaImage, x: i64, y: i64) {
    for sy in 0..src.height as i64 {
        let ty = y + sy;
        if ty < 0 || ty >= dst.height as i64 {
            continue;
        }
        let x0 = x.max(0);
        let x1 = (x + src.width as i64).min(dst.width as i64);
        if x1 <= x0 {
            return;
        }
        let s = ((sy * src.width as i64 + (x0 - x)) * 4) as usize;
        let d = ((ty * dst.width as i64 + x0) * 4) as usize;
        let n = ((x1 - x0) * 4) as usize;
        dst.data[d..d + n].copy_from_slice(&src.data[s..s + n]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frame_choice_spans_the_clip() {
        assert_eq!(
            sheet_frame_indices(48, 9),
            vec![0, 6, 12, 18, 24, 29, 35, 41, 47]
        );
        assert_eq!(sheet_frame_indices(9, 9), (0..9).collect::<Vec<_>>());
        assert_eq!(sheet_frame_indices(4, 9), vec![0, 1, 2, 3]);
        assert_eq!(sheet_frame_indices(240, 2), vec![0, 239]);
        assert_eq!(sheet_frame_indices(240, 1), vec![0]);
        assert!(sheet_frame_indices(0, 9).is_empty());
        assert!(sheet_frame_indices(10, 0).is_empty());
        for frames in 1..200u64 {
            for tiles in 1..12usize {
                let idx = sheet_frame_indices(frames, tiles);
                assert_eq!(idx.len() as u64, frames.min(tiles as u64));
                assert_eq!(idx[0], 0);
                if tiles > 1 {
                    assert_eq!(*idx.last().unwrap(), frames - 1, "{frames} {tiles}");
                }
                assert!(idx.windows(2).all(|w| w[0] < w[1]), "{idx:?}");
            }
        }
    }

    #[test]
    fn area_resize_averages() {
        // 2x1 black and white -> 1x1 mid grey.
        let src = RgbaImage::from_vec(2, 1, vec![0, 0, 0, 255, 255, 255, 255, 255]).unwrap();
        let out = resize_area(&src, 1, 1).unwrap();
        assert_eq!(out.pixel(0, 0), Some([128, 128, 128, 255]));
        let up = resize_area(&src, 4, 2).unwrap();
        assert_eq!(up.pixel(1, 1), Some([0, 0, 0, 255]));
        assert_eq!(up.pixel(2, 0), Some([255, 255, 255, 255]));
    }

    #[test]
    fn bad_layouts_are_errors() {
        let img = RgbaImage::filled(8, 8, [1, 2, 3, 255]).unwrap();
        let tile = SheetTile {
            image: &img,
            time_s: 0.0,
        };
        assert!(contact_sheet(&[], &SheetOptions::default()).is_err());
        let zero = SheetOptions {
            columns: 0,
            ..SheetOptions::default()
        };
        assert!(contact_sheet(&[tile], &zero).is_err());
        let small = SheetOptions {
            columns: 1,
            rows: 1,
            ..SheetOptions::default()
        };
        assert!(contact_sheet(&[tile, tile], &small).is_err());
        let huge = SheetOptions {
            tile_width: u32::MAX,
            ..SheetOptions::default()
        };
        assert!(contact_sheet(&[tile], &huge).is_err());
    }
}
