//! The `Examples:` section of each command's help, kubectl style: a comment saying what the
//! line does, then a command that works as written from a checkout of this repository (given
//! the images, registries and Jobs it names); `tests/cli_help.rs` parses every one with the
//! real parser.
//!
//! Kept in one table, by command path, rather than on each argument struct, so that adding a
//! command or a flag elsewhere in `cli/` does not touch this file.

/// Examples per command (its path below `dockjob`, space-separated); each text starts with a
/// newline, so that the lines below can be written as they are shown.
const EXAMPLES: &[(&str, &str)] = &[
    (
        "build",
        "
  # Build the sample image and tag it twice (one tag for a local registry)
  dockjob build images/uzimihsr-sample-image -t uzimihsr/uzimihsr-sample-image:0.1 \\
    -t localhost:5000/uzimihsr/uzimihsr-sample-image:0.1

  # Build, then push every tag, printing NAME:TAG@sha256:… per tag
  dockjob build images/uzimihsr-sample-image -t localhost:5000/sample:0.1 --push

  # Build with the Dockerfile read from stdin and a build argument
  dockjob build images/uzimihsr-sample-image -f - --build-arg NUMBER=7 -t sample:dev \\
    < images/uzimihsr-sample-image/Dockerfile

  # Only lint the Dockerfile (exit 1 on any finding); nothing is built
  dockjob build images/uzimihsr-sample-image --check

  # Substitute a local image for a FROM line, as buildx does
  dockjob build images/uzimihsr-sample-image -t sample:0.1 \\
    --build-context alpine:3.10.3=docker-image://my-alpine:3.10.3",
    ),
    (
        "push",
        "
  # Push one image and print NAME:TAG@sha256:…
  dockjob push localhost:5000/uzimihsr/uzimihsr-sample-image:0.1

  # Push two tags and keep the digests for a release pipeline
  dockjob push localhost:5000/app:1.0 localhost:5000/app:latest --digest-file refs.txt",
    ),
    (
        "lint",
        "
  # Lint ./Dockerfile
  dockjob lint

  # Lint the sample's Dockerfile; warnings fail too
  dockjob lint images/uzimihsr-sample-image/Dockerfile --fail-on warning

  # Machine-readable findings
  dockjob lint --format json images/uzimihsr-sample-image/Dockerfile",
    ),
    (
        "image",
        "
  # Import a root filesystem directory as an image with a default command
  dockjob image import ./rootfs -t my-base:1 -c 'CMD [\"/bin/sh\"]'

  # Pull, inspect and remove an image
  dockjob image pull alpine:3.10.3
  dockjob image inspect alpine:3.10.3
  dockjob image rm alpine:3.10.3",
    ),
    (
        "image import",
        "
  # Import a root filesystem directory as an image with a default command
  dockjob image import ./rootfs -t my-base:1 -c 'CMD [\"/bin/sh\"]'

  # Import a gzip-compressed tar of a root filesystem
  dockjob image import rootfs.tar.gz -t my-base:1",
    ),
    (
        "image pull",
        "
  # Pull an image from its registry
  dockjob image pull alpine:3.10.3",
    ),
    (
        "image inspect",
        "
  # Show an image's ID, ENTRYPOINT, CMD and digests as JSON (exit 2 when it is absent)
  dockjob image inspect uzimihsr/uzimihsr-sample-image:0.1",
    ),
    (
        "image rm",
        "
  # Remove two tags
  dockjob image rm uzimihsr/uzimihsr-sample-image:0.1 localhost:5000/sample:0.1

  # Remove an image ID that has several tags
  dockjob image rm -f 0123456789ab",
    ),
    (
        "run",
        "
  # Run the sample Job in the foreground (its logs on stdout) and remove its containers
  dockjob run --rm -f images/uzimihsr-sample-image/job.yaml

  # Run every Job of a manifest read from stdin, each log line prefixed with its pod
  dockjob run --prefix -f - < images/uzimihsr-sample-image/job.yaml

  # Compress Kubernetes' backoff delays a hundredfold (for demos and tests)
  dockjob run --backoff-scale 0.01 -f images/uzimihsr-sample-image/job.yaml

  # Run one command in an image, no manifest (the Job is named after the image)
  dockjob run --image=busybox -- echo hello

  # Run the sample Job again after editing it: the old Job and its pods are deleted first
  dockjob run --replace -f images/uzimihsr-sample-image/job.yaml

  # Run the pods as tasks of the Docker Swarm whose manager is at -H
  dockjob -H tcp://manager:2375 --scheduler swarm run -f images/uzimihsr-sample-image/job.yaml",
    ),
    (
        "apply",
        "
  # Create the sample Job (or update it) and let it run in the background
  dockjob apply -f images/uzimihsr-sample-image/job.yaml

  # Then follow it
  dockjob get jobs
  dockjob wait --for=condition=complete job/uzimihsr-echo-number
  dockjob logs job/uzimihsr-echo-number",
    ),
    (
        "create",
        "
  # Create the sample Job; it runs in the background (an existing name is an error)
  dockjob create -f images/uzimihsr-sample-image/job.yaml

  # Create it in another namespace
  dockjob create -n demo -f images/uzimihsr-sample-image/job.yaml

  # Show the Job as the API server would store it (defaulted, validated); nothing is created
  dockjob create --dry-run=server -o yaml -f images/uzimihsr-sample-image/job.yaml",
    ),
    (
        "create job",
        "
  # Create a Job that runs one command in an image (no manifest needed)
  dockjob create job hello --image=busybox -- echo hello

  # A Job whose failed container restarts in its pod
  dockjob create job retry --image=busybox --restart=OnFailure -- sh -c 'exit 1'

  # Print the manifest instead of creating it (a start for a job.yaml)
  dockjob create job hello --image=busybox --dry-run=client -o yaml -- echo hello",
    ),
    (
        "create secret",
        "
  # A Secret from literals (a Job reads it with env valueFrom.secretKeyRef or a volume)
  dockjob create secret generic db --from-literal=user=app --from-literal=password=s3cret

  # A Secret that gives pods the credentials of a private registry (imagePullSecrets)
  dockjob create secret docker-registry regcred --docker-server=localhost:5000 \\
    --docker-username=ci --docker-password=s3cret",
    ),
    (
        "create secret generic",
        "
  # A Secret from literals
  dockjob create secret generic db --from-literal=user=app --from-literal=password=s3cret

  # A Secret from files: each file's name is its key, or KEY=PATH names it
  dockjob create secret generic tls --from-file=./tls.crt --from-file=key=./tls.key

  # Print the Secret's manifest instead of storing it
  dockjob create secret generic db --from-literal=password=s3cret --dry-run=client -o yaml",
    ),
    (
        "create secret docker-registry",
        "
  # Credentials for a private registry, for a pod's imagePullSecrets
  dockjob create secret docker-registry regcred --docker-server=localhost:5000 \\
    --docker-username=ci --docker-password=s3cret",
    ),
    (
        "create configmap",
        "
  # A ConfigMap from literals (a Job reads it with envFrom or a configMap volume)
  dockjob create configmap settings --from-literal=mode=fast --from-literal=level=3

  # A ConfigMap from an env file of KEY=VALUE lines
  dockjob create configmap settings --from-env-file=settings.env",
    ),
    (
        "get",
        "
  # List the Jobs of the default namespace
  dockjob get jobs

  # List the pods of one Job, with their node and IP
  dockjob get pods -l job-name=uzimihsr-echo-number -o wide

  # One Job as kubectl prints it with -o yaml
  dockjob get job uzimihsr-echo-number -o yaml

  # Jobs and their pods in one listing
  dockjob get jobs,pods

  # The names of the pods of one Job, one per line (kubectl's JSONPath)
  dockjob get pods -l job-name=uzimihsr-echo-number \\
    -o jsonpath='{range .items[*]}{.metadata.name}{\"\\n\"}{end}'

  # Chosen columns, oldest first
  dockjob get pods -o custom-columns=NAME:.metadata.name,PHASE:.status.phase \\
    --sort-by=.metadata.creationTimestamp

  # Watch the pods of every namespace
  dockjob get pods -A -w

  # Recent events
  dockjob get events",
    ),
    (
        "describe",
        "
  # A Job in detail, with its pods' statuses and its events
  dockjob describe job uzimihsr-echo-number

  # Every pod of the namespace
  dockjob describe pods",
    ),
    (
        "logs",
        "
  # The logs of the first pod of a Job
  dockjob logs job/uzimihsr-echo-number

  # Follow every pod of the Job, each line prefixed with its pod and container
  dockjob logs job/uzimihsr-echo-number --all-pods --prefix -f

  # The previous (restarted) container of a pod
  dockjob logs uzimihsr-echo-number-abcde --previous",
    ),
    (
        "wait",
        "
  # Wait up to a minute for the Job to complete
  dockjob wait --for=condition=complete job/uzimihsr-echo-number --timeout=60s

  # Wait for it to fail
  dockjob wait --for=condition=failed job/uzimihsr-echo-number

  # Wait for it to be deleted
  dockjob wait --for=delete job/uzimihsr-echo-number",
    ),
    (
        "delete",
        "
  # Delete a Job and its containers
  dockjob delete job uzimihsr-echo-number

  # Delete the Jobs of a manifest; no error when they are gone already
  dockjob delete -f images/uzimihsr-sample-image/job.yaml --ignore-not-found

  # Delete the Job but keep its containers
  dockjob delete job/uzimihsr-echo-number --cascade=orphan",
    ),
    (
        "login",
        "
  # Log in to a registry with the password on stdin (never in argv or the shell history)
  echo \"$REGISTRY_PASSWORD\" | dockjob login registry.example.com -u ci --password-stdin

  # Log in to Docker Hub
  dockjob login -u myname --password-stdin < ~/.dockerhub-token",
    ),
    (
        "logout",
        "
  # Remove the stored credentials of a registry
  dockjob logout registry.example.com

  # Of Docker Hub
  dockjob logout",
    ),
    (
        "completion",
        "
  # Load bash completion into the current shell (needs the bash-completion package)
  source <(dockjob completion bash)

  # Install it for every new bash
  dockjob completion bash > ~/.local/share/bash-completion/completions/dockjob

  # zsh: write it into a directory of $fpath, then restart zsh
  dockjob completion zsh > \"${fpath[1]}/_dockjob\"

  # fish
  dockjob completion fish > ~/.config/fish/completions/dockjob.fish

  # PowerShell: add this line to $PROFILE
  dockjob completion powershell | Out-String | Invoke-Expression",
    ),
    (
        "man",
        "
  # Read dockjob(1)
  dockjob man | man -l -

  # Write a page per command (dockjob.1, dockjob-run.1, …) where man finds them
  dockjob man --dir ~/.local/share/man/man1",
    ),
];

/// The examples of the command at `path` (from a newline), if it has any.
pub fn for_command(path: &[&str]) -> Option<&'static str> {
    let key = path.join(" ");
    EXAMPLES
        .iter()
        .find(|(name, _)| *name == key)
        .map(|(_, text)| *text)
}

/// Every command path that has examples, and its examples.
pub fn all() -> impl Iterator<Item = (&'static str, &'static str)> {
    EXAMPLES.iter().copied()
}

/// Adds the `Examples:` section to the help of every subcommand of `cmd` that has examples.
pub fn add_examples(cmd: &mut clap::Command) {
    add_below(cmd, &mut Vec::new());
}

fn add_below(cmd: &mut clap::Command, path: &mut Vec<String>) {
    for sub in cmd.get_subcommands_mut() {
        path.push(sub.get_name().to_string());
        let names: Vec<&str> = path.iter().map(String::as_str).collect();
        if let Some(text) = for_command(&names) {
            // Styled as clap styles "Usage:" and "Options:" (bold and underlined on a terminal;
            // clap drops the styling when colour is off or stdout is not a terminal).
            let header = *sub.get_styles().get_header();
            let section = format!("{header}Examples:{header:#}{text}");
            *sub = std::mem::take(sub).after_help(section);
        }
        add_below(sub, path);
        path.pop();
    }
}
