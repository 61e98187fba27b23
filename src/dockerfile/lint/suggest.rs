//! "Did you mean …?" — moby/buildkit `util/suggest/error.go` `Search`: the first option
//! with a Levenshtein distance below 3 (and below every earlier candidate) wins; an exact
//! match means there is nothing to suggest.

/// The closest option to `value`, if close enough.
pub fn search<'a>(
    value: &str,
    options: impl IntoIterator<Item = &'a str>,
    case_sensitive: bool,
) -> Option<String> {
    if value.is_empty() {
        return None;
    }
    let norm = |s: &str| {
        if case_sensitive {
            s.to_owned()
        } else {
            s.to_lowercase()
        }
    };
    let value_n = norm(value);
    let mut best: Option<String> = None;
    let mut min = 3;
    for option in options {
        let option_n = norm(option);
        if option_n == value_n {
            return None;
        }
        let d = levenshtein(&value_n, &option_n);
        if d < min {
            min = d;
            best = Some(option.to_owned());
        }
    }
    best
}

fn levenshtein(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, &cb) in b.iter().enumerate() {
            let cost = usize::from(ca != cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_close_names_only() {
        assert_eq!(
            search("VERSON", ["VERSION", "OTHER"], true).as_deref(),
            Some("VERSION")
        );
        assert_eq!(search("VERSION", ["VERSION"], true), None);
        assert_eq!(search("ABCDEF", ["XYZ"], true), None);
        assert_eq!(levenshtein("kitten", "sitting"), 3);
    }
}
