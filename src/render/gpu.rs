//! Finding an adapter and opening a device, headless.
//!
//! wgpu's default reaction to a validation error is to panic; we install a
//! handler that records the error instead, and [`Gpu::take_error`] turns it
//! into a [`RenderError`] after each frame.

use std::sync::{Arc, Mutex};

use super::RenderError;
use super::options::{AdapterChoice, RenderOptions};

pub struct Gpu {
    pub device: wgpu::Device,
    pub queue: wgpu::Queue,
    pub info: wgpu::AdapterInfo,
    pub adapter: wgpu::Adapter,
    errors: Arc<Mutex<Vec<String>>>,
}

const INSTALL_HINT: &str = "install a GPU driver, or a software rasteriser: \
     `apt-get install mesa-vulkan-drivers` on Debian/Ubuntu gives Mesa lavapipe; \
     then set C2W_ADAPTER=cpu to force it";

fn backends_for(choice: AdapterChoice) -> wgpu::Backends {
    match choice {
        AdapterChoice::Vulkan => wgpu::Backends::VULKAN,
        AdapterChoice::Gl => wgpu::Backends::GL,
        _ => wgpu::Backends::all(),
    }
}

/// Lower is better: hardware first, then software, each preferring Vulkan,
/// Metal and DX12 over GL.
fn rank(info: &wgpu::AdapterInfo, choice: AdapterChoice) -> Option<u32> {
    let software = info.device_type == wgpu::DeviceType::Cpu;
    let kind = match info.device_type {
        wgpu::DeviceType::DiscreteGpu => 0,
        wgpu::DeviceType::IntegratedGpu => 1,
        wgpu::DeviceType::VirtualGpu | wgpu::DeviceType::Other => 2,
        wgpu::DeviceType::Cpu => 3,
    };
    let backend = match info.backend {
        wgpu::Backend::Vulkan | wgpu::Backend::Metal | wgpu::Backend::Dx12 => 0,
        wgpu::Backend::Gl => 1,
        _ => return None,
    };
    match choice {
        AdapterChoice::Gpu if software => None,
        AdapterChoice::Cpu if !software => None,
        _ => Some(kind * 2 + backend),
    }
}

pub fn describe(info: &wgpu::AdapterInfo) -> String {
    let driver = [info.driver.as_str(), info.driver_info.as_str()]
        .iter()
        .filter(|s| !s.is_empty())
        .copied()
        .collect::<Vec<_>>()
        .join(" ");
    let kind = match info.device_type {
        wgpu::DeviceType::Cpu => "software",
        wgpu::DeviceType::DiscreteGpu => "discrete GPU",
        wgpu::DeviceType::IntegratedGpu => "integrated GPU",
        wgpu::DeviceType::VirtualGpu => "virtual GPU",
        wgpu::DeviceType::Other => "other",
    };
    if driver.is_empty() {
        format!("{} ({:?}, {kind})", info.name, info.backend)
    } else {
        format!("{} ({:?}, {kind}, {driver})", info.name, info.backend)
    }
}

impl Gpu {
    pub fn new(opts: &RenderOptions) -> Result<Gpu, RenderError> {
        // Native APIs first; GL only when they offer nothing suitable, since
        // probing EGL without a display prints noise on headless machines.
        let wanted = backends_for(opts.adapter);
        let mut seen: Vec<String> = Vec::new();
        let mut best: Option<(u32, wgpu::Adapter)> = None;
        for group in [!wgpu::Backends::GL, wgpu::Backends::GL] {
            let backends = wanted & group;
            if backends.is_empty() || best.is_some() {
                continue;
            }
            let mut desc = wgpu::InstanceDescriptor::new_without_display_handle();
            desc.backends = backends;
            // Validation layers are slow and noisy; wgpu's own validation
            // is enough.
            desc.flags = wgpu::InstanceFlags::empty().with_env();
            let instance = wgpu::Instance::new(desc);
            for a in pollster::block_on(instance.enumerate_adapters(backends)) {
                let info = a.get_info();
                seen.push(describe(&info));
                if let Some(r) = rank(&info, opts.adapter)
                    && best.as_ref().is_none_or(|(b, _)| r < *b)
                {
                    best = Some((r, a));
                }
            }
        }
        let adapter = best.map(|(_, a)| a).ok_or_else(|| {
            let found = if seen.is_empty() {
                "none found".to_string()
            } else {
                format!("found only {}", seen.join("; "))
            };
            RenderError::NoAdapter(format!(
                "no {} adapter ({found}); {INSTALL_HINT}",
                opts.adapter
            ))
        })?;
        let info = adapter.get_info();
        let limits = wgpu::Limits::downlevel_defaults().using_resolution(adapter.limits());
        let (device, queue) = pollster::block_on(adapter.request_device(&wgpu::DeviceDescriptor {
            label: Some("c2w renderer"),
            required_features: wgpu::Features::empty(),
            required_limits: limits,
            ..Default::default()
        }))
        .map_err(|e| RenderError::Device(format!("{}: {e}", describe(&info))))?;
        let errors: Arc<Mutex<Vec<String>>> = Arc::default();
        let sink = errors.clone();
        device.on_uncaptured_error(Arc::new(move |e: wgpu::Error| {
            if let Ok(mut v) = sink.lock() {
                v.push(e.to_string());
            }
        }));
        let lost = errors.clone();
        device.set_device_lost_callback(move |reason, msg| {
            if let Ok(mut v) = lost.lock() {
                v.push(format!("device lost ({reason:?}): {msg}"));
            }
        });
        Ok(Gpu {
            device,
            queue,
            info,
            adapter,
            errors,
        })
    }

    pub fn describe(&self) -> String {
        describe(&self.info)
    }

    /// The first GPU error recorded since the last call, if any.
    pub fn take_error(&self) -> Result<(), RenderError> {
        let mut v = self.errors.lock().map_err(|_| {
            RenderError::Gpu("the GPU error log was poisoned by a panic".to_string())
        })?;
        if v.is_empty() {
            return Ok(());
        }
        let first = v[0].clone();
        let more = v.len() - 1;
        v.clear();
        Err(RenderError::Gpu(if more > 0 {
            format!("{first} (and {more} more)")
        } else {
            first
        }))
    }

    /// Largest MSAA sample count up to `wanted` that a format supports.
    pub fn sample_count(&self, format: wgpu::TextureFormat, wanted: u32) -> u32 {
        let flags = self.adapter.get_texture_format_features(format).flags;
        [wanted, 4, 2, 1]
            .into_iter()
            .filter(|&n| n <= wanted)
            .find(|&n| n == 1 || flags.sample_count_supported(n))
            .unwrap_or(1)
    }
}
