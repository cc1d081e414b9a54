//! Stage four: headless rendering with wgpu, on a GPU or on the CPU (Mesa
//! lavapipe).
//!
//! A [`Renderer`] reads one [`crate::sim::Frame`] plus the static geometry
//! of the [`crate::world::World`] and draws it into an sRGB [`RgbaImage`]. It
//! keeps its own state (pipelines, render targets, meshes uploaded once per
//! entity shape) and never holds on to the world: anything that changes per
//! frame (transforms, visibility, materials, lights, camera, environment,
//! particles, wind) is read from the frame.
//!
//! A frame goes through:
//! 1. planning on the CPU ([`scene`], [`particles`], [`lighting`],
//!    [`shadow`]): instances grouped by mesh, transparent entities sorted
//!    back to front, the sun's shadow map fitted to the visible scene;
//! 2. a shadow-map pass, then the camera pass into a linear HDR target
//!    (4x MSAA at default quality): opaque entities, the analytic sky
//!    behind them, transparent entities, particles;
//! 3. screen-space effects ([`effects`]): ambient occlusion from the depth
//!    buffer on the ambient share of each pixel, and bloom of bright light;
//! 4. tone mapping (ACES fit, exposure from the environment) into the
//!    sRGB output, copied into a readback buffer.
//!
//! [`Renderer::render`] does one frame and waits. For video,
//! [`Renderer::submit`] keeps several frames in flight on a ring of readback
//! buffers and hands back finished frames in order; [`Renderer::flush`]
//! drains the rest. [`Renderer::analyse`] renders entity ids and distances
//! per pixel for the critic ([`Analysis`]).
//!
//! The adapter is chosen by [`RenderOptions::adapter`], overridden by the
//! `C2W_ADAPTER` environment variable (auto, gpu, cpu, vulkan, gl).

pub mod atmosphere;
mod bounds;
mod camera;
mod deform;
mod effects;
mod error;
mod globals;
mod gpu;
mod image;
pub mod lighting;
pub mod liquid;
mod meshes;
mod options;
pub mod particles;
mod pipelines;
mod renderer;
pub mod scene;
pub mod shadow;
mod thinning;

pub use crate::video::RgbaImage;
pub use bounds::Aabb;
pub use error::RenderError;
pub use image::Analysis;
// Shared with the glTF exporter, so both draw the same triangles.
pub use meshes::{ShapeKey, Vertex, clean, is_closed, shape_key};
pub use options::{
    ADAPTER_ENV, AdapterChoice, Antialiasing, MAX_SIDE, Quality, RenderOptions, parse_size,
};
pub use renderer::{Rendered, Renderer};
