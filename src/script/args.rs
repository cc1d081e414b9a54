//! Turning script values into world values, with errors that name the
//! function, the parameter, what was expected and what was given.
//!
//! API functions take `Dynamic` arguments and convert them here, rather than
//! letting Rhai match typed signatures: that way `1` and `1.0` both work
//! wherever a number is wanted, `[x, y, z]` and `vec3(x, y, z)` both work
//! wherever a vector is, and a wrong value gets a precise message instead of
//! "function not found".

use glam::{Vec2, Vec3};
use rhai::{Array, Dynamic, Map};

use super::error::ApiError;
use super::registry::{FnDoc, OptSpec, OptType};
use crate::util::suggest::closest;
use crate::world::material::{COLOR_NAMES, parse_color_str, srgb_to_linear};

pub type ApiResult<T> = Result<T, ApiError>;

/// A readable description of a script value for error messages.
pub fn describe(d: &Dynamic) -> String {
    if d.is_unit() {
        return "()".into();
    }
    if let Some(s) = d.clone().try_cast::<rhai::ImmutableString>() {
        return format!("\"{s}\"");
    }
    if let Ok(i) = d.as_int() {
        return i.to_string();
    }
    if let Ok(f) = d.as_float() {
        return format!("{f}");
    }
    if let Ok(b) = d.as_bool() {
        return b.to_string();
    }
    if d.is_array() {
        let a = d.read_lock::<Array>().map(|a| a.len()).unwrap_or(0);
        return format!("an array of {a}");
    }
    if d.is_map() {
        return "a map".into();
    }
    format!("a {}", d.type_name().rsplit("::").next().unwrap_or("value"))
}

pub fn number(d: &Dynamic) -> Option<f64> {
    if let Ok(f) = d.as_float() {
        Some(f)
    } else {
        d.as_int().ok().map(|i| i as f64)
    }
}

pub fn f64_arg(func: &'static str, param: &str, d: &Dynamic) -> ApiResult<f64> {
    match number(d) {
        Some(v) if v.is_finite() => Ok(v),
        Some(v) => Err(ApiError::validation(
            func,
            format!("'{param}' must be a finite number, got {v}"),
        )),
        None => Err(ApiError::type_error(
            func,
            format!("'{param}' must be a number, got {}", describe(d)),
        )),
    }
}

pub fn f32_arg(func: &'static str, param: &str, d: &Dynamic) -> ApiResult<f32> {
    let v = f64_arg(func, param, d)?;
    if v.abs() > 1e9 {
        return Err(ApiError::validation(
            func,
            format!("'{param}' = {v} is unreasonably large (limit 1e9)"),
        ));
    }
    Ok(v as f32)
}

pub fn check_range(func: &'static str, param: &str, v: f64, min: f64, max: f64) -> ApiResult<()> {
    if v < min || v > max {
        return Err(ApiError::validation(
            func,
            format!(
                "'{param}' must be in [{}, {}], got {v}",
                fmt_bound(min),
                fmt_bound(max)
            ),
        ));
    }
    Ok(())
}

fn fmt_bound(v: f64) -> String {
    if v.is_infinite() {
        if v > 0.0 { "inf".into() } else { "-inf".into() }
    } else {
        format!("{v}")
    }
}

pub fn positive(func: &'static str, param: &str, d: &Dynamic) -> ApiResult<f32> {
    let v = f32_arg(func, param, d)?;
    if v <= 0.0 {
        return Err(ApiError::validation(
            func,
            format!("'{param}' must be greater than 0, got {v}"),
        ));
    }
    Ok(v)
}

pub fn int_arg(func: &'static str, param: &str, d: &Dynamic) -> ApiResult<i64> {
    if let Ok(i) = d.as_int() {
        return Ok(i);
    }
    if let Ok(f) = d.as_float()
        && f.fract() == 0.0
        && f.abs() < 1e15
    {
        return Ok(f as i64);
    }
    Err(ApiError::type_error(
        func,
        format!("'{param}' must be a whole number, got {}", describe(d)),
    ))
}

pub fn str_arg(func: &'static str, param: &str, d: &Dynamic) -> ApiResult<String> {
    d.clone()
        .try_cast::<rhai::ImmutableString>()
        .map(|s| s.to_string())
        .ok_or_else(|| {
            ApiError::type_error(
                func,
                format!("'{param}' must be a string, got {}", describe(d)),
            )
        })
}

pub fn bool_arg(func: &'static str, param: &str, d: &Dynamic) -> ApiResult<bool> {
    d.as_bool().map_err(|_| {
        ApiError::type_error(
            func,
            format!("'{param}' must be true or false, got {}", describe(d)),
        )
    })
}

pub fn array_arg(func: &'static str, param: &str, d: &Dynamic) -> ApiResult<Array> {
    if d.is_array() {
        Ok(d.clone().into_array().unwrap_or_default())
    } else {
        Err(ApiError::type_error(
            func,
            format!("'{param}' must be an array, got {}", describe(d)),
        ))
    }
}

/// `[x, y, z]` or a `vec3`.
pub fn vec3_arg(func: &'static str, param: &str, d: &Dynamic) -> ApiResult<Vec3> {
    if let Some(v) = d.clone().try_cast::<Vec3>() {
        return if v.is_finite() {
            Ok(v)
        } else {
            Err(ApiError::validation(
                func,
                format!("'{param}' must be finite, got {v}"),
            ))
        };
    }
    if d.is_array() {
        let a = d.clone().into_array().unwrap_or_default();
        if a.len() == 3 {
            let x = f32_arg(func, &format!("{param}[0]"), &a[0])?;
            let y = f32_arg(func, &format!("{param}[1]"), &a[1])?;
            let z = f32_arg(func, &format!("{param}[2]"), &a[2])?;
            return Ok(Vec3::new(x, y, z));
        }
        return Err(ApiError::type_error(
            func,
            format!(
                "'{param}' must be [x, y, z] (3 numbers), got an array of {}",
                a.len()
            ),
        ));
    }
    Err(ApiError::type_error(
        func,
        format!("'{param}' must be [x, y, z], got {}", describe(d)),
    ))
}

/// A vector, or one number for all three axes.
pub fn vec3_or_scalar(func: &'static str, param: &str, d: &Dynamic) -> ApiResult<Vec3> {
    if let Some(v) = number(d) {
        let v = f32_arg(func, param, d).map(|_| v as f32)?;
        return Ok(Vec3::splat(v));
    }
    vec3_arg(func, param, d)
}

pub fn vec2_arg(func: &'static str, param: &str, d: &Dynamic) -> ApiResult<Vec2> {
    let a = array_arg(func, param, d)?;
    if a.len() != 2 {
        return Err(ApiError::type_error(
            func,
            format!("'{param}' must be [x, y], got an array of {}", a.len()),
        ));
    }
    Ok(Vec2::new(
        f32_arg(func, &format!("{param}[0]"), &a[0])?,
        f32_arg(func, &format!("{param}[1]"), &a[1])?,
    ))
}

pub fn points_arg(func: &'static str, param: &str, d: &Dynamic) -> ApiResult<Vec<Vec3>> {
    array_arg(func, param, d)?
        .iter()
        .enumerate()
        .map(|(i, p)| vec3_arg(func, &format!("{param}[{i}]"), p))
        .collect()
}

pub fn points2_arg(func: &'static str, param: &str, d: &Dynamic) -> ApiResult<Vec<Vec2>> {
    array_arg(func, param, d)?
        .iter()
        .enumerate()
        .map(|(i, p)| vec2_arg(func, &format!("{param}[{i}]"), p))
        .collect()
}

/// A colour given as a name, `#rrggbb`, `[r, g, b]` in 0..1, or `[r, g, b]`
/// of integers in 0..255. Returns linear RGB.
pub fn color_arg(func: &'static str, param: &str, d: &Dynamic) -> ApiResult<Vec3> {
    if let Some(s) = d.clone().try_cast::<rhai::ImmutableString>() {
        return parse_color_str(&s).map(srgb_to_linear).ok_or_else(|| {
            ApiError::validation(func, format!("'{param}': unknown colour \"{s}\""))
                .with_suggestions(closest(&s, COLOR_NAMES.iter().map(|(n, _)| *n), 3))
                .with_hint("Use a colour name, \"#rrggbb\", or [r, g, b] with components in 0..1.")
        });
    }
    if d.is_array() {
        let a = d.clone().into_array().unwrap_or_default();
        if a.len() == 3 {
            let all_int = a.iter().all(|v| v.is_int());
            let mut c = vec3_arg(func, param, d)?;
            if all_int && c.max_element() > 1.0 {
                c /= 255.0;
            }
            if c.min_element() < 0.0 || c.max_element() > 1.0 {
                return Err(ApiError::validation(
                    func,
                    format!("'{param}' components must be in 0..1 (or integers 0..255), got {c}"),
                ));
            }
            return Ok(srgb_to_linear(c));
        }
    }
    if let Some(v) = d.clone().try_cast::<Vec3>() {
        return Ok(srgb_to_linear(v.clamp(Vec3::ZERO, Vec3::ONE)));
    }
    Err(ApiError::type_error(
        func,
        format!(
            "'{param}' must be a colour name, \"#rrggbb\" or [r, g, b], got {}",
            describe(d)
        ),
    ))
}

/// An option map validated against a function's documented option keys.
pub struct Opts {
    doc: &'static FnDoc,
    map: Map,
}

impl Opts {
    /// Rejects unknown keys, suggesting the closest valid ones.
    pub fn parse(doc: &'static FnDoc, d: Option<&Dynamic>) -> ApiResult<Opts> {
        let map = match d {
            None => Map::new(),
            Some(d) if d.is_unit() => Map::new(),
            Some(d) => d.clone().try_cast::<Map>().ok_or_else(|| {
                ApiError::type_error(
                    doc.name,
                    format!(
                        "'options' must be a map #{{ key: value }}, got {}",
                        describe(d)
                    ),
                )
                .with_hint(
                    "Options are written as a map: #{ name: \"ball\", position: [0, 1, 0] }.",
                )
            })?,
        };
        Self::from_map(doc, map)
    }

    pub fn from_map(doc: &'static FnDoc, map: Map) -> ApiResult<Opts> {
        for key in map.keys() {
            if doc.option(key).is_none() {
                let valid: Vec<&str> = doc.option_specs().map(|o| o.key).collect();
                return Err(
                    ApiError::validation(doc.name, format!("unknown option '{key}'"))
                        .with_suggestions(closest(key, valid.iter().copied(), 3))
                        .with_hint(format!(
                            "Valid options for {}: {}.",
                            doc.name,
                            valid.join(", ")
                        )),
                );
            }
        }
        Ok(Opts { doc, map })
    }

    pub fn func(&self) -> &'static str {
        self.doc.name
    }

    pub fn has(&self, key: &str) -> bool {
        self.map.get(key).is_some_and(|v| !v.is_unit())
    }

    pub fn raw(&self, key: &str) -> Option<&Dynamic> {
        self.map.get(key).filter(|v| !v.is_unit())
    }

    fn spec(&self, key: &str) -> &'static OptSpec {
        // Keys are checked on parse; asking for an undocumented one is our bug.
        self.doc.option(key).unwrap_or_else(|| {
            panic!(
                "{}: option '{key}' is read but not documented",
                self.doc.name
            )
        })
    }

    pub fn f32(&self, key: &str) -> ApiResult<Option<f32>> {
        let Some(d) = self.raw(key) else {
            return Ok(None);
        };
        let v = f32_arg(self.func(), key, d)?;
        if let OptType::Float { min, max } = self.spec(key).ty {
            check_range(self.func(), key, v as f64, min, max)?;
        }
        Ok(Some(v))
    }

    pub fn f64(&self, key: &str) -> ApiResult<Option<f64>> {
        let Some(d) = self.raw(key) else {
            return Ok(None);
        };
        let v = f64_arg(self.func(), key, d)?;
        if let OptType::Float { min, max } = self.spec(key).ty {
            check_range(self.func(), key, v, min, max)?;
        }
        Ok(Some(v))
    }

    pub fn int(&self, key: &str) -> ApiResult<Option<i64>> {
        let Some(d) = self.raw(key) else {
            return Ok(None);
        };
        let v = int_arg(self.func(), key, d)?;
        if let OptType::Int { min, max } = self.spec(key).ty
            && (v < min || v > max)
        {
            return Err(ApiError::validation(
                self.func(),
                format!("'{key}' must be in [{min}, {max}], got {v}"),
            ));
        }
        Ok(Some(v))
    }

    pub fn bool(&self, key: &str) -> ApiResult<Option<bool>> {
        self.raw(key)
            .map(|d| bool_arg(self.func(), key, d))
            .transpose()
    }

    pub fn vec3(&self, key: &str) -> ApiResult<Option<Vec3>> {
        self.raw(key)
            .map(|d| vec3_arg(self.func(), key, d))
            .transpose()
    }

    pub fn vec3_or_scalar(&self, key: &str) -> ApiResult<Option<Vec3>> {
        let Some(d) = self.raw(key) else {
            return Ok(None);
        };
        let v = vec3_or_scalar(self.func(), key, d)?;
        if let OptType::Vec3OrScalar { min } = self.spec(key).ty
            && v.min_element() < min as f32
        {
            return Err(ApiError::validation(
                self.func(),
                format!("'{key}' components must be at least {min}, got {v}"),
            ));
        }
        Ok(Some(v))
    }

    /// `[low, high]` or a single number for both.
    pub fn range(&self, key: &str) -> ApiResult<Option<[f32; 2]>> {
        let Some(d) = self.raw(key) else {
            return Ok(None);
        };
        let func = self.func();
        let pair = if let Some(v) = number(d) {
            [v as f32, v as f32]
        } else {
            let a = array_arg(func, key, d)?;
            if a.len() != 2 {
                return Err(ApiError::type_error(
                    func,
                    format!(
                        "'{key}' must be [low, high] or a number, got an array of {}",
                        a.len()
                    ),
                ));
            }
            [f32_arg(func, key, &a[0])?, f32_arg(func, key, &a[1])?]
        };
        if let OptType::Range { min, max } = self.spec(key).ty {
            for v in pair {
                check_range(func, key, v as f64, min, max)?;
            }
        }
        Ok(Some(pair))
    }

    pub fn color(&self, key: &str) -> ApiResult<Option<Vec3>> {
        self.raw(key)
            .map(|d| color_arg(self.func(), key, d))
            .transpose()
    }

    pub fn text(&self, key: &str) -> ApiResult<Option<String>> {
        self.raw(key)
            .map(|d| str_arg(self.func(), key, d))
            .transpose()
    }

    /// One of the documented choices, parsed by `parse`.
    pub fn choice<T>(&self, key: &str, parse: impl Fn(&str) -> Option<T>) -> ApiResult<Option<T>> {
        let Some(d) = self.raw(key) else {
            return Ok(None);
        };
        let s = str_arg(self.func(), key, d)?;
        let choices: &[&str] = match self.spec(key).ty {
            OptType::Choice { choices } => choices,
            _ => &[],
        };
        parse(&s).map(Some).ok_or_else(|| {
            ApiError::validation(
                self.func(),
                format!("'{key}' must be one of {}, got \"{s}\"", choices.join(", ")),
            )
            .with_suggestions(closest(&s, choices.iter().copied(), 3))
        })
    }

    pub fn tags(&self, key: &str) -> ApiResult<Option<Vec<String>>> {
        let Some(d) = self.raw(key) else {
            return Ok(None);
        };
        if let Ok(s) = str_arg(self.func(), key, d) {
            return Ok(Some(vec![s]));
        }
        let a = array_arg(self.func(), key, d)?;
        a.iter()
            .map(|t| str_arg(self.func(), key, t))
            .collect::<ApiResult<Vec<_>>>()
            .map(Some)
    }

    pub fn points(&self, key: &str) -> ApiResult<Option<Vec<Vec3>>> {
        self.raw(key)
            .map(|d| points_arg(self.func(), key, d))
            .transpose()
    }

    pub fn map(&self) -> &Map {
        &self.map
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_accept_ints_and_floats() {
        assert_eq!(f32_arg("f", "x", &Dynamic::from(2_i64)).unwrap(), 2.0);
        assert_eq!(f32_arg("f", "x", &Dynamic::from(2.5_f64)).unwrap(), 2.5);
        let e = f32_arg("f", "x", &Dynamic::from("two")).unwrap_err();
        assert!(e.message.contains("'x' must be a number"), "{}", e.message);
        assert!(f64_arg("f", "x", &Dynamic::from(f64::NAN)).is_err());
    }

    #[test]
    fn vectors_and_colours() {
        let arr: Array = vec![
            Dynamic::from(1_i64),
            Dynamic::from(2.0_f64),
            Dynamic::from(3_i64),
        ];
        assert_eq!(
            vec3_arg("f", "p", &Dynamic::from(arr)).unwrap(),
            Vec3::new(1.0, 2.0, 3.0)
        );
        let short: Array = vec![Dynamic::from(1_i64)];
        assert!(vec3_arg("f", "p", &Dynamic::from(short)).is_err());
        let c255: Array = vec![
            Dynamic::from(255_i64),
            Dynamic::from(0_i64),
            Dynamic::from(0_i64),
        ];
        assert_eq!(
            color_arg("f", "c", &Dynamic::from(c255)).unwrap(),
            Vec3::new(1.0, 0.0, 0.0)
        );
        let e = color_arg("f", "c", &Dynamic::from("bleu")).unwrap_err();
        assert!(
            e.suggestions.contains(&"blue".to_string()),
            "{:?}",
            e.suggestions
        );
    }
}
