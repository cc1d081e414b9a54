//! The ID and depth pass: which entity each pixel sees and how far away it
//! is, for the critic's visual checks. Drawn on demand into targets of its
//! own, made on first use.

use std::sync::Arc;

use super::readback::{MapResult, padded_row, readback_buffer, wait_mapped};
use super::{Renderer, texture, view};
use crate::render::RenderError;
use crate::render::image::Analysis;
use crate::render::pipelines::{DEPTH_FORMAT, DISTANCE_FORMAT, ID_FORMAT};
use crate::sim::Frame;
use crate::world::World;

/// Targets of the analysis pass, made on first use.
pub(super) struct AnalysisTargets {
    ids: wgpu::Texture,
    ids_view: wgpu::TextureView,
    distance: wgpu::Texture,
    distance_view: wgpu::TextureView,
    depth_view: wgpu::TextureView,
    ids_readback: wgpu::Buffer,
    distance_readback: wgpu::Buffer,
}

impl Renderer {
    fn analysis_targets(&mut self) -> &AnalysisTargets {
        let (w, h) = (self.opts.width, self.opts.height);
        let device = &self.gpu.device;
        self.analysis.get_or_insert_with(|| {
            use wgpu::TextureUsages as U;
            let ids = texture(
                device,
                "ids",
                (w, h),
                ID_FORMAT,
                1,
                U::RENDER_ATTACHMENT | U::COPY_SRC,
            );
            let distance = texture(
                device,
                "distance",
                (w, h),
                DISTANCE_FORMAT,
                1,
                U::RENDER_ATTACHMENT | U::COPY_SRC,
            );
            let depth = texture(
                device,
                "analysis depth",
                (w, h),
                DEPTH_FORMAT,
                1,
                U::RENDER_ATTACHMENT,
            );
            let size = padded_row(w, 4) as u64 * h as u64;
            AnalysisTargets {
                ids_view: view(&ids),
                distance_view: view(&distance),
                depth_view: view(&depth),
                ids,
                distance,
                ids_readback: readback_buffer(device, "ids readback", size),
                distance_readback: readback_buffer(device, "distance readback", size),
            }
        })
    }

    /// Renders which entity each pixel sees and how far away it is.
    /// Invisible and fully transparent entities are left out; particles
    /// and the sky are not entities.
    pub fn analyse(&mut self, world: &World, frame: &Frame) -> Result<Analysis, RenderError> {
        if !self.pending.is_empty() {
            return Err(RenderError::Busy);
        }
        self.analysis_targets();
        let (plan, _cam, _) = self.prepare(world, frame, false);
        let at = self.analysis.as_ref().expect("made above");
        let mut encoder = self
            .gpu
            .device
            .create_command_encoder(&wgpu::CommandEncoderDescriptor {
                label: Some("analysis"),
            });
        {
            let attachment = |v| {
                Some(wgpu::RenderPassColorAttachment {
                    view: v,
                    depth_slice: None,
                    resolve_target: None,
                    ops: wgpu::Operations {
                        load: wgpu::LoadOp::Clear(wgpu::Color::TRANSPARENT),
                        store: wgpu::StoreOp::Store,
                    },
                })
            };
            let mut pass = encoder.begin_render_pass(&wgpu::RenderPassDescriptor {
                label: Some("analysis"),
                color_attachments: &[attachment(&at.ids_view), attachment(&at.distance_view)],
                depth_stencil_attachment: Some(wgpu::RenderPassDepthStencilAttachment {
                    view: &at.depth_view,
                    depth_ops: Some(wgpu::Operations {
                        load: wgpu::LoadOp::Clear(0.0),
                        store: wgpu::StoreOp::Discard,
                    }),
                    stencil_ops: None,
                }),
                ..Default::default()
            });
            pass.set_bind_group(0, &self.scene_bg, &[]);
            pass.set_vertex_buffer(1, self.instances.buffer.slice(..));
            // Always two-sided: a camera inside a closed shape sees only its
            // back faces, and culling them would hide what the check is for.
            let [plain, surface] = &self.pipelines.analysis;
            let pipes = [plain, surface, plain, surface];
            self.draw_mesh_runs(&mut pass, &plan.opaque, |_| 0, &pipes);
            self.draw_mesh_runs(&mut pass, &plan.transparent, |_| 0, &pipes);
            pass.set_pipeline(pipes[0]);
            self.liquid.draw_grains(&mut pass);
            self.liquid.draw_surfaces(&mut pass);
        }
        let (w, h) = (self.opts.width, self.opts.height);
        for (tex, buf) in [
            (&at.ids, &at.ids_readback),
            (&at.distance, &at.distance_readback),
        ] {
            encoder.copy_texture_to_buffer(
                wgpu::TexelCopyTextureInfo {
                    texture: tex,
                    mip_level: 0,
                    origin: wgpu::Origin3d::ZERO,
                    aspect: wgpu::TextureAspect::All,
                },
                wgpu::TexelCopyBufferInfo {
                    buffer: buf,
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
        }
        let submission = self.gpu.queue.submit([encoder.finish()]);
        let read = |buf: &wgpu::Buffer| -> Result<Vec<u32>, RenderError> {
            let mapped: MapResult = Arc::default();
            let m = mapped.clone();
            buf.slice(..).map_async(wgpu::MapMode::Read, move |r| {
                if let Ok(mut g) = m.lock() {
                    *g = Some(r);
                }
            });
            wait_mapped(&self.gpu, Some(submission.clone()), &mapped)?;
            let row = padded_row(w, 4) as usize;
            let mut out = Vec::with_capacity((w * h) as usize);
            {
                let data = buf
                    .slice(..)
                    .get_mapped_range()
                    .map_err(|e| RenderError::Gpu(format!("reading back the analysis: {e}")))?;
                for y in 0..h as usize {
                    let line = &data[y * row..y * row + w as usize * 4];
                    out.extend(
                        line.chunks_exact(4)
                            .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]])),
                    );
                }
            }
            buf.unmap();
            Ok(out)
        };
        let raw_ids = read(&at.ids_readback)?;
        let raw_dist = read(&at.distance_readback)?;
        self.gpu.take_error()?;
        let backfacing = raw_ids.iter().map(|v| v & 0x8000_0000 != 0).collect();
        let ids: Vec<u32> = raw_ids.iter().map(|v| v & 0x7fff_ffff).collect();
        let depth = ids
            .iter()
            .zip(&raw_dist)
            .map(|(&id, &d)| {
                if id == 0 {
                    f32::INFINITY
                } else {
                    f32::from_bits(d)
                }
            })
            .collect();
        Ok(Analysis {
            width: w,
            height: h,
            ids,
            depth,
            backfacing,
        })
    }
}
