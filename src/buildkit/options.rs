//! The BuildKit-only flags of `build`, parsed as `docker buildx build` parses them: `--secret`,
//! `--ssh`, `-o/--output`, `--cache-from`, `--cache-to`. Pure: text in, values or a message
//! naming the flag out (reading the secret files and sockets happens in [`super::session`]).

use std::path::PathBuf;

/// Where a `--secret` value comes from (buildx `build/secrets.go` `parseSecret`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretSource {
    /// `src=PATH` (also `source=`), the default type.
    File(PathBuf),
    /// `env=VAR`, or `type=env` with `src=VAR`.
    Env(String),
}

/// One `--secret id=ID,src=PATH|env=VAR`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretSpec {
    /// The id `RUN --mount=type=secret,id=ID` names.
    pub id: String,
    /// Where its value is read from.
    pub source: SecretSource,
}

/// Parses `--secret` as buildx (`util/buildflags/secrets.go` `parseSecret`) and BuildKit's
/// `secretsprovider.LoadSecrets` do: fields `type=file|env`, `id=`, `src=`/`source=`, `env=`;
/// `type=env` reads `src` as the variable's name; with neither `src` nor `env`, the id names
/// the variable when it is set in `environment`, else the file.
pub fn parse_secret(value: &str, environment: impl Fn(&str) -> bool) -> Result<SecretSpec, String> {
    let bad = |why: &str| format!("--secret {value}: {why}");
    let (mut kind, mut id, mut src, mut env) = ("file", String::new(), None, None);
    for field in value.split(',').filter(|f| !f.is_empty()) {
        let (key, val) = field
            .split_once('=')
            .ok_or_else(|| bad(&format!("{field:?} is not KEY=VALUE")))?;
        match key.to_ascii_lowercase().as_str() {
            "type" if val == "file" || val == "env" => {
                kind = if val == "env" { "env" } else { "file" }
            }
            "type" => return Err(bad(&format!("unsupported secret type {val:?}"))),
            "id" => id = val.to_string(),
            "src" | "source" => src = Some(val.to_string()),
            "env" => env = Some(val.to_string()),
            _ => return Err(bad(&format!("unexpected key {key:?} in {field:?}"))),
        }
    }
    if kind == "env" && env.is_none() {
        env = src.take();
    }
    if id.is_empty() {
        return Err(bad("secret ID missing (id=ID)"));
    }
    let source = match (src, env) {
        (Some(_), Some(_)) => return Err(bad("can't set both file and env source")),
        (Some(path), None) => SecretSource::File(PathBuf::from(path)),
        (None, Some(var)) => SecretSource::Env(var),
        (None, None) if environment(&id) => SecretSource::Env(id.clone()),
        (None, None) => SecretSource::File(PathBuf::from(&id)),
    };
    Ok(SecretSpec { id, source })
}

/// One `--ssh default|ID[=SOCKET|KEY[,KEY…]]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SshSpec {
    /// The id `RUN --mount=type=ssh,id=ID` names (`default` when it names none).
    pub id: String,
    /// Agent sockets or private key files; empty means `$SSH_AUTH_SOCK`.
    pub paths: Vec<PathBuf>,
}

/// Parses `--ssh` (buildx `util/buildflags/ssh.go`).
pub fn parse_ssh(value: &str) -> Result<SshSpec, String> {
    let (id, paths) = match value.split_once('=') {
        Some((id, paths)) => (id, paths.split(',').filter(|p| !p.is_empty()).collect()),
        None => (value, Vec::new()),
    };
    if id.is_empty() {
        return Err(format!(
            "--ssh {value}: the id is empty (use default or ID=PATH)"
        ));
    }
    Ok(SshSpec {
        id: id.to_string(),
        paths: paths.into_iter().map(PathBuf::from).collect(),
    })
}

/// Where the build result goes (`-o/--output`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OutputSpec {
    /// `type=docker` / `type=image` (the default): an image in the engine, tagged with `-t`.
    Image,
    /// `type=local,dest=DIR`: the result's files written into DIR.
    Local(PathBuf),
    /// `type=tar,dest=FILE` (`-` for stdout): the result's files as one tar.
    Tar(TarDest),
}

/// Where a tar export is written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TarDest {
    /// Standard output.
    Stdout,
    /// A file (created or truncated).
    File(PathBuf),
}

impl OutputSpec {
    /// The engine's exporter for it (`outputs=[{"Type":…}]`; moby `builder-next/builder.go`).
    pub fn exporter(&self) -> Option<&'static str> {
        match self {
            OutputSpec::Image => None,
            OutputSpec::Local(_) => Some("local"),
            OutputSpec::Tar(_) => Some("tar"),
        }
    }
}

/// Parses `-o`. As buildx (`util/buildflags/export.go`): `type=…,dest=…`; a bare value is a
/// local directory, and `-` a tar on stdout.
pub fn parse_output(value: &str) -> Result<OutputSpec, String> {
    let bad = |why: &str| format!("--output {value}: {why}");
    if value == "-" {
        return Ok(OutputSpec::Tar(TarDest::Stdout));
    }
    if !value.contains('=') {
        return Ok(OutputSpec::Local(PathBuf::from(value)));
    }
    let (mut kind, mut dest) = (None, None);
    for field in value.split(',').filter(|f| !f.is_empty()) {
        let (key, val) = field
            .split_once('=')
            .ok_or_else(|| bad(&format!("{field:?} is not KEY=VALUE")))?;
        match key {
            "type" => kind = Some(val),
            "dest" => dest = Some(val),
            // Image exporter attributes that change nothing here.
            "name" | "push" | "load" => {}
            _ => return Err(bad(&format!("unsupported attribute {key:?}"))),
        }
    }
    match (kind.unwrap_or("local"), dest) {
        ("docker" | "image" | "moby", _) => Ok(OutputSpec::Image),
        ("local", Some(dest)) if !dest.is_empty() && dest != "-" => {
            Ok(OutputSpec::Local(PathBuf::from(dest)))
        }
        ("local", _) => Err(bad("type=local needs dest=DIR")),
        ("tar", Some("-")) => Ok(OutputSpec::Tar(TarDest::Stdout)),
        ("tar", Some(dest)) if !dest.is_empty() => Ok(OutputSpec::Tar(TarDest::File(dest.into()))),
        ("tar", _) => Err(bad("type=tar needs dest=FILE (or dest=- for stdout)")),
        ("oci" | "registry", _) => Err(bad(
            "this exporter is not in Docker Engine 20.10's BuildKit; use type=docker and \
             dockjob push, or type=tar",
        )),
        (other, _) => Err(bad(&format!(
            "unknown type {other:?} (docker, image, local, tar)"
        ))),
    }
}

/// Parses `--cache-from`: `REF`, or `type=registry,ref=REF` as buildx writes it. The engine's
/// BuildKit imports cache from images with inline cache metadata.
pub fn parse_cache_from(value: &str) -> Result<String, String> {
    if !value.contains('=') {
        return Ok(value.to_string());
    }
    let mut reference = None;
    for field in value.split(',') {
        match field.split_once('=') {
            Some(("type", "registry")) => {}
            Some(("ref", r)) if !r.is_empty() => reference = Some(r.to_string()),
            _ => {
                return Err(format!(
                    "--cache-from {value}: only REF or type=registry,ref=REF (images built \
                     with an inline cache) are supported by the engine's BuildKit"
                ))
            }
        }
    }
    reference.ok_or_else(|| format!("--cache-from {value}: ref=REF is missing"))
}

/// Parses `--cache-to`: only `type=inline` exists on the engine's BuildKit (the others need a
/// buildx builder); it becomes `BUILDKIT_INLINE_CACHE=1` (moby `builder-next/builder.go`).
pub fn parse_cache_to(value: &str) -> Result<(), String> {
    if value == "type=inline" || value == "inline" {
        Ok(())
    } else {
        Err(format!(
            "--cache-to {value}: only type=inline is supported by the engine's BuildKit \
             (registry, local and gha cache exports need a buildx builder)"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_as_buildx_writes_them() {
        let unset = |_: &str| false;
        assert_eq!(
            parse_secret("id=npmrc,src=/home/u/.npmrc", unset).unwrap(),
            SecretSpec {
                id: "npmrc".into(),
                source: SecretSource::File("/home/u/.npmrc".into())
            }
        );
        assert_eq!(
            parse_secret("id=tok,env=GITHUB_TOKEN", unset)
                .unwrap()
                .source,
            SecretSource::Env("GITHUB_TOKEN".into())
        );
        assert_eq!(
            parse_secret("type=env,id=tok,src=TOKEN", unset)
                .unwrap()
                .source,
            SecretSource::Env("TOKEN".into())
        );
        assert_eq!(
            parse_secret("id=TOKEN", |v| v == "TOKEN").unwrap().source,
            SecretSource::Env("TOKEN".into())
        );
        assert_eq!(
            parse_secret("id=TOKEN", unset).unwrap().source,
            SecretSource::File("TOKEN".into())
        );
        assert!(parse_secret("src=/a/b.txt", unset)
            .unwrap_err()
            .contains("ID missing"));
        assert!(parse_secret("id=x,src=/a,env=B", unset).is_err());
        assert!(parse_secret("id=x,type=ssh,src=/a", unset).is_err());
        assert!(parse_secret("id=x,what=1", unset).is_err());
    }

    #[test]
    fn ssh_ids_and_paths() {
        assert_eq!(
            parse_ssh("default").unwrap(),
            SshSpec {
                id: "default".into(),
                paths: vec![]
            }
        );
        let spec = parse_ssh("git=/run/agent.sock,/k/id_ed25519").unwrap();
        assert_eq!(spec.id, "git");
        assert_eq!(spec.paths.len(), 2);
        assert!(parse_ssh("=/a").is_err());
    }

    #[test]
    fn outputs_as_buildx_accepts_them() {
        assert_eq!(
            parse_output("type=local,dest=out").unwrap(),
            OutputSpec::Local("out".into())
        );
        assert_eq!(
            parse_output("out").unwrap(),
            OutputSpec::Local("out".into())
        );
        assert_eq!(parse_output("-").unwrap(), OutputSpec::Tar(TarDest::Stdout));
        assert_eq!(
            parse_output("type=tar,dest=-").unwrap(),
            OutputSpec::Tar(TarDest::Stdout)
        );
        assert_eq!(
            parse_output("type=tar,dest=a.tar").unwrap(),
            OutputSpec::Tar(TarDest::File("a.tar".into()))
        );
        assert_eq!(parse_output("type=docker").unwrap(), OutputSpec::Image);
        assert_eq!(
            parse_output("type=image,name=x").unwrap(),
            OutputSpec::Image
        );
        assert!(parse_output("type=local").is_err());
        assert!(parse_output("type=tar").is_err());
        assert!(parse_output("type=oci,dest=a")
            .unwrap_err()
            .contains("20.10"));
        assert!(parse_output("type=zip,dest=a").is_err());
    }

    #[test]
    fn cache_flags() {
        assert_eq!(parse_cache_from("r/app:1").unwrap(), "r/app:1");
        assert_eq!(
            parse_cache_from("type=registry,ref=r/app:1").unwrap(),
            "r/app:1"
        );
        assert!(parse_cache_from("type=local,src=d").is_err());
        assert!(parse_cache_to("type=inline").is_ok());
        assert!(parse_cache_to("type=registry,ref=x").is_err());
    }
}
