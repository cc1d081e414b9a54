//! What a caller chooses about rendering: size, quality and which adapter.

use std::fmt;
use std::str::FromStr;

use super::RenderError;

/// Environment variable that overrides [`RenderOptions::adapter`].
pub const ADAPTER_ENV: &str = "C2W_ADAPTER";

/// Largest image side we accept; wgpu's default limit for 2D textures.
pub const MAX_SIDE: u32 = 8192;

/// Parses `WIDTHxHEIGHT` within the renderer's limits.
pub fn parse_size(s: &str) -> Result<(u32, u32), String> {
    let (w, h) = s
        .split_once(['x', 'X'])
        .ok_or_else(|| format!("'{s}' is not a size; write it as WIDTHxHEIGHT, e.g. 640x360"))?;
    let side = |v: &str| {
        v.trim()
            .parse::<u32>()
            .ok()
            .filter(|n| (16..=MAX_SIDE).contains(n))
            .ok_or_else(|| format!("'{v}' in '{s}': each side must be 16 to {MAX_SIDE} pixels"))
    };
    Ok((side(w)?, side(h)?))
}

/// Trades image quality for speed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Quality {
    /// No anti-aliasing, small shadow map, one shadow tap, no ambient
    /// occlusion or bloom: previews.
    Draft,
    /// 4x MSAA on a GPU (an edge filter on a software rasteriser), 2048
    /// shadow map, soft shadow edges, ambient occlusion and bloom.
    #[default]
    Default,
    /// 4x MSAA, 4096 shadow map, wider soft shadows.
    High,
}

/// How edges are smoothed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Antialiasing {
    None,
    /// A post-process filter that blends along edges found in the image.
    EdgeFilter,
    /// Multisampling with this many samples per pixel.
    Msaa(u32),
}

impl Quality {
    /// The anti-aliasing this quality asks for. On a software rasteriser
    /// the default quality uses the edge filter: lavapipe's 4x MSAA costs
    /// about three times the whole frame, the filter a few percent.
    pub fn antialiasing(self, software: bool) -> Antialiasing {
        match self {
            Quality::Draft => Antialiasing::None,
            Quality::Default if software => Antialiasing::EdgeFilter,
            Quality::Default | Quality::High => Antialiasing::Msaa(4),
        }
    }

    pub fn shadow_size(self) -> u32 {
        match self {
            Quality::Draft => 1024,
            Quality::Default => 2048,
            Quality::High => 4096,
        }
    }

    /// Depth samples per pixel of screen-space ambient occlusion (0: off).
    /// Drafts skip it, with bloom: they are for judging motion.
    pub fn occlusion_taps(self) -> u32 {
        match self {
            Quality::Draft => 0,
            Quality::Default => 10,
            Quality::High => 16,
        }
    }

    /// Whether bright light (fire, lamps, the sun's disc) blooms.
    pub fn bloom(self) -> bool {
        self != Quality::Draft
    }

    /// Taps of percentage-closer filtering per shadow lookup (each tap is a
    /// hardware 2x2 comparison).
    pub fn shadow_taps(self) -> u32 {
        match self {
            Quality::Draft => 1,
            Quality::Default => 4,
            Quality::High => 12,
        }
    }
}

impl FromStr for Quality {
    type Err = RenderError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "draft" | "low" | "fast" => Ok(Quality::Draft),
            "default" | "normal" | "medium" => Ok(Quality::Default),
            "high" | "best" => Ok(Quality::High),
            other => Err(RenderError::Options(format!(
                "unknown quality \"{other}\"; use draft, default or high"
            ))),
        }
    }
}

impl fmt::Display for Quality {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Quality::Draft => "draft",
            Quality::Default => "default",
            Quality::High => "high",
        })
    }
}

/// Which graphics adapter to render with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AdapterChoice {
    /// A hardware GPU when there is one, else a software rasteriser.
    #[default]
    Auto,
    /// A hardware GPU only.
    Gpu,
    /// A software rasteriser only (Mesa lavapipe/llvmpipe, WARP).
    Cpu,
    /// Any Vulkan adapter, GPU preferred.
    Vulkan,
    /// Any OpenGL (ES) adapter, GPU preferred.
    Gl,
}

impl FromStr for AdapterChoice {
    type Err = RenderError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "" | "auto" => Ok(AdapterChoice::Auto),
            "gpu" | "hardware" => Ok(AdapterChoice::Gpu),
            "cpu" | "software" | "lavapipe" | "llvmpipe" => Ok(AdapterChoice::Cpu),
            "vulkan" | "vk" => Ok(AdapterChoice::Vulkan),
            "gl" | "gles" | "opengl" => Ok(AdapterChoice::Gl),
            other => Err(RenderError::Options(format!(
                "unknown adapter \"{other}\"; use auto, gpu, cpu, vulkan or gl"
            ))),
        }
    }
}

impl fmt::Display for AdapterChoice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            AdapterChoice::Auto => "auto",
            AdapterChoice::Gpu => "gpu",
            AdapterChoice::Cpu => "cpu",
            AdapterChoice::Vulkan => "vulkan",
            AdapterChoice::Gl => "gl",
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderOptions {
    pub width: u32,
    pub height: u32,
    pub quality: Quality,
    pub adapter: AdapterChoice,
    /// Frames kept in flight by [`super::Renderer::submit`] (at least 1).
    pub frames_in_flight: usize,
}

impl Default for RenderOptions {
    fn default() -> Self {
        Self {
            width: 640,
            height: 360,
            quality: Quality::Default,
            adapter: AdapterChoice::Auto,
            frames_in_flight: 3,
        }
    }
}

impl RenderOptions {
    pub fn new(width: u32, height: u32) -> Self {
        Self {
            width,
            height,
            ..Self::default()
        }
    }

    pub fn with_quality(mut self, quality: Quality) -> Self {
        self.quality = quality;
        self
    }

    pub fn with_adapter(mut self, adapter: AdapterChoice) -> Self {
        self.adapter = adapter;
        self
    }

    /// Applies `C2W_ADAPTER` when it is set; an unknown value is an error
    /// rather than silently ignored.
    pub fn with_env(mut self) -> Result<Self, RenderError> {
        if let Ok(v) = std::env::var(ADAPTER_ENV) {
            self.adapter = v
                .parse()
                .map_err(|e: RenderError| RenderError::Options(format!("{ADAPTER_ENV}: {e}")))?;
        }
        Ok(self)
    }

    pub fn validate(&self) -> Result<(), RenderError> {
        for (name, v) in [("width", self.width), ("height", self.height)] {
            if v == 0 || v > MAX_SIDE {
                return Err(RenderError::Options(format!(
                    "image {name} {v} is out of range 1..={MAX_SIDE}"
                )));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_choices_and_rejects_unknown() {
        assert_eq!("CPU".parse::<AdapterChoice>().unwrap(), AdapterChoice::Cpu);
        assert_eq!("gl".parse::<AdapterChoice>().unwrap(), AdapterChoice::Gl);
        assert!("metalx".parse::<AdapterChoice>().is_err());
        assert_eq!("draft".parse::<Quality>().unwrap(), Quality::Draft);
        assert!("ultra".parse::<Quality>().is_err());
    }

    #[test]
    fn rejects_empty_and_huge_images() {
        assert!(RenderOptions::new(0, 10).validate().is_err());
        assert!(RenderOptions::new(10, MAX_SIDE + 1).validate().is_err());
        assert!(RenderOptions::new(160, 90).validate().is_ok());
    }
}
