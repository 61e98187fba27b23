//! `create secret generic|docker-registry NAME` and `create configmap NAME`: the object made
//! from the flags as kubectl makes it ([`crate::job::objects::create`]), validated as the API
//! server would, then stored (`secret/NAME created`), or only printed with
//! `--dry-run=client` (`-o yaml|json|name`).

use std::path::Path;

use super::print_data;
use super::state::{namespace, now, open_store};
use crate::cli::create::FromSources;
use crate::cli::{CreateSecret, GlobalArgs};
use crate::error::{user_error, ExitStatus};
use crate::job::field::invalid_message;
use crate::job::objects::create::{
    docker_config_json, env_file_pairs, parse_file_source, parse_literal, Entries,
};
use crate::job::objects::{validate, DataObject, ObjectKind};
use crate::render::ObjectFormat;

/// What `create secret …` or `create configmap …` asked for.
pub enum DataKind<'a> {
    ConfigMap(&'a FromSources),
    Secret(&'a CreateSecret),
}

/// `dockjob create secret …` / `create configmap …`.
pub async fn create(global: &GlobalArgs, what: DataKind<'_>) -> anyhow::Result<ExitStatus> {
    let (object, dry_run, output) = match what {
        DataKind::ConfigMap(args) => {
            let name = one_name(args.name.as_deref(), "configmap")?;
            let mut entries = Entries::new(ObjectKind::ConfigMap);
            add_sources(&mut entries, args)?;
            (entries.into_config_map(name), &args.dry_run, &args.output)
        }
        DataKind::Secret(CreateSecret::Generic(args)) => {
            let sources = &args.sources;
            let name = one_name(sources.name.as_deref(), "secret generic")?;
            let mut entries = Entries::new(ObjectKind::Secret);
            add_sources(&mut entries, sources)?;
            let object = entries.into_secret(name, args.type_.as_deref());
            (object, &sources.dry_run, &sources.output)
        }
        DataKind::Secret(CreateSecret::DockerRegistry(args)) => {
            let name = one_name(args.name.as_deref(), "secret docker-registry")?;
            let mut entries = Entries::new(ObjectKind::Secret);
            if args.from_file.is_empty() {
                if args.username.is_empty() || args.password.is_empty() || args.server.is_empty() {
                    return Err(user_error(
                        "either --from-file or the combination of --docker-username, --docker-password and --docker-server is required",
                    ));
                }
                let json =
                    docker_config_json(&args.server, &args.username, &args.password, &args.email);
                entries.add(".dockerconfigjson", json).map_err(user_error)?;
            } else {
                for source in &args.from_file {
                    add_file_source(&mut entries, source)?;
                }
            }
            let object = entries.into_secret(name, Some("kubernetes.io/dockerconfigjson"));
            (object, &args.dry_run, &args.output)
        }
    };
    let dry_run = match dry_run.as_str() {
        "none" => false,
        "client" => true,
        "server" => {
            return Err(user_error(
                "--dry-run=server needs an API server; use --dry-run=client",
            ))
        }
        other => {
            return Err(user_error(format!(
                "Invalid dry-run value ({other}). Must be \"none\", \"server\", or \"client\"."
            )))
        }
    };
    let resource = object.kind().resource();
    let name = object.name().to_string();
    if dry_run {
        return print_dry_run(&object, output.as_deref());
    }
    if output.is_some() {
        return Err(user_error("-o is supported with --dry-run=client"));
    }
    // As the API server would receive it: the namespace, the default type, validation.
    let mut object = object;
    object.metadata_mut().namespace = Some(namespace(global));
    if let DataObject::Secret(secret) = &mut object {
        secret.type_.get_or_insert_with(|| "Opaque".to_string());
    }
    let causes = validate::validate(&object);
    if !causes.is_empty() {
        return Err(user_error(invalid_message(
            object.kind().kind(),
            &name,
            &causes,
        )));
    }
    let mut store = open_store(global)?;
    match store.create_object(&object, now())? {
        Some(_) => print_data(&format!("{resource}/{name} created"))?,
        None => {
            // kubectl `create_secret.go` ("failed to create secret %v") and
            // `create_configmap.go` ("failed to create configmap: %v").
            let separator = if object.kind() == ObjectKind::Secret {
                ""
            } else {
                ":"
            };
            eprintln!(
                "error: failed to create {resource}{separator} {} \"{name}\" already exists",
                object.kind().plural()
            );
            return Ok(ExitStatus::Failure);
        }
    }
    Ok(ExitStatus::Success)
}

fn one_name<'a>(name: Option<&'a str>, command: &str) -> anyhow::Result<&'a str> {
    name.ok_or_else(|| {
        user_error(format!(
            "exactly one NAME is required, got 0\nSee 'dockjob create {command} -h' for help and examples"
        ))
    })
}

fn add_sources(entries: &mut Entries, args: &FromSources) -> anyhow::Result<()> {
    // kubectl `ConfigMapOptions.Validate` / `CreateSecretOptions.Validate`.
    if !args.from_env_file.is_empty()
        && (!args.from_file.is_empty() || !args.from_literal.is_empty())
    {
        return Err(user_error(
            "from-env-file cannot be combined with from-file or from-literal",
        ));
    }
    for source in &args.from_file {
        add_file_source(entries, source)?;
    }
    for literal in &args.from_literal {
        let (key, value) = parse_literal(literal).map_err(user_error)?;
        entries.add(&key, value.into_bytes()).map_err(user_error)?;
    }
    for path in &args.from_env_file {
        let text = std::fs::read_to_string(path)
            .map_err(|e| user_error(format!("error reading {path}: {}", io_text(&e))))?;
        let pairs = env_file_pairs(&text, |key| std::env::var(key).unwrap_or_default())
            .map_err(user_error)?;
        for (key, value) in pairs {
            entries.add(&key, value.into_bytes()).map_err(user_error)?;
        }
    }
    Ok(())
}

/// `--from-file=[key=]path`: a file (its base name the key), or each regular file of a
/// directory.
fn add_file_source(entries: &mut Entries, source: &str) -> anyhow::Result<()> {
    let (key, path) = parse_file_source(source).map_err(user_error)?;
    let meta = std::fs::metadata(&path)
        .map_err(|e| user_error(format!("error reading {path}: {}", io_text(&e))))?;
    if meta.is_dir() {
        if key.is_some() {
            return Err(user_error("cannot give a key name for a directory path"));
        }
        let mut files: Vec<_> = std::fs::read_dir(&path)?
            .filter_map(Result::ok)
            .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
            .collect();
        files.sort_by_key(|e| e.file_name());
        for file in files {
            let key = file.file_name().to_string_lossy().into_owned();
            let data = crate::bounded::read_file_at_most(&file.path(), MAX_FILE)?;
            entries
                .add(&key, whole(data, &file.path())?)
                .map_err(user_error)?;
        }
        return Ok(());
    }
    let key = key.unwrap_or_else(|| {
        Path::new(&path)
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    });
    let data = crate::bounded::read_file_at_most(Path::new(&path), MAX_FILE)?;
    entries
        .add(&key, whole(data, Path::new(&path))?)
        .map_err(user_error)
}

/// Larger than any valid object: the size check then says what is wrong.
const MAX_FILE: u64 = crate::job::objects::validate::MAX_SECRET_SIZE as u64 + 1;

fn whole(read: crate::bounded::Bounded, path: &Path) -> anyhow::Result<Vec<u8>> {
    match read {
        crate::bounded::Bounded::Whole(bytes) => Ok(bytes),
        crate::bounded::Bounded::TooLarge => Err(user_error(format!(
            "{}: larger than the 1048576 bytes a Secret or ConfigMap may hold",
            path.display()
        ))),
    }
}

/// Go's text for the common I/O errors (`no such file or directory`).
fn io_text(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file or directory".to_string(),
        std::io::ErrorKind::PermissionDenied => "permission denied".to_string(),
        _ => e.to_string(),
    }
}

/// `--dry-run=client`: kubectl's client-side object (`creationTimestamp: null`, no namespace
/// nor server fields), or `secret/NAME created (dry run)`.
fn print_dry_run(object: &DataObject, output: Option<&str>) -> anyhow::Result<ExitStatus> {
    let format = match output {
        None => {
            let what = format!("{}/{}", object.kind().resource(), object.name());
            print_data(&format!("{what} created (dry run)"))?;
            return Ok(ExitStatus::Success);
        }
        Some("yaml") => ObjectFormat::Yaml,
        Some("json") => ObjectFormat::Json,
        Some("name") => {
            print_data(&format!("{}/{}", object.kind().resource(), object.name()))?;
            return Ok(ExitStatus::Success);
        }
        Some(other) => {
            return Err(user_error(format!(
                "unable to match a printer suitable for the output format \"{other}\", allowed formats are: json,name,yaml"
            )))
        }
    };
    let mut value = object.to_value();
    if let Some(meta) = value.get_mut("metadata").and_then(|m| m.as_object_mut()) {
        meta.insert("creationTimestamp".into(), serde_json::Value::Null);
    }
    let text = match format {
        ObjectFormat::Yaml => crate::render::yaml::to_yaml(&value),
        _ => {
            let mut out = Vec::new();
            let formatter = serde_json::ser::PrettyFormatter::with_indent(b"    ");
            let mut serializer = serde_json::Serializer::with_formatter(&mut out, formatter);
            serde::Serialize::serialize(&value, &mut serializer)?;
            String::from_utf8_lossy(&out).into_owned() + "\n"
        }
    };
    super::get::print_text(&text)?;
    Ok(ExitStatus::Success)
}
