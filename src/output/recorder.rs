//! The recording sink: renders each frame and hands the pixels to the video
//! encoder, the frame dump, the contact sheet, snapshots and the critic.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use super::{frame_index_at, snapshot_file_name};
use crate::critic::visual::{Analysed, VisualRecorder};
use crate::measure::RenderStats;
use crate::render::{RenderOptions, Rendered, Renderer};
use crate::sim::{Frame, FrameSink, SinkError};
use crate::video::{
    FrameDumper, RgbaImage, SheetOptions, SheetTile, VideoWriter, contact_sheet,
    sheet_frame_indices, write_png,
};
use crate::world::World;

/// What a [`Recorder`] writes, and where.
#[derive(Debug, Clone)]
pub struct RecorderOptions {
    /// The run folder; every file goes inside it.
    pub dir: PathBuf,
    pub render: RenderOptions,
    /// Write `video.mp4`.
    pub video: bool,
    pub video_quality: crate::video::Quality,
    /// Write every frame as `frames/NNNN.png`.
    pub frames: bool,
    /// Snapshot times from the caller.
    pub snaps: Vec<f64>,
    /// Also write the stills the script asks for with `snapshot(t)`.
    pub script_snaps: bool,
    /// Keyframes, evenly spaced: the contact sheet's tiles and the frames
    /// the critic analyses.
    pub keyframes: usize,
    /// Write `contact_sheet.png`.
    pub sheet: bool,
    /// Feed the critic's visual checks.
    pub visual: bool,
}

impl RecorderOptions {
    pub fn new(dir: PathBuf, render: RenderOptions) -> Self {
        RecorderOptions {
            dir,
            render,
            video: true,
            video_quality: crate::video::Quality::Default,
            frames: false,
            snaps: Vec::new(),
            script_snaps: true,
            keyframes: 9,
            sheet: true,
            visual: false,
        }
    }

    /// Renders for the critic's visual checks only: no file is written.
    pub fn critic_only(render: RenderOptions) -> Self {
        RecorderOptions {
            video: false,
            sheet: false,
            script_snaps: false,
            visual: true,
            ..RecorderOptions::new(std::env::temp_dir(), render)
        }
    }
}

/// Renders a run into files. Create it before the run, pass it as a sink,
/// then read [`Recorder::stats`] (and [`Recorder::take_visual`]).
pub struct Recorder {
    opts: RecorderOptions,
    renderer: Option<Renderer>,
    video: Option<VideoWriter>,
    dumper: Option<FrameDumper>,
    fps: u32,
    started: bool,
    sheet_frames: BTreeSet<u64>,
    sheet: Vec<(f64, RgbaImage)>,
    /// Frame index to the times asked for that frame.
    snaps: BTreeMap<u64, Vec<f64>>,
    visual: Option<VisualRecorder>,
    stats: RenderStats,
    submit_ms: f64,
    readback_ms: f64,
    busy: Duration,
}

impl Recorder {
    /// Opens the adapter. When none can be had the recorder records nothing
    /// and says why in [`Recorder::stats`].
    pub fn new(opts: RecorderOptions) -> Recorder {
        let mut stats = RenderStats {
            width: opts.render.width,
            height: opts.render.height,
            quality: opts.render.quality.to_string(),
            ..Default::default()
        };
        let start = Instant::now();
        let renderer = match Renderer::new(&opts.render) {
            Ok(r) => {
                stats.adapter = r.adapter_info();
                stats.software = r.is_software();
                Some(r)
            }
            Err(e) => {
                stats.error = Some(e.to_string());
                None
            }
        };
        let visual = opts.visual.then(VisualRecorder::default);
        Recorder {
            opts,
            renderer,
            video: None,
            dumper: None,
            fps: 24,
            started: false,
            sheet_frames: BTreeSet::new(),
            sheet: Vec::new(),
            snaps: BTreeMap::new(),
            visual,
            stats,
            submit_ms: 0.0,
            readback_ms: 0.0,
            busy: start.elapsed(),
        }
    }

    /// Whether frames are being rendered.
    pub fn is_rendering(&self) -> bool {
        self.renderer.is_some()
    }

    pub fn stats(&self) -> &RenderStats {
        &self.stats
    }

    /// The visual checks' measurements, when they were asked for and at
    /// least one frame was rendered.
    pub fn take_visual(&mut self) -> Option<VisualRecorder> {
        if self.stats.frames == 0 {
            return None;
        }
        self.visual.take()
    }

    /// Stops rendering after a failure; what was written stays.
    fn fail(&mut self, what: &str, e: impl std::fmt::Display) {
        if self.stats.error.is_none() {
            self.stats.error = Some(format!("{what}: {e}"));
        }
        self.renderer = None;
        self.video = None;
        self.dumper = None;
    }

    fn start(&mut self, world: &World) {
        self.started = true;
        let settings = &world.settings;
        self.fps = settings.fps;
        let count = settings.frame_count();
        if self.opts.keyframes > 0 {
            self.sheet_frames = sheet_frame_indices(count, self.opts.keyframes)
                .into_iter()
                .collect();
        }
        let from_script = if self.opts.script_snaps {
            &world.snapshots[..]
        } else {
            &[]
        };
        for &t in self.opts.snaps.iter().chain(from_script) {
            let index = frame_index_at(t, self.fps);
            if index < count {
                let times = self.snaps.entry(index).or_default();
                if !times.contains(&t) {
                    times.push(t);
                }
            } else {
                self.stats.notes.push(format!(
                    "snapshot at {t} s skipped: the run ends at {:.2} s",
                    settings.duration
                ));
            }
        }
        let writes =
            self.opts.video || self.opts.frames || self.opts.sheet || !self.snaps.is_empty();
        if writes && let Err(e) = std::fs::create_dir_all(&self.opts.dir) {
            self.fail("cannot create the output folder", e);
            return;
        }
        let (w, h) = (self.opts.render.width, self.opts.render.height);
        if self.opts.video {
            let path = self.opts.dir.join("video.mp4");
            match VideoWriter::create(&path, w, h, self.fps, self.opts.video_quality) {
                Ok(v) => self.video = Some(v),
                Err(e) => self.fail("cannot start the video encoder", e),
            }
        }
        if self.opts.frames && self.renderer.is_some() {
            let workers = std::thread::available_parallelism().map_or(1, |n| n.get().min(4));
            match FrameDumper::create(&self.opts.dir.join("frames"), w, h, workers) {
                Ok(d) => self.dumper = Some(d),
                Err(e) => self.fail("cannot write frames", e),
            }
        }
    }

    /// One finished image: to every output that wants it.
    fn deliver(&mut self, done: Rendered) {
        self.submit_ms += done.submit_ms;
        self.readback_ms += done.readback_ms;
        self.stats.frames += 1;
        let index = done.index;
        let time = index as f64 / self.fps as f64;
        let image = done.image;
        if let Some(v) = &mut self.visual {
            v.look(index, time, image.width, image.height, &image.data);
        }
        let wants_still = (self.opts.sheet && self.sheet_frames.contains(&index))
            || self.snaps.contains_key(&index);
        let still = wants_still.then(|| image.clone());
        if let Some(still) = still {
            if let Some(times) = self.snaps.get(&index) {
                for &t in times {
                    let name = snapshot_file_name(t);
                    match write_png(&self.opts.dir.join(&name), &still) {
                        Ok(()) => self.stats.outputs.push(name),
                        Err(e) => self.stats.notes.push(format!("{name} failed: {e}")),
                    }
                }
            }
            if self.opts.sheet && self.sheet_frames.contains(&index) {
                self.sheet.push((time, still));
            }
        }
        let mut failure = None;
        if let Some(d) = &mut self.dumper
            && let Err(e) = d.push(image.data.clone())
        {
            failure = Some(("cannot write a frame", e));
        }
        if failure.is_none()
            && let Some(v) = &mut self.video
            && let Err(e) = v.push(image.data)
        {
            failure = Some(("video encoding failed", e));
        }
        if let Some((what, e)) = failure {
            self.fail(what, e);
        }
    }

    fn deliver_all(&mut self, done: Vec<Rendered>) {
        for d in done {
            self.deliver(d);
        }
    }

    /// ID and depth passes on a keyframe, for the critic. The pipelined
    /// frames must land first: analysis needs the GPU to itself.
    fn analyse(&mut self, world: &World, frame: &Frame) {
        let Some(renderer) = &mut self.renderer else {
            return;
        };
        let start = Instant::now();
        let flushed = renderer.flush();
        let analysis = renderer.analyse(world, frame);
        match flushed {
            Ok(done) => self.deliver_all(done),
            Err(e) => return self.fail("rendering failed", e),
        }
        match analysis {
            Ok(a) => {
                if let Some(v) = &mut self.visual {
                    v.analyse(&Analysed {
                        index: frame.index,
                        time: frame.time,
                        width: a.width,
                        height: a.height,
                        ids: &a.ids,
                        depth: &a.depth,
                        backfacing: &a.backfacing,
                        inside: a.camera_inside(),
                    });
                }
            }
            Err(e) => self.fail("the analysis pass failed", e),
        }
        self.stats.analysis_ms += start.elapsed().as_secs_f64() * 1000.0;
    }

    fn finish_files(&mut self) {
        if let Some(r) = &mut self.renderer {
            match r.flush() {
                Ok(done) => self.deliver_all(done),
                Err(e) => self.fail("rendering failed", e),
            }
        }
        if let Some(v) = self.video.take() {
            match v.finish() {
                Ok(s) => {
                    self.stats.encode_ms_per_frame =
                        (s.convert_ms_total + s.encode_ms_total) / s.frames.max(1) as f64;
                    self.stats.outputs.push("video.mp4".into());
                }
                Err(e) => self.fail("video encoding failed", e),
            }
        }
        if let Some(d) = self.dumper.take() {
            match d.finish() {
                Ok(_) => self.stats.outputs.push("frames/".into()),
                Err(e) => self.fail("cannot write frames", e),
            }
        }
        if !self.sheet.is_empty() {
            let tiles: Vec<SheetTile> = self
                .sheet
                .iter()
                .map(|(t, image)| SheetTile { image, time_s: *t })
                .collect();
            let written = contact_sheet(&tiles, &SheetOptions::default())
                .and_then(|sheet| write_png(&self.opts.dir.join("contact_sheet.png"), &sheet));
            match written {
                Ok(()) => self.stats.outputs.push("contact_sheet.png".into()),
                Err(e) => self.fail("cannot write the contact sheet", e),
            }
        }
        let n = self.stats.frames.max(1) as f64;
        self.stats.render_ms_per_frame = self.submit_ms / n;
        self.stats.readback_ms_per_frame = self.readback_ms / n;
    }
}

impl FrameSink for Recorder {
    fn accept(&mut self, world: &World, frame: &Frame) -> Result<(), SinkError> {
        let start = Instant::now();
        if !self.started {
            self.start(world);
        }
        if self.visual.is_some() && self.sheet_frames.contains(&frame.index) {
            self.analyse(world, frame);
        }
        if let Some(renderer) = &mut self.renderer {
            match renderer.submit(world, frame) {
                Ok(Some(done)) => self.deliver(done),
                Ok(None) => {}
                Err(e) => self.fail("rendering failed", e),
            }
        }
        self.busy += start.elapsed();
        Ok(())
    }

    fn end(&mut self, _world: &World, _last: Option<&Frame>) {
        let start = Instant::now();
        self.finish_files();
        self.busy += start.elapsed();
        self.stats.wall_ms = self.busy.as_secs_f64() * 1000.0;
    }
}
