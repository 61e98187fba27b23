//! `-o custom-columns=HEADER:PATH,…` and `-o custom-columns-file=FILE`, as kubectl's
//! `get/customcolumn.go` (`NewCustomColumnsPrinterFromSpec`, `…FromTemplate`,
//! `CustomColumnsPrinter.printOneObject`): each cell is every value the column's JSONPath
//! finds, `fmt.Sprint`ed and joined with `,`, or `<none>`; laid out with kubectl's tabwriter.
//! Pure.

use serde_json::Value;

use super::jsonpath::gofmt::go_sprint;
use super::jsonpath::{relaxed_expression, JsonPath};
use super::tabwriter::{align, TABLE};

/// One column: its header and its JSONPath (`{.a.b}`).
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    /// Printed above the column as given.
    pub header: String,
    /// The relaxed path, as `{.a.b}`.
    pub field_spec: String,
}

/// `custom-columns format specified but no custom columns given`.
pub const NO_COLUMNS: &str = "custom-columns format specified but no custom columns given";

/// Parses `NAME:.metadata.name,IMAGE:.spec.containers[0].image`.
pub fn columns_from_spec(spec: &str) -> Result<Vec<Column>, String> {
    if spec.is_empty() {
        return Err(NO_COLUMNS.to_string());
    }
    spec.split(',')
        .map(|part| {
            let (header, path) = part.split_once(':').ok_or_else(|| {
                format!(
                    "unexpected custom-columns spec: {part}, expected <header>:<json-path-expr>"
                )
            })?;
            Ok(Column {
                header: header.to_string(),
                field_spec: relaxed_expression(path)?,
            })
        })
        .collect()
}

const TEMPLATE_FORMAT: &str = "Expected format is one line of space separated headers, one line of space separated column specs.";

/// Parses a custom-columns file: a line of headers and a line of paths, whitespace-separated.
pub fn columns_from_template(text: &str) -> Result<Vec<Column>, String> {
    let mut lines = text.lines();
    let headers: Vec<&str> = lines
        .next()
        .ok_or_else(|| format!("invalid template, missing header line. {TEMPLATE_FORMAT}"))?
        .split_whitespace()
        .collect();
    let specs: Vec<&str> = lines
        .next()
        .ok_or_else(|| format!("invalid template, missing spec line. {TEMPLATE_FORMAT}"))?
        .split_whitespace()
        .collect();
    if headers.len() != specs.len() {
        return Err(format!(
            "number of headers ({}) and field specifications ({}) don't match",
            headers.len(),
            specs.len()
        ));
    }
    headers
        .iter()
        .zip(specs)
        .map(|(header, spec)| {
            Ok(Column {
                header: header.to_string(),
                field_spec: relaxed_expression(spec)?,
            })
        })
        .collect()
}

/// The table of `objects` (headers first unless `no_headers`, even with no objects).
pub fn custom_columns_table(
    columns: &[Column],
    objects: &[&Value],
    no_headers: bool,
) -> Result<String, String> {
    let parsers = columns
        .iter()
        .map(|c| JsonPath::parse(&c.field_spec))
        .collect::<Result<Vec<_>, _>>()?;
    let mut text = String::new();
    if !no_headers {
        let headers: Vec<&str> = columns.iter().map(|c| c.header.as_str()).collect();
        text.push_str(&headers.join("\t"));
        text.push('\n');
    }
    for object in objects {
        let mut cells = Vec::with_capacity(parsers.len());
        for parser in &parsers {
            let results = parser.find_results(object, true)?;
            let mut values = Vec::new();
            if results.first().is_none_or(|r| r.is_empty()) {
                values.push("<none>".to_string());
            }
            values.extend(
                results
                    .iter()
                    .flatten()
                    .map(|v| escape_terminal(&go_sprint(v))),
            );
            cells.push(values.join(","));
        }
        text.push_str(&cells.join("\t"));
        text.push('\n');
    }
    Ok(align(&text, TABLE))
}

/// `printers.EscapeTerminal`: ESC and CR made visible (terminal-escape attacks, k8s#101695).
pub fn escape_terminal(text: &str) -> String {
    text.replace('\x1b', "^[").replace('\r', "\\r")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn specs_parse_as_kubectl() {
        // customcolumn_test.go `TestNewColumnPrinterFromSpec`.
        assert_eq!(
            columns_from_spec("NAME:metadata.name,API_VERSION:apiVersion").unwrap(),
            vec![
                Column {
                    header: "NAME".into(),
                    field_spec: "{.metadata.name}".into()
                },
                Column {
                    header: "API_VERSION".into(),
                    field_spec: "{.apiVersion}".into()
                },
            ]
        );
        assert_eq!(columns_from_spec(""), Err(NO_COLUMNS.to_string()));
        assert_eq!(
            columns_from_spec("NAME"),
            Err("unexpected custom-columns spec: NAME, expected <header>:<json-path-expr>".into())
        );
        assert!(columns_from_spec("NAME:{{a}}").is_err());
    }

    #[test]
    fn templates_parse_as_kubectl() {
        // customcolumn_test.go `TestNewColumnPrinterFromTemplate`.
        assert_eq!(
            columns_from_template(
                "NAME               API_VERSION\n{metadata.name}    {apiVersion}\n"
            )
            .unwrap()
            .len(),
            2
        );
        assert_eq!(
            columns_from_template("NAME\n"),
            Err(format!(
                "invalid template, missing spec line. {TEMPLATE_FORMAT}"
            ))
        );
        assert_eq!(
            columns_from_template(""),
            Err(format!(
                "invalid template, missing header line. {TEMPLATE_FORMAT}"
            ))
        );
        assert_eq!(
            columns_from_template("A B\n{a}\n"),
            Err("number of headers (2) and field specifications (1) don't match".into())
        );
    }

    #[test]
    fn cells_join_every_value_and_say_none_when_missing() {
        let a = json!({"metadata": {"name": "pi", "labels": {"app": "x", "tier": "y"}},
                       "spec": {"containers": [{"name": "a"}, {"name": "b"}]}});
        let b = json!({"metadata": {"name": "a-much-longer-name\x1b[31m"}});
        let columns =
            columns_from_spec("NAME:.metadata.name,C:.spec.containers[*].name,L:.metadata.labels")
                .unwrap();
        assert_eq!(
            custom_columns_table(&columns, &[&a, &b], false).unwrap(),
            "NAME                       C        L\n\
             pi                         a,b      map[app:x tier:y]\n\
             a-much-longer-name^[[31m   <none>   <none>\n"
        );
        assert_eq!(
            custom_columns_table(&columns, &[], false).unwrap(),
            "NAME   C     L\n"
        );
        assert_eq!(
            custom_columns_table(&columns[..1], &[&a], true).unwrap(),
            "pi\n"
        );
    }
}
