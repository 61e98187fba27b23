//! The sample image's Dockerfile (images/uzimihsr-sample-image/Dockerfile, verbatim): the
//! linter must report exactly MaintainerDeprecated on line 2 and LegacyKeyValueFormat on
//! lines 4 and 5, and nothing else.

use dockjob::dockerfile::{self, lint, render};

const SAMPLE: &str = include_str!("fixtures/dockerfiles/uzimihsr-sample.Dockerfile");

#[test]
fn sample_reports_exactly_the_three_expected_findings() {
    let df = dockerfile::parse(SAMPLE).expect("sample parses");
    let diags = lint::lint(&df, &lint::LintOptions::default());
    let found: Vec<(&str, usize)> = diags.iter().map(|d| (d.rule, d.line)).collect();
    assert_eq!(
        found,
        [
            ("MaintainerDeprecated", 2),
            ("LegacyKeyValueFormat", 4),
            ("LegacyKeyValueFormat", 5)
        ]
    );
    assert_eq!(
        diags[0].hint.as_deref(),
        Some(r#"LABEL org.opencontainers.image.authors="uzimihsr-01""#)
    );
    assert!(diags.iter().all(|d| d.severity == lint::Severity::Warning));
}

#[test]
fn sample_renders_with_carets_and_hints() {
    let df = dockerfile::parse(SAMPLE).unwrap();
    let diags = lint::lint(&df, &lint::LintOptions::default());
    insta::assert_snapshot!("sample_text", render::text("Dockerfile", SAMPLE, &diags));
    insta::assert_snapshot!("sample_json", render::json("Dockerfile", SAMPLE, &diags));
}
