//! Materials, their presets, and colours.

use glam::Vec3;
use serde::Serialize;

/// A physically based material. Colours are linear RGB; scripts give sRGB and
/// [`srgb_to_linear`] converts on the way in.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Material {
    pub preset: Option<&'static str>,
    pub base_color: Vec3,
    pub roughness: f32,
    pub metallic: f32,
    pub emissive: Vec3,
    pub emissive_strength: f32,
    pub opacity: f32,
}

impl Default for Material {
    fn default() -> Self {
        Self {
            preset: None,
            base_color: srgb_to_linear(Vec3::new(0.8, 0.8, 0.8)),
            roughness: 0.6,
            metallic: 0.0,
            emissive: Vec3::ZERO,
            emissive_strength: 0.0,
            opacity: 1.0,
        }
    }
}

/// Physical defaults that come with a preset, used when a body gives none.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct PhysicalDefaults {
    /// kg/m^3
    pub density: f32,
    pub friction: f32,
    pub restitution: f32,
}

impl Default for PhysicalDefaults {
    fn default() -> Self {
        Self {
            density: 1000.0,
            friction: 0.5,
            restitution: 0.2,
        }
    }
}

pub struct Preset {
    pub name: &'static str,
    pub color: [f32; 3],
    pub roughness: f32,
    pub metallic: f32,
    pub opacity: f32,
    pub physical: PhysicalDefaults,
    pub doc: &'static str,
}

#[allow(clippy::too_many_arguments)] // a table row constructor
const fn preset(
    name: &'static str,
    color: [f32; 3],
    roughness: f32,
    metallic: f32,
    opacity: f32,
    density: f32,
    friction: f32,
    restitution: f32,
    doc: &'static str,
) -> Preset {
    Preset {
        name,
        color,
        roughness,
        metallic,
        opacity,
        physical: PhysicalDefaults {
            density,
            friction,
            restitution,
        },
        doc,
    }
}

/// Colours are sRGB; densities are typical real values.
pub const PRESETS: &[Preset] = &[
    preset(
        "wood",
        [0.55, 0.38, 0.22],
        0.7,
        0.0,
        1.0,
        650.0,
        0.5,
        0.3,
        "planks, furniture",
    ),
    preset(
        "glass",
        [0.85, 0.92, 0.95],
        0.05,
        0.0,
        0.3,
        2500.0,
        0.4,
        0.4,
        "clear, smooth, see-through",
    ),
    preset(
        "ceramic",
        [0.93, 0.91, 0.87],
        0.25,
        0.0,
        1.0,
        2300.0,
        0.5,
        0.3,
        "glazed cups and plates",
    ),
    preset(
        "water",
        [0.25, 0.45, 0.6],
        0.02,
        0.0,
        0.55,
        1000.0,
        0.05,
        0.0,
        "translucent liquid surfaces",
    ),
    preset(
        "sand",
        [0.86, 0.74, 0.52],
        0.95,
        0.0,
        1.0,
        1600.0,
        0.7,
        0.05,
        "dunes, beaches",
    ),
    preset(
        "bark",
        [0.33, 0.24, 0.16],
        0.95,
        0.0,
        1.0,
        700.0,
        0.7,
        0.2,
        "tree trunks",
    ),
    preset(
        "leaf",
        [0.30, 0.55, 0.18],
        0.6,
        0.0,
        1.0,
        400.0,
        0.6,
        0.1,
        "foliage",
    ),
    preset(
        "grass",
        [0.33, 0.58, 0.22],
        0.9,
        0.0,
        1.0,
        1200.0,
        0.8,
        0.1,
        "lawns, meadows",
    ),
    preset(
        "stone",
        [0.52, 0.50, 0.47],
        0.85,
        0.0,
        1.0,
        2600.0,
        0.7,
        0.15,
        "rocks, walls",
    ),
    preset(
        "metal",
        [0.78, 0.78, 0.80],
        0.3,
        1.0,
        1.0,
        7800.0,
        0.4,
        0.3,
        "steel, iron",
    ),
    preset(
        "fabric",
        [0.6, 0.55, 0.5],
        1.0,
        0.0,
        1.0,
        300.0,
        0.8,
        0.05,
        "cloth, cushions",
    ),
    preset(
        "plastic",
        [0.9, 0.9, 0.9],
        0.4,
        0.0,
        1.0,
        1100.0,
        0.4,
        0.5,
        "toys, bottles",
    ),
    preset(
        "rubber",
        [0.12, 0.12, 0.12],
        0.9,
        0.0,
        1.0,
        1100.0,
        0.9,
        0.8,
        "balls, tyres",
    ),
    preset(
        "ice",
        [0.85, 0.93, 1.0],
        0.1,
        0.0,
        0.8,
        917.0,
        0.03,
        0.1,
        "frozen water",
    ),
    preset(
        "snow",
        [0.95, 0.96, 0.98],
        0.9,
        0.0,
        1.0,
        300.0,
        0.3,
        0.0,
        "snow cover",
    ),
    preset(
        "dirt",
        [0.36, 0.27, 0.19],
        1.0,
        0.0,
        1.0,
        1500.0,
        0.8,
        0.05,
        "soil, paths",
    ),
    preset(
        "gold",
        [1.0, 0.78, 0.34],
        0.25,
        1.0,
        1.0,
        19300.0,
        0.4,
        0.3,
        "gold metal",
    ),
];

pub fn preset_named(name: &str) -> Option<&'static Preset> {
    PRESETS.iter().find(|p| p.name.eq_ignore_ascii_case(name))
}

impl Material {
    pub fn from_preset(p: &'static Preset) -> Self {
        Self {
            preset: Some(p.name),
            base_color: srgb_to_linear(Vec3::from(p.color)),
            roughness: p.roughness,
            metallic: p.metallic,
            emissive: Vec3::ZERO,
            emissive_strength: 0.0,
            opacity: p.opacity,
        }
    }

    pub fn physical(&self) -> PhysicalDefaults {
        self.preset
            .and_then(preset_named)
            .map(|p| p.physical)
            .unwrap_or_default()
    }
}

pub fn srgb_to_linear(c: Vec3) -> Vec3 {
    let f = |v: f32| {
        if v <= 0.04045 {
            v / 12.92
        } else {
            libm::powf((v + 0.055) / 1.055, 2.4)
        }
    };
    Vec3::new(f(c.x), f(c.y), f(c.z))
}

pub fn linear_to_srgb(c: Vec3) -> Vec3 {
    let f = |v: f32| {
        let v = v.clamp(0.0, 1.0);
        if v <= 0.003_130_8 {
            v * 12.92
        } else {
            1.055 * libm::powf(v, 1.0 / 2.4) - 0.055
        }
    };
    Vec3::new(f(c.x), f(c.y), f(c.z))
}

/// Named colours (sRGB), chosen for what scenes need: nature, rooms, light.
pub const COLOR_NAMES: &[(&str, [u8; 3])] = &[
    ("white", [255, 255, 255]),
    ("black", [0, 0, 0]),
    ("gray", [128, 128, 128]),
    ("grey", [128, 128, 128]),
    ("light_gray", [200, 200, 200]),
    ("dark_gray", [64, 64, 64]),
    ("red", [220, 40, 30]),
    ("dark_red", [139, 0, 0]),
    ("crimson", [220, 20, 60]),
    ("orange", [255, 140, 0]),
    ("amber", [255, 191, 0]),
    ("yellow", [255, 220, 40]),
    ("gold", [255, 200, 60]),
    ("lime", [120, 220, 60]),
    ("green", [50, 160, 60]),
    ("dark_green", [20, 90, 35]),
    ("olive", [128, 128, 0]),
    ("teal", [0, 128, 128]),
    ("cyan", [0, 200, 220]),
    ("sky_blue", [135, 206, 235]),
    ("blue", [40, 80, 220]),
    ("navy", [0, 0, 128]),
    ("purple", [128, 40, 160]),
    ("violet", [148, 80, 211]),
    ("magenta", [220, 0, 200]),
    ("pink", [255, 170, 190]),
    ("brown", [120, 72, 40]),
    ("dark_brown", [80, 50, 30]),
    ("tan", [210, 180, 140]),
    ("beige", [230, 220, 195]),
    ("cream", [255, 250, 225]),
    ("ivory", [255, 255, 240]),
    ("silver", [192, 192, 192]),
    ("sand", [220, 190, 135]),
    ("chocolate", [123, 63, 0]),
    ("maroon", [128, 0, 0]),
    ("coral", [255, 127, 80]),
    ("salmon", [250, 128, 114]),
    ("turquoise", [64, 224, 208]),
    ("indigo", [75, 0, 130]),
    ("lavender", [200, 180, 240]),
    ("mint", [170, 240, 200]),
    ("forest_green", [34, 110, 34]),
    ("moss", [110, 130, 60]),
    ("warm_white", [255, 230, 200]),
    ("cool_white", [220, 235, 255]),
];

/// Parses `#rgb`, `#rrggbb` or a colour name into sRGB in [0, 1].
pub fn parse_color_str(s: &str) -> Option<Vec3> {
    let t = s.trim();
    if let Some(hex) = t.strip_prefix('#') {
        let digits: Vec<u8> = hex
            .chars()
            .map(|c| c.to_digit(16).map(|d| d as u8))
            .collect::<Option<_>>()?;
        return match digits.len() {
            3 => Some(Vec3::new(
                (digits[0] * 17) as f32 / 255.0,
                (digits[1] * 17) as f32 / 255.0,
                (digits[2] * 17) as f32 / 255.0,
            )),
            6 => Some(Vec3::new(
                (digits[0] * 16 + digits[1]) as f32 / 255.0,
                (digits[2] * 16 + digits[3]) as f32 / 255.0,
                (digits[4] * 16 + digits[5]) as f32 / 255.0,
            )),
            _ => None,
        };
    }
    let key = t.to_lowercase().replace([' ', '-'], "_");
    COLOR_NAMES
        .iter()
        .find(|(n, _)| *n == key)
        .map(|(_, c)| Vec3::new(c[0] as f32, c[1] as f32, c[2] as f32) / 255.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_and_names_parse() {
        assert_eq!(parse_color_str("#ff0000"), Some(Vec3::new(1.0, 0.0, 0.0)));
        assert_eq!(parse_color_str("#0f0"), Some(Vec3::new(0.0, 1.0, 0.0)));
        assert_eq!(parse_color_str("Sky Blue"), parse_color_str("sky_blue"));
        assert!(parse_color_str("#12345").is_none());
        assert!(parse_color_str("octarine").is_none());
    }

    #[test]
    fn srgb_round_trip() {
        let c = Vec3::new(0.2, 0.5, 0.9);
        let back = linear_to_srgb(srgb_to_linear(c));
        assert!((back - c).abs().max_element() < 1e-4);
    }

    #[test]
    fn every_preset_is_plausible() {
        for p in PRESETS {
            assert!(
                p.physical.density > 100.0 && p.physical.density < 25_000.0,
                "{}",
                p.name
            );
            assert!((0.0..=1.0).contains(&p.roughness) && (0.0..=1.0).contains(&p.opacity));
        }
        assert!(preset_named("WOOD").is_some());
    }
}
