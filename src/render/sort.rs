//! `--sort-by=PATH`, as kubectl's `get/sorter.go`: objects ordered by the first value the
//! (relaxed) JSONPath finds in each; objects without one come first; numbers compare as
//! numbers, strings as Kubernetes quantities when both parse as one (`100m` < `1`), else
//! byte-wise. Pure.
//!
//! Go's `sort.Sort` is not stable; this sort is, so objects with equal keys keep the order
//! they were listed in.

use std::cmp::Ordering;

use serde_json::Value;

use super::jsonpath::{relaxed_expression, JsonPath};

/// Which kubectl printer path sorts: the table's (`NewTableSorter`, sorting every table that
/// has rows) or the list printers' (`SortingPrinter` over `-o json|yaml|name|jsonpath|…`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortPath {
    /// The default and `-o wide` tables.
    Table,
    /// Every other output format.
    List,
}

/// The order of `objects` sorted by `sort_by`: indexes into `objects`.
pub fn sort_order(objects: &[&Value], sort_by: &str, path: SortPath) -> Result<Vec<usize>, String> {
    let mut order: Vec<usize> = (0..objects.len()).collect();
    if objects.is_empty() {
        return Ok(order);
    }
    let field = match (relaxed_expression(sort_by), path) {
        (Ok(field), _) => field,
        (Err(_), SortPath::Table) => sort_by.to_string(),
        (Err(e), SortPath::List) => return Err(e),
    };
    let parser = JsonPath::parse(&field).map_err(|e| match path {
        SortPath::Table => format!("sorting error: {e}"),
        SortPath::List => e,
    })?;
    let mut keys = Vec::with_capacity(objects.len());
    for object in objects {
        let results = parser.find_results(object, true)?;
        keys.push(
            results
                .first()
                .and_then(|r| r.first())
                .map(|v| v.as_ref().clone()),
        );
    }
    if keys.iter().all(Option::is_none) {
        return Err(format!(
            "couldn't find any field with path {} in the list of objects",
            crate::job::field::go_quote(&field)
        ));
    }
    let mut error = None;
    order.sort_by(|&a, &b| match compare(keys[a].as_ref(), keys[b].as_ref()) {
        Ok(ordering) => ordering,
        Err(e) => {
            error.get_or_insert(e);
            Ordering::Equal
        }
    });
    match error {
        // `RuntimeSort.Less` (klog.Exitf).
        Some(e) => Err(format!(
            "Field {field} in *unstructured.Unstructured is an unsortable type: interface, err: {e}"
        )),
        None => Ok(order),
    }
}

/// `RuntimeSort.Less` as an ordering: a missing value first, then `isLess` on the values.
fn compare(a: Option<&Value>, b: Option<&Value>) -> Result<Ordering, String> {
    let (a, b) = match (a, b) {
        (None, None) => return Ok(Ordering::Equal),
        (None, _) => return Ok(Ordering::Less),
        (_, None) => return Ok(Ordering::Greater),
        (Some(a), Some(b)) => (a, b),
    };
    Ok(if is_less(a, b)? {
        Ordering::Less
    } else if is_less(b, a)? {
        Ordering::Greater
    } else {
        Ordering::Equal
    })
}

/// `isLess` for unstructured values (its `reflect.Interface` case).
fn is_less(a: &Value, b: &Value) -> Result<bool, String> {
    match (a, b) {
        (Value::Null, Value::Null) => Ok(false),
        (Value::Null, _) => Ok(true),
        (_, Value::Null) => Ok(false),
        (Value::Number(x), Value::Number(y)) if x.is_f64() == y.is_f64() => {
            Ok(match (x.as_i64(), y.as_i64()) {
                (Some(x), Some(y)) => x < y,
                _ => x.as_f64() < y.as_f64(),
            })
        }
        (Value::String(x), Value::String(y)) => Ok(match (quantity(x), quantity(y)) {
            (Some(qx), Some(qy)) => qx < qy,
            _ => x < y,
        }),
        (Value::Bool(_), _) => Err("unsortable type: bool".to_string()),
        (Value::Object(_), _) => Err("unsortable type: map[string]interface {}".to_string()),
        (Value::Array(_), _) => Err("unsortable type: []interface {}".to_string()),
        _ => Err("unsortable interface: interface".to_string()),
    }
}

/// A Kubernetes quantity's value (`resource.ParseQuantity`): a signed decimal and a binary
/// (`Ki`…`Ei`), decimal (`n u m k M G T P E`) or exponent (`e3`) suffix.
pub fn quantity(text: &str) -> Option<f64> {
    let unsigned = text.strip_prefix(['+', '-']).unwrap_or(text);
    let number_len = unsigned
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .unwrap_or(unsigned.len());
    let (number, suffix) = unsigned.split_at(number_len);
    if !number.bytes().any(|b| b.is_ascii_digit()) || number.matches('.').count() > 1 {
        return None;
    }
    let multiplier = match suffix {
        "" => 1.0,
        "Ki" => 1024f64,
        "Mi" => 1024f64.powi(2),
        "Gi" => 1024f64.powi(3),
        "Ti" => 1024f64.powi(4),
        "Pi" => 1024f64.powi(5),
        "Ei" => 1024f64.powi(6),
        "n" => 1e-9,
        "u" => 1e-6,
        "m" => 1e-3,
        "k" => 1e3,
        "M" => 1e6,
        "G" => 1e9,
        "T" => 1e12,
        "P" => 1e15,
        "E" => 1e18,
        exponent => {
            let digits = exponent.strip_prefix(['e', 'E'])?;
            let unsigned = digits.strip_prefix(['+', '-']).unwrap_or(digits);
            if unsigned.is_empty() || !unsigned.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            10f64.powi(digits.parse().ok()?)
        }
    };
    let value: f64 = number.parse().ok()?;
    let sign = if text.starts_with('-') { -1.0 } else { 1.0 };
    Some(sign * value * multiplier)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn names(objects: &[Value], order: &[usize]) -> Vec<String> {
        order
            .iter()
            .map(|&i| {
                objects[i]["metadata"]["name"]
                    .as_str()
                    .unwrap_or("")
                    .to_string()
            })
            .collect()
    }

    #[test]
    fn sorts_by_strings_numbers_and_quantities_missing_first() {
        let objects = vec![
            json!({"metadata": {"name": "b"}, "n": 10, "q": "1"}),
            json!({"metadata": {"name": "c"}, "n": 2, "q": "100m"}),
            json!({"metadata": {"name": "a"}, "q": "2Ki"}),
        ];
        let refs: Vec<&Value> = objects.iter().collect();
        let by = |f| names(&objects, &sort_order(&refs, f, SortPath::List).unwrap());
        assert_eq!(by(".metadata.name"), ["a", "b", "c"]);
        assert_eq!(by("{.n}"), ["a", "c", "b"]);
        assert_eq!(by("q"), ["c", "b", "a"]);
    }

    #[test]
    fn errors_are_kubectls() {
        let objects = [json!({"a": {"b": 1}}), json!({"a": true})];
        let refs: Vec<&Value> = objects.iter().collect();
        assert_eq!(
            sort_order(&refs, ".x", SortPath::List),
            Err("couldn't find any field with path \"{.x}\" in the list of objects".into())
        );
        assert_eq!(
            sort_order(&refs, "{.x", SortPath::Table),
            Err("sorting error: unclosed action".into())
        );
        assert!(sort_order(&refs, "{.x", SortPath::List)
            .unwrap_err()
            .starts_with("unexpected path string"));
        assert!(sort_order(&refs, ".a", SortPath::List)
            .unwrap_err()
            .contains("unsortable type"));
    }

    #[test]
    fn quantities_parse_as_kubernetes_does() {
        assert_eq!(quantity("100m"), Some(0.1));
        assert_eq!(quantity("1Ki"), Some(1024.0));
        assert_eq!(quantity("1e3"), Some(1000.0));
        assert_eq!(quantity("-2"), Some(-2.0));
        assert_eq!(quantity("pi-abc"), None);
        assert_eq!(quantity("2024-05-01T10:00:00Z"), None);
        assert_eq!(quantity("."), None);
    }
}
