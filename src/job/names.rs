//! Pod names as the API server generates them, and the random suffix alphabet.
//!
//! Pure: the randomness is a parameter (any `rand::Rng`), so tests can seed it.

use rand::Rng;

/// Characters of generated name suffixes: no vowels, no look-alikes
/// (apimachinery `pkg/util/rand/rand.go` `alphanums`).
pub const SUFFIX_ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";

/// Length of the random suffix (`randomLength` in apiserver `pkg/storage/names/generate.go`).
pub const SUFFIX_LEN: usize = 5;

/// Longest base kept before the suffix: 63 − 5 (`maxGeneratedNameLength`).
pub const MAX_BASE_LEN: usize = 63 - SUFFIX_LEN;

/// `generateName` prefix of a Job's pods: `<job>-`, or `<job>-<index>-` for Indexed Jobs.
///
/// Indexed prefixes longer than 58 characters are cut to `58 − len("-<i>-")` characters before
/// `-<i>-` is added (`podGenerateNameWithIndex`, kubernetes `pkg/controller/job/indexed_job_utils.go`).
pub fn pod_generate_name(job: &str, index: Option<i32>) -> String {
    match index {
        None => format!("{job}-"),
        Some(i) => {
            let append = format!("-{i}-");
            let mut base = job.to_string();
            if base.len() + append.len() > MAX_BASE_LEN {
                base.truncate(MAX_BASE_LEN.saturating_sub(append.len()));
            }
            format!("{base}{append}")
        }
    }
}

/// A full generated name: the prefix cut to 58 characters plus 5 random suffix characters.
pub fn generate_name(prefix: &str, rng: &mut impl Rng) -> String {
    let mut name: String = prefix.chars().take(MAX_BASE_LEN).collect();
    for _ in 0..SUFFIX_LEN {
        let pick = rng.random_range(0..SUFFIX_ALPHABET.len());
        name.push(char::from(SUFFIX_ALPHABET[pick]));
    }
    name
}

/// A random (version 4) UUID, formatted as Kubernetes UIDs are.
pub fn random_uid(rng: &mut impl Rng) -> String {
    let mut b: [u8; 16] = rng.random();
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn names_use_the_apiserver_alphabet() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        let re = regex::Regex::new("^pi-[bcdfghjklmnpqrstvwxz2456789]{5}$").unwrap();
        for _ in 0..50 {
            let name = generate_name(&pod_generate_name("pi", None), &mut rng);
            assert!(re.is_match(&name), "{name}");
        }
        let indexed = generate_name(&pod_generate_name("pi", Some(2)), &mut rng);
        assert!(
            indexed.starts_with("pi-2-") && indexed.len() == 10,
            "{indexed}"
        );
    }

    #[test]
    fn long_names_are_truncated_like_kubernetes() {
        let job = "a".repeat(70);
        let mut rng = rand::rngs::StdRng::seed_from_u64(1);
        assert_eq!(
            generate_name(&pod_generate_name(&job, None), &mut rng).len(),
            63
        );
        let prefix = pod_generate_name(&job, Some(12));
        assert_eq!(prefix, format!("{}-12-", "a".repeat(54)));
    }
}
