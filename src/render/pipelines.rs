//! Shader modules, bind group layouts and render pipelines, built once per
//! renderer.

use std::mem::size_of;

use super::meshes::Vertex;
use super::particles::ParticleRaw;
use super::scene::InstanceRaw;

pub const HDR_FORMAT: wgpu::TextureFormat = wgpu::TextureFormat::Rgba16Float;
pub const OUTPUT_FORMAT: wgpu::TextureFormat = wgpu::TextureFormat::Rgba8UnormSrgb;
pub const DEPTH_FORMAT: wgpu::TextureFormat = wgpu::TextureFormat::Depth32Float;
pub const ID_FORMAT: wgpu::TextureFormat = wgpu::TextureFormat::R32Uint;
pub const DISTANCE_FORMAT: wgpu::TextureFormat = wgpu::TextureFormat::R32Float;

const COMMON: &str = include_str!("shaders/common.wgsl");
const MESH: &str = include_str!("shaders/mesh.wgsl");
const SKY: &str = include_str!("shaders/sky.wgsl");
const PARTICLES: &str = include_str!("shaders/particles.wgsl");
const POST: &str = include_str!("shaders/post.wgsl");

pub struct Pipelines {
    pub scene_layout: wgpu::BindGroupLayout,
    pub globals_layout: wgpu::BindGroupLayout,
    pub post_layout: wgpu::BindGroupLayout,
    /// [cull back faces][opaque, transparent][plain, surface]
    pub mesh: [[[wgpu::RenderPipeline; 2]; 2]; 2],
    /// [plain, surface]
    pub shadow: [wgpu::RenderPipeline; 2],
    /// [plain, surface], two-sided
    pub analysis: [wgpu::RenderPipeline; 2],
    pub sky: wgpu::RenderPipeline,
    pub particles: wgpu::RenderPipeline,
    pub post: wgpu::RenderPipeline,
}

fn module(device: &wgpu::Device, label: &str, parts: &[&str]) -> wgpu::ShaderModule {
    device.create_shader_module(wgpu::ShaderModuleDescriptor {
        label: Some(label),
        source: wgpu::ShaderSource::Wgsl(parts.concat().into()),
    })
}

fn uniform_entry(binding: u32, visibility: wgpu::ShaderStages) -> wgpu::BindGroupLayoutEntry {
    wgpu::BindGroupLayoutEntry {
        binding,
        visibility,
        ty: wgpu::BindingType::Buffer {
            ty: wgpu::BufferBindingType::Uniform,
            has_dynamic_offset: false,
            min_binding_size: None,
        },
        count: None,
    }
}

const VERTEX_ATTRS: [wgpu::VertexAttribute; 2] =
    wgpu::vertex_attr_array![0 => Float32x3, 1 => Float32x3];
/// Surfaces (terrain, water) also read the per-vertex tint.
const SURFACE_VERTEX_ATTRS: [wgpu::VertexAttribute; 3] =
    wgpu::vertex_attr_array![0 => Float32x3, 1 => Float32x3, 13 => Unorm8x4];
const INSTANCE_ATTRS: [wgpu::VertexAttribute; 11] = wgpu::vertex_attr_array![
    2 => Float32x4, 3 => Float32x4, 4 => Float32x4, 5 => Float32x4,
    6 => Float32x4, 7 => Float32x4, 8 => Float32x4,
    9 => Float32x4, 10 => Float32x4, 11 => Float32x4, 12 => Uint32x4
];
const PARTICLE_ATTRS: [wgpu::VertexAttribute; 4] = wgpu::vertex_attr_array![
    0 => Float32x4, 1 => Float32x4, 2 => Float32x4, 3 => Float32x4
];

fn mesh_buffers(surface: bool) -> [Option<wgpu::VertexBufferLayout<'static>>; 2] {
    [
        Some(wgpu::VertexBufferLayout {
            array_stride: size_of::<Vertex>() as u64,
            step_mode: wgpu::VertexStepMode::Vertex,
            attributes: if surface {
                &SURFACE_VERTEX_ATTRS
            } else {
                &VERTEX_ATTRS
            },
        }),
        Some(wgpu::VertexBufferLayout {
            array_stride: size_of::<InstanceRaw>() as u64,
            step_mode: wgpu::VertexStepMode::Instance,
            attributes: &INSTANCE_ATTRS,
        }),
    ]
}

fn depth_state(compare: wgpu::CompareFunction, write: bool) -> wgpu::DepthStencilState {
    wgpu::DepthStencilState {
        format: DEPTH_FORMAT,
        depth_write_enabled: Some(write),
        depth_compare: Some(compare),
        stencil: wgpu::StencilState::default(),
        bias: wgpu::DepthBiasState::default(),
    }
}

fn primitive(cull: bool) -> wgpu::PrimitiveState {
    wgpu::PrimitiveState {
        topology: wgpu::PrimitiveTopology::TriangleList,
        front_face: wgpu::FrontFace::Ccw,
        cull_mode: cull.then_some(wgpu::Face::Back),
        ..Default::default()
    }
}

const PREMULTIPLIED: wgpu::BlendState = wgpu::BlendState {
    color: wgpu::BlendComponent {
        src_factor: wgpu::BlendFactor::One,
        dst_factor: wgpu::BlendFactor::OneMinusSrcAlpha,
        operation: wgpu::BlendOperation::Add,
    },
    // Alpha keeps the ambient share the opaque surface behind wrote, for
    // ambient occlusion.
    alpha: wgpu::BlendComponent {
        src_factor: wgpu::BlendFactor::Zero,
        dst_factor: wgpu::BlendFactor::One,
        operation: wgpu::BlendOperation::Add,
    },
};

impl Pipelines {
    pub fn new(device: &wgpu::Device, msaa: u32) -> Pipelines {
        let frag_vis = wgpu::ShaderStages::VERTEX | wgpu::ShaderStages::FRAGMENT;
        let globals_layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
            label: Some("globals"),
            entries: &[uniform_entry(0, frag_vis)],
        });
        let scene_layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
            label: Some("scene"),
            entries: &[
                uniform_entry(0, frag_vis),
                wgpu::BindGroupLayoutEntry {
                    binding: 1,
                    visibility: wgpu::ShaderStages::FRAGMENT,
                    ty: wgpu::BindingType::Texture {
                        sample_type: wgpu::TextureSampleType::Depth,
                        view_dimension: wgpu::TextureViewDimension::D2,
                        multisampled: false,
                    },
                    count: None,
                },
                wgpu::BindGroupLayoutEntry {
                    binding: 2,
                    visibility: wgpu::ShaderStages::FRAGMENT,
                    ty: wgpu::BindingType::Sampler(wgpu::SamplerBindingType::Comparison),
                    count: None,
                },
            ],
        });
        let post_layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
            label: Some("post"),
            entries: &[
                wgpu::BindGroupLayoutEntry {
                    binding: 0,
                    visibility: wgpu::ShaderStages::FRAGMENT,
                    ty: wgpu::BindingType::Texture {
                        sample_type: wgpu::TextureSampleType::Float { filterable: true },
                        view_dimension: wgpu::TextureViewDimension::D2,
                        multisampled: false,
                    },
                    count: None,
                },
                uniform_entry(1, wgpu::ShaderStages::FRAGMENT),
                wgpu::BindGroupLayoutEntry {
                    binding: 2,
                    visibility: wgpu::ShaderStages::FRAGMENT,
                    ty: wgpu::BindingType::Sampler(wgpu::SamplerBindingType::Filtering),
                    count: None,
                },
            ],
        });
        let layout = |label: &str, bgl: &wgpu::BindGroupLayout| {
            device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
                label: Some(label),
                bind_group_layouts: &[Some(bgl)],
                immediate_size: 0,
            })
        };
        let scene_pl = layout("scene", &scene_layout);
        let globals_pl = layout("globals", &globals_layout);
        let post_pl = layout("post", &post_layout);

        let mesh_sm = module(device, "mesh", &[COMMON, MESH]);
        let sky_sm = module(device, "sky", &[COMMON, SKY]);
        let particle_sm = module(device, "particles", &[COMMON, PARTICLES]);
        let post_sm = module(device, "post", &[POST]);
        let multisample = wgpu::MultisampleState {
            count: msaa,
            mask: !0,
            alpha_to_coverage_enabled: false,
        };

        let mesh_pipeline = |cull: bool, transparent: bool, surface: bool| {
            let buffers = mesh_buffers(surface);
            device.create_render_pipeline(&wgpu::RenderPipelineDescriptor {
                label: Some(if transparent {
                    "mesh transparent"
                } else {
                    "mesh opaque"
                }),
                layout: Some(&scene_pl),
                vertex: wgpu::VertexState {
                    module: &mesh_sm,
                    entry_point: Some(if surface { "vs_surface" } else { "vs_main" }),
                    compilation_options: Default::default(),
                    buffers: &buffers,
                },
                primitive: primitive(cull),
                depth_stencil: Some(depth_state(wgpu::CompareFunction::Greater, !transparent)),
                multisample,
                fragment: Some(wgpu::FragmentState {
                    module: &mesh_sm,
                    entry_point: Some(if transparent { "fs_main" } else { "fs_opaque" }),
                    compilation_options: Default::default(),
                    targets: &[Some(wgpu::ColorTargetState {
                        format: HDR_FORMAT,
                        blend: transparent.then_some(PREMULTIPLIED),
                        write_mask: wgpu::ColorWrites::ALL,
                    })],
                }),
                multiview_mask: None,
                cache: None,
            })
        };
        let pair = |cull: bool, transparent: bool| {
            [
                mesh_pipeline(cull, transparent, false),
                mesh_pipeline(cull, transparent, true),
            ]
        };
        let mesh = [
            [pair(false, false), pair(false, true)],
            [pair(true, false), pair(true, true)],
        ];

        let shadow_pipeline = |surface: bool| {
            let shadow_buffers = mesh_buffers(surface);
            device.create_render_pipeline(&wgpu::RenderPipelineDescriptor {
                label: Some("shadow"),
                layout: Some(&globals_pl),
                vertex: wgpu::VertexState {
                    module: &mesh_sm,
                    entry_point: Some(if surface {
                        "vs_shadow_surface"
                    } else {
                        "vs_shadow"
                    }),
                    compilation_options: Default::default(),
                    buffers: &shadow_buffers,
                },
                primitive: primitive(false),
                depth_stencil: Some(wgpu::DepthStencilState {
                    // A small slope-scaled bias; the receiver's normal offset
                    // does most of the work against acne.
                    bias: wgpu::DepthBiasState {
                        constant: 2,
                        slope_scale: 1.5,
                        clamp: 0.0,
                    },
                    ..depth_state(wgpu::CompareFunction::LessEqual, true)
                }),
                multisample: wgpu::MultisampleState::default(),
                fragment: None,
                multiview_mask: None,
                cache: None,
            })
        };
        let shadow = [shadow_pipeline(false), shadow_pipeline(true)];

        let analysis_pipeline = |surface: bool| {
            let buffers = mesh_buffers(surface);
            device.create_render_pipeline(&wgpu::RenderPipelineDescriptor {
                label: Some("analysis"),
                layout: Some(&scene_pl),
                vertex: wgpu::VertexState {
                    module: &mesh_sm,
                    entry_point: Some(if surface { "vs_surface" } else { "vs_main" }),
                    compilation_options: Default::default(),
                    buffers: &buffers,
                },
                primitive: primitive(false),
                depth_stencil: Some(depth_state(wgpu::CompareFunction::Greater, true)),
                multisample: wgpu::MultisampleState::default(),
                fragment: Some(wgpu::FragmentState {
                    module: &mesh_sm,
                    entry_point: Some("fs_analysis"),
                    compilation_options: Default::default(),
                    targets: &[
                        Some(wgpu::ColorTargetState {
                            format: ID_FORMAT,
                            blend: None,
                            write_mask: wgpu::ColorWrites::ALL,
                        }),
                        Some(wgpu::ColorTargetState {
                            format: DISTANCE_FORMAT,
                            blend: None,
                            write_mask: wgpu::ColorWrites::ALL,
                        }),
                    ],
                }),
                multiview_mask: None,
                cache: None,
            })
        };
        let analysis = [analysis_pipeline(false), analysis_pipeline(true)];

        let sky = device.create_render_pipeline(&wgpu::RenderPipelineDescriptor {
            label: Some("sky"),
            layout: Some(&scene_pl),
            vertex: wgpu::VertexState {
                module: &sky_sm,
                entry_point: Some("vs_sky"),
                compilation_options: Default::default(),
                buffers: &[],
            },
            primitive: primitive(false),
            // Only where nothing was drawn: depth still at the cleared 0.
            depth_stencil: Some(depth_state(wgpu::CompareFunction::GreaterEqual, false)),
            multisample,
            fragment: Some(wgpu::FragmentState {
                module: &sky_sm,
                entry_point: Some("fs_sky"),
                compilation_options: Default::default(),
                targets: &[Some(wgpu::ColorTargetState {
                    format: HDR_FORMAT,
                    blend: None,
                    write_mask: wgpu::ColorWrites::ALL,
                })],
            }),
            multiview_mask: None,
            cache: None,
        });

        let particle_buffers = [Some(wgpu::VertexBufferLayout {
            array_stride: size_of::<ParticleRaw>() as u64,
            step_mode: wgpu::VertexStepMode::Instance,
            attributes: &PARTICLE_ATTRS,
        })];
        let particles = device.create_render_pipeline(&wgpu::RenderPipelineDescriptor {
            label: Some("particles"),
            layout: Some(&scene_pl),
            vertex: wgpu::VertexState {
                module: &particle_sm,
                entry_point: Some("vs_particle"),
                compilation_options: Default::default(),
                buffers: &particle_buffers,
            },
            primitive: primitive(false),
            depth_stencil: Some(depth_state(wgpu::CompareFunction::Greater, false)),
            multisample,
            fragment: Some(wgpu::FragmentState {
                module: &particle_sm,
                entry_point: Some("fs_particle"),
                compilation_options: Default::default(),
                targets: &[Some(wgpu::ColorTargetState {
                    format: HDR_FORMAT,
                    blend: Some(PREMULTIPLIED),
                    write_mask: wgpu::ColorWrites::ALL,
                })],
            }),
            multiview_mask: None,
            cache: None,
        });

        let post = device.create_render_pipeline(&wgpu::RenderPipelineDescriptor {
            label: Some("post"),
            layout: Some(&post_pl),
            vertex: wgpu::VertexState {
                module: &post_sm,
                entry_point: Some("vs_post"),
                compilation_options: Default::default(),
                buffers: &[],
            },
            primitive: primitive(false),
            depth_stencil: None,
            multisample: wgpu::MultisampleState::default(),
            fragment: Some(wgpu::FragmentState {
                module: &post_sm,
                entry_point: Some("fs_post"),
                compilation_options: Default::default(),
                targets: &[Some(wgpu::ColorTargetState {
                    format: OUTPUT_FORMAT,
                    blend: None,
                    write_mask: wgpu::ColorWrites::ALL,
                })],
            }),
            multiview_mask: None,
            cache: None,
        });

        Pipelines {
            scene_layout,
            globals_layout,
            post_layout,
            mesh,
            shadow,
            analysis,
            sky,
            particles,
            post,
        }
    }
}
