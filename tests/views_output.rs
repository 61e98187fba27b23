//! `get`'s output formats on the real engine (issue 15, point 4): a Job run to completion,
//! then `-o jsonpath|jsonpath-file|jsonpath-as-json|name|custom-columns|custom-columns-file|
//! json`, `--sort-by`, `--no-headers`, several kinds (`jobs,pods`, `all`, `TYPE/NAME` pairs)
//! and `-w`, checked byte for byte. kubectl itself is the oracle for the JSONPath output
//! (`kubectl annotate --local -o jsonpath=…` runs cli-runtime's `JSONPathPrinter` over the
//! object dockjob printed with `-o json`); the error texts are kubectl's, cited per check.
//! `views_jsonpath_oracle.rs` compares many more templates with kubectl, without an engine.

mod common;

use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::time::{Duration, Instant};

use common::kubectl::{kubectl_print, unlisted};
use common::{assert_ok, stderr, stdout, TestEnv};
use serde_json::Value;

/// A Job running `script` in the test's busybox image, labelled for cleanup.
fn job_yaml(env: &TestEnv, image: &str, name: &str, spec: &str, script: &str) -> String {
    format!(
        "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: {name}\n  labels:\n    team: views\nspec:\n{spec}  template:\n    metadata:\n      labels:\n        io.dockjob.test: {id}\n    spec:\n      restartPolicy: Never\n      terminationGracePeriodSeconds: 1\n      containers:\n      - name: main\n        image: {image}\n        command: [\"sh\", \"-c\", {script:?}]\n",
        id = env.id
    )
}

/// `dockjob get ARGS…`, which must succeed; its stdout.
fn get(env: &TestEnv, args: &[&str]) -> String {
    let mut full = vec!["get"];
    full.extend_from_slice(args);
    stdout(&env.run_ok(&full))
}

/// `dockjob get ARGS…`, which must fail with exit code 1; its stderr.
fn get_fails(env: &TestEnv, args: &[&str]) -> String {
    let mut full = vec!["get"];
    full.extend_from_slice(args);
    let out = env.run(&full);
    assert_eq!(out.status.code(), Some(1), "{full:?}: {}", stderr(&out));
    assert_eq!(stdout(&out), "", "{full:?}");
    stderr(&out)
}

fn json(text: &str) -> Value {
    serde_json::from_str(text).expect("JSON")
}

#[test]
fn output_formats_of_a_finished_job() {
    let env = TestEnv::new("getout");
    let image = env.base_image();
    // `>` and `&` in the command: Go's JSON encoder escapes them in JSONPath output.
    let manifest = job_yaml(
        &env,
        &image,
        "report",
        "  completions: 2\n",
        "echo a > /dev/null && echo done",
    );
    let path = env.write("job.yaml", &manifest);
    assert_ok("run", &env.run_job_fast(path.to_str().unwrap()));

    let job = json(&get(&env, &["job", "report", "-o", "json"]));
    let pods = json(&get(
        &env,
        &["pods", "-o", "json", "--sort-by=.metadata.name"],
    ));
    let pod_names: Vec<String> = pods["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["metadata"]["name"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(pod_names.len(), 2, "{pods}");
    let (p1, p2) = (&pod_names[0], &pod_names[1]);

    // One object asked for by name: the template sees it bare, as kubectl's `printGeneric`.
    for template in [
        r#"{.metadata.name}{"\n"}"#,
        r#"{.status.conditions[?(@.type=="Complete")].status}"#,
        r#"{range .spec.template.spec.containers[*]}{.name}{"\t"}{.image}{"\n"}{end}"#,
        "{.spec.template.spec.containers[0].command}",
        "{.metadata.labels}",
        "{..image}",
        "{.status.succeeded} {.spec.completions} {.spec.backoffLimit}",
        "{.spec.template.spec.containers[*]['name', 'imagePullPolicy']}",
        "{.nothing}|{.metadata.nothing}",
    ] {
        let ours = get(
            &env,
            &["job", "report", "-o", &format!("jsonpath={template}")],
        );
        let theirs = kubectl_print(&job, &format!("jsonpath={template}")).unwrap();
        assert_eq!(ours, theirs, "{template}");
    }
    assert_eq!(
        get(&env, &["job", "report", "-o", "jsonpath={.metadata.name}"]),
        "report"
    );
    let command = get(
        &env,
        &[
            "job/report",
            "-o",
            "jsonpath={.spec.template.spec.containers[0].command}",
        ],
    );
    assert_eq!(
        command,
        r#"["sh","-c","echo a \u003e /dev/null \u0026\u0026 echo done"]"#
    );
    let as_json = get(
        &env,
        &[
            "job",
            "report",
            "-o",
            "jsonpath-as-json={.spec.completions}",
        ],
    );
    assert_eq!(
        as_json,
        kubectl_print(&job, "jsonpath-as-json={.spec.completions}").unwrap()
    );
    assert_eq!(as_json, "[\n    2\n]\n");
    let file = env.write("template.txt", r#"{.kind}/{.metadata.name}{"\n"}"#);
    let format = format!("jsonpath-file={}", file.display());
    assert_eq!(get(&env, &["job", "report", "-o", &format]), "Job/report\n");

    // Several objects: one `v1 List`, whose items are the objects `-o json` prints alone.
    let list = json(&get(&env, &["jobs,pods", "-o", "json"]));
    assert_eq!(list["kind"], "List");
    assert_eq!(list["apiVersion"], "v1");
    assert_eq!(list["metadata"], serde_json::json!({"resourceVersion": ""}));
    let items = list["items"].as_array().unwrap();
    assert_eq!(items.len(), 3);
    assert_eq!(items[0], job);
    let pod_json = |name: &str| json(&get(&env, &["pod", name, "-o", "json"]));
    assert!(items[1..].contains(&pod_json(p1)) && items[1..].contains(&pod_json(p2)));
    for template in [
        r#"{range .items[*]}{.metadata.name}{" "}{.status.phase}{"\n"}{end}"#,
        r#"{.items[?(@.status.phase=="Succeeded")].metadata.name}"#,
        "{.items[*].spec.containers[*].name}",
    ] {
        let ours = get(
            &env,
            &[
                "pods",
                "--sort-by=.metadata.name",
                "-o",
                &format!("jsonpath={template}"),
            ],
        );
        let (object, rewritten) = unlisted(&pods, template);
        let theirs = kubectl_print(&object, &format!("jsonpath={rewritten}")).unwrap();
        assert_eq!(ours, theirs, "{template}");
    }
    assert_eq!(
        get(
            &env,
            &[
                "pods",
                "--sort-by=.metadata.name",
                "-o",
                "jsonpath={.items[*].metadata.name}"
            ]
        ),
        format!("{p1} {p2}")
    );
    assert_eq!(
        get(
            &env,
            &["jobs,pods", "-o", "jsonpath={.kind} {.items[*].kind}"]
        ),
        "List Job Pod Pod"
    );

    // -o name: kubectl's `KIND.GROUP/NAME` (`printers/name.go`); `all` lists pods first.
    assert_eq!(
        get(
            &env,
            &["jobs,pods", "-o", "name", "--sort-by=.metadata.name"]
        ),
        format!("job.batch/report\npod/{p1}\npod/{p2}\n")
    );
    let all = get(&env, &["all", "-o", "name"]);
    assert!(
        all.ends_with("job.batch/report\n") && all.starts_with("pod/"),
        "{all}"
    );
    assert_eq!(
        get(&env, &["job/report", &format!("pod/{p2}"), "-o", "name"]),
        format!("job.batch/report\npod/{p2}\n")
    );

    // Custom columns: every value the path finds, `,`-joined, `<none>` when there is none.
    let width = p1.len() + 3;
    let columns = "NAME:.metadata.name,JOB:.metadata.labels.job-name,PHASE:.status.phase,POLICY:.spec.restartPolicy,X:.nothing";
    let expected = format!(
        "{:width$}JOB      PHASE       POLICY   X\n{p1:width$}report   Succeeded   Never    <none>\n{p2:width$}report   Succeeded   Never    <none>\n",
        "NAME"
    );
    let table = get(
        &env,
        &[
            "pods",
            "--sort-by=.metadata.name",
            "-o",
            &format!("custom-columns={columns}"),
        ],
    );
    assert_eq!(table, expected);
    let headless = get(
        &env,
        &[
            "pods",
            "--sort-by=.metadata.name",
            "--no-headers",
            "-o",
            &format!("custom-columns={columns}"),
        ],
    );
    // Without the header the columns are as wide as their cells alone (tabwriter).
    assert_eq!(
        headless,
        format!("{p1:width$}report   Succeeded   Never   <none>\n{p2:width$}report   Succeeded   Never   <none>\n")
    );
    // Every pod has the node it was scheduled to, even one whose container ended before its
    // addresses could be read (that one showed `<none>` here once).
    let nodes = get(
        &env,
        &[
            "pods",
            "-o",
            "jsonpath={range .items[*]}{.spec.nodeName}{\"\\n\"}{end}",
        ],
    );
    assert_eq!(
        nodes.lines().filter(|n| !n.is_empty()).count(),
        2,
        "{nodes:?}"
    );
    let file = env.write(
        "columns.txt",
        "NAME   CONTAINERS\n.metadata.name   {.spec.template.spec.containers[*].name}\n",
    );
    let format = format!("custom-columns-file={}", file.display());
    assert_eq!(
        get(&env, &["jobs", "-o", &format]),
        "NAME     CONTAINERS\nreport   main\n"
    );
    // --no-headers and --sort-by together: the names alone, in order.
    let names: Vec<String> = get(
        &env,
        &[
            "pods",
            "-o",
            "custom-columns=N:.metadata.name",
            "--no-headers",
            "--sort-by=.metadata.name",
        ],
    )
    .lines()
    .map(|l| l.trim_end().to_string())
    .collect();
    assert_eq!(names, [p1.clone(), p2.clone()]);

    // Tables of several kinds: one per kind, KIND/NAME, a blank line between (get.go `Run`).
    let text = get(&env, &["jobs,pods"]);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 6, "{text}");
    assert!(
        lines[0].starts_with("NAME               STATUS     COMPLETIONS   DURATION   AGE"),
        "{text}"
    );
    assert!(
        lines[1].starts_with("job.batch/report   Complete   2/2 "),
        "{text}"
    );
    assert_eq!(lines[2], "");
    assert!(
        lines[3].starts_with("NAME ") && lines[3].contains(" READY   STATUS      RESTARTS   AGE"),
        "{text}"
    );
    assert!(
        lines[4].starts_with("pod/report-") && lines[4].contains(" 0/1     Completed   0 "),
        "{text}"
    );
    let all = get(&env, &["all"]);
    assert!(
        all.starts_with("NAME ")
            && all.contains("\n\nNAME ")
            && all.contains("\njob.batch/report "),
        "{all}"
    );
    assert!(
        all.find("\npod/").unwrap() < all.find("\njob.batch/").unwrap(),
        "{all}"
    );
    let headless = get(&env, &["jobs,pods", "--no-headers"]);
    assert_eq!(headless.lines().count(), 3, "{headless}");
    assert!(
        !headless.contains("\n\n") && headless.starts_with("job.batch/report "),
        "{headless}"
    );
    // One kind: plain names.
    assert!(get(&env, &["jobs"])
        .lines()
        .nth(1)
        .unwrap()
        .starts_with("report "));
    // Several kinds with a selector that matches only the Job: still KIND/NAME (both lists
    // came back), and no blank line for the empty pod list.
    let labelled = get(&env, &["jobs,pods", "-l", "team=views"]);
    assert_eq!(labelled.lines().count(), 2, "{labelled}");
    assert!(
        labelled
            .lines()
            .nth(1)
            .unwrap()
            .starts_with("job.batch/report "),
        "{labelled}"
    );
    let out = env.run(&["get", "jobs,pods", "-l", "team=nobody"]);
    assert_ok("get nothing", &out);
    assert_eq!(
        (stdout(&out).as_str(), stderr(&out).as_str()),
        ("", "No resources found in default namespace.\n")
    );
    // A sorted table.
    let sorted = get(&env, &["pods", "--sort-by=.metadata.name", "--no-headers"]);
    assert!(sorted.starts_with(&format!("{p1} ")), "{sorted}");

    // kubectl's errors, exit 1.
    assert_eq!(
        get_fails(&env, &["pods", "--sort-by=.nothing"]),
        "error: couldn't find any field with path \"{.nothing}\" in the list of objects\n"
    );
    assert_eq!(
        get_fails(&env, &["jobs", "-o", "name", "--sort-by=.nothing"]),
        "error: couldn't find any field with path \"{.nothing}\" in the list of objects\n"
    );
    let error = get_fails(
        &env,
        &[
            "job",
            "report",
            "-o",
            "jsonpath={.spec.template.spec.containers[3]}",
        ],
    );
    let theirs = kubectl_print(&job, "jsonpath={.spec.template.spec.containers[3]}").unwrap_err();
    assert_eq!(
        error.split_once("\tobject given").unwrap().0,
        theirs.split_once("\tobject given").unwrap().0
    );
    assert!(error.ends_with("}\n\n\n"), "{error:?}");
}

#[test]
fn unknown_types_and_bad_formats_fail_as_kubectl() {
    let env = TestEnv::new("getbad");
    // cli-runtime `Builder.mappingFor`: the resource part of TYPE[.VERSION][.GROUP].
    for args in [
        &["foo"][..],
        &["jobs,foo"],
        &["foo.v1.example.com"],
        &["foo/x"],
    ] {
        assert_eq!(
            get_fails(&env, args),
            "error: the server doesn't have a resource type \"foo\"\n",
            "{args:?}"
        );
    }
    assert_eq!(
        get_fails(&env, &["all/x"]),
        "error: the server doesn't have a resource type \"all\"\n"
    );
    // `watch` asks the builder for a single resource type (`ErrMultipleResourceTypes`).
    assert_eq!(
        get_fails(&env, &["all", "-w"]),
        "error: you may only specify a single resource type\n"
    );
    // cli-runtime `JSONPathPrintFlags.ToPrinter`, kubectl `CustomColumnsPrintFlags.ToPrinter`.
    assert_eq!(
        get_fails(&env, &["jobs", "-o", "jsonpath={.a"]),
        "error: error parsing jsonpath {.a, unclosed action\n"
    );
    assert_eq!(
        get_fails(&env, &["jobs", "-o", "jsonpath="]),
        "error: template format specified but no template given\n"
    );
    assert_eq!(
        get_fails(&env, &["jobs", "-o", "custom-columns=NAME"]),
        "error: unexpected custom-columns spec: NAME, expected <header>:<json-path-expr>\n"
    );
    assert_eq!(
        get_fails(&env, &["jobs", "-o", "custom-columns="]),
        "error: custom-columns format specified but no custom columns given\n"
    );
    assert_eq!(
        get_fails(&env, &["jobs", "-o", "yml"]),
        "error: unable to match a printer suitable for the output format \"yml\", allowed formats are: custom-columns,custom-columns-file,json,jsonpath,jsonpath-as-json,jsonpath-file,name,wide,yaml\n"
    );
    assert!(get_fails(&env, &["job", "job/x"])
        .starts_with("error: there is no need to specify a resource type as a separate argument"));
    // A missing object asked for alone: only the NotFound error, whatever the format.
    assert_eq!(
        get_fails(&env, &["job", "nope", "-o", "jsonpath={.kind}"]),
        "Error from server (NotFound): jobs.batch \"nope\" not found\n"
    );
    // Nothing there: an empty List for -o json, the headers for custom columns (kubectl prints
    // them before looking at the objects), nothing for -o name; no "No resources found".
    let out = env.run_ok(&[
        "get",
        "jobs,pods",
        "-o",
        "custom-columns=NAME:.metadata.name",
    ]);
    assert_eq!(
        (stdout(&out).as_str(), stderr(&out).as_str()),
        ("NAME\n", "")
    );
    let out = env.run_ok(&["get", "all", "-o", "jsonpath={.kind}:{.items}"]);
    assert_eq!(stdout(&out), "List:[]");
}

#[test]
fn get_watch_prints_the_listing_then_a_row_per_change() {
    let env = TestEnv::new("getwatch");
    let image = env.base_image();
    let first = env.write(
        "first.yaml",
        &job_yaml(&env, &image, "first", "", "echo one"),
    );
    assert_ok("run first", &env.run_job_fast(first.to_str().unwrap()));

    let mut child = env
        .dockjob()
        .args([
            "get",
            "jobs",
            "-w",
            "-o",
            "custom-columns=NAME:.metadata.name,STATUS:.status.succeeded",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn get -w");
    let (tx, rx) = std::sync::mpsc::channel();
    let out = child.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(out).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut lines = Vec::new();
    // Waits for a line starting with `want` among those from index `from` on.
    let wait_for = |want: &str, from: usize, lines: &mut Vec<String>| {
        while !lines[from.min(lines.len())..]
            .iter()
            .any(|l: &String| l.starts_with(want))
        {
            let left = deadline.saturating_duration_since(Instant::now());
            match rx.recv_timeout(left) {
                Ok(line) => lines.push(line),
                Err(_) => panic!("no line {want:?} from get -w; got {lines:?}"),
            }
        }
    };
    wait_for("first", 0, &mut lines);
    assert_eq!(lines, ["NAME    STATUS", "first   1"]);

    let second = env.write(
        "second.yaml",
        &job_yaml(&env, &image, "second", "", "sleep 1"),
    );
    assert_ok(
        "apply second",
        &env.run(&["apply", "-f", second.to_str().unwrap()]),
    );
    wait_for("second", 0, &mut lines);
    let out = env.run_ok(&[
        "wait",
        "--for=condition=complete",
        "job/second",
        "--timeout=60s",
    ]);
    assert_ok("wait", &out);
    while !lines
        .iter()
        .any(|l| l.starts_with("second") && l.ends_with(" 1"))
    {
        wait_for("second", 0, &mut lines);
        let left = deadline.saturating_duration_since(Instant::now());
        if let Ok(line) = rx.recv_timeout(left.min(Duration::from_secs(5))) {
            lines.push(line);
        }
        assert!(Instant::now() < deadline, "{lines:?}");
    }
    // Custom columns print their headers once; each change is one line of its own.
    assert_eq!(
        lines.iter().filter(|l| l.starts_with("NAME")).count(),
        1,
        "{lines:?}"
    );
    assert!(
        lines[2..].iter().all(|l| l.starts_with("second")),
        "{lines:?}"
    );

    // A deleted Job is printed once more (kubectl prints the DELETED event's object).
    let seen = lines.len();
    assert_ok("delete first", &env.run(&["delete", "job", "first"]));
    wait_for("first", seen, &mut lines);

    // Ctrl-C ends the watch with dockjob's 130 for an interrupted command (kubectl's
    // `interrupt.Handler` exits 1).
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(130), "{status}");
}
