//! Which `config.json` key a reference or a typed server address maps to (docker CLI
//! `ResolveAuthConfig`, `registry.IndexServer`, `ConvertToHostname`).

use dockjob::image_ref::{auth_key_for_server, convert_to_hostname, ImageRef};

#[test]
fn auth_keys_follow_the_docker_cli() {
    let cases = [
        ("alpine", "https://index.docker.io/v1/"),
        (
            "index.docker.io/library/alpine",
            "https://index.docker.io/v1/",
        ),
        ("127.0.0.1:5000/x", "127.0.0.1:5000"),
        ("localhost/x", "localhost"),
        ("ghcr.io/owner/x:1", "ghcr.io"),
        ("[::1]:5000/x", "[::1]:5000"),
    ];
    for (input, key) in cases {
        assert_eq!(ImageRef::parse(input).unwrap().auth_key(), key, "{input}");
    }
}

#[test]
fn server_addresses_typed_at_login_map_to_config_keys() {
    let cases = [
        ("", "https://index.docker.io/v1/"),
        ("docker.io", "https://index.docker.io/v1/"),
        ("https://index.docker.io/v1/", "https://index.docker.io/v1/"),
        ("registry-1.docker.io", "https://index.docker.io/v1/"),
        ("127.0.0.1:5000", "127.0.0.1:5000"),
        ("http://127.0.0.1:5000", "127.0.0.1:5000"),
        ("https://registry.example:8443/v2/", "registry.example:8443"),
    ];
    for (server, key) in cases {
        assert_eq!(auth_key_for_server(server), key, "{server:?}");
    }
    assert_eq!(convert_to_hostname("https://gcr.io/v2/"), "gcr.io");
    assert_eq!(convert_to_hostname("gcr.io"), "gcr.io");
}
