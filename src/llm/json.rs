//! Finding a JSON object inside a model's free text.

/// The first balanced `{...}` in `text` that parses as JSON, as a slice.
/// Braces inside strings are skipped, so prose before the object and code
/// fences around it do not matter.
pub fn first_json_object(text: &str) -> Option<&str> {
    let bytes = text.as_bytes();
    let mut from = 0;
    while let Some(offset) = text[from..].find('{') {
        let start = from + offset;
        if let Some(end) = balanced_end(bytes, start) {
            let candidate = &text[start..=end];
            if serde_json::from_str::<serde_json::Value>(candidate).is_ok() {
                return Some(candidate);
            }
        }
        from = start + 1;
    }
    None
}

/// Index of the `}` closing the `{` at `start`, if any.
fn balanced_end(bytes: &[u8], start: usize) -> Option<usize> {
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    for (i, &b) in bytes.iter().enumerate().skip(start) {
        if in_string {
            match b {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'{' => depth += 1,
            b'}' => {
                depth -= 1;
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::first_json_object;

    #[test]
    fn finds_the_object_in_prose_and_fences() {
        let text =
            "Sure {not json}. Here:\n```json\n{\"a\": \"}{\", \"b\": {\"c\": 1}}\n```\n{\"d\":2}";
        assert_eq!(
            first_json_object(text),
            Some("{\"a\": \"}{\", \"b\": {\"c\": 1}}")
        );
        assert_eq!(first_json_object("no object { here"), None);
        assert_eq!(first_json_object(""), None);
    }
}
