//! kubectl as the oracle of dockjob's JSONPath (`-o jsonpath=…`), without an engine: pods
//! of a seeded store printed through `get`'s printers (`render::parse_output_format`,
//! `render::render_list`) and through kubectl's own (`kubectl annotate --local -o
//! jsonpath=…`, cli-runtime `JSONPathPrinter` over client-go `util/jsonpath`), for every
//! construct of the dialect and for the errors of templates that do not parse or fail.

mod common;

use common::kubectl::{annotate, kubectl_print, unlisted};
use common::views::{manifest, Sim};
use dockjob::render::{parse_output_format, render_list, Printable};
use dockjob::store::Store;
use serde_json::Value;

/// dockjob's `-o FORMAT` of `objects` (one alone when `single`), through the same printers as
/// `get`; an error as `get` prints it.
fn ours(objects: &[Printable], format: &str, single: bool) -> Result<String, String> {
    let no_files = |_: &str| Err(std::io::Error::from(std::io::ErrorKind::NotFound));
    parse_output_format(Some(format), &no_files)
        .and_then(|f| render_list(objects, &f, single, false))
        .map_err(|e| format!("error: {e}"))
}

/// What kubectl and dockjob say for a failing template, up to the object dump (kubectl's
/// copy carries the oracle's annotation).
fn before_dump(text: &str) -> &str {
    text.split("\tobject given").next().unwrap().trim_end()
}

/// Many templates over seeded pods (no engine), each printed by dockjob and by kubectl:
/// fields, indexes, slices, unions, filters, ranges, recursion, quoting, missing keys, and
/// the errors of templates that do not parse or fail on the data.
#[test]
fn jsonpath_matches_kubectl_on_every_construct() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    let yaml = manifest(
        "pi",
        "  completions: 2\n  backoffLimit: 4\n",
        "Never",
        "IfNotPresent",
    );
    let mut pi = Sim::start(&mut store, &yaml, 1, 0);
    pi.exit(0, 0, false, 65);
    pi.exit(1, 1, false, 70);
    pi.tick(80);
    pi.exit(2, 0, false, 95);
    pi.save(&mut store);
    let pods: Vec<Printable> = store
        .list_pods(Some("default"), None)
        .unwrap()
        .iter()
        .map(|p| {
            // The oracle's annotation on both sides, for `{@}` and `{.metadata}`.
            let mut printable = Printable::of(&p.pod);
            annotate(&mut printable.value);
            printable
        })
        .collect();
    assert_eq!(pods.len(), 3);
    let pod = &pods[1..2];

    for template in [
        "{.metadata.name}",
        r#"{.kind}{"/"}{.metadata.name}{"\n"}"#,
        r"{.status.phase}{'\t'}{.spec.restartPolicy}",
        r#"x{.metadata.name}y{"}"}z"#,
        "{.spec.containers[0].command[*]}",
        "{.spec.containers[0].command[-1]}",
        "{.spec.containers[0].command[0:2]}",
        "{.spec.containers[0].command[::2]}",
        "{.spec.containers[0].command[1:]}",
        "{.spec.containers[0].command[5]}",
        "{.spec.containers[0].command[2:1]}",
        "{.spec.containers[0].command[::0]}",
        "{.spec.containers[*]['name','image']}",
        "{.spec.containers[0,0].name}",
        "{.status.containerStatuses[0].state}",
        "{.spec}",
        "{@}",
        "{.metadata.labels}",
        "{..restartCount}",
        "{..containers[0].name}",
        "{.spec.containers[0].nope}|{.nope.nope}",
        "{.spec.containers[0].name.nope}",
        r#"{.status.containerStatuses[?(@.name=="main")].restartCount}"#,
        r#"{.status.conditions[?(@.status=="True")].type}"#,
        r#"{.status.conditions[?(@.type!="Ready")].type}"#,
        "{.status.containerStatuses[?(@.restartCount==0)].name}",
        "{.status.containerStatuses[?(@.restartCount<1)].name}",
        "{.status.containerStatuses[?(@.restartCount>=0.5)].name}",
        "{.status.containerStatuses[?(@.ready==false)].name}",
        "{.status.containerStatuses[?(@.state.terminated)].name}",
        "{.status.containerStatuses[?(@.nope)].name}",
        "{.spec.containers[?(@.name=='main')].image}",
        "{range .status.conditions[*]}{.type}={.status}{\"\\n\"}{end}",
        "{range .spec.containers[*]}{range .command[*]}[{@}]{end}{end}",
        "{end}",
        "{nope}",
        "{.metadata.name",
        "{.spec.containers[}",
        r#"{.spec.containers[?(@.name=="x")}"#,
        "{.spec.containers[?(@.name=='x')",
        "{.spec.containers['a}",
        "{!}",
        "{.....a}",
        "{1.2.3}",
    ] {
        let format = format!("jsonpath={template}");
        let theirs = kubectl_print(&pod[0].value, &format);
        match (ours(pod, &format, true), theirs) {
            (Ok(a), Ok(b)) => assert_eq!(a, b, "{template}"),
            (Err(a), Err(b)) => assert_eq!(before_dump(&a), before_dump(&b), "{template}"),
            (a, b) => panic!("{template}: dockjob {a:?}, kubectl {b:?}"),
        }
    }

    let list: Value = serde_json::from_str(&ours(&pods, "json", false).unwrap()).unwrap();
    for template in [
        r#"{range .items[*]}{.metadata.name}{"\t"}{.status.phase}{"\n"}{end}"#,
        r#"{.items[?(@.status.phase=="Failed")].metadata.name}"#,
        "{.items[-1:].metadata.name}",
        "{.items[*].status.containerStatuses[0].state.terminated.exitCode}",
        r#"{range .items[*]}{range .spec.containers[*]}{.name}{","}{end}{"\n"}{end}"#,
        r#"{range .items[?(@.status.phase=="Succeeded")]}{.metadata.name}{" "}{end}"#,
        "{range .items[*]}{.metadata.name}{end}{end}",
    ] {
        let (object, rewritten) = unlisted(&list, template);
        let theirs = kubectl_print(&object, &format!("jsonpath={rewritten}"));
        match (ours(&pods, &format!("jsonpath={template}"), false), theirs) {
            (Ok(a), Ok(b)) => assert_eq!(a, b, "{template}"),
            (Err(a), Err(b)) => assert_eq!(
                before_dump(&a).replace(".items", ".listItems"),
                before_dump(&b),
                "{template}"
            ),
            (a, b) => panic!("{template}: dockjob {a:?}, kubectl {b:?}"),
        }
    }
}
