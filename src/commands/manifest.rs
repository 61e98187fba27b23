//! Where the Jobs of `create`, `apply` and `run` come from — a manifest (`-f FILE`, `-f -`)
//! or flags (`--image IMG -- CMD…`) — and kubectl's AlreadyExists text for each.

use std::path::PathBuf;

use crate::error::user_error;
use crate::job::generate::{ClientJob, JobFlags};
use crate::job::objects::DataObject;
use crate::job::{input, LoadedJob};

/// The Jobs' origin.
#[derive(Debug, Clone)]
pub enum JobSource {
    /// `-f FILE` (a directory, or `-` for stdin).
    File(PathBuf),
    /// `-f A -f B …` (`create`, `apply`, `delete`): every file's documents in order, each
    /// file at most 3 MiB; one refusal refuses them all, so nothing is half-created.
    Files(Vec<PathBuf>),
    /// `create job NAME --image …`, `run [NAME] --image …`.
    Flags(JobFlags),
}

impl JobSource {
    /// `-f`'s files: one is [`JobSource::File`], more are [`JobSource::Files`].
    pub fn files(mut paths: Vec<PathBuf>) -> JobSource {
        if paths.len() == 1 {
            JobSource::File(paths.remove(0))
        } else {
            JobSource::Files(paths)
        }
    }

    /// Loads the Jobs (defaulted, admitted, validated as the API server's create), in `-n`'s
    /// namespace when they name none, and a manifest's ConfigMaps and Secrets.
    pub async fn load(
        &self,
        namespace: Option<String>,
    ) -> anyhow::Result<(Vec<LoadedJob>, Vec<DataObject>)> {
        let source = self.clone();
        let loaded = tokio::task::spawn_blocking(move || match source {
            JobSource::File(path) => {
                input::load_manifests_path_in(&path.to_string_lossy(), namespace.as_deref())
                    .map(crate::job::load::split)
            }
            JobSource::Files(paths) => {
                let mut all = Vec::new();
                for path in paths {
                    all.extend(input::load_manifests_path_in(
                        &path.to_string_lossy(),
                        namespace.as_deref(),
                    )?);
                }
                Ok(crate::job::load::split(all))
            }
            JobSource::Flags(flags) => {
                // kubectl sends the object as JSON; dockjob's loader takes it the same way,
                // so a Job from flags is checked exactly as one from a file.
                let text =
                    serde_json::to_string(&ClientJob::from_flags(&flags)).unwrap_or_default();
                crate::job::load::load_jobs_in(&text, "", namespace.as_deref(), &mut rand::rng())
                    .map(|jobs| (jobs, Vec::new()))
            }
        })
        .await?;
        loaded.map_err(|e| user_error(e.to_string()))
    }

    /// The object `--dry-run=client` prints for flags (kubectl's typed Job); `None` for a
    /// manifest, whose documents print as written ([`LoadedJob::given`]).
    pub fn client_object(&self) -> Option<ClientJob> {
        match self {
            JobSource::Flags(flags) => Some(ClientJob::from_flags(flags)),
            JobSource::File(_) | JobSource::Files(_) => None,
        }
    }
}

/// kubectl's `info.Source` of a manifest's object: its file, `STDIN` for `-f -`
/// (cli-runtime's `FileVisitorForSTDIN`); `None` for an object made from flags.
pub fn source_of(loaded: &LoadedJob) -> Option<String> {
    match loaded.origin.as_str() {
        "" => None,
        "-" => Some("STDIN".to_string()),
        file => Some(file.to_string()),
    }
}

/// The AlreadyExists error as kubectl prints it: `Error from server (AlreadyExists): …`
/// (`StandardErrorMessage`), with `error when creating "SOURCE": ` for a manifest's object
/// (`AddSourceToErr("creating", info.Source, err)`), both in
/// staging/src/k8s.io/kubectl/pkg/cmd/util/helpers.go; the apiserver's `NewAlreadyExists`
/// message is `jobs.batch "NAME" already exists`.
pub fn already_exists(source: Option<&str>, name: &str) -> String {
    match source {
        Some(source) => format!(
            "Error from server (AlreadyExists): error when creating \"{source}\": jobs.batch \"{name}\" already exists"
        ),
        None => format!("Error from server (AlreadyExists): jobs.batch \"{name}\" already exists"),
    }
}

/// `create job`'s AlreadyExists: its `Run` returns `fmt.Errorf("failed to create job: %v",
/// err)` (staging/src/k8s.io/kubectl/pkg/cmd/create/create_job.go), a wrapped error that
/// `checkErr` prints with `error: ` instead of `Error from server (…)`.
pub fn create_job_already_exists(name: &str) -> String {
    format!("error: failed to create job: jobs.batch \"{name}\" already exists")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn already_exists_texts() {
        assert_eq!(
            already_exists(Some("job.yaml"), "pi"),
            "Error from server (AlreadyExists): error when creating \"job.yaml\": jobs.batch \"pi\" already exists"
        );
        assert_eq!(
            already_exists(None, "pi"),
            "Error from server (AlreadyExists): jobs.batch \"pi\" already exists"
        );
        assert_eq!(
            create_job_already_exists("pi"),
            "error: failed to create job: jobs.batch \"pi\" already exists"
        );
    }

    #[test]
    fn stdin_is_kubectls_stdin() {
        let mut loaded = crate::job::input::load_jobs(
            "apiVersion: batch/v1\nkind: Job\nmetadata: {name: a}\nspec:\n  template:\n    spec:\n      restartPolicy: Never\n      containers: [{name: c, image: busybox}]\n",
            "-",
        )
        .unwrap()
        .remove(0);
        assert_eq!(source_of(&loaded).as_deref(), Some("STDIN"));
        loaded.origin = "dir/job.yaml".to_string();
        assert_eq!(source_of(&loaded).as_deref(), Some("dir/job.yaml"));
        loaded.origin = String::new();
        assert_eq!(source_of(&loaded), None);
    }
}
