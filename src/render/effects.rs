//! Screen-space effects between the camera pass and tone mapping: ambient
//! occlusion from the depth buffer, bloom of the light above a threshold,
//! and the composite that applies both into the image tone mapping reads.
//!
//! Occlusion dims only the ambient share of a pixel (the opaque pass
//! writes that share in the HDR image's alpha): shadowed contact areas and
//! creases darken, sunlit faces keep their light. Bloom works on a chain of
//! half-size images, four levels deep, so glow spreads wide at little cost.
//! Drafts skip all of it ([`super::Quality::occlusion_taps`]).

use super::pipelines::HDR_FORMAT;

const COMMON: &str = include_str!("shaders/common.wgsl");
const FULLSCREEN: &str = include_str!("shaders/fullscreen.wgsl");
const AO: &str = include_str!("shaders/ao.wgsl");
const BLOOM: &str = include_str!("shaders/bloom.wgsl");

/// Visibility and distance per pixel.
const OCCLUSION_FORMAT: wgpu::TextureFormat = wgpu::TextureFormat::Rg16Float;
const BLOOM_LEVELS: usize = 4;
/// Exposed luminance above which light blooms (1 is the tone curve's
/// shoulder).
const BLOOM_THRESHOLD: f32 = 1.0;
/// Share of the blurred bright light added back.
const BLOOM_STRENGTH: f32 = 0.08;

#[repr(C)]
#[derive(Debug, Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct ParamsRaw {
    params: [f32; 4],
}

/// What the camera pass hands over.
pub struct Inputs<'a> {
    pub globals: &'a wgpu::Buffer,
    pub hdr: &'a wgpu::TextureView,
    pub depth: &'a wgpu::TextureView,
    /// Samples of the depth buffer.
    pub msaa: u32,
    pub size: (u32, u32),
    /// Depth samples per pixel of ambient occlusion (0: none).
    pub occlusion_taps: u32,
    pub bloom: bool,
}

struct Level {
    view: wgpu::TextureView,
    /// Binds the previous (larger) level, or the HDR image, as the source.
    down: wgpu::BindGroup,
    /// Binds the next (smaller) level as the source; `None` on the last.
    up: Option<wgpu::BindGroup>,
}

pub struct Effects {
    occlusion: wgpu::RenderPipeline,
    occlusion_bg: wgpu::BindGroup,
    /// Raw and blurred occlusion, at half resolution.
    occlusion_view: wgpu::TextureView,
    blur: wgpu::RenderPipeline,
    blur_bg: wgpu::BindGroup,
    blurred_view: wgpu::TextureView,
    down: wgpu::RenderPipeline,
    up: wgpu::RenderPipeline,
    levels: Vec<Level>,
    first_level: wgpu::Buffer,
    composite: wgpu::RenderPipeline,
    composite_bg: wgpu::BindGroup,
    composite_buf: wgpu::Buffer,
    /// What tone mapping reads instead of the raw HDR image.
    pub lit_view: wgpu::TextureView,
    occlusion_on: bool,
    bloom: bool,
    /// Bloom this frame: on, and something bright in it.
    bloom_now: bool,
}

fn target(
    device: &wgpu::Device,
    label: &str,
    size: (u32, u32),
    format: wgpu::TextureFormat,
) -> wgpu::TextureView {
    device
        .create_texture(&wgpu::TextureDescriptor {
            label: Some(label),
            size: wgpu::Extent3d {
                width: size.0.max(1),
                height: size.1.max(1),
                depth_or_array_layers: 1,
            },
            mip_level_count: 1,
            sample_count: 1,
            dimension: wgpu::TextureDimension::D2,
            format,
            usage: wgpu::TextureUsages::RENDER_ATTACHMENT | wgpu::TextureUsages::TEXTURE_BINDING,
            view_formats: &[],
        })
        .create_view(&wgpu::TextureViewDescriptor::default())
}

fn texture_entry(
    binding: u32,
    sample_type: wgpu::TextureSampleType,
    ms: bool,
) -> wgpu::BindGroupLayoutEntry {
    wgpu::BindGroupLayoutEntry {
        binding,
        visibility: wgpu::ShaderStages::FRAGMENT,
        ty: wgpu::BindingType::Texture {
            sample_type,
            view_dimension: wgpu::TextureViewDimension::D2,
            multisampled: ms,
        },
        count: None,
    }
}

fn uniform_entry(binding: u32) -> wgpu::BindGroupLayoutEntry {
    wgpu::BindGroupLayoutEntry {
        binding,
        visibility: wgpu::ShaderStages::FRAGMENT,
        ty: wgpu::BindingType::Buffer {
            ty: wgpu::BufferBindingType::Uniform,
            has_dynamic_offset: false,
            min_binding_size: None,
        },
        count: None,
    }
}

fn sampler_entry(binding: u32) -> wgpu::BindGroupLayoutEntry {
    wgpu::BindGroupLayoutEntry {
        binding,
        visibility: wgpu::ShaderStages::FRAGMENT,
        ty: wgpu::BindingType::Sampler(wgpu::SamplerBindingType::Filtering),
        count: None,
    }
}

fn uniform(device: &wgpu::Device, label: &str, params: [f32; 4]) -> wgpu::Buffer {
    use wgpu::util::DeviceExt;
    device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
        label: Some(label),
        contents: bytemuck::bytes_of(&ParamsRaw { params }),
        usage: wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
    })
}

fn fullscreen_pipeline(
    device: &wgpu::Device,
    label: &str,
    module: &wgpu::ShaderModule,
    layout: &wgpu::BindGroupLayout,
    entry: &str,
    format: wgpu::TextureFormat,
    blend: Option<wgpu::BlendState>,
) -> wgpu::RenderPipeline {
    let pl = device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
        label: Some(label),
        bind_group_layouts: &[Some(layout)],
        immediate_size: 0,
    });
    device.create_render_pipeline(&wgpu::RenderPipelineDescriptor {
        label: Some(label),
        layout: Some(&pl),
        vertex: wgpu::VertexState {
            module,
            entry_point: Some("vs_full"),
            compilation_options: Default::default(),
            buffers: &[],
        },
        primitive: wgpu::PrimitiveState::default(),
        depth_stencil: None,
        multisample: wgpu::MultisampleState::default(),
        fragment: Some(wgpu::FragmentState {
            module,
            entry_point: Some(entry),
            compilation_options: Default::default(),
            targets: &[Some(wgpu::ColorTargetState {
                format,
                blend,
                write_mask: wgpu::ColorWrites::ALL,
            })],
        }),
        multiview_mask: None,
        cache: None,
    })
}

const ADD: wgpu::BlendState = wgpu::BlendState {
    color: wgpu::BlendComponent {
        src_factor: wgpu::BlendFactor::One,
        dst_factor: wgpu::BlendFactor::One,
        operation: wgpu::BlendOperation::Add,
    },
    alpha: wgpu::BlendComponent::REPLACE,
};

impl Effects {
    pub fn new(device: &wgpu::Device, input: &Inputs<'_>) -> Effects {
        let ms = input.msaa > 1;
        let depth_type = if ms {
            "texture_depth_multisampled_2d"
        } else {
            "texture_depth_2d"
        };
        let ao_source = [COMMON, FULLSCREEN, AO]
            .concat()
            .replace("DEPTH_TEXTURE", depth_type);
        let ao_module = device.create_shader_module(wgpu::ShaderModuleDescriptor {
            label: Some("ambient occlusion"),
            source: wgpu::ShaderSource::Wgsl(ao_source.into()),
        });
        let bloom_module = device.create_shader_module(wgpu::ShaderModuleDescriptor {
            label: Some("bloom"),
            source: wgpu::ShaderSource::Wgsl([FULLSCREEN, BLOOM].concat().into()),
        });
        let ao_layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
            label: Some("ambient occlusion"),
            entries: &[
                uniform_entry(0),
                texture_entry(1, wgpu::TextureSampleType::Depth, ms),
            ],
        });
        let float = wgpu::TextureSampleType::Float { filterable: true };
        let blur_layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
            label: Some("occlusion blur"),
            entries: &[texture_entry(2, float, false)],
        });
        let bloom_layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
            label: Some("bloom"),
            entries: &[
                texture_entry(0, float, false),
                sampler_entry(1),
                uniform_entry(2),
            ],
        });
        let composite_layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
            label: Some("composite"),
            entries: &[
                texture_entry(0, float, false),
                sampler_entry(1),
                texture_entry(3, float, false),
                texture_entry(4, float, false),
                uniform_entry(5),
            ],
        });
        let occlusion = fullscreen_pipeline(
            device,
            "ambient occlusion",
            &ao_module,
            &ao_layout,
            "fs_ao",
            OCCLUSION_FORMAT,
            None,
        );
        let blur = fullscreen_pipeline(
            device,
            "occlusion blur",
            &ao_module,
            &blur_layout,
            "fs_ao_blur",
            OCCLUSION_FORMAT,
            None,
        );
        let down = fullscreen_pipeline(
            device,
            "bloom down",
            &bloom_module,
            &bloom_layout,
            "fs_bloom_down",
            HDR_FORMAT,
            None,
        );
        let up = fullscreen_pipeline(
            device,
            "bloom up",
            &bloom_module,
            &bloom_layout,
            "fs_bloom_up",
            HDR_FORMAT,
            Some(ADD),
        );
        let composite = fullscreen_pipeline(
            device,
            "composite",
            &bloom_module,
            &composite_layout,
            "fs_composite",
            HDR_FORMAT,
            None,
        );

        // Half resolution: occlusion is soft, and a quarter of the pixels
        // is most of its cost on a software rasteriser.
        let half = ((input.size.0 / 2).max(1), (input.size.1 / 2).max(1));
        let occlusion_view = target(device, "occlusion", half, OCCLUSION_FORMAT);
        let blurred_view = target(device, "occlusion blurred", half, OCCLUSION_FORMAT);
        let blur_bg = device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some("occlusion blur"),
            layout: &blur_layout,
            entries: &[wgpu::BindGroupEntry {
                binding: 2,
                resource: wgpu::BindingResource::TextureView(&occlusion_view),
            }],
        });
        let occlusion_bg = device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some("ambient occlusion"),
            layout: &ao_layout,
            entries: &[
                wgpu::BindGroupEntry {
                    binding: 0,
                    resource: input.globals.as_entire_binding(),
                },
                wgpu::BindGroupEntry {
                    binding: 1,
                    resource: wgpu::BindingResource::TextureView(input.depth),
                },
            ],
        });
        let sampler = device.create_sampler(&wgpu::SamplerDescriptor {
            label: Some("bloom"),
            address_mode_u: wgpu::AddressMode::ClampToEdge,
            address_mode_v: wgpu::AddressMode::ClampToEdge,
            mag_filter: wgpu::FilterMode::Linear,
            min_filter: wgpu::FilterMode::Linear,
            ..Default::default()
        });
        let first_level = uniform(
            device,
            "bloom first level",
            [1.0, BLOOM_THRESHOLD, 1.0, 0.0],
        );
        let later_levels = uniform(
            device,
            "bloom later levels",
            [1.0, BLOOM_THRESHOLD, 0.0, 0.0],
        );
        let bloom_bg = |src: &wgpu::TextureView, params: &wgpu::Buffer| {
            device.create_bind_group(&wgpu::BindGroupDescriptor {
                label: Some("bloom"),
                layout: &bloom_layout,
                entries: &[
                    wgpu::BindGroupEntry {
                        binding: 0,
                        resource: wgpu::BindingResource::TextureView(src),
                    },
                    wgpu::BindGroupEntry {
                        binding: 1,
                        resource: wgpu::BindingResource::Sampler(&sampler),
                    },
                    wgpu::BindGroupEntry {
                        binding: 2,
                        resource: params.as_entire_binding(),
                    },
                ],
            })
        };
        let views: Vec<wgpu::TextureView> = (1..=BLOOM_LEVELS as u32)
            .map(|k| {
                let size = ((input.size.0 >> k).max(1), (input.size.1 >> k).max(1));
                target(device, "bloom level", size, HDR_FORMAT)
            })
            .collect();
        let levels = (0..BLOOM_LEVELS)
            .map(|k| Level {
                down: if k == 0 {
                    bloom_bg(input.hdr, &first_level)
                } else {
                    bloom_bg(&views[k - 1], &later_levels)
                },
                up: (k + 1 < BLOOM_LEVELS).then(|| bloom_bg(&views[k + 1], &later_levels)),
                view: views[k].clone(),
            })
            .collect::<Vec<_>>();
        let lit_view = target(device, "lit", input.size, HDR_FORMAT);
        let composite_buf = uniform(device, "composite", [1.0, 0.0, 1.0, 0.0]);
        let composite_bg = device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some("composite"),
            layout: &composite_layout,
            entries: &[
                wgpu::BindGroupEntry {
                    binding: 0,
                    resource: wgpu::BindingResource::TextureView(&levels[0].view),
                },
                wgpu::BindGroupEntry {
                    binding: 1,
                    resource: wgpu::BindingResource::Sampler(&sampler),
                },
                wgpu::BindGroupEntry {
                    binding: 3,
                    resource: wgpu::BindingResource::TextureView(input.hdr),
                },
                wgpu::BindGroupEntry {
                    binding: 4,
                    resource: wgpu::BindingResource::TextureView(&blurred_view),
                },
                wgpu::BindGroupEntry {
                    binding: 5,
                    resource: composite_buf.as_entire_binding(),
                },
            ],
        });
        Effects {
            occlusion,
            occlusion_bg,
            occlusion_view,
            blur,
            blur_bg,
            blurred_view,
            down,
            up,
            levels,
            first_level,
            composite,
            composite_bg,
            composite_buf,
            lit_view,
            occlusion_on: input.occlusion_taps > 0,
            bloom: input.bloom,
            bloom_now: input.bloom,
        }
    }

    /// Sets this frame's exposure (bloom's threshold is on exposed light)
    /// and whether anything in it is bright enough to bloom.
    pub fn prepare(&mut self, queue: &wgpu::Queue, exposure: f32, bright: bool) {
        self.bloom_now = self.bloom && bright;
        let exposure = if exposure.is_finite() && exposure > 0.0 {
            exposure
        } else {
            1.0
        };
        queue.write_buffer(
            &self.first_level,
            0,
            bytemuck::bytes_of(&ParamsRaw {
                params: [exposure, BLOOM_THRESHOLD, 1.0, 0.0],
            }),
        );
        let strength = if self.bloom_now { BLOOM_STRENGTH } else { 0.0 };
        queue.write_buffer(
            &self.composite_buf,
            0,
            bytemuck::bytes_of(&ParamsRaw {
                params: [
                    if self.occlusion_on { 1.0 } else { 0.0 },
                    strength,
                    1.0 / exposure,
                    0.0,
                ],
            }),
        );
    }

    /// Records the occlusion, bloom and composite passes; the camera pass
    /// must have stored its depth.
    pub fn encode(&self, encoder: &mut wgpu::CommandEncoder) {
        if self.occlusion_on {
            fullscreen(
                encoder,
                "ambient occlusion",
                &self.occlusion_view,
                true,
                |pass| {
                    pass.set_pipeline(&self.occlusion);
                    pass.set_bind_group(0, &self.occlusion_bg, &[]);
                },
            );
            fullscreen(
                encoder,
                "occlusion blur",
                &self.blurred_view,
                true,
                |pass| {
                    pass.set_pipeline(&self.blur);
                    pass.set_bind_group(0, &self.blur_bg, &[]);
                },
            );
        }
        if self.bloom_now {
            for level in &self.levels {
                fullscreen(encoder, "bloom down", &level.view, true, |pass| {
                    pass.set_pipeline(&self.down);
                    pass.set_bind_group(0, &level.down, &[]);
                });
            }
            for level in self.levels.iter().rev() {
                if let Some(up) = &level.up {
                    fullscreen(encoder, "bloom up", &level.view, false, |pass| {
                        pass.set_pipeline(&self.up);
                        pass.set_bind_group(0, up, &[]);
                    });
                }
            }
        }
        fullscreen(encoder, "composite", &self.lit_view, true, |pass| {
            pass.set_pipeline(&self.composite);
            pass.set_bind_group(0, &self.composite_bg, &[]);
        });
    }
}

/// One full-screen triangle into `view`, cleared first or blended onto it.
fn fullscreen(
    encoder: &mut wgpu::CommandEncoder,
    label: &str,
    view: &wgpu::TextureView,
    clear: bool,
    bind: impl FnOnce(&mut wgpu::RenderPass<'_>),
) {
    let mut pass = encoder.begin_render_pass(&wgpu::RenderPassDescriptor {
        label: Some(label),
        color_attachments: &[Some(wgpu::RenderPassColorAttachment {
            view,
            depth_slice: None,
            resolve_target: None,
            ops: wgpu::Operations {
                load: if clear {
                    wgpu::LoadOp::Clear(wgpu::Color::BLACK)
                } else {
                    wgpu::LoadOp::Load
                },
                store: wgpu::StoreOp::Store,
            },
        })],
        ..Default::default()
    });
    bind(&mut pass);
    pass.draw(0..3, 0..1);
}

/// Whether a frame has light that can bloom: a visible glowing surface, a
/// glowing particle, or the sun's disc in view. Bloom's seven passes cost
/// about a twelfth of a software-rendered frame, and a daylit scene without
/// these has nothing above the threshold but the odd specular glint.
pub fn has_bright_light(
    world: &crate::world::World,
    frame: &crate::sim::Frame,
    cam: &super::camera::CameraRig,
    sun_disc: Option<(glam::Vec3, glam::Vec3)>,
    exposure: f32,
) -> bool {
    let bright = |radiance: f32| radiance * exposure > BLOOM_THRESHOLD * 0.5;
    let glowing_surface = frame
        .materials
        .iter()
        .zip(&frame.visible)
        .any(|(m, visible)| *visible && bright(m.emissive.max_element() * m.emissive_strength));
    let glowing_particle = frame
        .particles
        .stats
        .iter()
        .zip(&world.emitters)
        .any(|(live, em)| live.count > 0 && em.emissive > 0.0);
    let sun_in_view = sun_disc.is_some_and(|(dir, radiance)| {
        let ahead = dir.dot(cam.forward);
        // A margin past the frame's edge: the glow reaches in from outside.
        let reach_y = cam.tan_half_y * 1.3;
        ahead > 0.0
            && bright(radiance.max_element())
            && dir.dot(cam.right).abs() / ahead < reach_y * cam.aspect
            && dir.dot(cam.up).abs() / ahead < reach_y
    });
    glowing_surface || glowing_particle || sun_in_view
}
