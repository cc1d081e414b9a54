//! Plausible sizes and masses of everyday things, for catching a 3 m cup.
//! Ranges are generous: they flag mistakes of scale, not matters of taste.

/// (kind, largest dimension in metres [min, max], mass in kg [min, max]).
pub const KINDS: &[(&str, [f32; 2], [f32; 2])] = &[
    ("cup", [0.05, 0.3], [0.05, 1.5]),
    ("mug", [0.06, 0.3], [0.1, 1.5]),
    ("glass", [0.05, 0.4], [0.05, 2.0]),
    ("bottle", [0.08, 0.7], [0.05, 3.0]),
    ("can", [0.05, 0.3], [0.01, 1.0]),
    ("plate", [0.1, 0.5], [0.1, 2.0]),
    ("bowl", [0.08, 0.5], [0.1, 3.0]),
    ("apple", [0.04, 0.15], [0.05, 0.5]),
    ("orange", [0.04, 0.15], [0.05, 0.5]),
    ("egg", [0.03, 0.1], [0.02, 0.15]),
    ("book", [0.1, 0.5], [0.1, 4.0]),
    ("phone", [0.08, 0.25], [0.05, 0.5]),
    ("pencil", [0.08, 0.25], [0.002, 0.05]),
    ("coin", [0.01, 0.05], [0.001, 0.05]),
    ("domino", [0.03, 0.6], [0.005, 5.0]),
    ("dice", [0.01, 0.1], [0.002, 0.5]),
    ("ball", [0.02, 1.2], [0.002, 10.0]),
    ("marble", [0.008, 0.05], [0.002, 0.2]),
    ("pin", [0.1, 0.6], [0.1, 2.5]),
    ("lamp", [0.15, 2.2], [0.3, 20.0]),
    ("chair", [0.4, 1.4], [2.0, 30.0]),
    ("stool", [0.3, 1.0], [1.0, 15.0]),
    ("table", [0.4, 4.0], [5.0, 150.0]),
    ("desk", [0.6, 3.0], [10.0, 150.0]),
    ("sofa", [1.0, 3.5], [20.0, 200.0]),
    ("couch", [1.0, 3.5], [20.0, 200.0]),
    ("bed", [1.2, 3.0], [20.0, 250.0]),
    ("door", [1.5, 3.0], [5.0, 80.0]),
    ("window", [0.3, 4.0], [2.0, 100.0]),
    ("crate", [0.2, 2.0], [1.0, 200.0]),
    ("box", [0.05, 3.0], [0.05, 500.0]),
    ("barrel", [0.4, 1.5], [5.0, 300.0]),
    ("person", [1.2, 2.2], [30.0, 150.0]),
    ("dog", [0.3, 1.2], [2.0, 90.0]),
    ("cat", [0.25, 0.8], [1.0, 10.0]),
    ("bird", [0.08, 1.5], [0.01, 10.0]),
    ("car", [2.5, 6.0], [600.0, 3500.0]),
    ("bicycle", [1.2, 2.2], [5.0, 25.0]),
    ("tree", [1.0, 60.0], [50.0, 1e6]),
    ("bush", [0.2, 4.0], [1.0, 500.0]),
    ("rock", [0.02, 20.0], [0.01, 1e7]),
    ("stone", [0.01, 10.0], [0.005, 1e6]),
    ("boulder", [0.5, 20.0], [100.0, 1e7]),
    ("house", [3.0, 40.0], [1e4, 1e7]),
    ("leaf", [0.01, 0.6], [0.0005, 0.05]),
    ("candle", [0.03, 0.4], [0.02, 1.0]),
    ("stump", [0.2, 3.0], [5.0, 5000.0]),
    ("shelf", [0.3, 3.0], [2.0, 200.0]),
    ("bookshelf", [0.5, 3.0], [10.0, 300.0]),
    ("vase", [0.08, 1.2], [0.2, 40.0]),
    ("rug", [0.5, 6.0], [0.5, 80.0]),
    ("plant", [0.1, 3.0], [0.1, 80.0]),
    ("jellyfish", [0.05, 2.5], [0.01, 200.0]),
    ("fish", [0.03, 2.0], [0.01, 200.0]),
    ("kettle", [0.12, 0.5], [0.3, 5.0]),
    ("stove", [0.4, 1.8], [10.0, 200.0]),
    ("room", [2.0, 50.0], [500.0, 1e6]),
    ("mushroom", [0.02, 0.5], [0.002, 3.0]),
    ("flower", [0.05, 3.0], [0.001, 5.0]),
    ("reed", [0.3, 5.0], [0.005, 50.0]),
    ("grass", [0.02, 1000.0], [0.001, 1e7]),
    ("wheat", [0.3, 1000.0], [0.01, 1e7]),
    ("pond", [0.5, 300.0], [50.0, 1e9]),
    ("cloud", [2.0, 2000.0], [1.0, 1e10]),
    ("coral", [0.05, 5.0], [0.01, 5000.0]),
    ("seaweed", [0.1, 40.0], [0.01, 500.0]),
];

/// Words that make a thing a small copy of its kind ("toy car").
const MINIATURE: &[&str] = &[
    "toy",
    "model",
    "miniature",
    "mini",
    "tiny",
    "figurine",
    "replica",
    "dollhouse",
    "doll",
    "scale",
];

/// The words of a name, lower case, numbers and separators dropped, cut at
/// "of" ("cup_of_tea" is a cup).
fn words(label: &str) -> Vec<String> {
    let lower = label.to_lowercase();
    let mut out: Vec<String> = Vec::new();
    for w in lower
        .split(|c: char| !c.is_ascii_alphabetic())
        .filter(|w| !w.is_empty())
    {
        if w == "of" && !out.is_empty() {
            break;
        }
        out.push(w.to_string());
    }
    out
}

fn kind_named(word: &str) -> Option<&'static (&'static str, [f32; 2], [f32; 2])> {
    KINDS
        .iter()
        .find(|(k, _, _)| word == *k || word.strip_suffix('s') == Some(k))
}

/// The kind a name or tag refers to: its head noun, the last word (so
/// "apple_tree" is a tree, "barrel_rack" a rack, which is no kind we know,
/// and "teacup" is not a cup but "tea_cup" and "cup_2" are).
pub fn kind_of(label: &str) -> Option<&'static (&'static str, [f32; 2], [f32; 2])> {
    words(label).last().and_then(|w| kind_named(w))
}

/// A kind with the ranges that apply to this thing: the head noun of its
/// name, or of the brief's kind for it, scaled down for a toy or a model.
#[derive(Debug, Clone, PartialEq)]
pub struct Judged {
    /// "car", or "toy car".
    pub kind: String,
    pub size: [f32; 2],
    pub mass: [f32; 2],
}

pub fn judge_kind(name: &str, brief_kind: Option<&str>) -> Option<Judged> {
    let mut ws = words(name);
    let mut base = ws.last().and_then(|w| kind_named(w));
    if let Some(k) = brief_kind {
        let bw = words(k);
        if let Some(b) = bw.last().and_then(|w| kind_named(w)) {
            base = Some(b);
        } else if !bw.is_empty() {
            // The brief names a kind we have no sizes for: trust it over the name.
            base = None;
        }
        ws.extend(bw);
    }
    let (kind, size, mass) = base?;
    let small = ws.iter().any(|w| MINIATURE.contains(&w.as_str()));
    Some(if small {
        Judged {
            kind: format!("toy {kind}"),
            size: [size[0] * 0.01, size[1] * 0.5],
            mass: [mass[0] * 1e-5, mass[1] * 0.1],
        }
    } else {
        Judged {
            kind: kind.to_string(),
            size: *size,
            mass: *mass,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_from_names() {
        assert_eq!(kind_of("cup").map(|k| k.0), Some("cup"));
        assert_eq!(kind_of("coffee_cup_2").map(|k| k.0), Some("cup"));
        assert_eq!(kind_of("Dominoes").map(|k| k.0), None);
        assert_eq!(kind_of("domino_14").map(|k| k.0), Some("domino"));
        assert_eq!(kind_of("teacup"), None);
        assert_eq!(kind_of("pins").map(|k| k.0), Some("pin"));
        assert_eq!(kind_of("apple_tree").map(|k| k.0), Some("tree"));
        assert_eq!(kind_of("barrel_rack"), None);
        assert_eq!(kind_of("cup_of_tea").map(|k| k.0), Some("cup"));
        let toy = judge_kind("toy_car", None).unwrap();
        assert_eq!(toy.kind, "toy car");
        assert!(toy.size[0] < 0.15 && toy.size[1] > 0.15);
        assert_eq!(
            judge_kind("red_thing", Some("model car")).unwrap().kind,
            "toy car"
        );
        assert_eq!(judge_kind("family_car", None).unwrap().kind, "car");
        for (k, size, mass) in KINDS {
            assert!(size[0] < size[1] && mass[0] < mass[1], "{k}");
        }
    }
}
