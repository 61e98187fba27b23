//! Issue 18: `create secret generic|docker-registry` and `create configmap` against kubectl
//! itself: `--dry-run=client -o yaml` byte for byte and the same error texts; then stored
//! (`secret/NAME created`) and seen by `get`.

mod common;

use std::process::Command;

use common::TestEnv;

fn kubectl(args: &[&str]) -> (String, String) {
    let out = Command::new("kubectl")
        .env("KUBECONFIG", "/dev/null")
        .args(["create"])
        .args(args)
        .output()
        .expect("kubectl (in the machine image) must be installed");
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn created_objects_and_errors_are_kubectls() {
    let env = TestEnv::new("cs-create");
    let file = env.write("f.txt", "hello\n");
    let envfile = env.write("vars.env", "\u{feff}A=1\n# comment\n  B=two words\n");
    let dir = env.write("dir/one", "1");
    env.write("dir/two", "2");
    let file = file.to_str().expect("utf-8");
    let envfile = envfile.to_str().expect("utf-8");
    let dir = dir.parent().expect("dir").to_str().expect("utf-8");
    let from_file = format!("--from-file={file}");
    // A path made absent here, not a fixed one that some machine may have (a probe once
    // made `/nonexistent/x`, and this case then compared two different outputs).
    let missing = format!("--from-file={dir}/absent");
    let keyed = format!("--from-file=k2={file}");
    let dir_source = format!("--from-file={dir}");
    let env_source = format!("--from-env-file={envfile}");
    let cases: Vec<Vec<&str>> = vec![
        vec![
            "secret",
            "generic",
            "s",
            "--from-literal=a=b=c",
            "--from-literal=z=",
        ],
        vec![
            "secret",
            "generic",
            "s",
            &from_file,
            &keyed,
            "--type=kubernetes.io/basic-auth",
        ],
        vec!["secret", "generic", "s", &dir_source],
        vec!["secret", "generic", "s", &env_source],
        vec![
            "secret",
            "docker-registry",
            "r",
            "--docker-server=localhost:5000",
            "--docker-username=u",
            "--docker-password=p@ss",
            "--docker-email=e@x",
        ],
        vec![
            "secret",
            "docker-registry",
            "r",
            "--docker-username=u",
            "--docker-password=p",
        ],
        vec!["configmap", "c", "--from-literal=a=b", &from_file],
        vec!["cm", "c", &env_source],
        // Errors.
        vec!["secret", "generic", "s", "--from-literal=abc"],
        vec![
            "secret",
            "generic",
            "s",
            "--from-literal=a=1",
            "--from-literal=a=2",
        ],
        vec!["secret", "generic", "s", &missing],
        vec!["secret", "docker-registry", "r", "--docker-username=u"],
        vec!["configmap", "c", "--from-literal=a b=c"],
        vec!["configmap", "c", "--from-literal=a=b", &env_source],
    ];
    for case in cases {
        let mut args = case.clone();
        args.extend(["--dry-run=client", "-o", "yaml"]);
        let (want_out, want_err) = kubectl(&args);
        let mut ours = vec!["create"];
        ours.extend(&args);
        let got = env.run(&ours);
        assert_eq!(String::from_utf8_lossy(&got.stdout), want_out, "{case:?}");
        assert_eq!(String::from_utf8_lossy(&got.stderr), want_err, "{case:?}");
    }
    // Stored for real, as the API server would default it.
    let created = env.run_ok(&[
        "create",
        "secret",
        "generic",
        "db",
        "--from-literal=password=pw",
    ]);
    assert_eq!(
        String::from_utf8_lossy(&created.stdout),
        "secret/db created\n"
    );
    let listed = env.run_ok(&["get", "secret", "db"]);
    assert!(String::from_utf8_lossy(&listed.stdout).contains("db     Opaque   1"));
    let again = env.run(&[
        "create",
        "secret",
        "generic",
        "db",
        "--from-literal=password=pw",
    ]);
    assert_eq!(
        String::from_utf8_lossy(&again.stderr),
        "error: failed to create secret secrets \"db\" already exists\n"
    );
    let created = env.run_ok(&[
        "create",
        "configmap",
        "settings",
        "--from-literal=level=debug",
    ]);
    assert_eq!(
        String::from_utf8_lossy(&created.stdout),
        "configmap/settings created\n"
    );
}
