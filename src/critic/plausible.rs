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
    ("jellyfish", [0.05, 2.5], [0.01, 200.0]),
    ("fish", [0.03, 2.0], [0.01, 200.0]),
];

/// The kind a name or tag refers to: the longest kind word it contains as a
/// whole word (so "teacup" is not a cup but "tea_cup" and "cup_2" are).
pub fn kind_of(label: &str) -> Option<&'static (&'static str, [f32; 2], [f32; 2])> {
    let lower = label.to_lowercase();
    let words: Vec<&str> = lower
        .split(|c: char| !c.is_ascii_alphabetic())
        .filter(|w| !w.is_empty())
        .collect();
    KINDS
        .iter()
        .filter(|(k, _, _)| {
            words
                .iter()
                .any(|w| w == k || w.strip_suffix('s') == Some(k))
        })
        .max_by_key(|(k, _, _)| k.len())
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
        for (k, size, mass) in KINDS {
            assert!(size[0] < size[1] && mass[0] < mass[1], "{k}");
        }
    }
}
