//! "Did you mean" suggestions by edit distance.

/// Damerau-Levenshtein distance (optimal string alignment), case-insensitive.
/// Transpositions count as one edit because they are the commonest typo.
pub fn edit_distance(a: &str, b: &str) -> usize {
    strsim::osa_distance(&a.to_lowercase(), &b.to_lowercase())
}

/// Up to `max` candidates close to `word`, best first, ties in input order.
/// A candidate that contains the word (or the reverse) also counts as close:
/// models often write `box_shape` for `box` or `rest` for `rests`.
pub fn closest<'a, I>(word: &str, candidates: I, max: usize) -> Vec<String>
where
    I: IntoIterator<Item = &'a str>,
{
    let lower = word.to_lowercase();
    let limit = (word.chars().count() / 3).max(2);
    let mut scored: Vec<(usize, usize, &str)> = Vec::new();
    for (order, c) in candidates.into_iter().enumerate() {
        if c.eq_ignore_ascii_case(word) {
            continue;
        }
        let d = edit_distance(word, c);
        let c_lower = c.to_lowercase();
        let contains = lower.len() >= 3
            && c_lower.len() >= 3
            && (c_lower.contains(&lower) || lower.contains(&c_lower));
        if d <= limit || contains {
            let score = if d <= limit { d } else { limit + 1 };
            if !scored.iter().any(|(_, _, s)| *s == c) {
                scored.push((score, order, c));
            }
        }
    }
    scored.sort_by_key(|(d, order, _)| (*d, *order));
    scored
        .into_iter()
        .take(max)
        .map(|(_, _, s)| s.to_string())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distances() {
        assert_eq!(edit_distance("sphere", "sphere"), 0);
        assert_eq!(edit_distance("shpere", "sphere"), 1);
        assert_eq!(edit_distance("cube", "tube"), 1);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("Sphere", "sphere"), 0);
        assert_eq!(edit_distance("hinge", "hnige"), 1);
    }

    #[test]
    fn suggestions_rank_by_distance() {
        let names = ["sphere", "spin", "spot_light", "box", "restitution"];
        assert_eq!(closest("sphre", names, 3), vec!["sphere"]);
        assert_eq!(closest("restitusion", names, 3), vec!["restitution"]);
        assert!(closest("zzzzzz", names, 3).is_empty());
    }
}
