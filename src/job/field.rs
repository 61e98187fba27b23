//! Field errors with the API server's wording, and the error type of Job input.
//!
//! Formats follow apimachinery `pkg/util/validation/field/errors.go` (`ErrorBody`) and kubectl
//! `pkg/cmd/util/helpers.go` (`checkErr`, `MultilineError`). Pure: no I/O.

use std::fmt;

/// A value shown in an `Invalid value: …` body, printed the way Go's `%#v`/`%d` would.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FieldValue {
    /// A string, printed quoted (`"Foo"`).
    Str(String),
    /// A number, printed bare.
    Int(i64),
    /// Already formatted (Go syntax for structs and slices).
    Raw(String),
}

impl fmt::Display for FieldValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FieldValue::Str(s) => write!(f, "{}", go_quote(s)),
            FieldValue::Int(n) => write!(f, "{n}"),
            FieldValue::Raw(s) => f.write_str(s),
        }
    }
}

/// The kind of a field error, with what its body needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FieldErrorKind {
    /// `Required value[: detail]`.
    Required,
    /// `Invalid value: <v>: detail`.
    Invalid(FieldValue),
    /// `Unsupported value: "x": supported values: "a", "b"`.
    NotSupported(FieldValue, Vec<String>),
    /// `Duplicate value: v`.
    Duplicate(FieldValue),
    /// `Too many: <n>: must have at most <max> items`.
    TooMany(usize, usize),
    /// `Forbidden: detail`.
    Forbidden,
    /// `Not found: <v>`.
    NotFound(FieldValue),
    /// `Too long: may not be more than <n> bytes`.
    TooLong(usize),
}

/// One validation failure on one field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// Field path, e.g. `spec.template.spec.restartPolicy`.
    pub field: String,
    /// What is wrong.
    pub kind: FieldErrorKind,
    /// Extra text after the body, may be empty.
    pub detail: String,
}

impl FieldError {
    /// `Required value: detail`.
    pub fn required(field: impl Into<String>, detail: impl Into<String>) -> Self {
        Self::new(field, FieldErrorKind::Required, detail)
    }
    /// `Invalid value: v: detail`.
    pub fn invalid(field: impl Into<String>, value: FieldValue, detail: impl Into<String>) -> Self {
        Self::new(field, FieldErrorKind::Invalid(value), detail)
    }
    /// `Unsupported value: "v": supported values: …`.
    pub fn not_supported(field: impl Into<String>, value: &str, supported: &[&str]) -> Self {
        let supported = supported.iter().map(|s| s.to_string()).collect();
        let kind = FieldErrorKind::NotSupported(FieldValue::Str(value.to_string()), supported);
        Self::new(field, kind, "")
    }
    /// `Duplicate value: v`.
    pub fn duplicate(field: impl Into<String>, value: FieldValue) -> Self {
        Self::new(field, FieldErrorKind::Duplicate(value), "")
    }
    /// `Too many: n: must have at most max items`.
    pub fn too_many(field: impl Into<String>, actual: usize, max: usize) -> Self {
        Self::new(field, FieldErrorKind::TooMany(actual, max), "")
    }
    /// `Too long: may not be more than n bytes`.
    pub fn new_too_long(field: impl Into<String>, max: usize) -> Self {
        Self::new(field, FieldErrorKind::TooLong(max), "")
    }
    /// `Not found: v`.
    pub fn not_found(field: impl Into<String>, value: FieldValue) -> Self {
        Self::new(field, FieldErrorKind::NotFound(value), "")
    }
    /// `Forbidden: detail`.
    pub fn forbidden(field: impl Into<String>, detail: impl Into<String>) -> Self {
        Self::new(field, FieldErrorKind::Forbidden, detail)
    }

    fn new(field: impl Into<String>, kind: FieldErrorKind, detail: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            kind,
            detail: detail.into(),
        }
    }

    /// The message without the field (`field.Error.ErrorBody`).
    pub fn body(&self) -> String {
        let with_detail = |head: String| {
            if self.detail.is_empty() {
                head
            } else {
                format!("{head}: {}", self.detail)
            }
        };
        match &self.kind {
            FieldErrorKind::Required => with_detail("Required value".into()),
            FieldErrorKind::Invalid(v) => with_detail(format!("Invalid value: {v}")),
            FieldErrorKind::NotSupported(v, supported) => {
                let list: Vec<String> = supported.iter().map(|s| go_quote(s)).collect();
                with_detail(format!(
                    "Unsupported value: {v}: supported values: {}",
                    list.join(", ")
                ))
            }
            FieldErrorKind::Duplicate(v) => with_detail(format!("Duplicate value: {v}")),
            FieldErrorKind::TooMany(n, max) => {
                with_detail(format!("Too many: {n}: must have at most {max} items"))
            }
            FieldErrorKind::Forbidden => with_detail("Forbidden".into()),
            FieldErrorKind::NotFound(v) => with_detail(format!("Not found: {v}")),
            FieldErrorKind::TooLong(n) => {
                with_detail(format!("Too long: may not be more than {n} bytes"))
            }
        }
    }
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.body())
    }
}

/// Quotes like Go's `%q` for the printable strings manifests contain.
pub fn go_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => out.push_str(&format!("\\x{:02x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Why a manifest could not be turned into a runnable Job.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JobInputError {
    /// The YAML could not be parsed or does not fit the Job schema.
    #[error("{origin}: {message}")]
    Yaml {
        /// File name (or `-`).
        origin: String,
        /// The parser's message, with line and column.
        message: String,
    },
    /// A document is not a `batch/v1` Job.
    #[error("{origin}: document {document} is {found}: dockjob runs only apiVersion \"batch/v1\", kind \"Job\" (and reads apiVersion \"v1\" kinds \"ConfigMap\" and \"Secret\")")]
    WrongKind {
        /// File name (or `-`).
        origin: String,
        /// 1-based document number.
        document: usize,
        /// What the document declares, e.g. `apiVersion "v1", kind "Pod"`.
        found: String,
    },
    /// Fields the Job schema does not know (kubectl's strict field validation).
    #[error("Error from server (BadRequest): error when creating {origin:?}: Job in version \"v1\" cannot be handled as a Job: strict decoding error: {}", unknown_list(fields))]
    UnknownFields {
        /// File name (or `-`).
        origin: String,
        /// Dotted paths of the unknown fields.
        fields: Vec<String>,
    },
    /// The input holds no document at all.
    #[error("{origin}: no Job found (the input is empty)")]
    Empty {
        /// File name (or `-`).
        origin: String,
    },
    /// The API server's validation refused the Job.
    #[error("{}", invalid_message("Job", name, causes))]
    Invalid {
        /// File name (or `-`).
        origin: String,
        /// `metadata.name` of the Job.
        name: String,
        /// Every cause, in validation order.
        causes: Vec<FieldError>,
    },
    /// The API server's validation refused a ConfigMap or Secret.
    #[error("{}", invalid_message(kind, name, causes))]
    InvalidObject {
        /// File name (or `-`).
        origin: String,
        /// `ConfigMap` or `Secret`.
        kind: &'static str,
        /// `metadata.name` of the object.
        name: String,
        /// Every cause, in validation order.
        causes: Vec<FieldError>,
    },
    /// A Job, ConfigMap or Secret the API server cannot decode (`data` that is not base64, a
    /// number where a string is wanted).
    #[error("Error from server (BadRequest): error when creating {origin:?}: {kind} in version \"v1\" cannot be handled as a {kind}: {message}")]
    Undecodable {
        /// File name (or `-`).
        origin: String,
        /// `Job`, `ConfigMap` or `Secret`.
        kind: &'static str,
        /// The decoder's message.
        message: String,
    },
    /// A document whose `metadata` kubectl cannot decode into its `ObjectMeta` (`labels:
    /// {app: 1}`): kubectl refuses it before sending anything.
    #[error("unable to decode {origin:?}: {message}")]
    MetadataType {
        /// File name (or `-`).
        origin: String,
        /// Go's `json.UnmarshalTypeError` text.
        message: String,
    },
    /// A valid Job that uses something dockjob cannot run.
    #[error("{origin}: job {name:?}: {message}")]
    Unsupported {
        /// File name (or `-`).
        origin: String,
        /// `metadata.name` of the Job.
        name: String,
        /// What is not supported, and what to do instead.
        message: String,
    },
    /// The input is larger than the API server accepts (kubectl's text for its 413 answer,
    /// apiserver `limitedReadBody`).
    #[error("Error from server (RequestEntityTooLarge): error when creating {origin:?}: Request entity too large: limit is {limit}")]
    TooLarge {
        /// File name (or `-`).
        origin: String,
        /// The bound, in bytes.
        limit: u64,
    },
    /// A document whose aliases expand past go-yaml's limit (kubectl's YAML decoding says
    /// `document contains excessive aliasing`); refused before parsing, see
    /// [`super::yaml_depth`].
    #[error("{origin}: line {line} column {column}: error converting YAML to JSON: yaml: document contains excessive aliasing")]
    ExcessiveAliasing {
        /// File name (or `-`).
        origin: String,
        /// 1-based line of the alias that tipped it.
        line: usize,
        /// 1-based column of it.
        column: usize,
    },
    /// The YAML nests deeper than dockjob parses (refused before parsing, see
    /// `load::MAX_DEPTH`).
    #[error("{origin}: line {line} column {column}: the YAML nests deeper than {limit} levels (a Job manifest needs about 20; deeper input is refused before it is parsed)")]
    TooDeep {
        /// File name (or `-`).
        origin: String,
        /// 1-based line of the first token past the limit.
        line: usize,
        /// 1-based column of it.
        column: usize,
        /// The limit.
        limit: usize,
    },
    /// A mapping key that is not a string, number or boolean (`~: 1`, `[a]: 1`), which
    /// kubectl's YAML-to-JSON conversion cannot turn into a JSON key.
    #[error("{origin}: error converting YAML to JSON: {path}: unsupported map key {key} (keys must be strings)")]
    BadKey {
        /// File name (or `-`).
        origin: String,
        /// Dotted path of the mapping that holds the key (`<root>` for the document).
        path: String,
        /// The key, as YAML.
        key: String,
    },
    /// `-n` and the manifest's `metadata.namespace` disagree (kubectl's text).
    #[error("the namespace from the provided object {found:?} does not match the namespace {flag:?}. You must pass '--namespace={found}' to perform this operation.")]
    NamespaceMismatch {
        /// The manifest's namespace.
        found: String,
        /// The `-n` value.
        flag: String,
    },
    /// Reading the input failed (file I/O only).
    #[error("{origin}: {message}")]
    Read {
        /// The path that was read.
        origin: String,
        /// The OS error.
        message: String,
    },
}

fn unknown_list(fields: &[String]) -> String {
    let parts: Vec<String> = fields
        .iter()
        .map(|f| format!("unknown field {}", go_quote(f)))
        .collect();
    parts.join(", ")
}

/// kubectl's `The Job "x" is invalid: …` text (`kind` is the object's kind); several causes become `* field: body` bullets
/// after a first line that ends in `": "` (kubectl `MultilineError`). Duplicates are collapsed.
pub fn invalid_message(kind: &str, name: &str, causes: &[FieldError]) -> String {
    let mut lines: Vec<String> = Vec::new();
    for cause in causes {
        let line = cause.to_string();
        if !lines.contains(&line) {
            lines.push(line);
        }
    }
    let prefix = format!("The {kind} {} is invalid: ", go_quote(name));
    match lines.as_slice() {
        [one] => format!("{prefix}{one}"),
        _ => {
            let bullets: Vec<String> = lines.iter().map(|l| format!("* {l}")).collect();
            format!("{prefix}\n{}", bullets.join("\n"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kubectl_single_and_multi_cause_format() {
        let restart = FieldError::required(
            "spec.template.spec.restartPolicy",
            "valid values: \"OnFailure\", \"Never\"",
        );
        let err = JobInputError::Invalid {
            origin: "job.yaml".into(),
            name: "x".into(),
            causes: vec![restart.clone()],
        };
        assert_eq!(
            err.to_string(),
            "The Job \"x\" is invalid: spec.template.spec.restartPolicy: Required value: valid values: \"OnFailure\", \"Never\""
        );
        let negative = FieldError::invalid(
            "spec.parallelism",
            FieldValue::Int(-1),
            "must be greater than or equal to 0",
        );
        let err = JobInputError::Invalid {
            origin: "job.yaml".into(),
            name: "x".into(),
            causes: vec![restart.clone(), negative, restart],
        };
        assert_eq!(
            err.to_string(),
            "The Job \"x\" is invalid: \n* spec.template.spec.restartPolicy: Required value: valid values: \"OnFailure\", \"Never\"\n* spec.parallelism: Invalid value: -1: must be greater than or equal to 0"
        );
    }

    #[test]
    fn not_supported_body() {
        let e = FieldError::not_supported("spec.completionMode", "X", &["NonIndexed", "Indexed"]);
        assert_eq!(
            e.to_string(),
            "spec.completionMode: Unsupported value: \"X\": supported values: \"NonIndexed\", \"Indexed\""
        );
    }
}
