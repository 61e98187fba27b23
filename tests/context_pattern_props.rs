//! Properties of the `.dockerignore` port on arbitrary input: parsing and matching never
//! panic, and `MatchesUsingParentResults` without parent information is
//! `MatchesOrParentMatches` (as in patternmatcher.go).

use dockjob::context::{IgnoreFile, ParentMatches};
use proptest::prelude::*;

/// Lines made of the characters that matter to the pattern syntax.
fn ignore_text() -> impl Strategy<Value = String> {
    proptest::collection::vec("[!#*?\\[\\]\\\\^/.a-c -]{0,12}", 0..8)
        .prop_map(|lines| lines.join("\n"))
}

fn rel_path() -> impl Strategy<Value = String> {
    "[a-c.*\\[\\]/]{0,16}"
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn parsing_and_matching_never_panic(text in ignore_text(), path in rel_path()) {
        if let Ok(file) = IgnoreFile::parse(&text) {
            let _ = file.is_excluded(&path);
            let _ = file.matches_exact(&path);
            let _ = file.matches_single_parent(&path);
            let _ = file.has_exception_under(&path);
        }
    }

    #[test]
    fn no_context_parent_results_equal_or_parent_matches(text in ignore_text(), path in rel_path()) {
        if let Ok(file) = IgnoreFile::parse(&text) {
            let (with_info, _) = file.matches_using_parent_results(&path, &ParentMatches::default());
            prop_assert_eq!(with_info, file.matches_or_parent_matches(&path));
        }
    }
}
