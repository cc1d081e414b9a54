//! The renderer: GPU state that outlives frames (pipelines, targets, the
//! mesh cache, a ring of readback buffers) and the per-frame work of
//! turning a [`Frame`] into an image. The readback ring is in [`readback`],
//! the ID and depth pass in [`analysis`], the uniform block in
//! [`super::globals`].

mod analysis;
mod readback;

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Instant;

use super::camera::CameraRig;
use super::effects::{self, Effects};
use super::globals::{Globals, PostRaw};
use super::gpu::Gpu;
use super::lighting::lighting;
use super::meshes::MeshCache;
use super::options::{Antialiasing, RenderOptions};
use super::particles::{self, ParticleRaw};
use super::pipelines::{DEPTH_FORMAT, HDR_FORMAT, OUTPUT_FORMAT, Pipelines};
use super::scene::{self, DrawRun, ScenePlan};
use super::shadow;
use super::{RenderError, globals};
use crate::sim::Frame;
use crate::video::RgbaImage;
use crate::world::World;
use analysis::AnalysisTargets;
use readback::{Slot, padded_row, poisoned, readback_buffer};

/// A finished frame from the pipelined path.
#[derive(Debug, Clone)]
pub struct Rendered {
    /// `Frame::index` of the frame drawn.
    pub index: u64,
    pub image: RgbaImage,
    /// CPU time to prepare, encode and submit the frame, milliseconds.
    pub submit_ms: f64,
    /// Time spent waiting for the GPU and copying the pixels out.
    pub readback_ms: f64,
}

/// A vertex or instance buffer rewritten every frame, grown as needed.
struct FrameBuffer {
    buffer: wgpu::Buffer,
    label: &'static str,
}

impl FrameBuffer {
    fn new(device: &wgpu::Device, label: &'static str, size: u64) -> Self {
        FrameBuffer {
            buffer: device.create_buffer(&wgpu::BufferDescriptor {
                label: Some(label),
                size: size.max(256),
                usage: wgpu::BufferUsages::VERTEX | wgpu::BufferUsages::COPY_DST,
                mapped_at_creation: false,
            }),
            label,
        }
    }

    fn write(&mut self, gpu: &Gpu, bytes: &[u8]) {
        if bytes.len() as u64 > self.buffer.size() {
            let size = (bytes.len() as u64).next_power_of_two();
            *self = FrameBuffer::new(&gpu.device, self.label, size);
        }
        if !bytes.is_empty() {
            gpu.queue.write_buffer(&self.buffer, 0, bytes);
        }
    }
}

struct Targets {
    msaa_view: Option<wgpu::TextureView>,
    hdr_view: wgpu::TextureView,
    depth_view: wgpu::TextureView,
    output: wgpu::Texture,
    output_view: wgpu::TextureView,
    shadow_view: wgpu::TextureView,
}

fn texture(
    device: &wgpu::Device,
    label: &str,
    size: (u32, u32),
    format: wgpu::TextureFormat,
    samples: u32,
    usage: wgpu::TextureUsages,
) -> wgpu::Texture {
    device.create_texture(&wgpu::TextureDescriptor {
        label: Some(label),
        size: wgpu::Extent3d {
            width: size.0,
            height: size.1,
            depth_or_array_layers: 1,
        },
        mip_level_count: 1,
        sample_count: samples,
        dimension: wgpu::TextureDimension::D2,
        format,
        usage,
        view_formats: &[],
    })
}

fn view(t: &wgpu::Texture) -> wgpu::TextureView {
    t.create_view(&wgpu::TextureViewDescriptor::default())
}

impl Targets {
    fn new(device: &wgpu::Device, w: u32, h: u32, msaa: u32, shadow: u32) -> Targets {
        use wgpu::TextureUsages as U;
        let msaa_view = (msaa > 1).then(|| {
            view(&texture(
                device,
                "hdr msaa",
                (w, h),
                HDR_FORMAT,
                msaa,
                U::RENDER_ATTACHMENT,
            ))
        });
        let hdr = texture(
            device,
            "hdr",
            (w, h),
            HDR_FORMAT,
            1,
            U::RENDER_ATTACHMENT | U::TEXTURE_BINDING,
        );
        // Ambient occlusion reads the camera pass's depth.
        let depth = texture(
            device,
            "depth",
            (w, h),
            DEPTH_FORMAT,
            msaa,
            U::RENDER_ATTACHMENT | U::TEXTURE_BINDING,
        );
        let output = texture(
            device,
            "output",
            (w, h),
            OUTPUT_FORMAT,
            1,
            U::RENDER_ATTACHMENT | U::COPY_SRC,
        );
        let shadow = texture(
            device,
            "shadow map",
            (shadow, shadow),
            DEPTH_FORMAT,
            1,
            U::RENDER_ATTACHMENT | U::TEXTURE_BINDING,
        );
        Targets {
            msaa_view,
            hdr_view: view(&hdr),
            depth_view: view(&depth),
            output_view: view(&output),
            output,
            shadow_view: view(&shadow),
        }
    }
}

/// Draws frames headless. Holds no reference to any world: each call reads
/// the world's static geometry (cached per entity) and the frame.
pub struct Renderer {
    gpu: Gpu,
    opts: RenderOptions,
    msaa: u32,
    /// Smooth edges in the tone-mapping pass (where MSAA is off or too
    /// costly).
    edge_filter: bool,
    pipelines: Pipelines,
    meshes: MeshCache,
    targets: Targets,
    globals_buf: wgpu::Buffer,
    post_buf: wgpu::Buffer,
    instances: FrameBuffer,
    particles: FrameBuffer,
    scene_bg: wgpu::BindGroup,
    globals_bg: wgpu::BindGroup,
    post_bg: wgpu::BindGroup,
    ring: Vec<Slot>,
    /// Ring slots in flight, oldest first.
    pending: VecDeque<usize>,
    next_slot: usize,
    analysis: Option<AnalysisTargets>,
    particle_scratch: Vec<ParticleRaw>,
    liquid: super::liquid::LiquidRenderer,
    /// Ambient occlusion and bloom; `None` at draft quality.
    effects: Option<Effects>,
}

impl Renderer {
    pub fn new(opts: &RenderOptions) -> Result<Renderer, RenderError> {
        opts.validate()?;
        let gpu = Gpu::new(opts)?;
        let max = gpu.device.limits().max_texture_dimension_2d;
        if opts.width > max || opts.height > max {
            return Err(RenderError::Options(format!(
                "{}x{} is larger than this adapter's limit of {max}",
                opts.width, opts.height
            )));
        }
        let software = gpu.info.device_type == wgpu::DeviceType::Cpu;
        let (msaa, edge_filter) = match opts.quality.antialiasing(software) {
            Antialiasing::None => (1, false),
            Antialiasing::EdgeFilter => (1, true),
            Antialiasing::Msaa(n) => {
                let got = gpu
                    .sample_count(HDR_FORMAT, n)
                    .min(gpu.sample_count(DEPTH_FORMAT, n));
                // An adapter without multisampling still gets smooth edges.
                (got, got < 2)
            }
        };
        let shadow_size = opts.quality.shadow_size().min(max);
        let device = &gpu.device;
        let scope = device.push_error_scope(wgpu::ErrorFilter::Validation);
        let pipelines = Pipelines::new(device, msaa);
        let targets = Targets::new(device, opts.width, opts.height, msaa, shadow_size);
        let uniform = |label: &str, size: usize| {
            device.create_buffer(&wgpu::BufferDescriptor {
                label: Some(label),
                size: size as u64,
                usage: wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
                mapped_at_creation: false,
            })
        };
        let globals_buf = uniform("globals", std::mem::size_of::<Globals>());
        let post_buf = uniform("post", std::mem::size_of::<PostRaw>());
        let shadow_sampler = device.create_sampler(&wgpu::SamplerDescriptor {
            label: Some("shadow"),
            address_mode_u: wgpu::AddressMode::ClampToEdge,
            address_mode_v: wgpu::AddressMode::ClampToEdge,
            mag_filter: wgpu::FilterMode::Linear,
            min_filter: wgpu::FilterMode::Linear,
            compare: Some(wgpu::CompareFunction::LessEqual),
            ..Default::default()
        });
        let scene_bg = device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some("scene"),
            layout: &pipelines.scene_layout,
            entries: &[
                wgpu::BindGroupEntry {
                    binding: 0,
                    resource: globals_buf.as_entire_binding(),
                },
                wgpu::BindGroupEntry {
                    binding: 1,
                    resource: wgpu::BindingResource::TextureView(&targets.shadow_view),
                },
                wgpu::BindGroupEntry {
                    binding: 2,
                    resource: wgpu::BindingResource::Sampler(&shadow_sampler),
                },
            ],
        });
        let globals_bg = device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some("globals"),
            layout: &pipelines.globals_layout,
            entries: &[wgpu::BindGroupEntry {
                binding: 0,
                resource: globals_buf.as_entire_binding(),
            }],
        });
        let hdr_sampler = device.create_sampler(&wgpu::SamplerDescriptor {
            label: Some("hdr"),
            mag_filter: wgpu::FilterMode::Linear,
            min_filter: wgpu::FilterMode::Linear,
            ..Default::default()
        });
        let effects = (opts.quality.occlusion_taps() > 0 || opts.quality.bloom()).then(|| {
            Effects::new(
                device,
                &effects::Inputs {
                    globals: &globals_buf,
                    hdr: &targets.hdr_view,
                    depth: &targets.depth_view,
                    msaa,
                    size: (opts.width, opts.height),
                    occlusion_taps: opts.quality.occlusion_taps(),
                    bloom: opts.quality.bloom(),
                },
            )
        });
        let tone_source = effects.as_ref().map_or(&targets.hdr_view, |e| &e.lit_view);
        let post_bg = device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some("post"),
            layout: &pipelines.post_layout,
            entries: &[
                wgpu::BindGroupEntry {
                    binding: 0,
                    resource: wgpu::BindingResource::TextureView(tone_source),
                },
                wgpu::BindGroupEntry {
                    binding: 1,
                    resource: post_buf.as_entire_binding(),
                },
                wgpu::BindGroupEntry {
                    binding: 2,
                    resource: wgpu::BindingResource::Sampler(&hdr_sampler),
                },
            ],
        });
        let row = padded_row(opts.width, 4) as u64;
        let ring = (0..opts.frames_in_flight.clamp(1, 16))
            .map(|_| Slot {
                buffer: readback_buffer(device, "frame readback", row * opts.height as u64),
                mapped: Arc::default(),
                submission: None,
                index: 0,
                submit_ms: 0.0,
            })
            .collect();
        let instances = FrameBuffer::new(device, "instances", 1 << 16);
        let particles = FrameBuffer::new(device, "particles", 1 << 16);
        if let Some(e) = pollster::block_on(scope.pop()) {
            return Err(RenderError::Device(format!(
                "{}: setting up the pipelines failed: {e}",
                gpu.describe()
            )));
        }
        gpu.take_error().map_err(|e| match e {
            RenderError::Gpu(m) => RenderError::Device(m),
            other => other,
        })?;
        Ok(Renderer {
            gpu,
            opts: opts.clone(),
            msaa,
            edge_filter,
            pipelines,
            meshes: MeshCache::default(),
            targets,
            globals_buf,
            post_buf,
            instances,
            particles,
            scene_bg,
            globals_bg,
            post_bg,
            ring,
            pending: VecDeque::new(),
            next_slot: 0,
            analysis: None,
            particle_scratch: Vec::new(),
            liquid: Default::default(),
            effects,
        })
    }

    /// The adapter in use, e.g. "llvmpipe (LLVM 15.0.6, 256 bits) (Vulkan,
    /// software, ...)".
    pub fn adapter_info(&self) -> String {
        self.gpu.describe()
    }

    /// Whether the adapter is a software rasteriser.
    pub fn is_software(&self) -> bool {
        self.gpu.info.device_type == wgpu::DeviceType::Cpu
    }

    pub fn options(&self) -> &RenderOptions {
        &self.opts
    }

    /// MSAA samples actually used (the adapter may support fewer than asked).
    pub fn msaa_samples(&self) -> u32 {
        self.msaa
    }

    /// Whether the tone-mapping pass smooths edges.
    pub fn edge_filter(&self) -> bool {
        self.edge_filter
    }

    /// Frames submitted and not yet returned.
    pub fn in_flight(&self) -> usize {
        self.pending.len()
    }

    /// Forgets all uploaded meshes (e.g. before switching to another world
    /// to free memory; switching without it also works).
    pub fn clear_cache(&mut self) {
        self.meshes.clear();
    }

    /// Renders one frame and waits for its pixels.
    pub fn render(&mut self, world: &World, frame: &Frame) -> Result<RgbaImage, RenderError> {
        if !self.pending.is_empty() {
            return Err(RenderError::Busy);
        }
        self.submit(world, frame)?;
        let mut done = self.flush()?;
        done.pop()
            .map(|r| r.image)
            .ok_or_else(|| RenderError::Gpu("the submitted frame was lost".into()))
    }

    /// Queues a frame without waiting for it. When the ring of
    /// `frames_in_flight` readback buffers is full, the oldest frame is
    /// finished first and returned, so a loop of `submit` calls yields the
    /// frames in order, a few frames behind; [`Renderer::flush`] returns the
    /// rest.
    pub fn submit(
        &mut self,
        world: &World,
        frame: &Frame,
    ) -> Result<Option<Rendered>, RenderError> {
        let slot = self.next_slot;
        let done = if self.ring[slot].submission.is_some() {
            // The ring is full: the slot we need holds the oldest frame.
            Some(self.collect_oldest()?)
        } else {
            None
        };
        let start = Instant::now();
        let mut encoder = self.encode_frame(world, frame)?;
        let (w, h) = (self.opts.width, self.opts.height);
        encoder.copy_texture_to_buffer(
            wgpu::TexelCopyTextureInfo {
                texture: &self.targets.output,
                mip_level: 0,
                origin: wgpu::Origin3d::ZERO,
                aspect: wgpu::TextureAspect::All,
            },
            wgpu::TexelCopyBufferInfo {
                buffer: &self.ring[slot].buffer,
                layout: wgpu::TexelCopyBufferLayout {
                    offset: 0,
                    bytes_per_row: Some(padded_row(w, 4)),
                    rows_per_image: Some(h),
                },
            },
            wgpu::Extent3d {
                width: w,
                height: h,
                depth_or_array_layers: 1,
            },
        );
        let submission = self.gpu.queue.submit([encoder.finish()]);
        let s = &mut self.ring[slot];
        let mapped = s.mapped.clone();
        *mapped.lock().map_err(|_| poisoned())? = None;
        s.buffer.slice(..).map_async(wgpu::MapMode::Read, move |r| {
            if let Ok(mut m) = mapped.lock() {
                *m = Some(r);
            }
        });
        s.submission = Some(submission);
        s.index = frame.index;
        s.submit_ms = start.elapsed().as_secs_f64() * 1000.0;
        self.pending.push_back(slot);
        self.next_slot = (slot + 1) % self.ring.len();
        // Errors from encoding show up here, before anyone waits.
        if let Err(e) = self.gpu.take_error() {
            self.abandon();
            return Err(e);
        }
        Ok(done)
    }

    /// Prepares everything the camera pass needs and uploads it: meshes,
    /// the scene plan, the globals.
    fn prepare(
        &mut self,
        world: &World,
        frame: &Frame,
        with_shadows: bool,
    ) -> (ScenePlan, CameraRig, bool) {
        let mut refs = self.meshes.sync(&self.gpu.device, world).to_vec();
        self.meshes
            .deform
            .update(&self.gpu.device, &self.gpu.queue, frame, &mut refs);
        let cam = CameraRig::new(&frame.camera, self.opts.width, self.opts.height);
        let light = lighting(&frame.environment, &frame.lights, cam.position);
        let mut plan = scene::plan(world, frame, &refs, &cam);
        let fit = match (light.key, plan.scene_bounds) {
            (Some(key), Some(bounds))
                if with_shadows && key.shadows && key.irradiance.max_element() > 0.0 =>
            {
                shadow::fit(
                    &cam,
                    key.to_light,
                    bounds,
                    plan.focus_bounds,
                    self.opts.quality.shadow_size(),
                )
            }
            _ => None,
        };
        if let Some(f) = &fit {
            plan.add_shadow_casters(&f.view_proj);
        }
        self.liquid
            .prepare(&self.gpu, world, frame, &mut plan.instances);
        let g = globals::build(frame, &cam, &light, fit.as_ref(), &self.opts);
        self.gpu
            .queue
            .write_buffer(&self.globals_buf, 0, bytemuck::bytes_of(&g));
        self.gpu.queue.write_buffer(
            &self.post_buf,
            0,
            bytemuck::bytes_of(&PostRaw {
                params: [
                    light.exposure,
                    if self.edge_filter { 1.0 } else { 0.0 },
                    1.0 / self.opts.width as f32,
                    1.0 / self.opts.height as f32,
                ],
            }),
        );
        if let Some(e) = &mut self.effects {
            let bright =
                effects::has_bright_light(world, frame, &cam, light.sky.sun_disc, light.exposure);
            e.prepare(&self.gpu.queue, light.exposure, bright);
        }
        self.instances
            .write(&self.gpu, bytemuck::cast_slice(&plan.instances));
        (plan, cam, fit.is_some())
    }

    fn draw_runs(&self, pass: &mut wgpu::RenderPass<'_>, runs: &[DrawRun]) {
        for r in runs {
            let Some(mesh) = self.meshes.get(r.mesh) else {
                continue;
            };
            pass.set_vertex_buffer(0, mesh.vertices.slice(..));
            pass.set_index_buffer(mesh.indices.slice(..), wgpu::IndexFormat::Uint32);
            pass.draw_indexed(0..mesh.index_count, 0, r.first..r.first + r.count);
        }
    }

    /// Draws runs, switching between pipelines: `pick` chooses by the
    /// run's back-face culling and `pipelines` are [plain, surface] pairs
    /// for each choice.
    fn draw_mesh_runs(
        &self,
        pass: &mut wgpu::RenderPass<'_>,
        runs: &[DrawRun],
        pick: impl Fn(bool) -> usize,
        pipelines: &[&wgpu::RenderPipeline; 4],
    ) {
        let mut current: Option<usize> = None;
        for r in runs {
            let which = pick(r.cull) * 2 + r.surface as usize;
            if current != Some(which) {
                pass.set_pipeline(pipelines[which]);
                current = Some(which);
            }
            self.draw_runs(pass, std::slice::from_ref(r));
        }
    }

    fn encode_frame(
        &mut self,
        world: &World,
        frame: &Frame,
    ) -> Result<wgpu::CommandEncoder, RenderError> {
        let (plan, cam, shadows) = self.prepare(world, frame, true);
        particles::plan(world, &frame.particles, &cam, &mut self.particle_scratch);
        let particle_bytes: Vec<u8> = bytemuck::cast_slice(&self.particle_scratch).to_vec();
        self.particles.write(&self.gpu, &particle_bytes);
        let particle_count = self.particle_scratch.len() as u32;

        let mut encoder = self
            .gpu
            .device
            .create_command_encoder(&wgpu::CommandEncoderDescriptor {
                label: Some("frame"),
            });
        {
            let mut pass = encoder.begin_render_pass(&wgpu::RenderPassDescriptor {
                label: Some("shadow"),
                color_attachments: &[],
                depth_stencil_attachment: Some(wgpu::RenderPassDepthStencilAttachment {
                    view: &self.targets.shadow_view,
                    depth_ops: Some(wgpu::Operations {
                        load: wgpu::LoadOp::Clear(1.0),
                        store: wgpu::StoreOp::Store,
                    }),
                    stencil_ops: None,
                }),
                ..Default::default()
            });
            if shadows && !plan.shadow.is_empty() {
                pass.set_bind_group(0, &self.globals_bg, &[]);
                pass.set_vertex_buffer(1, self.instances.buffer.slice(..));
                let [plain, surface] = &self.pipelines.shadow;
                let pipes = [plain, surface, plain, surface];
                self.draw_mesh_runs(&mut pass, &plan.shadow, |_| 0, &pipes);
            }
            if shadows {
                pass.set_pipeline(&self.pipelines.shadow[0]);
                pass.set_bind_group(0, &self.globals_bg, &[]);
                pass.set_vertex_buffer(1, self.instances.buffer.slice(..));
                self.liquid.draw_grains(&mut pass);
            }
        }
        {
            let (view, resolve) = match &self.targets.msaa_view {
                Some(m) => (m, Some(&self.targets.hdr_view)),
                None => (&self.targets.hdr_view, None),
            };
            let mut pass = encoder.begin_render_pass(&wgpu::RenderPassDescriptor {
                label: Some("camera"),
                color_attachments: &[Some(wgpu::RenderPassColorAttachment {
                    view,
                    depth_slice: None,
                    resolve_target: resolve,
                    ops: wgpu::Operations {
                        load: wgpu::LoadOp::Clear(wgpu::Color::BLACK),
                        store: if resolve.is_some() {
                            wgpu::StoreOp::Discard
                        } else {
                            wgpu::StoreOp::Store
                        },
                    },
                })],
                depth_stencil_attachment: Some(wgpu::RenderPassDepthStencilAttachment {
                    view: &self.targets.depth_view,
                    depth_ops: Some(wgpu::Operations {
                        load: wgpu::LoadOp::Clear(0.0),
                        store: if self.effects.is_some() {
                            wgpu::StoreOp::Store
                        } else {
                            wgpu::StoreOp::Discard
                        },
                    }),
                    stencil_ops: None,
                }),
                ..Default::default()
            });
            pass.set_bind_group(0, &self.scene_bg, &[]);
            pass.set_vertex_buffer(1, self.instances.buffer.slice(..));
            let m = &self.pipelines.mesh;
            let opaque = [&m[0][0][0], &m[0][0][1], &m[1][0][0], &m[1][0][1]];
            self.draw_mesh_runs(&mut pass, &plan.opaque, |c| c as usize, &opaque);
            pass.set_pipeline(&m[1][0][0]);
            self.liquid.draw_grains(&mut pass);
            // The sky after opaque surfaces: only uncovered pixels run it.
            pass.set_pipeline(&self.pipelines.sky);
            pass.draw(0..3, 0..1);
            let transparent = [&m[0][1][0], &m[0][1][1], &m[1][1][0], &m[1][1][1]];
            pass.set_vertex_buffer(1, self.instances.buffer.slice(..));
            self.draw_mesh_runs(&mut pass, &plan.transparent, |c| c as usize, &transparent);
            if self.liquid.has_surfaces() {
                pass.set_pipeline(&m[0][1][0]);
                pass.set_vertex_buffer(1, self.instances.buffer.slice(..));
                self.liquid.draw_surfaces(&mut pass);
            }
            if particle_count > 0 {
                pass.set_pipeline(&self.pipelines.particles);
                pass.set_vertex_buffer(0, self.particles.buffer.slice(..));
                pass.draw(0..6, 0..particle_count);
            }
        }
        if let Some(e) = &self.effects {
            e.encode(&mut encoder);
        }
        {
            let mut pass = encoder.begin_render_pass(&wgpu::RenderPassDescriptor {
                label: Some("tone map"),
                color_attachments: &[Some(wgpu::RenderPassColorAttachment {
                    view: &self.targets.output_view,
                    depth_slice: None,
                    resolve_target: None,
                    ops: wgpu::Operations {
                        load: wgpu::LoadOp::Clear(wgpu::Color::BLACK),
                        store: wgpu::StoreOp::Store,
                    },
                })],
                ..Default::default()
            });
            pass.set_pipeline(&self.pipelines.post);
            pass.set_bind_group(0, &self.post_bg, &[]);
            pass.draw(0..3, 0..1);
        }
        Ok(encoder)
    }
}
