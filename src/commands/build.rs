//! `build`: read and lint the Dockerfile, pack the context, build, tag, push.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::Context;

use crate::archive::{self, DockerfileSource, PackOptions};
use crate::bounded::MAX_INPUT_BYTES;
use crate::build_metadata::{default_oci_labels, metadata_document, GitFacts};
use crate::cli::BuildArgs;
use crate::dockerfile;
use crate::engine::BuildRequest;
use crate::error::{user_error, ExitStatus};
use crate::image_ref::ImageRef;
use crate::progress::buildkit::DockerfileText;
use crate::progress::{BuildProgress, ProgressMode};

use super::buildkit::Builder;
use super::print_data;

/// Lints, then (unless `--check`) connects to `host`, builds the image, applies every tag and
/// pushes them with `--push`. Nothing reaches the engine before the input is checked.
pub async fn build(
    host: Option<&str>,
    args: &BuildArgs,
    progress: ProgressMode,
    raw_json: bool,
) -> anyhow::Result<ExitStatus> {
    let progress = if args.quiet {
        ProgressMode::Quiet
    } else {
        progress
    };
    // The docker CLI's words (cli/command/image/build/context.go `ValidateContextDirectory`,
    // `ResolveAndValidateContextPath`).
    match std::fs::metadata(&args.context) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(user_error(format!(
                "unable to prepare context: path {:?} not found",
                args.context.display().to_string()
            )));
        }
        Ok(meta) if !meta.is_dir() => {
            let absolute = std::path::absolute(&args.context).unwrap_or(args.context.clone());
            return Err(user_error(format!(
                "unable to prepare context: context must be a directory: {}",
                absolute.display()
            )));
        }
        Err(e) => {
            return Err(user_error(format!(
                "unable to prepare context: unable to evaluate symlinks in context path: {e}"
            )));
        }
        Ok(_) => {}
    }
    let tags = args
        .tags
        .iter()
        .map(|t| parse_tag(t))
        .collect::<anyhow::Result<Vec<_>>>()?;
    if args.push && tags.is_empty() {
        return Err(user_error(
            "--push needs at least one -t NAME[:TAG] to push",
        ));
    }
    let mut build_args = parse_build_args(&args.build_args)?;
    let buildkit_flags = super::buildkit::parse_flags(args)?;
    if buildkit_flags.inline_cache {
        build_args.insert("BUILDKIT_INLINE_CACHE".into(), Some("1".into()));
    }
    let substitutions = parse_build_contexts(&args.build_contexts)?;
    let user_labels = parse_key_values("--label", &args.labels)?;

    let (display_name, given, source) = read_dockerfile(&args.context, args.file.as_deref())?;
    let parsed =
        dockerfile::parse(&source).map_err(|e| user_error(e.render(&display_name, &source)))?;
    // `--check` asked for the findings: show them even with -q.
    let quiet = progress == ProgressMode::Quiet && !args.check;
    let dockerfile_path = match &given {
        DockerfileSource::Default => Some(args.context.join("Dockerfile")),
        DockerfileSource::Path(path) => Some(path.clone()),
        DockerfileSource::Contents(_) => None,
    };
    let has_findings = super::lint::lint_before_build(
        &display_name,
        &source,
        &parsed,
        &args.context,
        dockerfile_path.as_deref(),
        quiet,
    )?;
    if args.check {
        return Ok(if has_findings {
            ExitStatus::Failure
        } else {
            ExitStatus::Success
        });
    }
    let dockerfile = if substitutions.is_empty() {
        given
    } else {
        let known: BTreeMap<String, String> = build_args
            .iter()
            .filter_map(|(k, v)| Some((k.clone(), v.clone()?)))
            .collect();
        let rewritten =
            dockerfile::rewrite_from_with_args(&source, &parsed, &substitutions, &known);
        for (name, image) in &substitutions {
            progress.note(&format!("using {image} for FROM {name} (--build-context)"));
        }
        DockerfileSource::Contents(rewritten.into_bytes())
    };

    let engine = &super::connect(host).await?;
    let builder = super::buildkit::choose_builder(engine, args, &buildkit_flags, progress).await?;
    // A `BUILDKIT_SYNTAX` build arg picks another frontend, as `# syntax=` does.
    let old_frontend = builder == Builder::BuildKit { old_frontend: true };
    if old_frontend && !build_args.contains_key("BUILDKIT_SYNTAX") {
        let gaps = dockerfile::builtin_frontend_gaps(&parsed);
        if !gaps.is_empty() {
            eprint!(
                "{}",
                dockerfile::frontend_support::render(&display_name, &source, &gaps)
            );
            return Err(user_error(format!(
                "{display_name} needs a newer Dockerfile frontend than the engine's built-in one \
                 (see above)"
            )));
        }
    }
    let context = args.context.clone();
    // On the local socket, compression only costs CPU at both ends (deflate here, inflate in
    // the engine): send a plain tar there, as `docker build` does without `--compress`.
    let mut pack = PackOptions::default();
    if engine.endpoint().starts_with("unix://") && !args.compress {
        pack.compression = archive::Compression::None;
    }
    let packed =
        tokio::task::spawn_blocking(move || archive::context_body(&context, dockerfile, pack))
            .await?
            .with_context(|| format!("packing the build context {}", args.context.display()))?;
    let mut labels = if args.no_oci_labels {
        BTreeMap::new()
    } else {
        let version = tags.first().and_then(ImageRef::tag);
        let (git, commit_time) = git_checkout(&args.context);
        let sources_time = packed
            .newest_mtime
            .and_then(|t| jiff::Timestamp::try_from(t).ok())
            .and_then(|t| jiff::Timestamp::from_second(t.as_second()).ok());
        default_oci_labels(&created_time(commit_time, sources_time), &git, version)
    };
    labels.extend(user_labels);
    let (dockerfile_name, body) = packed.into_parts();
    let request = BuildRequest {
        dockerfile: dockerfile_name,
        tags: tags.iter().map(ImageRef::to_string).collect(),
        build_args,
        labels,
        target: args.target.clone(),
        no_cache: args.no_cache,
        pull: args.pull,
        network: args.network.clone(),
        extra_hosts: args.add_hosts.clone(),
        platform: args.platform.clone(),
        buildkit: None,
    };
    let title = format!("building {}", args.context.display());
    let mut shown = if builder == Builder::Classic {
        BuildProgress::classic(progress, &title)
    } else {
        BuildProgress::buildkit(progress, raw_json)
    };
    let result = if builder != Builder::Classic {
        super::buildkit::build(engine, request, &buildkit_flags, body, |event| {
            shown.event(&event)
        })
        .await
    } else {
        engine
            .build_image(&request, body, |event| shown.event(&event))
            .await
            .map(Some)
            .map_err(anyhow::Error::from)
    };
    shown.finish();
    if result.is_err() {
        let dockerfile = DockerfileText {
            display_name: &display_name,
            source: &source,
        };
        eprint!("{}", shown.failure_context(Some(dockerfile)));
    }
    let Some(image_id) = result.with_context(|| title.clone())? else {
        // Exported as files (`--output type=local|tar`): there is no image to tag.
        return Ok(ExitStatus::Success);
    };

    // Every tag was named in the build request: the engine applied them all and said so.
    if let Some(path) = &args.iidfile {
        std::fs::write(path, &image_id)
            .with_context(|| format!("writing the image ID to {}", path.display()))?;
    }
    print_data(&image_id)?;

    let mut pushed_digest = None;
    if args.push {
        let config = super::push::load_docker_config()?;
        for (typed, tag) in args.tags.iter().zip(&tags) {
            let digest = super::push::push_one(engine, &config, typed, tag, progress).await?;
            print_data(&format!("{}@{digest}", tag.familiar()))?;
            pushed_digest.get_or_insert(digest);
        }
    }
    if let Some(path) = &args.metadata_file {
        let document = metadata_document(&image_id, &args.tags, pushed_digest.as_deref());
        std::fs::write(path, serde_json::to_string_pretty(&document)? + "\n")
            .with_context(|| format!("writing the build metadata to {}", path.display()))?;
    }
    Ok(ExitStatus::Success)
}

/// The commit, its time and the origin of the git checkout holding `context`, when there
/// is one, read from the repository's files when they are plainly laid out, else from `git`.
/// Missing git, or a context outside a repository, simply gives no facts. The two
/// `git` processes run at the same time: one after the other (with a third for the time)
/// they were ~75 ms of a 0.2 s cached rebuild (bench case c).
fn git_checkout(context: &Path) -> (GitFacts, Option<jiff::Timestamp>) {
    if let Some(head) = super::git_files::read_head(context) {
        let facts = GitFacts {
            revision: Some(head.revision),
            remote_url: head.origin_url,
        };
        return (facts, jiff::Timestamp::from_second(head.commit_time).ok());
    }
    // Under the helper timeout: a git stuck on a lock or a network filesystem must not hang
    // the build. A missing git, or a failed one, just gives no facts.
    let timeout = crate::external::helper_timeout().unwrap_or(crate::external::DEFAULT_TIMEOUT);
    let git = |args: &[&str]| {
        let mut command = std::process::Command::new("git");
        command.arg("-C").arg(context).args(args);
        let name = format!("git {}", args.first().copied().unwrap_or_default());
        match crate::external::run_bounded(&mut command, &name, b"", timeout) {
            Ok(out) if out.status.success() => {
                Some(String::from_utf8_lossy(&out.stdout).trim().to_string())
                    .filter(|text| !text.is_empty())
            }
            Ok(_) => None,
            Err(e @ crate::external::ExternalError::TimedOut { .. }) => {
                eprintln!("warning: {e}; the image gets no git labels from it");
                None
            }
            Err(_) => None,
        }
    };
    let (head, origin) = std::thread::scope(|scope| {
        let head = scope.spawn(|| git(&["log", "-1", "--format=%H%n%ct"]));
        let origin = git(&["remote", "get-url", "origin"]);
        (head.join().ok().flatten(), origin)
    });
    let mut lines = head.as_deref().unwrap_or_default().lines();
    let revision = lines.next().map(str::to_string);
    let time = lines.next().and_then(timestamp_from_epoch);
    let facts = GitFacts {
        revision,
        remote_url: origin,
    };
    (facts, time)
}

/// The `created` label: `SOURCE_DATE_EPOCH` (reproducible-builds.org), else the commit time
/// of the checkout's HEAD, else the newest modification time of what the context sends,
/// else now. A label that changes on every build makes the engine commit a new LABEL layer
/// each time, so a rebuild of unchanged sources would never be fully cached (bench case c:
/// 2.9 s instead of 0.07 s; case d outside git: 3.9× the docker CLI).
fn created_time(
    commit_time: Option<jiff::Timestamp>,
    sources_time: Option<jiff::Timestamp>,
) -> String {
    std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|s| timestamp_from_epoch(&s))
        .or(commit_time)
        .or(sources_time)
        .unwrap_or_else(jiff::Timestamp::now)
        .to_string()
}

/// Seconds since the epoch, as `SOURCE_DATE_EPOCH` and `git log --format=%ct` write them.
fn timestamp_from_epoch(secs: &str) -> Option<jiff::Timestamp> {
    let secs = secs.trim().parse::<i64>().ok()?;
    jiff::Timestamp::from_second(secs).ok()
}

/// The Dockerfile's name for messages, where it comes from, and its text: `-f FILE`
/// (relative to the working directory, as in the docker CLI), `-f -` (stdin) or
/// `CONTEXT/Dockerfile`.
fn read_dockerfile(
    context: &Path,
    file: Option<&Path>,
) -> anyhow::Result<(String, DockerfileSource, String)> {
    if file == Some(Path::new("-")) {
        let read = crate::bounded::read_at_most(std::io::stdin().lock(), MAX_INPUT_BYTES);
        let source = dockerfile_text(read)
            .map_err(|e| user_error(format!("cannot read the Dockerfile from stdin: {e}")))?;
        let given = DockerfileSource::Contents(source.clone().into_bytes());
        return Ok(("<stdin>".to_string(), given, source));
    }
    let (path, given) = match file {
        Some(path) => (
            path.to_path_buf(),
            DockerfileSource::Path(path.to_path_buf()),
        ),
        None => (context.join("Dockerfile"), DockerfileSource::Default),
    };
    let read = crate::bounded::read_file_at_most(&path, MAX_INPUT_BYTES);
    let source = dockerfile_text(read).map_err(|e| {
        user_error(format!(
            "cannot read the Dockerfile {}: {e}",
            path.display()
        ))
    })?;
    Ok((path.display().to_string(), given, source))
}

/// The text of a Dockerfile read with [`crate::bounded`]: at most 3 MiB, UTF-8.
fn dockerfile_text(read: std::io::Result<crate::bounded::Bounded>) -> std::io::Result<String> {
    use crate::bounded::Bounded;
    match read? {
        Bounded::Whole(bytes) => String::from_utf8(bytes).map_err(|_| {
            std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                "stream did not contain valid UTF-8",
            )
        }),
        Bounded::TooLarge => Err(std::io::Error::new(
            std::io::ErrorKind::FileTooLarge,
            format!("larger than {MAX_INPUT_BYTES} bytes (3 MiB), the most dockjob reads of a Dockerfile"),
        )),
    }
}

/// A `-t` value: a name with an optional tag, never a digest (as `docker build` says).
pub(crate) fn parse_tag(text: &str) -> anyhow::Result<ImageRef> {
    let reference = ImageRef::parse(text).map_err(|e| user_error(format!("-t: {e}")))?;
    if reference.digest().is_some() {
        return Err(user_error(format!(
            "-t {text}: a tag cannot include a digest (use NAME[:TAG])"
        )));
    }
    Ok(reference)
}

/// `--build-arg K=V` and bare `K` (value from the environment, as in the docker CLI).
fn parse_build_args(items: &[String]) -> anyhow::Result<BTreeMap<String, Option<String>>> {
    items
        .iter()
        .map(|item| match item.split_once('=') {
            Some(("", _)) => Err(user_error(format!("--build-arg {item}: the name is empty"))),
            Some((key, value)) => Ok((key.to_string(), Some(value.to_string()))),
            None => Ok((item.clone(), std::env::var(item).ok())),
        })
        .collect()
}

/// `--build-context NAME=docker-image://REF`; other sources need BuildKit and are refused.
fn parse_build_contexts(items: &[String]) -> anyhow::Result<BTreeMap<String, String>> {
    items
        .iter()
        .map(|item| {
            let (name, source) = item.split_once('=').ok_or_else(|| {
                user_error(format!(
                    "--build-context {item}: expected NAME=docker-image://REF"
                ))
            })?;
            let image = source.strip_prefix("docker-image://").ok_or_else(|| {
                user_error(format!(
                    "--build-context {item}: only docker-image:// sources are supported \
                     by the Engine's classic builder"
                ))
            })?;
            ImageRef::parse(image)
                .map_err(|e| user_error(format!("--build-context {item}: {e}")))?;
            Ok((name.to_string(), image.to_string()))
        })
        .collect()
}

fn parse_key_values(flag: &str, items: &[String]) -> anyhow::Result<BTreeMap<String, String>> {
    items
        .iter()
        .map(|item| {
            item.split_once('=')
                .filter(|(k, _)| !k.is_empty())
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .ok_or_else(|| user_error(format!("{flag} {item}: expected KEY=VALUE")))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn build_contexts_accept_only_docker_images() {
        let ok =
            parse_build_contexts(&["alpine:3.10.3=docker-image://local/alpine:1".into()]).unwrap();
        assert_eq!(ok["alpine:3.10.3"], "local/alpine:1");
        assert!(parse_build_contexts(&["alpine=./dir".into()]).is_err());
        assert!(parse_build_contexts(&["alpine".into()]).is_err());
    }

    #[test]
    fn build_args_take_bare_names_from_the_environment() {
        let args = parse_build_args(&["A=1".into(), "DOCKJOB_SURELY_UNSET_VAR".into()]).unwrap();
        assert_eq!(args["A"], Some("1".to_string()));
        assert_eq!(args["DOCKJOB_SURELY_UNSET_VAR"], None);
        assert!(parse_build_args(&["=x".into()]).is_err());
    }
}
