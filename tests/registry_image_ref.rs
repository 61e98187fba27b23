//! Table tests for `image_ref`, ported from distribution/reference `normalize_test.go`
//! (`TestValidateReferenceName`, `TestValidateRemoteName`, `TestParseRepositoryInfo`,
//! `TestNormalizedSplitHostname`, `TestParseReferenceWithTagAndDigest`) and `reference_test.go`.

use dockjob::image_ref::{ImageRef, ImageRefError};

const DIGEST: &str = "sha256:86e0e091d0da6bde2456dbb48306f3956bbeb2eae1b5b9a43045843f69fe4aaa";

#[test]
fn valid_reference_names_parse() {
    let valid = [
        "docker/docker",
        "library/debian",
        "debian",
        "docker.io/docker/docker",
        "docker.io/library/debian",
        "docker.io/debian",
        "index.docker.io/docker/docker",
        "index.docker.io/library/debian",
        "index.docker.io/debian",
        "127.0.0.1:5000/docker/docker",
        "127.0.0.1:5000/library/debian",
        "127.0.0.1:5000/debian",
        "192.168.0.1",
        "192.168.0.1:80",
        "192.168.0.1:8/debian",
        "192.168.0.2:25000/debian",
        "thisisthesongthatneverendsitgoesonandonandonthisisthesongthatnev",
        "[fc00::1]:5000/docker",
        "[fc00::1]:5000/docker/docker",
        "[fc00:1:2:3:4:5:6:7]:5000/library/debian",
        "docker.io/1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a",
        "Docker/docker",
        "DOCKER/docker",
        // TestValidateRemoteName
        "docker-rules/docker",
        "docker---rules/docker",
        "doc/docker",
        "d/docker",
        "jess/t",
        "dock__er/docker",
        "localhost/x",
        "localhost:5000/x:tag",
    ];
    for name in valid {
        if let Err(err) = ImageRef::parse(name) {
            panic!("{name} should be valid, got: {err}");
        }
    }
}

#[test]
fn invalid_reference_names_are_rejected() {
    let too_long = format!("{}/docker", "a".repeat(256));
    let invalid = [
        "",
        "https://github.com/docker/docker",
        "docker/Docker",
        "-docker",
        "-docker/docker",
        "-docker.io/docker/docker",
        "docker///docker",
        "docker.io/docker/Docker",
        "docker.io/docker///docker",
        "[fc00::1]",
        "[fc00::1]:5000",
        "fc00::1:5000/debian",
        "[fe80::1%eth0]:5000/debian",
        "[2001:db8:3:4::192.0.2.33]:5000/debian",
        "1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a",
        "docker-/docker",
        "-docker-/docker",
        "____/____",
        "_docker/_docker",
        "dock..er/docker",
        "dock_.er/docker",
        "dock-.er/docker",
        "docker/",
        "alpine:",
        "alpine:-tag",
        "alpine@sha256:abc",
        "a_b.c/foo",
        "alpine:tag with space",
        too_long.as_str(),
    ];
    for name in invalid {
        assert!(ImageRef::parse(name).is_err(), "{name:?} should be invalid");
    }
}

/// `TestParseRepositoryInfo`: every spelling of one repository gives the same parts.
#[test]
fn repository_info_is_the_same_for_every_spelling() {
    // (remote name, familiar, full, ambiguous spelling, domain)
    let cases = [
        (
            "fooo/bar",
            "fooo/bar",
            "docker.io/fooo/bar",
            "index.docker.io/fooo/bar",
            "docker.io",
        ),
        (
            "library/ubuntu",
            "ubuntu",
            "docker.io/library/ubuntu",
            "library/ubuntu",
            "docker.io",
        ),
        (
            "nonlibrary/ubuntu",
            "nonlibrary/ubuntu",
            "docker.io/nonlibrary/ubuntu",
            "",
            "docker.io",
        ),
        (
            "other/library",
            "other/library",
            "docker.io/other/library",
            "",
            "docker.io",
        ),
        (
            "private/moonbase",
            "127.0.0.1:8000/private/moonbase",
            "127.0.0.1:8000/private/moonbase",
            "",
            "127.0.0.1:8000",
        ),
        (
            "privatebase",
            "127.0.0.1:8000/privatebase",
            "127.0.0.1:8000/privatebase",
            "",
            "127.0.0.1:8000",
        ),
        (
            "private/moonbase",
            "example.com/private/moonbase",
            "example.com/private/moonbase",
            "",
            "example.com",
        ),
        (
            "privatebase",
            "example.com/privatebase",
            "example.com/privatebase",
            "",
            "example.com",
        ),
        (
            "private/moonbase",
            "example.com:8000/private/moonbase",
            "example.com:8000/private/moonbase",
            "",
            "example.com:8000",
        ),
        (
            "privatebasee",
            "example.com:8000/privatebasee",
            "example.com:8000/privatebasee",
            "",
            "example.com:8000",
        ),
        (
            "library/ubuntu-12.04-base",
            "ubuntu-12.04-base",
            "docker.io/library/ubuntu-12.04-base",
            "index.docker.io/library/ubuntu-12.04-base",
            "docker.io",
        ),
        (
            "library/foo",
            "foo",
            "docker.io/library/foo",
            "docker.io/foo",
            "docker.io",
        ),
        (
            "library/foo/bar",
            "library/foo/bar",
            "docker.io/library/foo/bar",
            "",
            "docker.io",
        ),
        (
            "store/foo/bar",
            "store/foo/bar",
            "docker.io/store/foo/bar",
            "",
            "docker.io",
        ),
        ("bar", "Foo/bar", "Foo/bar", "", "Foo"),
        ("bar", "FOO/bar", "FOO/bar", "", "FOO"),
    ];
    for (remote, familiar, full, ambiguous, domain) in cases {
        let spellings = [familiar, full, ambiguous];
        for spelling in spellings.into_iter().filter(|s| !s.is_empty()) {
            let image = ImageRef::parse(spelling).unwrap_or_else(|e| panic!("{spelling}: {e}"));
            assert_eq!(
                image.familiar_name(),
                familiar,
                "familiar name of {spelling}"
            );
            assert_eq!(image.name(), full, "full name of {spelling}");
            assert_eq!(image.to_string(), full, "display of {spelling}");
            assert_eq!(image.registry(), domain, "domain of {spelling}");
            assert_eq!(image.repository(), remote, "remote name of {spelling}");
        }
    }
}

/// `TestNormalizedSplitHostname`.
#[test]
fn domain_and_path_are_split_like_docker() {
    let cases = [
        ("test.com/foo", "test.com", "foo"),
        ("test_com/foo", "docker.io", "test_com/foo"),
        ("docker/migrator", "docker.io", "docker/migrator"),
        ("test.com:8080/foo", "test.com:8080", "foo"),
        ("test-com:8080/foo", "test-com:8080", "foo"),
        ("foo", "docker.io", "library/foo"),
        ("xn--n3h.com/foo", "xn--n3h.com", "foo"),
        ("xn--n3h.com:18080/foo", "xn--n3h.com:18080", "foo"),
        ("docker.io/foo", "docker.io", "library/foo"),
        ("docker.io/library/foo", "docker.io", "library/foo"),
        ("docker.io/library/foo/bar", "docker.io", "library/foo/bar"),
        ("localhost/foo", "localhost", "foo"),
        ("localhost:5000/foo/bar", "localhost:5000", "foo/bar"),
    ];
    for (input, domain, path) in cases {
        let image = ImageRef::parse(input).unwrap_or_else(|e| panic!("{input}: {e}"));
        assert_eq!(image.registry(), domain, "domain of {input}");
        assert_eq!(image.repository(), path, "path of {input}");
    }
}

/// `TestParseReferenceWithTagAndDigest`.
#[test]
fn tag_and_digest_together_are_kept() {
    let short = format!("busybox:latest@{DIGEST}");
    let image = ImageRef::parse(&short).unwrap();
    assert_eq!(image.to_string(), format!("docker.io/library/{short}"));
    assert_eq!(image.familiar(), short);
    assert_eq!(image.tag(), Some("latest"));
    assert_eq!(image.digest(), Some(DIGEST));
    assert_eq!(image.push_tag(), DIGEST, "the digest wins when pushing");
}

#[test]
fn tags_and_digests_are_parsed_with_registry_ports() {
    let image = ImageRef::parse("localhost:5000/foo/bar:1.0").unwrap();
    assert_eq!(
        (image.registry(), image.repository(), image.tag()),
        ("localhost:5000", "foo/bar", Some("1.0"))
    );
    let image = ImageRef::parse(&format!("127.0.0.1:5000/x@{DIGEST}")).unwrap();
    assert_eq!(image.tag(), None);
    assert_eq!(image.digest(), Some(DIGEST));
    assert_eq!(image.familiar(), format!("127.0.0.1:5000/x@{DIGEST}"));
    let image = ImageRef::parse("alpine").unwrap();
    assert_eq!(image.tag(), None, "latest is not implied by parse");
    assert_eq!(image.push_tag(), "latest", "but is what gets pushed");
}

#[test]
fn familiar_forms_match_docker_ui() {
    let cases = [
        ("alpine:3.10.3", "alpine:3.10.3", "alpine"),
        ("docker.io/library/alpine:3.10.3", "alpine:3.10.3", "alpine"),
        (
            "index.docker.io/uzimihsr/x:0.1",
            "uzimihsr/x:0.1",
            "uzimihsr/x",
        ),
        (
            "127.0.0.1:5000/library/alpine:1",
            "127.0.0.1:5000/library/alpine:1",
            "127.0.0.1:5000/library/alpine",
        ),
        (
            "docker.io/library/foo/bar:1",
            "library/foo/bar:1",
            "library/foo/bar",
        ),
    ];
    for (input, familiar, push_name) in cases {
        let image = ImageRef::parse(input).unwrap();
        assert_eq!(image.familiar(), familiar, "familiar form of {input}");
        assert_eq!(image.name_without_tag(), push_name, "push name of {input}");
    }
}

#[test]
fn errors_name_the_input_and_use_dockers_wording() {
    let cases: [(&str, &str); 6] = [
        (
            "Alpine",
            "invalid reference format: repository name must be lowercase",
        ),
        (
            "docker.io/docker/Docker",
            "invalid reference format: repository name must be lowercase",
        ),
        ("-docker", "invalid reference format"),
        (
            "1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a",
            "cannot specify 64-byte hexadecimal strings",
        ),
        (
            "x@md5:0123456789abcdef0123456789abcdef",
            "unsupported digest algorithm",
        ),
        (
            "x@sha256:0123456789abcdef0123456789abcdef",
            "invalid checksum digest length",
        ),
    ];
    for (input, wording) in cases {
        let err = ImageRef::parse(input).unwrap_err();
        let message = err.to_string();
        assert!(message.contains(wording), "{input}: {message}");
        assert!(message.contains(input), "{input} missing from: {message}");
        assert_eq!(err.input(), input);
    }
    let upper_hex = format!("x@sha256:{}", "A".repeat(64));
    assert!(matches!(
        ImageRef::parse(&upper_hex),
        Err(ImageRefError::InvalidDigest {
            reason: "invalid checksum digest format",
            ..
        })
    ));
}

#[test]
fn with_tag_replaces_tag_and_digest_and_validates() {
    let image = ImageRef::parse(&format!("x:1@{DIGEST}")).unwrap();
    let retagged = image.with_tag("2").unwrap();
    assert_eq!(retagged.familiar(), "x:2");
    assert!(matches!(
        image.with_tag("-bad"),
        Err(ImageRefError::InvalidTag { .. })
    ));
    assert!(
        image.with_tag(&"t".repeat(129)).is_err(),
        "tags are at most 128 characters"
    );
    assert!(image.with_tag(&"t".repeat(128)).is_ok());
}

#[test]
fn parse_never_panics_on_odd_input() {
    for input in [
        "/",
        ":",
        "@",
        "a/",
        "/a",
        "a:b:c",
        "a@",
        "\u{1F600}",
        "a/\u{e9}",
        "[",
        "]:5/x",
    ] {
        let _ = ImageRef::parse(input);
    }
}

proptest::proptest! {
    /// Any input: no panic; anything accepted re-parses to itself from both its full and its
    /// familiar form (the forms Docker prints are valid input).
    #[test]
    fn accepted_references_round_trip(input in "[a-zA-Z0-9._:/@-]{0,40}") {
        if let Ok(image) = ImageRef::parse(&input) {
            let from_full = ImageRef::parse(&image.to_string());
            let from_familiar = ImageRef::parse(&image.familiar());
            proptest::prop_assert_eq!(from_full, Ok(image.clone()));
            proptest::prop_assert_eq!(from_familiar, Ok(image));
        }
    }

    /// Structured references: registry/namespace/name:tag always parse to their parts.
    #[test]
    fn generated_references_parse_to_their_parts(
        host in "[a-z][a-z0-9]{0,8}\\.[a-z]{2,4}(:[0-9]{1,5})?",
        path in "[a-z0-9]{1,8}(/[a-z0-9]{1,8}){0,2}",
        tag in "[A-Za-z0-9_][A-Za-z0-9_.-]{0,20}",
    ) {
        let image = ImageRef::parse(&format!("{host}/{path}:{tag}")).unwrap();
        proptest::prop_assert_eq!(image.registry(), host.as_str());
        proptest::prop_assert_eq!(image.repository(), path.as_str());
        proptest::prop_assert_eq!(image.tag(), Some(tag.as_str()));
    }
}
