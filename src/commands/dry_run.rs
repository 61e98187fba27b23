//! `--dry-run=none|client|server` and `-o yaml|json|name` of `create`, `apply` and `run`:
//! kubectl's strategy parsing (`GetDryRunStrategy`) and what it prints for an object it
//! created or would create (`PrintFlagsWithDryRunStrategy`), both in
//! staging/src/k8s.io/kubectl/pkg/cmd/util/helpers.go.

use serde::Serialize;

use super::print_data;
use crate::cli::DryRunArgs;
use crate::error::user_error;
use crate::render::ObjectFormat;

/// What `--dry-run` asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DryRun {
    /// Store and run.
    None,
    /// Print the object as it would be sent.
    Client,
    /// Print the object as the API server would store it (defaulted, validated, checked
    /// against the stored Jobs), without storing it.
    Server,
}

impl DryRun {
    /// kubectl's `GetDryRunStrategy`: `none|client|server`, a bare `--dry-run` (client, with
    /// kubectl's deprecation warning) and the old booleans.
    pub fn parse(value: &str) -> anyhow::Result<DryRun> {
        match value {
            "none" => Ok(DryRun::None),
            "client" => Ok(DryRun::Client),
            "server" => Ok(DryRun::Server),
            // The flag's NoOptDefVal: `--dry-run` with no value.
            "unchanged" => {
                eprintln!(
                    "Warning: --dry-run is deprecated and can be replaced with --dry-run=client."
                );
                Ok(DryRun::Client)
            }
            "true" | "false" => {
                let (now, strategy) = match value {
                    "true" => ("client", DryRun::Client),
                    _ => ("none", DryRun::None),
                };
                eprintln!(
                    "Warning: --dry-run={value} is deprecated (boolean value) and can be replaced with --dry-run={now}."
                );
                Ok(strategy)
            }
            other => Err(user_error(format!(
                "Invalid dry-run value ({other}). Must be \"none\", \"server\", or \"client\"."
            ))),
        }
    }

    /// The operation as `-o name`-less output says it: `created`, `created (dry run)`,
    /// `created (server dry run)`.
    pub fn operation(self, verb: &str) -> String {
        match self {
            DryRun::None => verb.to_string(),
            DryRun::Client => format!("{verb} (dry run)"),
            DryRun::Server => format!("{verb} (server dry run)"),
        }
    }
}

/// The parsed `--dry-run` and `-o` of a command.
#[derive(Debug, Clone, Copy)]
pub struct Printing {
    /// The strategy.
    pub dry_run: DryRun,
    /// `-o`; `None` prints `job.batch/NAME <operation>`.
    pub format: Option<ObjectFormat>,
}

impl Printing {
    /// Parses both flags; an unknown `-o` is kubectl's error (exit 2 here, as other bad flags).
    pub fn parse(args: &DryRunArgs) -> anyhow::Result<Printing> {
        let dry_run = DryRun::parse(&args.dry_run)?;
        let format = match args.output.as_deref() {
            None | Some("") => None,
            Some("yaml") => Some(ObjectFormat::Yaml),
            Some("json") => Some(ObjectFormat::Json),
            Some("name") => Some(ObjectFormat::Name),
            Some(other) => {
                return Err(user_error(format!(
                    "unable to match a printer suitable for the output format \"{other}\", allowed formats are: json,name,yaml"
                )))
            }
        };
        Ok(Printing { dry_run, format })
    }

    /// Prints one Job the command created (or would create) as `verb`: the object in the
    /// `-o` format, else `job.batch/NAME verb[ (dry run)]`, on stdout.
    pub fn print<T: Serialize>(&self, name: &str, verb: &str, object: &T) -> anyhow::Result<()> {
        self.print_as("job.batch", name, verb, object)
    }

    /// [`Self::print`] for an object of another kind (`secret`, `configmap`).
    pub fn print_as<T: Serialize>(
        &self,
        resource: &str,
        name: &str,
        verb: &str,
        object: &T,
    ) -> anyhow::Result<()> {
        match self.format {
            None => print_data(&format!(
                "{resource}/{name} {}",
                self.dry_run.operation(verb)
            )),
            Some(ObjectFormat::Name) => print_data(&format!("{resource}/{name}")),
            Some(format) => print_data(object_text(object, format).trim_end_matches('\n')),
        }
    }
}

/// `object` as kubectl's `-o json` (fields in the order `object` serializes them, four-space
/// indent) or `-o yaml` (keys sorted, as `sigs.k8s.io/yaml` writes any object).
pub fn object_text<T: Serialize>(object: &T, format: ObjectFormat) -> String {
    match format {
        ObjectFormat::Json => {
            let mut out = Vec::new();
            let formatter = serde_json::ser::PrettyFormatter::with_indent(b"    ");
            let mut serializer = serde_json::Serializer::with_formatter(&mut out, formatter);
            if object.serialize(&mut serializer).is_err() {
                return String::new();
            }
            let mut text = String::from_utf8(out).unwrap_or_default();
            text.push('\n');
            text
        }
        ObjectFormat::Yaml => {
            let value = serde_json::to_value(object).unwrap_or(serde_json::Value::Null);
            crate::render::yaml::to_yaml(&value)
        }
        ObjectFormat::Name => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// kubectl's texts from `GetDryRunStrategy` and `PrintFlagsWithDryRunStrategy`
    /// (staging/src/k8s.io/kubectl/pkg/cmd/util/helpers.go).
    #[test]
    fn strategies_and_operations_as_kubectl() {
        assert_eq!(DryRun::parse("client").unwrap(), DryRun::Client);
        assert_eq!(DryRun::parse("server").unwrap(), DryRun::Server);
        assert_eq!(DryRun::parse("none").unwrap(), DryRun::None);
        assert_eq!(DryRun::parse("unchanged").unwrap(), DryRun::Client);
        assert_eq!(DryRun::parse("true").unwrap(), DryRun::Client);
        assert_eq!(DryRun::parse("false").unwrap(), DryRun::None);
        assert_eq!(
            DryRun::parse("yes").unwrap_err().to_string(),
            "Invalid dry-run value (yes). Must be \"none\", \"server\", or \"client\"."
        );
        assert_eq!(DryRun::Client.operation("created"), "created (dry run)");
        assert_eq!(
            DryRun::Server.operation("configured"),
            "configured (server dry run)"
        );
        assert_eq!(DryRun::None.operation("unchanged"), "unchanged");
    }

    #[test]
    fn yaml_sorts_keys_json_keeps_field_order() {
        #[derive(Serialize)]
        struct Two {
            kind: &'static str,
            #[serde(rename = "apiVersion")]
            api_version: &'static str,
        }
        let two = Two {
            kind: "Job",
            api_version: "batch/v1",
        };
        assert_eq!(
            object_text(&two, ObjectFormat::Json),
            "{\n    \"kind\": \"Job\",\n    \"apiVersion\": \"batch/v1\"\n}\n"
        );
        assert_eq!(
            object_text(&two, ObjectFormat::Yaml),
            "apiVersion: batch/v1\nkind: Job\n"
        );
    }
}
