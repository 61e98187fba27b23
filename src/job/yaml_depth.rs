//! How deep YAML input nests, measured before it is parsed for real.
//!
//! libyaml (the parser under serde_yaml_ng) spends time proportional to the flow nesting on
//! every token, so `{a: ` × 100 000 (500 KB) took ~49 s of CPU before serde_yaml_ng's own
//! recursion limit (128) refused it. Here libyaml's event parser runs alone, one event at a
//! time with nothing kept, and stops at the first collection nested deeper than the limit:
//! the cost is then bounded by the limit times the input's size (3 MiB at most).
//!
//! The only `unsafe` of the job module: libyaml's C-style API. The parser lives in a `Box`
//! that never moves while libyaml points into it, and it is deleted on every path.

use std::mem::MaybeUninit;

use unsafe_libyaml as unsafe_sys;

/// The deepest nesting accepted: serde_yaml_ng refuses anything deeper anyway ("recursion
/// limit exceeded"); a Job manifest nests about 20 levels.
pub const MAX_DEPTH: usize = 128;

/// The 1-based line and column of the first mapping or sequence nested deeper than `limit`,
/// or `None` (within the limit, or a syntax error first, which the real parse reports).
pub fn first_too_deep(source: &str, limit: usize) -> Option<(usize, usize)> {
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
    loop {
        let mut event = MaybeUninit::<unsafe_sys::yaml_event_t>::uninit();
        let e = event.as_mut_ptr();
        // SAFETY: a successful `yaml_parser_parse` initializes the event, which is read and
        // then deleted before the next one.
        let (kind, mark) = unsafe {
            if unsafe_sys::yaml_parser_parse(p, e).fail {
                break;
            }
            let seen = ((*e).type_, (*e).start_mark);
            unsafe_sys::yaml_event_delete(e);
            seen
        };
        match kind {
            unsafe_sys::YAML_SEQUENCE_START_EVENT | unsafe_sys::YAML_MAPPING_START_EVENT => {
                depth += 1;
                if depth > limit {
                    found = Some((mark.line as usize + 1, mark.column as usize + 1));
                    break;
                }
            }
            unsafe_sys::YAML_SEQUENCE_END_EVENT | unsafe_sys::YAML_MAPPING_END_EVENT => {
                depth = depth.saturating_sub(1);
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
}
