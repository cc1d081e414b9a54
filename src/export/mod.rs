//! Stage four, beside the renderer: frames to a glTF 2.0 scene, and a local
//! web viewer for run folders (`c2w view`, [`viewer`]).
//!
//! An [`Exporter`] is a [`FrameSink`]: it samples every frame a run produces
//! (each entity's transform and visibility, the camera, the lights, the
//! particles) and, at the end, builds one glTF document with the world's
//! static data ([`document`]):
//!
//! - every entity is a node, under its parent as in the world (a child of a
//!   non-uniformly scaled parent is placed at the root instead, because
//!   glTF's matrices would shear it where our transforms keep it rigid);
//! - each shape becomes a mesh with positions, normals, box-projected UVs
//!   (one unit per metre, for textures added downstream) and indices, from
//!   the same tessellation and cleaning the renderer uses; equal shapes share
//!   their buffers;
//! - materials are glTF PBR: base colour, metallic, roughness, emissive
//!   (with `KHR_materials_emissive_strength` above 1), opacity as alpha
//!   blending; open surfaces are double sided;
//! - the camera is a node looking down its -Z, lights are
//!   `KHR_lights_punctual` nodes;
//! - the motion is one animation, "simulation": translation, rotation and
//!   scale per node, sampled per frame and thinned to the keys linear
//!   interpolation needs ([`keys`]): a body at rest has no channel, one
//!   moving at constant velocity two keys. Visibility is animated as a zero
//!   scale on nodes without children;
//! - particles are flipbooks: per emitter and frame, one node carrying that
//!   frame's particles as `EXT_mesh_gpu_instancing` instances of a low-poly
//!   ball (translation and size), shown for its frame by a step-interpolated
//!   scale. Particles have no identity across frames in our simulation, so
//!   they cannot be one animated instance set; at most
//!   [`ExportOptions::max_particles`] per frame are kept (evenly strided).
//!
//! Cut-downs, since glTF cannot animate them without `KHR_animation_pointer`:
//! materials, light colours and intensities and the camera's field of view
//! are those of the first frame. Units are metres, Y up, as in the world.
//!
//! Deforming meshes (cloth, soft bodies) are not in the simulation yet. The
//! exporter is laid out for them: a deforming entity's per-frame vertex
//! positions would be sampled in [`Exporter::accept`] next to its pose, and
//! [`document`] would write them either as morph targets (one target per
//! key frame and a `weights` channel stepping through them) or, for meshes
//! whose topology changes, as per-frame meshes shown like the particle
//! flipbooks.
//!
//! The document is written as GLB (`.glb`, one binary container) or as
//! `.gltf` JSON with its buffer embedded as a data URI, always atomically.

pub mod document;
pub mod keys;
pub mod viewer;

use std::path::Path;

use glam::{Quat, Vec3};

use crate::sim::{Frame, FrameSink, SinkError};
use crate::world::{Material, Transform, World};
use keys::Samples;

/// What the exporter keeps and how it writes it.
#[derive(Debug, Clone)]
pub struct ExportOptions {
    /// Particles kept per frame, all emitters together.
    pub max_particles: usize,
    /// Width over height of the camera, when the run has an image size.
    pub aspect_ratio: Option<f32>,
}

impl Default for ExportOptions {
    fn default() -> Self {
        ExportOptions {
            max_particles: 2000,
            aspect_ratio: Some(16.0 / 9.0),
        }
    }
}

/// A node's local transform at one frame, visibility folded into scale.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Pose {
    pub translation: Vec3,
    pub rotation: Quat,
    pub scale: Vec3,
}

impl Pose {
    fn of(t: &Transform) -> Pose {
        Pose {
            translation: finite_or(t.position, Vec3::ZERO),
            rotation: finite_quat(t.rotation),
            scale: finite_or(t.scale, Vec3::ONE),
        }
    }
}

fn finite_or(v: Vec3, fallback: Vec3) -> Vec3 {
    if v.is_finite() { v } else { fallback }
}

fn finite_quat(q: Quat) -> Quat {
    if q.is_finite() && q.length_squared() > 1e-12 {
        q.normalize()
    } else {
        Quat::IDENTITY
    }
}

/// One entity's samples.
#[derive(Debug, Clone)]
pub(crate) struct EntityTrack {
    /// The entity whose node is this one's parent in the file.
    pub parent: Option<usize>,
    /// Whether visibility may be animated as scale (no children).
    pub leaf: bool,
    pub poses: Samples<Pose>,
    /// Material at the first frame the entity was seen.
    pub material: Material,
    pub ever_visible: bool,
}

/// One emitter's particles at one frame.
#[derive(Debug, Clone)]
pub(crate) struct ParticleShot {
    pub frame: u64,
    pub emitter: usize,
    pub positions: Vec<Vec3>,
    pub sizes: Vec<f32>,
}

/// Samples a run for export. Pass it as a sink; once the run has ended,
/// [`Exporter::take_document`] hands over the glTF document.
pub struct Exporter {
    opts: ExportOptions,
    pub(crate) fps: u32,
    pub(crate) frames: u64,
    pub(crate) entities: Vec<EntityTrack>,
    pub(crate) camera: Samples<(Vec3, Quat)>,
    pub(crate) fov: f32,
    pub(crate) lights: Vec<Samples<(Vec3, Quat)>>,
    pub(crate) first_lights: Vec<crate::world::Light>,
    pub(crate) particles: Vec<ParticleShot>,
    /// Linear RGBA of each emitter's first particle.
    pub(crate) emitter_colors: Vec<Option<[f32; 4]>>,
    pub(crate) particles_left_out: u64,
    built: Option<document::Document>,
}

impl Exporter {
    pub fn new(opts: ExportOptions) -> Exporter {
        Exporter {
            opts,
            fps: 24,
            frames: 0,
            entities: Vec::new(),
            camera: Samples::default(),
            fov: 50.0,
            lights: Vec::new(),
            first_lights: Vec::new(),
            particles: Vec::new(),
            emitter_colors: Vec::new(),
            particles_left_out: 0,
            built: None,
        }
    }

    pub fn options(&self) -> &ExportOptions {
        &self.opts
    }

    /// Frames sampled so far.
    pub fn frames(&self) -> u64 {
        self.frames
    }

    /// Builds the glTF document from what was sampled and the world's static
    /// data (shapes, names, light kinds). `None` when no frame was taken.
    pub fn document(&self, world: &World) -> Option<document::Document> {
        (self.frames > 0).then(|| document::build(self, world))
    }

    /// The document built when the run ended.
    pub fn take_document(&mut self) -> Option<document::Document> {
        self.built.take()
    }

    fn add_entities(&mut self, world: &World, frame: &Frame) {
        let start = self.entities.len();
        let n = world.entities.len().min(frame.transforms.len());
        let mut has_children = vec![false; n];
        let mut parents = vec![None; n];
        for (i, e) in world.entities.iter().enumerate().take(n) {
            if let Some(p) = e.parent.filter(|_| !e.world_space)
                && p.index() < n
                && uniform(frame.transforms[p.index()].scale)
            {
                parents[i] = Some(p.index());
                has_children[p.index()] = true;
            }
        }
        for i in start..n {
            let e = &world.entities[i];
            let mut track = EntityTrack {
                parent: parents[i],
                leaf: !has_children[i],
                poses: Samples::default(),
                material: frame
                    .materials
                    .get(i)
                    .cloned()
                    .unwrap_or_else(|| e.material.clone()),
                ever_visible: false,
            };
            // An entity made during the run is hidden until it exists.
            if frame.index > 0 {
                let hidden = Pose {
                    scale: Vec3::ZERO,
                    ..Pose::of(&Transform::default())
                };
                track.poses.push(0, hidden);
                track.poses.push(frame.index - 1, hidden);
            }
            self.entities.push(track);
        }
    }

    fn sample_particles(&mut self, frame: &Frame) {
        let view = &frame.particles;
        let emitters = view.stats.len().max(
            view.emitters
                .iter()
                .map(|&e| e as usize + 1)
                .max()
                .unwrap_or(0),
        );
        if self.emitter_colors.len() < emitters {
            self.emitter_colors.resize(emitters, None);
        }
        let mut counts = vec![0usize; emitters];
        for &e in &view.emitters {
            counts[e as usize] += 1;
        }
        let active = counts.iter().filter(|&&c| c > 0).count().max(1);
        let share = (self.opts.max_particles / active).max(1);
        let mut shots: Vec<ParticleShot> = counts
            .iter()
            .enumerate()
            .map(|(emitter, &c)| ParticleShot {
                frame: frame.index,
                emitter,
                positions: Vec::with_capacity(c.min(share)),
                sizes: Vec::with_capacity(c.min(share)),
            })
            .collect();
        let mut seen = vec![0usize; emitters];
        for (i, &e) in view.emitters.iter().enumerate() {
            let e = e as usize;
            let stride = counts[e].div_ceil(share);
            let k = seen[e];
            seen[e] += 1;
            if k % stride != 0 {
                self.particles_left_out += 1;
                continue;
            }
            let p = view.positions[i];
            if !p.is_finite() {
                continue;
            }
            let size = view.sizes.get(i).copied().unwrap_or(0.05);
            shots[e].positions.push(p);
            shots[e].sizes.push(if size.is_finite() {
                size.max(0.0)
            } else {
                0.05
            });
            if self.emitter_colors[e].is_none() {
                self.emitter_colors[e] = view.colors.get(i).copied();
            }
        }
        self.particles
            .extend(shots.into_iter().filter(|s| !s.positions.is_empty()));
    }
}

fn uniform(s: Vec3) -> bool {
    let m = s.abs().max_element().max(1e-9);
    (s.x - s.y).abs() / m < 1e-4 && (s.y - s.z).abs() / m < 1e-4
}

/// Rotation of a node whose -Z looks from `from` towards `to`, Y up.
pub fn look_rotation(from: Vec3, to: Vec3) -> Quat {
    let forward = (to - from).try_normalize().unwrap_or(Vec3::NEG_Z);
    let up = if forward.y.abs() > 0.999 {
        Vec3::Z
    } else {
        Vec3::Y
    };
    let right = forward.cross(up).normalize();
    let up = right.cross(forward);
    Quat::from_mat3(&glam::Mat3::from_cols(right, up, -forward)).normalize()
}

/// Where a light's node sits and how it turns (lights shine down -Z).
fn light_pose(light: &crate::world::Light) -> (Vec3, Quat) {
    use crate::world::LightKind;
    match &light.kind {
        LightKind::Sun { .. } => {
            let d = light.sun_direction().unwrap_or(Vec3::NEG_Y);
            // A sun has no place; this one puts it where an editor shows it.
            (-d * 20.0, Quat::from_rotation_arc(Vec3::NEG_Z, d))
        }
        LightKind::Point { position, .. } => (*position, Quat::IDENTITY),
        LightKind::Spot {
            position, target, ..
        } => (*position, look_rotation(*position, *target)),
    }
}

impl FrameSink for Exporter {
    fn accept(&mut self, world: &World, frame: &Frame) -> Result<(), SinkError> {
        if self.frames == 0 {
            self.fps = world.settings.fps.max(1);
            self.fov = frame.camera.fov;
            self.first_lights = frame.lights.clone();
        }
        self.frames = frame.index + 1;
        if self.entities.len() < world.entities.len().min(frame.transforms.len()) {
            self.add_entities(world, frame);
        }
        for (i, track) in self.entities.iter_mut().enumerate() {
            let world_t = &frame.transforms[i];
            let t = match track.parent {
                Some(p) => world_t.relative_to(&frame.transforms[p]),
                None => *world_t,
            };
            let visible = frame.visible.get(i).copied().unwrap_or(true);
            track.ever_visible |= visible;
            let mut pose = Pose::of(&t);
            if !visible && track.leaf {
                pose.scale = Vec3::ZERO;
            }
            track.poses.push(frame.index, pose);
        }
        let cam = &frame.camera;
        self.camera.push(
            frame.index,
            (
                finite_or(cam.position, Vec3::ZERO),
                look_rotation(cam.position, cam.target),
            ),
        );
        for (i, light) in frame.lights.iter().enumerate() {
            if self.lights.len() <= i {
                self.lights.push(Samples::default());
            }
            let (p, r) = light_pose(light);
            self.lights[i].push(frame.index, (finite_or(p, Vec3::ZERO), finite_quat(r)));
        }
        self.sample_particles(frame);
        Ok(())
    }

    fn end(&mut self, world: &World, _last: Option<&Frame>) {
        self.built = self.document(world);
    }
}

/// What an export wrote.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ExportSummary {
    pub path: String,
    pub bytes: u64,
    pub nodes: usize,
    pub meshes: usize,
    pub animation_channels: usize,
    /// Seconds from the first frame to the last.
    pub duration: f32,
    pub particles_left_out: u64,
}

/// Writes `doc` to `path`: GLB unless the name ends in `.gltf`.
pub fn write(doc: &document::Document, path: &Path) -> std::io::Result<ExportSummary> {
    let gltf_json = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("gltf"));
    let bytes = if gltf_json {
        doc.to_gltf()
    } else {
        doc.to_glb()
    }
    .map_err(std::io::Error::other)?;
    crate::util::fsx::write_atomic(path, &bytes)?;
    Ok(doc.summary(path, bytes.len() as u64))
}
