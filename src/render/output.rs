//! `get`'s list printers as kubectl's `printGeneric` runs them: `-o yaml|json|name`, keys
//! sorted at every level (kubectl prints unstructured objects), JSON indented by four spaces,
//! YAML through go-yaml v2's rules ([`super::yaml`]), several objects wrapped in a `List`;
//! `-o jsonpath…` ([`super::jsonpath`]) and `-o custom-columns…` ([`super::columns`]) over
//! the same JSON; and the parsing of `-o` itself, with kubectl's error texts.

use serde::Serialize;
use serde_json::Value;

use super::columns::{columns_from_spec, columns_from_template, custom_columns_table, Column};
use super::jsonpath::JsonPath;

/// `-o` formats other than the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ObjectFormat {
    /// `-o yaml`.
    Yaml,
    /// `-o json`.
    Json,
    /// `-o name`: `job.batch/pi`.
    Name,
}

/// An object with the `resource/name` kubectl prints for `-o name` and in messages.
pub trait Named: Serialize {
    /// `job.batch`, `pod`, `event`.
    fn resource() -> &'static str;
    /// `metadata.name`.
    fn name(&self) -> String;
}

impl Named for k8s_openapi::api::batch::v1::Job {
    fn resource() -> &'static str {
        "job.batch"
    }
    fn name(&self) -> String {
        self.metadata.name.clone().unwrap_or_default()
    }
}

impl Named for k8s_openapi::api::core::v1::Pod {
    fn resource() -> &'static str {
        "pod"
    }
    fn name(&self) -> String {
        self.metadata.name.clone().unwrap_or_default()
    }
}

impl Named for k8s_openapi::api::core::v1::Event {
    fn resource() -> &'static str {
        "event"
    }
    fn name(&self) -> String {
        self.metadata.name.clone().unwrap_or_default()
    }
}

/// Renders `objects` in `format`; `single` prints one object bare (`get job NAME`) instead of
/// a `List`.
pub fn render_objects<T: Named>(objects: &[T], format: ObjectFormat, single: bool) -> String {
    if format == ObjectFormat::Name {
        return objects
            .iter()
            .map(|o| format!("{}/{}\n", T::resource(), o.name()))
            .collect();
    }
    let values: Vec<serde_json::Value> = objects
        .iter()
        .map(|o| serde_json::to_value(o).unwrap_or(serde_json::Value::Null))
        .collect();
    let value = match (single, values.as_slice()) {
        (true, [one]) => one.clone(),
        _ => list_of(values),
    };
    match format {
        ObjectFormat::Json => json_text(&value),
        _ => super::yaml::to_yaml(&value),
    }
}

/// One object as the list printers see it: its `-o name` resource and its JSON (what
/// `-o json` prints, and what JSONPath and custom columns walk).
#[derive(Debug, Clone, PartialEq)]
pub struct Printable {
    /// `job.batch`, `pod`, `event`.
    pub resource: &'static str,
    /// The object.
    pub value: Value,
}

impl Printable {
    /// `object` with its resource.
    pub fn of<T: Named>(object: &T) -> Self {
        Printable {
            resource: T::resource(),
            value: serde_json::to_value(object).unwrap_or(Value::Null),
        }
    }

    fn name(&self) -> &str {
        match self.value["metadata"]["name"].as_str() {
            Some(name) if !name.is_empty() => name,
            _ => "<unknown>",
        }
    }
}

/// What `-o` asked for, parsed (files read).
#[derive(Debug, Clone, PartialEq)]
pub enum OutputFormat {
    /// No `-o`, or `-o wide`.
    Table {
        /// `-o wide`.
        wide: bool,
    },
    /// `-o yaml|json|name`.
    Objects(ObjectFormat),
    /// `-o jsonpath=…`, `-o jsonpath-file=…`, `-o jsonpath-as-json=…`.
    JsonPath {
        /// The parsed template.
        template: JsonPath,
        /// The template as given (for error messages).
        raw: String,
        /// `jsonpath-as-json`.
        as_json: bool,
    },
    /// `-o custom-columns=…`, `-o custom-columns-file=…`.
    CustomColumns(Vec<Column>),
}

/// The formats `get -o` knows, sorted (kubectl's also has the Go-template ones).
pub const ALLOWED_FORMATS: &str =
    "custom-columns,custom-columns-file,json,jsonpath,jsonpath-as-json,jsonpath-file,name,wide,yaml";

/// Parses `-o` as kubectl's `get` `PrintFlags.ToPrinter` does, reading `*-file` templates
/// with `read_file`; the error is kubectl's text.
pub fn parse_output_format(
    output: Option<&str>,
    read_file: &dyn Fn(&str) -> std::io::Result<String>,
) -> Result<OutputFormat, String> {
    let output = output.unwrap_or("");
    let (format, value) = match output.split_once('=') {
        Some((format, value)) => (format, Some(value)),
        None => (output, None),
    };
    match (format, value) {
        ("", None) => Ok(OutputFormat::Table { wide: false }),
        ("wide", None) => Ok(OutputFormat::Table { wide: true }),
        ("yaml", None) => Ok(OutputFormat::Objects(ObjectFormat::Yaml)),
        ("json", None) => Ok(OutputFormat::Objects(ObjectFormat::Json)),
        ("name", None) => Ok(OutputFormat::Objects(ObjectFormat::Name)),
        ("jsonpath" | "jsonpath-file" | "jsonpath-as-json", value) => {
            let value = value.unwrap_or("");
            if value.is_empty() {
                return Err("template format specified but no template given".to_string());
            }
            let raw = if format == "jsonpath-file" {
                read_file(value).map_err(|e| {
                    format!("error reading --template {value}, {}", go_os_error("open", value, &e))
                })?
            } else {
                value.to_string()
            };
            let template =
                JsonPath::parse(&raw).map_err(|e| format!("error parsing jsonpath {raw}, {e}"))?;
            Ok(OutputFormat::JsonPath {
                template,
                raw,
                as_json: format == "jsonpath-as-json",
            })
        }
        ("custom-columns", value) => Ok(OutputFormat::CustomColumns(columns_from_spec(
            value.unwrap_or(""),
        )?)),
        ("custom-columns-file", value) => {
            let path = value.unwrap_or("");
            if path.is_empty() {
                return Err(super::columns::NO_COLUMNS.to_string());
            }
            let text = read_file(path).map_err(|e| {
                format!("error reading template {path}, {}\n", go_os_error("open", path, &e))
            })?;
            Ok(OutputFormat::CustomColumns(columns_from_template(&text)?))
        }
        _ => Err(format!(
            "unable to match a printer suitable for the output format {}, allowed formats are: {ALLOWED_FORMATS}",
            crate::job::field::go_quote(output)
        )),
    }
}

/// Go's `*PathError` text: `open FILE: no such file or directory`.
fn go_os_error(op: &str, path: &str, error: &std::io::Error) -> String {
    let text = error.to_string();
    let text = text.split(" (os error").next().unwrap_or(&text);
    let mut chars = text.chars();
    let lowered: String = chars
        .next()
        .map(|c| c.to_lowercase().chain(chars).collect())
        .unwrap_or_default();
    format!("{op} {path}: {lowered}")
}

/// What `get`'s list printers print for `objects` (`printGeneric`): one object bare when it
/// was asked for by name (`single`), else a `v1 List` of them all; `-o name` one line each.
/// The error is kubectl's (a JSONPath that fails on the data, a bad custom column).
pub fn render_list(
    objects: &[Printable],
    format: &OutputFormat,
    single: bool,
    no_headers: bool,
) -> Result<String, String> {
    let as_value = || match (single, objects) {
        (true, [one]) => one.value.clone(),
        _ => list_of(objects.iter().map(|o| o.value.clone()).collect()),
    };
    match format {
        OutputFormat::Objects(ObjectFormat::Name) | OutputFormat::Table { .. } => Ok(objects
            .iter()
            .map(|o| format!("{}/{}\n", o.resource, o.name()))
            .collect()),
        OutputFormat::Objects(ObjectFormat::Json) => Ok(json_text(&as_value())),
        OutputFormat::Objects(ObjectFormat::Yaml) => Ok(super::yaml::to_yaml(&as_value())),
        OutputFormat::JsonPath {
            template,
            raw,
            as_json,
        } => {
            let value = as_value();
            template
                .execute(&value, true, *as_json)
                .map_err(|e| super::jsonpath::execution_error(raw, &e, &value))
        }
        OutputFormat::CustomColumns(columns) => {
            let values: Vec<&Value> = objects.iter().map(|o| &o.value).collect();
            custom_columns_table(columns, &values, no_headers)
        }
    }
}

/// kubectl's `List` wrapper (`printGeneric`).
fn list_of(items: Vec<Value>) -> Value {
    serde_json::json!({
        "apiVersion": "v1",
        "items": items,
        "kind": "List",
        "metadata": {"resourceVersion": ""},
    })
}

/// `-o json`: keys sorted, four-space indent, a final newline.
fn json_text(value: &Value) -> String {
    let mut out = Vec::new();
    let formatter = serde_json::ser::PrettyFormatter::with_indent(b"    ");
    let mut serializer = serde_json::Serializer::with_formatter(&mut out, formatter);
    if value.serialize(&mut serializer).is_err() {
        return String::new();
    }
    let mut text = String::from_utf8(out).unwrap_or_default();
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn no_files(path: &str) -> std::io::Result<String> {
        match path {
            "cols" => Ok("NAME KIND\n.metadata.name .kind\n".to_string()),
            "tmpl" => Ok("{.kind}".to_string()),
            _ => Err(std::io::Error::from_raw_os_error(libc::ENOENT)),
        }
    }

    fn parse(output: &str) -> Result<OutputFormat, String> {
        parse_output_format(Some(output), &no_files)
    }

    #[test]
    fn output_flags_fail_with_kubectls_texts() {
        // cli-runtime `JSONPathPrintFlags.ToPrinter`, kubectl `CustomColumnsPrintFlags.ToPrinter`,
        // `NoCompatiblePrinterError.Error`.
        assert_eq!(
            parse("jsonpath"),
            Err("template format specified but no template given".into())
        );
        assert_eq!(
            parse("jsonpath="),
            Err("template format specified but no template given".into())
        );
        assert_eq!(
            parse("jsonpath={.a"),
            Err("error parsing jsonpath {.a, unclosed action".into())
        );
        assert_eq!(
            parse("jsonpath-file=/x"),
            Err("error reading --template /x, open /x: no such file or directory".into())
        );
        assert_eq!(
            parse("custom-columns-file=/x"),
            Err("error reading template /x, open /x: no such file or directory\n".into())
        );
        assert_eq!(
            parse("custom-columns"),
            Err(super::super::columns::NO_COLUMNS.into())
        );
        assert_eq!(
            parse("bogus"),
            Err("unable to match a printer suitable for the output format \"bogus\", allowed formats are: custom-columns,custom-columns-file,json,jsonpath,jsonpath-as-json,jsonpath-file,name,wide,yaml".into())
        );
        assert!(matches!(
            parse("jsonpath-file=tmpl"),
            Ok(OutputFormat::JsonPath { .. })
        ));
        assert!(
            matches!(parse("custom-columns-file=cols"), Ok(OutputFormat::CustomColumns(c)) if c.len() == 2)
        );
        assert_eq!(
            parse_output_format(None, &no_files),
            Ok(OutputFormat::Table { wide: false })
        );
    }

    #[test]
    fn several_objects_are_one_list_for_every_list_printer() {
        let objects = [
            Printable {
                resource: "job.batch",
                value: json!({"kind": "Job", "metadata": {"name": "pi"}}),
            },
            Printable {
                resource: "pod",
                value: json!({"kind": "Pod", "metadata": {"name": "pi-x"}}),
            },
        ];
        let render =
            |o: &str, single| render_list(&objects, &parse(o).unwrap(), single, false).unwrap();
        assert_eq!(render("name", false), "job.batch/pi\npod/pi-x\n");
        assert_eq!(
            render("jsonpath={.kind} {.items[*].metadata.name}", false),
            "List pi pi-x"
        );
        assert_eq!(render("jsonpath={.kind}", true), "List");
        assert_eq!(render("jsonpath={.kind}", true), "List");
        assert_eq!(
            render_list(
                &objects[..1],
                &parse("jsonpath={.kind}").unwrap(),
                true,
                false
            )
            .unwrap(),
            "Job"
        );
        assert_eq!(
            render("custom-columns=N:.metadata.name,K:kind", false),
            "N      K\npi     Job\npi-x   Pod\n"
        );
        let error = render_list(
            &objects,
            &parse("jsonpath={.items[5]}").unwrap(),
            false,
            false,
        )
        .unwrap_err();
        assert!(error.starts_with("error executing jsonpath \"{.items[5]}\": Error executing template: array index out of bounds: index 5, length 2. Printing more information"), "{error}");
    }
}
