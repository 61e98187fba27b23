//! Parse errors, `jsonpath-as-json`, the relaxed paths of custom columns and the execution
//! error, against client-go's `parser_test.go` and kubectl's `customcolumn_test.go`.

use serde_json::json;

use super::*;

/// `parser_test.go`'s `TestFailParser` texts.
#[test]
fn parse_errors() {
    for (template, want) in [
        ("{.", "unclosed action"),
        ("{.a", "unclosed action"),
        ("{.a\n}", "unclosed action"),
        ("{[1.2]}", "invalid array index 1.2"),
        ("{[?(@.price>10)}", "unclosed array expect ]"),
        ("{[1:2:3:4]}", "invalid array index 1:2:3:4"),
        ("{[?(@.a=='x')", "unclosed array expect ]"),
        ("{[?(@.a==\"x\"}", "unterminated filter"),
        ("{[1", "unterminated array"),
        ("{\"a}", "unterminated quoted string"),
        ("{!}", "unrecognized character in action: U+0021 '!'"),
        ("{1.2.3}", "cannot parse number 1.2.3"),
        ("{.....a}", "invalid multiple recursive descent"),
        ("{'\\z'}", "unquote string '\\z' error invalid syntax"),
        // TestFailParser.
        ("{.hello", "unclosed action"),
        ("{*}", "unrecognized character in action: U+002A '*'"),
        ("{+12.3.0}", "cannot parse number +12.3.0"),
        ("{[1}", "unterminated array"),
        ("{[?(.price]}", "unterminated filter"),
        ("{........}", "invalid multiple recursive descent"),
    ] {
        assert_eq!(
            JsonPath::parse(template),
            Err(want.to_string()),
            "{template:?}"
        );
    }
}

#[test]
fn as_json_wraps_each_node_in_an_array() {
    let n = json!({"items": [{"metadata": {"name": "127.0.0.1"}}, {"metadata": {"name": "127.0.0.2"}}]});
    let j = JsonPath::parse("{.items[*].metadata.name}").unwrap();
    assert_eq!(
        j.execute(&n, true, true).unwrap(),
        "[\n    \"127.0.0.1\",\n    \"127.0.0.2\"\n]\n"
    );
}

#[test]
fn relaxed_expressions_as_kubectl() {
    // customcolumn_test.go `TestMassageJSONPath`.
    for (input, want) in [
        ("foo", Ok("{.foo}")),
        ("{foo}", Ok("{.foo}")),
        (".foo", Ok("{.foo}")),
        ("{.foo}", Ok("{.foo}")),
        ("", Ok("")),
        ("{foo", Err(())),
        ("foo}", Err(())),
        ("{foo.bar}", Ok("{.foo.bar}")),
        ("{{foo}}", Err(())),
        ("{.}", Ok("{..}")),
    ] {
        let got = relaxed_expression(input).map_err(|_| ());
        assert_eq!(got, want.map(String::from), "{input:?}");
    }
}

#[test]
fn the_execution_error_shows_the_object_as_go() {
    let text = execution_error("{.a[0]}", "x", &json!({"a": "b", "n": 1, "l": [null]}));
    assert!(text.ends_with(
        "\t\tmap[string]interface {}{\"a\":\"b\", \"l\":[]interface {}{interface {}(nil)}, \"n\":1}\n\n\n"
    ));
    assert!(text.starts_with("error executing jsonpath \"{.a[0]}\": Error executing template: x."));
}
