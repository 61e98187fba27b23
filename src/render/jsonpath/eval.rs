//! Executing a parsed template over a JSON value, a port of client-go's
//! `util/jsonpath/jsonpath.go` (`FindResults`, `walk` and the `eval*` functions) with the
//! comparisons of its forked `text/template` (`template.Equal`, `template.Less`). The data is
//! what kubectl hands the engine: unstructured JSON, where integers are `int64` and other
//! numbers `float64`.
//!
//! One deliberate difference: Go visits a map's entries in random order for `.*` and `..`;
//! here they come sorted by key, so the output is the same from run to run.

use std::borrow::Cow;

use serde_json::Value;

use super::gofmt::go_sprint;
use super::parser::{Node, Param};

/// A value met while walking: borrowed from the data or made from a literal.
pub type Val<'a> = Cow<'a, Value>;

/// `JSONPath`'s execution state: range nesting is tracked with counters, as in Go.
pub struct Exec<'t> {
    nodes: &'t [Node],
    allow_missing_keys: bool,
    begin_range: usize,
    in_range: usize,
    end_range: usize,
    last_end_node: Option<usize>,
}

impl<'t> Exec<'t> {
    /// A run over the root `nodes`.
    pub fn new(nodes: &'t [Node], allow_missing_keys: bool) -> Self {
        Exec {
            nodes,
            allow_missing_keys,
            begin_range: 0,
            in_range: 0,
            end_range: 0,
            last_end_node: None,
        }
    }

    /// `FindResults` from root node `from` on: one result list per node evaluated (a range
    /// body contributes one list per node per element).
    pub fn find_results<'a>(
        &mut self,
        data: &'a Value,
        from: usize,
    ) -> Result<Vec<Vec<Val<'a>>>, String> {
        let cur = vec![Cow::Borrowed(data)];
        let mut full = Vec::new();
        let mut i = from;
        while i < self.nodes.len() {
            let results = self.walk(&cur, &self.nodes[i])?;
            // An `end` node ends the current block.
            if self.end_range > 0 && self.end_range <= self.in_range {
                self.end_range -= 1;
                self.last_end_node = Some(i);
                break;
            }
            // A `range` node runs the nodes after it once per result.
            if self.begin_range > 0 {
                self.begin_range -= 1;
                self.in_range += 1;
                if results.is_empty() {
                    // Still walked, so that the block's `end` is found.
                    self.find_results(&Value::Null, i + 1)?;
                } else {
                    for value in results {
                        match value {
                            Cow::Borrowed(v) => full.extend(self.find_results(v, i + 1)?),
                            Cow::Owned(v) => {
                                let inner = self.find_results(&v, i + 1)?;
                                full.extend(inner.into_iter().map(|r| {
                                    r.into_iter().map(|x| Cow::Owned(x.into_owned())).collect()
                                }));
                            }
                        }
                    }
                }
                self.in_range -= 1;
                // Resume after the block's `end`.
                if let Some(end) = self.last_end_node.filter(|&e| e > i) {
                    i = end;
                }
                i += 1;
                continue;
            }
            full.push(results);
            i += 1;
        }
        Ok(full)
    }

    fn walk<'a>(&mut self, input: &[Val<'a>], node: &Node) -> Result<Vec<Val<'a>>, String> {
        match node {
            Node::List(nodes) => self.eval_list(input, nodes),
            Node::Text(text) => Ok(vec![Cow::Owned(Value::String(text.clone()))]),
            Node::Field(name) => self.eval_field(input, name),
            Node::Array(params) => eval_array(input, params),
            Node::Filter {
                left,
                right,
                operator,
            } => self.eval_filter(input, left, right, operator),
            Node::Int(n) => Ok(input.iter().map(|_| Cow::Owned(Value::from(*n))).collect()),
            Node::Float(f) => Ok(input
                .iter()
                .map(|_| {
                    Cow::Owned(serde_json::Number::from_f64(*f).map_or(Value::Null, Value::Number))
                })
                .collect()),
            Node::Bool(b) => Ok(input.iter().map(|_| Cow::Owned(Value::Bool(*b))).collect()),
            Node::Wildcard => Ok(eval_wildcard(input)),
            Node::Recursive => Ok(eval_recursive(input)),
            Node::Union(paths) => {
                let mut out = Vec::new();
                for path in paths {
                    out.extend(self.eval_list(input, path)?);
                }
                Ok(out)
            }
            Node::Identifier(name) => self.eval_identifier(input, name),
        }
    }

    fn eval_list<'a>(&mut self, input: &[Val<'a>], nodes: &[Node]) -> Result<Vec<Val<'a>>, String> {
        let mut cur = input.to_vec();
        for node in nodes {
            cur = self.walk(&cur, node)?;
        }
        Ok(cur)
    }

    fn eval_identifier<'a>(
        &mut self,
        input: &[Val<'a>],
        name: &str,
    ) -> Result<Vec<Val<'a>>, String> {
        match name {
            "range" => {
                self.begin_range += 1;
                Ok(input.to_vec())
            }
            "end" if self.in_range > 0 => {
                self.end_range += 1;
                Ok(Vec::new())
            }
            "end" => Err("not in range, nothing to end".to_string()),
            other => Err(format!("unrecognized identifier {other}")),
        }
    }

    fn eval_field<'a>(&self, input: &[Val<'a>], name: &str) -> Result<Vec<Val<'a>>, String> {
        let mut results = Vec::new();
        if input.is_empty() {
            return Ok(results);
        }
        for value in input {
            if let Some(found) = field_of(value, name) {
                results.push(found);
            }
        }
        if results.is_empty() && !self.allow_missing_keys {
            return Err(format!("{name} is not found"));
        }
        Ok(results)
    }

    fn eval_filter<'a>(
        &mut self,
        input: &[Val<'a>],
        left: &[Node],
        right: &[Node],
        operator: &str,
    ) -> Result<Vec<Val<'a>>, String> {
        let mut results = Vec::new();
        for value in input {
            let items = match value {
                Cow::Borrowed(Value::Array(items)) => items.iter().map(Cow::Borrowed).collect(),
                Cow::Owned(Value::Array(items)) => items.iter().cloned().map(Cow::Owned).collect(),
                other => {
                    return Err(format!(
                        "{} is not array or slice and cannot be filtered",
                        go_sprint(other)
                    ))
                }
            };
            let items: Vec<Val<'a>> = items;
            for item in items {
                let temp = [item.clone()];
                let lefts = self.eval_list(&temp, left);
                if operator == "exists" {
                    if lefts.is_ok_and(|l| !l.is_empty()) {
                        results.push(item);
                    }
                    continue;
                }
                let lefts = lefts?;
                let left = match lefts.as_slice() {
                    [] => continue,
                    [one] => one.clone(),
                    _ => return Err("can only compare one element at a time".to_string()),
                };
                let rights = self.eval_list(&temp, right)?;
                let right = match rights.as_slice() {
                    [] => continue,
                    [one] => one.clone(),
                    _ => return Err("can only compare one element at a time".to_string()),
                };
                let pass = match operator {
                    "<" => less(&left, &right)?,
                    ">" => !less_equal(&left, &right)?,
                    "==" => equal(&left, &right)?,
                    "!=" => !equal(&left, &right)?,
                    "<=" => less_equal(&left, &right)?,
                    ">=" => !less(&left, &right)?,
                    other => return Err(format!("unrecognized filter operator {other}")),
                };
                if pass {
                    results.push(item);
                }
            }
        }
        Ok(results)
    }
}

/// The value of key `name` in a map (`None` for a missing key or a non-map; null inputs are
/// skipped as Go skips nil).
fn field_of<'a>(value: &Val<'a>, name: &str) -> Option<Val<'a>> {
    match value {
        Cow::Borrowed(Value::Object(map)) => map.get(name).map(Cow::Borrowed),
        Cow::Owned(Value::Object(map)) => map.get(name).cloned().map(Cow::Owned),
        _ => None,
    }
}

/// The children of a container (`evalWildcard`): map values, array elements, a string's
/// bytes.
fn children<'a>(value: &Val<'a>) -> Vec<Val<'a>> {
    match value {
        Cow::Borrowed(Value::Object(map)) => map.values().map(Cow::Borrowed).collect(),
        Cow::Borrowed(Value::Array(items)) => items.iter().map(Cow::Borrowed).collect(),
        Cow::Owned(Value::Object(map)) => map.values().cloned().map(Cow::Owned).collect(),
        Cow::Owned(Value::Array(items)) => items.iter().cloned().map(Cow::Owned).collect(),
        // Go indexes a string's bytes (`uint8` values).
        Cow::Borrowed(Value::String(s)) | Cow::Owned(Value::String(s)) => {
            s.bytes().map(|b| Cow::Owned(Value::from(b))).collect()
        }
        _ => Vec::new(),
    }
}

fn eval_wildcard<'a>(input: &[Val<'a>]) -> Vec<Val<'a>> {
    input.iter().flat_map(children).collect()
}

/// `evalRecursive`: every value that has children, followed by its descendants that do.
fn eval_recursive<'a>(input: &[Val<'a>]) -> Vec<Val<'a>> {
    let mut result = Vec::new();
    for value in input {
        let kids = children(value);
        if !kids.is_empty() {
            result.push(value.clone());
            result.extend(eval_recursive(&kids));
        }
    }
    result
}

/// Go's name of a value's type in `%v is not array or slice`.
fn go_type(value: &Value) -> &'static str {
    match value {
        Value::Object(_) => "map[string]interface {}",
        Value::Array(_) => "[]interface {}",
        Value::String(_) => "string",
        Value::Bool(_) => "bool",
        Value::Number(n) if n.is_f64() => "float64",
        Value::Number(_) => "int64",
        Value::Null => "interface {}",
    }
}

fn eval_array<'a>(input: &[Val<'a>], node: &[Param; 3]) -> Result<Vec<Val<'a>>, String> {
    let mut result = Vec::new();
    for value in input {
        let items: Vec<Val<'a>> = match value {
            Cow::Borrowed(Value::Null) | Cow::Owned(Value::Null) => continue,
            Cow::Borrowed(Value::Array(items)) => items.iter().map(Cow::Borrowed).collect(),
            Cow::Owned(Value::Array(items)) => items.iter().cloned().map(Cow::Owned).collect(),
            other => return Err(format!("{} is not array or slice", go_type(other))),
        };
        let len = items.len() as i64;
        let mut params = *node;
        if !params[0].known {
            params[0].value = 0;
        }
        if params[0].value < 0 {
            params[0].value += len;
        }
        if !params[1].known {
            params[1].value = len;
        }
        if params[1].value < 0 || (params[1].value == 0 && params[1].derived) {
            params[1].value += len;
        }
        let (start, end) = (params[0].value, params[1].value);
        // Zero elements asked for: nothing, and no bounds check.
        if start == end {
            return Ok(result);
        }
        if start >= len || start < 0 {
            return Err(format!(
                "array index out of bounds: index {start}, length {len}"
            ));
        }
        if end > len || end < 0 {
            return Err(format!(
                "array index out of bounds: index {}, length {len}",
                end - 1
            ));
        }
        if start > end {
            return Err(format!(
                "starting index {start} is greater than ending index {end}"
            ));
        }
        let step = if params[2].known {
            if params[2].value <= 0 {
                return Err("step must be > 0".to_string());
            }
            params[2].value as usize
        } else {
            1
        };
        result.extend(
            items
                .into_iter()
                .skip(start as usize)
                .take((end - start) as usize)
                .step_by(step),
        );
    }
    Ok(result)
}

/// A comparable scalar (`basicKind`).
#[derive(Debug, PartialEq, PartialOrd)]
enum Basic<'a> {
    Bool(bool),
    Int(i64),
    Uint(u64),
    Float(f64),
    Str(&'a str),
}

fn basic(value: &Value) -> Result<Basic<'_>, String> {
    match value {
        Value::Bool(b) => Ok(Basic::Bool(*b)),
        Value::String(s) => Ok(Basic::Str(s)),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                Ok(Basic::Int(i))
            } else if let Some(u) = n.as_u64() {
                Ok(Basic::Uint(u))
            } else {
                Ok(Basic::Float(n.as_f64().unwrap_or(f64::NAN)))
            }
        }
        _ => Err("invalid type for comparison".to_string()),
    }
}

const INCOMPATIBLE: &str = "incompatible types for comparison";

/// `template.Equal`.
fn equal(a: &Value, b: &Value) -> Result<bool, String> {
    Ok(match (basic(a)?, basic(b)?) {
        (Basic::Bool(x), Basic::Bool(y)) => x == y,
        (Basic::Int(x), Basic::Int(y)) => x == y,
        (Basic::Uint(x), Basic::Uint(y)) => x == y,
        (Basic::Float(x), Basic::Float(y)) => x == y,
        (Basic::Str(x), Basic::Str(y)) => x == y,
        (Basic::Int(x), Basic::Uint(y)) | (Basic::Uint(y), Basic::Int(x)) => {
            x >= 0 && x as u64 == y
        }
        _ => return Err(INCOMPATIBLE.to_string()),
    })
}

/// `template.Less`.
fn less(a: &Value, b: &Value) -> Result<bool, String> {
    Ok(match (basic(a)?, basic(b)?) {
        (Basic::Bool(_), Basic::Bool(_)) => return Err("invalid type for comparison".to_string()),
        (Basic::Int(x), Basic::Int(y)) => x < y,
        (Basic::Uint(x), Basic::Uint(y)) => x < y,
        (Basic::Float(x), Basic::Float(y)) => x < y,
        (Basic::Str(x), Basic::Str(y)) => x < y,
        (Basic::Int(x), Basic::Uint(y)) => x < 0 || (x as u64) < y,
        (Basic::Uint(x), Basic::Int(y)) => y >= 0 && x < y as u64,
        _ => return Err(INCOMPATIBLE.to_string()),
    })
}

/// `template.LessEqual`.
fn less_equal(a: &Value, b: &Value) -> Result<bool, String> {
    Ok(less(a, b)? || equal(a, b)?)
}
