//! How deep YAML input nests, and how far its aliases expand, measured before it is parsed
//! for real.
//!
//! libyaml (the parser under serde_yaml_ng) spends time proportional to the flow nesting on
//! every token, so `{a: ` × 100 000 (500 KB) took ~49 s of CPU before serde_yaml_ng's own
//! recursion limit (128) refused it. Here libyaml's event parser runs alone, one event at a
//! time with nothing kept, and stops at the first collection nested deeper than the limit:
//! the cost is then bounded by the limit times the input's size (3 MiB at most).
//!
//! Aliases are expanded by the real parse (serde_yaml_ng replays the anchored events for each
//! one, up to 100 times the document's own events), so 600 000 aliases of a 240-event anchor
//! (2 MiB) meant 140 million events and gigabytes of memory. Here each anchor's expanded size is
//! counted, and a document is refused as go-yaml (under kubectl's and the API server's YAML
//! decoding) refuses it: `document contains excessive aliasing` once more than 100 nodes come
//! from aliases, more than 1000 in all, and the share from aliases exceeds 99 % (up to 400 000
//! nodes) falling to 10 % (at 4 million).
//!
//! The only `unsafe` of the job module: libyaml's C-style API. The parser lives in a `Box`
//! that never moves while libyaml points into it, and it is deleted on every path.

use std::mem::MaybeUninit;

use unsafe_libyaml as unsafe_sys;

/// The deepest nesting accepted: serde_yaml_ng refuses anything deeper anyway ("recursion
/// limit exceeded"); a Job manifest nests about 20 levels.
pub const MAX_DEPTH: usize = 128;

/// Why a YAML input is refused before it is parsed, with the 1-based line and column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The first mapping or sequence nested deeper than the limit.
    TooDeep(usize, usize),
    /// The alias whose expansion made the document excessively aliased.
    ExcessiveAliasing(usize, usize),
}

/// The 1-based line and column of the first mapping or sequence nested deeper than `limit`,
/// or `None` (within the limit, or a syntax error first, which the real parse reports).
pub fn first_too_deep(source: &str, limit: usize) -> Option<(usize, usize)> {
    match check(source, limit) {
        Some(Refusal::TooDeep(line, column)) => Some((line, column)),
        _ => None,
    }
}

/// go-yaml's `allowedAliasRatio`: the share of decoded nodes that may come from aliases.
fn allowed_alias_ratio(decoded: u64) -> f64 {
    const LOW: u64 = 400_000;
    const HIGH: u64 = 4_000_000;
    if decoded <= LOW {
        0.99
    } else if decoded >= HIGH {
        0.10
    } else {
        0.99 - 0.89 * ((decoded - LOW) as f64 / (HIGH - LOW) as f64)
    }
}

/// go-yaml's `excessive aliasing` test on a document's counts so far.
fn excessive(aliased: u64, decoded: u64) -> bool {
    aliased > 100
        && decoded > 1000
        && aliased as f64 / decoded as f64 > allowed_alias_ratio(decoded)
}

/// The anchor of an event, if it has one (a copy: the event is deleted right after).
///
/// # Safety
/// `e` must point to an event initialized by a successful `yaml_parser_parse`.
unsafe fn anchor_of(e: *const unsafe_sys::yaml_event_t) -> Option<Vec<u8>> {
    let ptr = match (*e).type_ {
        unsafe_sys::YAML_ALIAS_EVENT => (*e).data.alias.anchor,
        unsafe_sys::YAML_SCALAR_EVENT => (*e).data.scalar.anchor,
        unsafe_sys::YAML_SEQUENCE_START_EVENT => (*e).data.sequence_start.anchor,
        unsafe_sys::YAML_MAPPING_START_EVENT => (*e).data.mapping_start.anchor,
        _ => return None,
    };
    if ptr.is_null() {
        return None;
    }
    // libyaml's anchors are NUL-terminated byte strings.
    Some(std::ffi::CStr::from_ptr(ptr.cast()).to_bytes().to_vec())
}

/// The first reason to refuse `source` before parsing it (nesting deeper than `limit`, or
/// excessive aliasing), or `None` (acceptable, or a syntax error first, which the real parse
/// reports).
pub fn check(source: &str, limit: usize) -> Option<Refusal> {
    let mut parser: Box<MaybeUninit<unsafe_sys::yaml_parser_t>> = Box::new(MaybeUninit::uninit());
    let p = parser.as_mut_ptr();
    // SAFETY: `p` points to a boxed parser that stays in place until `yaml_parser_delete`;
    // `source` outlives the parser, which only reads it.
    unsafe {
        if unsafe_sys::yaml_parser_initialize(p).fail {
            return None;
        }
        unsafe_sys::yaml_parser_set_encoding(p, unsafe_sys::YAML_UTF8_ENCODING);
        unsafe_sys::yaml_parser_set_input_string(p, source.as_ptr(), source.len() as u64);
    }
    let mut depth = 0usize;
    let mut found = None;
    // Per document: nodes decoded (aliases expanded), those from aliases, each anchor's
    // expanded size, and the open collections (anchor, nodes decoded before it).
    let mut decoded = 0u64;
    let mut aliased = 0u64;
    let mut anchors: std::collections::HashMap<Vec<u8>, u64> = std::collections::HashMap::new();
    let mut open: Vec<(Option<Vec<u8>>, u64)> = Vec::new();
    loop {
        let mut event = MaybeUninit::<unsafe_sys::yaml_event_t>::uninit();
        let e = event.as_mut_ptr();
        // SAFETY: a successful `yaml_parser_parse` initializes the event, which is read and
        // then deleted before the next one.
        let (kind, mark, anchor) = unsafe {
            if unsafe_sys::yaml_parser_parse(p, e).fail {
                break;
            }
            let seen = ((*e).type_, (*e).start_mark, anchor_of(e));
            unsafe_sys::yaml_event_delete(e);
            seen
        };
        let at = (mark.line as usize + 1, mark.column as usize + 1);
        match kind {
            unsafe_sys::YAML_SEQUENCE_START_EVENT | unsafe_sys::YAML_MAPPING_START_EVENT => {
                depth += 1;
                if depth > limit {
                    found = Some(Refusal::TooDeep(at.0, at.1));
                    break;
                }
                open.push((anchor, decoded));
                decoded += 1;
            }
            unsafe_sys::YAML_SEQUENCE_END_EVENT | unsafe_sys::YAML_MAPPING_END_EVENT => {
                depth = depth.saturating_sub(1);
                if let Some((Some(name), before)) = open.pop() {
                    anchors.insert(name, decoded - before);
                }
            }
            unsafe_sys::YAML_SCALAR_EVENT => {
                decoded += 1;
                if let Some(name) = anchor {
                    anchors.insert(name, 1);
                }
            }
            unsafe_sys::YAML_ALIAS_EVENT => {
                // An unknown (or not yet closed) anchor is the real parse's error.
                // The alias node itself is decoded too, outside the expansion.
                let size = anchor.and_then(|a| anchors.get(&a).copied()).unwrap_or(0);
                decoded += 1 + size;
                aliased += size;
                if excessive(aliased, decoded) {
                    found = Some(Refusal::ExcessiveAliasing(at.0, at.1));
                    break;
                }
            }
            unsafe_sys::YAML_DOCUMENT_START_EVENT => {
                decoded = 0;
                aliased = 0;
                anchors.clear();
                open.clear();
            }
            unsafe_sys::YAML_STREAM_END_EVENT => break,
            _ => {}
        }
    }
    // SAFETY: initialized above, deleted once.
    unsafe { unsafe_sys::yaml_parser_delete(p) };
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flow_block_and_compact_nesting_are_measured() {
        assert_eq!(first_too_deep(&"{a: ".repeat(200), 128), Some((1, 513)));
        assert_eq!(first_too_deep(&"[".repeat(200), 128), Some((1, 129)));
        assert_eq!(
            first_too_deep(&format!("{}x\n", "- ".repeat(200)), 128),
            Some((1, 257))
        );
        let job = "apiVersion: batch/v1\nkind: Job\nspec: {template: {spec: {containers: [{name: c}]}}}\n";
        assert_eq!(first_too_deep(job, 128), None);
        // A syntax error is left to the real parse.
        assert_eq!(first_too_deep("a: [\n", 2), None);
    }

    #[test]
    fn aliases_are_counted_expanded_as_go_yaml_counts_them() {
        // Regression (issue 17, point 5): 600 000 aliases of a 121-node anchor took minutes
        // and gigabytes in the real parse; the pre-pass refuses it at the alias that tips it.
        let nested = format!("{}1{}", "[".repeat(120), "]".repeat(120));
        let bomb = format!("x: &x {nested}\ny: [{}]\n", vec!["*x"; 600_000].join(","));
        assert_eq!(check(&bomb, 128), Some(Refusal::ExcessiveAliasing(2, 1691)));
        // The classic billion laughs, each level nine aliases of the one before.
        let mut laughs = String::from("a: &a [x, x, x, x, x, x, x, x, x]\n");
        for i in 1..10 {
            let prev = if i == 1 {
                "a".to_string()
            } else {
                format!("l{}", i - 1)
            };
            laughs += &format!("l{i}: &l{i} [{}]\n", vec![format!("*{prev}"); 9].join(","));
        }
        assert!(matches!(
            check(&laughs, 128),
            Some(Refusal::ExcessiveAliasing(..))
        ));
        // Ordinary reuse passes: an anchor used a few hundred times, and a Job's template
        // reused once per document.
        let reuse = format!(
            "e: &e {{name: A, value: b}}\nl: [{}]\n",
            vec!["*e"; 300].join(",")
        );
        assert_eq!(check(&reuse, 128), None);
        // Counts restart with each document.
        let docs = "---\na: &a [1, 2, 3]\nb: [*a, *a, *a]\n".repeat(2000);
        assert_eq!(check(&docs, 128), None);
    }
}
