//! `create`: `create -f FILE`, or one object from flags (`create job NAME --image …`; Secrets
//! and ConfigMaps in [`super::create_data`]). A new kind is one more arm here and a variant
//! of [`CreateKind`].

use super::apply::Creator;
use super::create_data::DataKind;
use super::manifest::JobSource;
use crate::cli::{CreateArgs, CreateKind, GlobalArgs};
use crate::error::{user_error, ExitStatus};
use crate::job::generate::JobFlags;

/// `dockjob create …`.
pub async fn create(global: &GlobalArgs, args: &CreateArgs) -> anyhow::Result<ExitStatus> {
    match &args.kind {
        None => {
            // kubectl's text for `create` with neither -f nor a kind (cli-runtime
            // pkg/resource/builder.go, `FilenameParam`).
            if args.file.is_empty() {
                return Err(user_error("must specify one of -f and -k"));
            }
            let source = JobSource::files(args.file.clone());
            let creator = Creator::Create;
            super::apply::create(global, &source, &args.output, args.backoff_scale, creator).await
        }
        Some(CreateKind::Job(job)) => {
            let source = JobSource::Flags(JobFlags {
                name: Some(job.name.clone()),
                image: job.image.clone(),
                command: job.pod.command.clone(),
                restart_policy: job.pod.restart.policy().to_string(),
                namespace: global.namespace.clone(),
            });
            let creator = Creator::CreateJob;
            super::apply::create(global, &source, &job.output, job.backoff_scale, creator).await
        }
        Some(CreateKind::Secret(kind)) => {
            super::create_data::create(global, DataKind::Secret(kind)).await
        }
        Some(CreateKind::ConfigMap(args)) => {
            super::create_data::create(global, DataKind::ConfigMap(args)).await
        }
    }
}
