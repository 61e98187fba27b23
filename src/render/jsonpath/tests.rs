//! Cases from client-go's `util/jsonpath/jsonpath_test.go` and `parser_test.go` (test names
//! kept), with Go structs written as the JSON kubectl would hand the engine.

use serde_json::{json, Value};

use super::*;

/// `testJSONPath`: `(name, template, input, expected)`; `None` expects an error.
fn check(cases: &[(&str, &str, &Value, Option<&str>)], allow_missing_keys: bool) {
    for (name, template, input, expected) in cases {
        let result =
            JsonPath::parse(template).and_then(|j| j.execute(input, allow_missing_keys, false));
        match (expected, result) {
            (Some(want), Ok(got)) => assert_eq!(&got, want, "{name}: {template}"),
            (None, Err(_)) => {}
            (want, got) => panic!("{name}: {template}: expected {want:?}, got {got:?}"),
        }
    }
}

/// `testFailJSONPath`: the execution error's text.
fn check_error(template: &str, input: &Value, want: &str) {
    let j = JsonPath::parse(template).expect("parses");
    assert_eq!(
        j.execute(input, false, false),
        Err(want.to_string()),
        "{template}"
    );
}

fn types() -> Value {
    json!({
        "bools": [true, false, true, false],
        "integers": [1, 2, 3, 4],
        "floats": [1.0, 2.2, 3.3, 4.0],
        "strings": ["one", "two", "three", "four"],
        "interfaces": [true, "one", 1, 1.1],
        "maps": [
            {"name": "one", "value": 1},
            {"name": "two", "value": 2.02},
            {"name": "three", "value": 3.03},
            {"name": "four", "value": 4.04}
        ]
    })
}

#[test]
fn types_input() {
    let t = types();
    check(
        &[
            (
                "boolSlice",
                "{ .bools }",
                &t,
                Some("[true,false,true,false]"),
            ),
            ("boolSliceIndex", "{ .bools[-1] }", &t, Some("false")),
            ("boolSubSlice", "{ .bools[0:2] }", &t, Some("true false")),
            (
                "boolSubSliceStep2",
                "{ .bools[:4:2] }",
                &t,
                Some("true true"),
            ),
            (
                "integerSliceIndexReverse",
                "{ .integers[-2] }",
                &t,
                Some("3"),
            ),
            ("floatSlice", "{ .floats }", &t, Some("[1,2.2,3.3,4]")),
            ("floatSliceIndex", "{ .floats[0] }", &t, Some("1")),
            ("floatSubSliceStep2", "{ .floats[:4:2] }", &t, Some("1 3.3")),
            (
                "stringSlice",
                "{ .strings }",
                &t,
                Some(r#"["one","two","three","four"]"#),
            ),
            (
                "stringSubSliceFirst2Alt",
                "{ .strings[:2] }",
                &t,
                Some("one two"),
            ),
            (
                "interfaceSlice",
                "{ .interfaces }",
                &t,
                Some(r#"[true,"one",1,1.1]"#),
            ),
            (
                "interfaceSubSliceStep2",
                "{ .interfaces[:4:2] }",
                &t,
                Some("true 1"),
            ),
            (
                "mapSliceIndex",
                "{ .maps[0] }",
                &t,
                Some(r#"{"name":"one","value":1}"#),
            ),
            (
                "mapSubSliceStepEven",
                "{ .maps[1::2] }",
                &t,
                Some(r#"{"name":"two","value":2.02} {"name":"four","value":4.04}"#),
            ),
        ],
        false,
    );
}

fn store() -> Value {
    json!({
        "Name": "jsonpath",
        "Book": [
            {"Category": "reference", "Author": "Nigel Rees", "Title": "Sayings of the Centurey", "Price": 8.95},
            {"Category": "fiction", "Author": "Evelyn Waugh", "Title": "Sword of Honour", "Price": 12.99},
            {"Category": "fiction", "Author": "Herman Melville", "Title": "Moby Dick", "Price": 8.99}
        ],
        "Bicycle": [
            {"Color": "red", "Price": 19.95, "IsNew": true},
            {"Color": "green", "Price": 20.01, "IsNew": false}
        ],
        "Labels": {"engieer": 10, "web/html": 15, "k8s-app": 20},
        "Employees": {"jason": "manager", "dan": "clerk"}
    })
}

#[test]
fn struct_input() {
    let s = store();
    let ints = json!([1, 2, 3]);
    check(
        &[
            (
                "plain",
                "hello jsonpath",
                &Value::Null,
                Some("hello jsonpath"),
            ),
            ("recursive", "{..}", &ints, Some("[1,2,3]")),
            ("filter", "{[?(@<5)]}", &json!([2, 6, 3, 7]), Some("2 3")),
            ("quote", r#"{"{"}"#, &Value::Null, Some("{")),
            ("union", "{[1,3,4]}", &json!([0, 1, 2, 3, 4]), Some("1 3 4")),
            (
                "array",
                "{[0:2]}",
                &json!(["Monday", "Tudesday"]),
                Some("Monday Tudesday"),
            ),
            ("variable", "hello {.Name}", &s, Some("hello jsonpath")),
            ("dict/", "{$.Labels.web/html}", &s, Some("15")),
            ("dict/", "{$.Employees.jason}", &s, Some("manager")),
            ("dict-", "{.Labels.k8s-app}", &s, Some("20")),
            ("nest", "{.Bicycle[*].Color}", &s, Some("red green")),
            (
                "allarray",
                "{.Book[*].Author}",
                &s,
                Some("Nigel Rees Evelyn Waugh Herman Melville"),
            ),
            // Go prints struct fields in declaration order; JSON maps come sorted here.
            (
                "allfields",
                r#"{range .Bicycle[*]}{ "{" }{ @.* }{ "} " }{end}"#,
                &s,
                Some("{red true 19.95} {green false 20.01} "),
            ),
            (
                "recurfields",
                "{..Price}",
                &s,
                Some("19.95 20.01 8.95 12.99 8.99"),
            ),
            (
                "recurdotfields",
                "{...Price}",
                &s,
                Some("19.95 20.01 8.95 12.99 8.99"),
            ),
            (
                "superrecurfields",
                "{............................................................Price}",
                &s,
                None,
            ),
            (
                "lastarray",
                "{.Book[-1:]}",
                &s,
                Some(
                    r#"{"Author":"Herman Melville","Category":"fiction","Price":8.99,"Title":"Moby Dick"}"#,
                ),
            ),
            (
                "recurarray",
                "{..Book[2]}",
                &s,
                Some(
                    r#"{"Author":"Herman Melville","Category":"fiction","Price":8.99,"Title":"Moby Dick"}"#,
                ),
            ),
            (
                "bool",
                "{.Bicycle[?(@.IsNew==true)]}",
                &s,
                Some(r#"{"Color":"red","IsNew":true,"Price":19.95}"#),
            ),
        ],
        false,
    );
    check(
        &[
            ("nonexistent field", "{.hello}", &s, Some("")),
            (
                "nonexistent field 2",
                "before-{.hello}after",
                &s,
                Some("before-after"),
            ),
        ],
        true,
    );
    check_error("{hello}", &s, "unrecognized identifier hello");
    check_error("{.hello}", &s, "hello is not found");
    check_error(
        "{.Labels[0]}",
        &s,
        "map[string]interface {} is not array or slice",
    );
    check_error(
        "{.Book[?(@.Price<>10)]}",
        &s,
        "unrecognized filter operator <>",
    );
    check_error(
        "{range .Labels.*}{@}{end}{end}",
        &s,
        "not in range, nothing to end",
    );
}

#[test]
fn json_input() {
    let points = json!([
        {"id": "i1", "x": 4, "y": -5},
        {"id": "i2", "x": -2, "y": -5, "z": 1},
        {"id": "i3", "x": 8, "y": 3},
        {"id": "i4", "x": -6, "y": -1},
        {"id": "i5", "x": 0, "y": 2, "z": 1},
        {"id": "i6", "x": 1, "y": 4},
        {"id": "i7", "x": null, "y": 4}
    ]);
    let no_null = Value::Array(points.as_array().unwrap()[..6].to_vec());
    check(
        &[
            ("exists filter", "{[?(@.z)].id}", &points, Some("i2 i5")),
            ("bracket key", "{[0]['id']}", &points, Some("i1")),
            ("nil value", "{[-1]['x']}", &points, Some("null")),
            // i7's null x cannot be compared (checked with kubectl 1.32).
            ("null comparison", "{[?(@.x>=4)].id}", &points, None),
            ("comparison", "{[?(@.x>=4)].id}", &no_null, Some("i1 i3")),
            (
                "not equal",
                "{[?(@.y!=-5)].id}",
                &points,
                Some("i3 i4 i5 i6 i7"),
            ),
        ],
        false,
    );
}

fn nodes() -> Value {
    json!({
        "kind": "List",
        "items": [
            {"kind": "None", "metadata": {"name": "127.0.0.1", "labels": {"kubernetes.io/hostname": "127.0.0.1"}},
             "status": {"capacity": {"cpu": "4"}, "ready": true,
                        "addresses": [{"type": "LegacyHostIP", "address": "127.0.0.1"}]}},
            {"kind": "None", "metadata": {"name": "127.0.0.2", "labels": {"kubernetes.io/hostname": "127.0.0.2"}},
             "status": {"capacity": {"cpu": "8"}, "ready": false,
                        "addresses": [{"type": "LegacyHostIP", "address": "127.0.0.2"},
                                      {"type": "another", "address": "127.0.0.3"}]}}
        ],
        "users": [
            {"name": "myself", "user": {}},
            {"name": "e2e", "user": {"username": "admin", "password": "secret"}}
        ]
    })
}

#[test]
fn kubernetes() {
    let n = nodes();
    check(
        &[
            (
                "range item",
                "{range .items[*]}{.metadata.name}, {end}{.kind}",
                &n,
                Some("127.0.0.1, 127.0.0.2, List"),
            ),
            (
                "range item with quote",
                r#"{range .items[*]}{.metadata.name}{"\t"}{end}"#,
                &n,
                Some("127.0.0.1\t127.0.0.2\t"),
            ),
            (
                "range addresss",
                "{.items[*].status.addresses[*].address}",
                &n,
                Some("127.0.0.1 127.0.0.2 127.0.0.3"),
            ),
            (
                "double range",
                "{range .items[*]}{range .status.addresses[*]}{.address}, {end}{end}",
                &n,
                Some("127.0.0.1, 127.0.0.2, 127.0.0.3, "),
            ),
            (
                "item name",
                "{.items[*].metadata.name}",
                &n,
                Some("127.0.0.1 127.0.0.2"),
            ),
            (
                "union nodes capacity",
                "{.items[*]['metadata.name', 'status.capacity']}",
                &n,
                Some(r#"127.0.0.1 127.0.0.2 {"cpu":"4"} {"cpu":"8"}"#),
            ),
            (
                "range nodes capacity",
                "{range .items[*]}[{.metadata.name}, {.status.capacity}] {end}",
                &n,
                Some(r#"[127.0.0.1, {"cpu":"4"}] [127.0.0.2, {"cpu":"8"}] "#),
            ),
            (
                "user password",
                r#"{.users[?(@.name=="e2e")].user.password}"#,
                &n,
                Some("secret"),
            ),
            (
                "hostname",
                r"{.items[0].metadata.labels.kubernetes\.io/hostname}",
                &n,
                Some("127.0.0.1"),
            ),
            (
                "hostname filter",
                r#"{.items[?(@.metadata.labels.kubernetes\.io/hostname=="127.0.0.1")].kind}"#,
                &n,
                Some("None"),
            ),
            (
                "bool item",
                "{.items[?(@..ready==true)].metadata.name}",
                &n,
                Some("127.0.0.1"),
            ),
            // Sorted map order here (Go's is random): items, then users.
            (
                "recursive name",
                "{..name}",
                &n,
                Some("127.0.0.1 127.0.0.2 myself e2e"),
            ),
        ],
        false,
    );
}

#[test]
fn empty_and_nested_ranges() {
    let empty = json!({"items": []});
    check(
        &[
            (
                "empty range",
                "{range .items[*]}{.metadata.name}{end}",
                &empty,
                Some(""),
            ),
            (
                "empty nested range",
                r#"{range .items[*]}{.metadata.name}{":"}{range @.spec.containers[*]}{.name}{","}{end}{"+"}{end}"#,
                &empty,
                Some(""),
            ),
        ],
        true,
    );
    let pods = json!({"items": [
        {"metadata": {"name": "pod1"}, "spec": {"containers": [
            {"name": "foo", "another": [{"name": "value1"}, {"name": "value2"}]},
            {"name": "bar", "another": [{"name": "value1"}, {"name": "value2"}]}]}},
        {"metadata": {"name": "pod2"}, "spec": {"containers": [
            {"name": "baz", "another": [{"name": "value1"}, {"name": "value2"}]}]}}
    ]});
    check(
        &[
            (
                "nested range with a trailing newline",
                r#"{range .items[*]}{.metadata.name}{":"}{range @.spec.containers[*]}{.name}{","}{end}{"+"}{end}"#,
                &pods,
                Some("pod1:foo,bar,+pod2:baz,+"),
            ),
            (
                "nested range with a trailing character within another nested range",
                r##"{range .items[*]}{.metadata.name}{"~"}{range @.spec.containers[*]}{.name}{":"}{range @.another[*]}{.name}{","}{end}{"+"}{end}{"#"}{end}"##,
                &pods,
                Some("pod1~foo:value1,value2,+bar:value1,value2,+#pod2~baz:value1,value2,+#"),
            ),
            (
                "two nested ranges at the same level",
                r#"{range .items[*]}{.metadata.name}{"\t"}{range @.spec.containers[*]}{.name}{" "}{end}{"\t"}{range @.spec.containers[*]}{.name}{" "}{end}{"\n"}{end}"#,
                &pods,
                Some("pod1\tfoo bar \tfoo bar \npod2\tbaz \tbaz \n"),
            ),
        ],
        false,
    );
}

#[test]
fn filter_partial_matches_sometimes_missing_annotations() {
    let pods = json!({"kind": "List", "items": [
        {"kind": "Pod", "metadata": {"name": "pod1", "annotations": {"color": "blue"}}},
        {"kind": "Pod", "metadata": {"name": "pod2"}},
        {"kind": "Pod", "metadata": {"name": "pod3", "annotations": {"color": "green"}}},
        {"kind": "Pod", "metadata": {"name": "pod4", "annotations": {"color": "blue"}}}
    ]});
    let template = r#"{.items[?(@.metadata.annotations.color=="blue")].metadata.name}"#;
    check(
        &[("tolerate missing", template, &pods, Some("pod1 pod4"))],
        true,
    );
    check(&[("error on missing", template, &pods, None)], false);
    let running = json!({"kind": "List", "items": [
        {"kind": "Pod", "metadata": {"name": "pod1"}, "status": {"phase": "Running"}},
        {"kind": "Pod", "metadata": {"name": "pod2"}, "status": {"phase": "Running"}},
        {"resourceVersion": ""}
    ]});
    check(
        &[(
            "range over pods without selecting the last one",
            r#"{range .items[?(.status.phase=="Running")]}{.metadata.name}{" is Running\n"}{end}"#,
            &running,
            Some("pod1 is Running\npod2 is Running\n"),
        )],
        true,
    );
}

#[test]
fn negative_index_and_step() {
    let names: Vec<Value> = (0..6)
        .map(|i| json!({"name": format!("fake{i}")}))
        .collect();
    let four = json!({"spec": {"containers": names[..4]}});
    let six = json!({"spec": {"containers": names}});
    check(
        &[
            ("[0]", "{.spec.containers[0].name}", &four, Some("fake0")),
            ("[0:0]", "{.spec.containers[0:0].name}", &four, Some("")),
            (
                "[0:-1]",
                "{.spec.containers[0:-1].name}",
                &four,
                Some("fake0 fake1 fake2"),
            ),
            ("[-1:0]", "{.spec.containers[-1:0].name}", &four, None),
            ("[-1]", "{.spec.containers[-1].name}", &four, Some("fake3")),
            (
                "[-1:]",
                "{.spec.containers[-1:].name}",
                &four,
                Some("fake3"),
            ),
            (
                "[-2:]",
                "{.spec.containers[-2:].name}",
                &four,
                Some("fake2 fake3"),
            ),
            ("[-4]", "{.spec.containers[-4].name}", &four, Some("fake0")),
            ("[-5]", "{.spec.containers[-5].name}", &four, None),
            ("[5:5]", "{.spec.containers[5:5].name}", &four, Some("")),
            ("[-5:-5]", "{.spec.containers[-5:-5].name}", &four, Some("")),
            ("[3:1]", "{.spec.containers[3:1].name}", &four, None),
            ("[-1:-2]", "{.spec.containers[-1:-2].name}", &four, None),
            (
                "[0:6:]",
                "{.spec.containers[0:6:].name}",
                &six,
                Some("fake0 fake1 fake2 fake3 fake4 fake5"),
            ),
            ("[0:6:0]", "{.spec.containers[0:6:0].name}", &six, None),
            ("[0:6:-1]", "{.spec.containers[0:6:-1].name}", &six, None),
            (
                "[1:4:2]",
                "{.spec.containers[1:4:2].name}",
                &six,
                Some("fake1 fake3"),
            ),
            (
                "[0:6:5]",
                "{.spec.containers[0:6:5].name}",
                &six,
                Some("fake0 fake5"),
            ),
        ],
        false,
    );
    let j = JsonPath::parse("{.spec.containers[-5].name}").unwrap();
    assert_eq!(
        j.execute(&four, false, false),
        Err("array index out of bounds: index -1, length 4".to_string())
    );
    let j = JsonPath::parse("{.spec.containers[3:1].name}").unwrap();
    assert_eq!(
        j.execute(&four, false, false),
        Err("starting index 3 is greater than ending index 1".to_string())
    );
}
