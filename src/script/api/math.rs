//! Math functions that accept integers as well as floats, computed the same
//! on every machine.
//!
//! Rhai's math functions take floats only, so `sqrt(2)` or `atan(1, 2)` fail
//! to resolve; models write such calls constantly. Here each is registered for
//! any mix of integer and float arguments, documented once. The float forms
//! shadow Rhai's own, which call the platform's libm: that can pick different
//! code paths on different CPUs, and a world must not depend on the CPU.

use rhai::{Dynamic, EvalAltResult};

use super::{Api, reg};
use crate::script::args::f64_arg;
use crate::script::error::ApiError;
use crate::script::registry::{FnDoc, Topic};

type R<T> = Result<T, Box<EvalAltResult>>;

macro_rules! unary_doc {
    ($ident:ident, $name:literal, $doc:literal, $example:literal) => {
        pub static $ident: FnDoc = FnDoc {
            name: $name,
            aliases: &[],
            topic: Topic::Math,
            forms: &[concat!($name, "(x)")],
            returns: "float",
            params: &[("x", "number")],
            doc: $doc,
            options: &[],
            example: $example,
        };
    };
}

unary_doc!(
    SIN,
    "sin",
    "Sine of an angle in radians (to_radians(deg) converts).",
    "let y = sin(to_radians(30));"
);
unary_doc!(
    COS,
    "cos",
    "Cosine of an angle in radians.",
    "let x = cos(PI() / 3.0);"
);
unary_doc!(
    TAN,
    "tan",
    "Tangent of an angle in radians.",
    "let t = tan(0.5);"
);
unary_doc!(ASIN, "asin", "Arc-sine, radians.", "let a = asin(0.5);");
unary_doc!(ACOS, "acos", "Arc-cosine, radians.", "let a = acos(0);");
unary_doc!(SQRT, "sqrt", "Square root.", "let r = sqrt(2);");
unary_doc!(EXP, "exp", "e to the power x.", "let g = exp(-1);");
unary_doc!(LN, "ln", "Natural logarithm.", "let l = ln(10);");
unary_doc!(
    FLOOR,
    "floor",
    "Largest whole number not above x, as a float.",
    "let f = floor(2.7);"
);
unary_doc!(
    CEILING,
    "ceiling",
    "Smallest whole number not below x, as a float.",
    "let c = ceiling(2.1);"
);
unary_doc!(
    ROUND,
    "round",
    "Nearest whole number, as a float.",
    "let r = round(2.5);"
);
unary_doc!(
    TO_RADIANS,
    "to_radians",
    "Degrees to radians.",
    "let r = to_radians(90);"
);
unary_doc!(
    TO_DEGREES,
    "to_degrees",
    "Radians to degrees.",
    "let d = to_degrees(PI());"
);

pub static ATAN: FnDoc = FnDoc {
    name: "atan",
    aliases: &[],
    topic: Topic::Math,
    forms: &["atan(x)", "atan(y, x)"],
    returns: "float",
    params: &[("y, x", "numbers")],
    doc: "Arc-tangent in radians; with two arguments, the angle of the point (x, y) (like atan2).",
    options: &[],
    example: "let heading = atan(1, 0);",
};

pub static MIN: FnDoc = FnDoc {
    name: "min",
    aliases: &[],
    topic: Topic::Math,
    forms: &["min(a, b)"],
    returns: "number",
    params: &[("a, b", "numbers")],
    doc: "The smaller of two numbers (integer if both are).",
    options: &[],
    example: "let m = min(3, 2.5);",
};

pub static MAX: FnDoc = FnDoc {
    name: "max",
    aliases: &[],
    topic: Topic::Math,
    forms: &["max(a, b)"],
    returns: "number",
    params: &[("a, b", "numbers")],
    doc: "The larger of two numbers (integer if both are).",
    options: &[],
    example: "let m = max(1, 0.5);",
};

pub static CLAMP: FnDoc = FnDoc {
    name: "clamp",
    aliases: &[],
    topic: Topic::Math,
    forms: &["clamp(x, low, high)"],
    returns: "number",
    params: &[("x, low, high", "numbers")],
    doc: "x limited to [low, high] (integer if all are).",
    options: &[],
    example: "let c = clamp(1.7, 0, 1);",
};

fn unary(api: &mut Api, doc: &'static FnDoc, f: fn(f64) -> f64) {
    reg!(
        api,
        *doc,
        move |x: i64| -> f64 { f(x as f64) },
        move |x: f64| -> f64 { f(x) }
    );
}

fn both(d: &Dynamic) -> Option<i64> {
    d.as_int().ok()
}

pub fn register(api: &mut Api) {
    unary(api, &SIN, libm::sin);
    unary(api, &COS, libm::cos);
    unary(api, &TAN, libm::tan);
    unary(api, &ASIN, libm::asin);
    unary(api, &ACOS, libm::acos);
    unary(api, &SQRT, libm::sqrt);
    unary(api, &EXP, libm::exp);
    unary(api, &LN, libm::log);
    unary(api, &FLOOR, libm::floor);
    unary(api, &CEILING, libm::ceil);
    unary(api, &ROUND, libm::round);
    unary(api, &TO_RADIANS, f64::to_radians);
    unary(api, &TO_DEGREES, f64::to_degrees);
    reg!(
        api,
        ATAN,
        |x: i64| -> f64 { libm::atan(x as f64) },
        |x: f64| -> f64 { libm::atan(x) },
        |y: f64, x: f64| -> f64 { libm::atan2(y, x) },
        |y: i64, x: i64| -> f64 { libm::atan2(y as f64, x as f64) },
        |y: i64, x: f64| -> f64 { libm::atan2(y as f64, x) },
        |y: f64, x: i64| -> f64 { libm::atan2(y, x as f64) }
    );
    // Powers: `**` with any mix of integers and floats (integer ** integer
    // stays Rhai's, exact).
    api.engine
        .register_fn("**", |a: f64, b: f64| -> f64 { libm::pow(a, b) })
        .register_fn("**", |a: f64, b: i64| -> f64 { libm::pow(a, b as f64) })
        .register_fn("**", |a: i64, b: f64| -> f64 { libm::pow(a as f64, b) });
    // min and max exist for two integers or two floats; add the mixes.
    reg!(
        api,
        MIN,
        |a: i64, b: f64| -> f64 { (a as f64).min(b) },
        |a: f64, b: i64| -> f64 { a.min(b as f64) }
    );
    reg!(
        api,
        MAX,
        |a: i64, b: f64| -> f64 { (a as f64).max(b) },
        |a: f64, b: i64| -> f64 { a.max(b as f64) }
    );
    reg!(api, CLAMP, |x: Dynamic,
                      lo: Dynamic,
                      hi: Dynamic|
     -> R<Dynamic> {
        if let (Some(x), Some(lo), Some(hi)) = (both(&x), both(&lo), both(&hi)) {
            if lo > hi {
                return Err(ApiError::validation(
                    CLAMP.name,
                    format!("'low' ({lo}) is above 'high' ({hi})"),
                )
                .into());
            }
            return Ok(Dynamic::from_int(x.clamp(lo, hi)));
        }
        let x = f64_arg(CLAMP.name, "x", &x)?;
        let lo = f64_arg(CLAMP.name, "low", &lo)?;
        let hi = f64_arg(CLAMP.name, "high", &hi)?;
        if lo > hi {
            return Err(ApiError::validation(
                CLAMP.name,
                format!("'low' ({lo}) is above 'high' ({hi})"),
            )
            .into());
        }
        Ok(Dynamic::from_float(x.clamp(lo, hi)))
    });
}
