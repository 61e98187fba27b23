//! Jobs made from flags instead of a manifest: `create job NAME --image IMG -- CMD…` and
//! `run [NAME] --image IMG -- CMD…`. Pure: flags in, the object kubectl would send out.
//!
//! The object is kubectl's `CreateJobOptions.createJob`
//! (staging/src/k8s.io/kubectl/pkg/cmd/create/create_job.go): one container named after the
//! Job, the words after `--` as its `command`, `restartPolicy: Never`, the namespace only
//! when `-n` was given. [`ClientJob`] serializes it as Go's typed `batchv1.Job` does (the
//! `--dry-run=client -o json|yaml` output), zero values included: `creationTimestamp: null`,
//! `resources: {}`, `status: {}`.
//!
//! dockjob adds `--restart Never|OnFailure` (a Job allows only those two; kubectl's
//! `create job` always writes Never) and, for `run` without a NAME, a name derived from the
//! image ([`name_from_image`]).

use serde::Serialize;

/// What the flags say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobFlags {
    /// The Job's name; `None` makes a `generateName` from the image ([`name_from_image`]).
    pub name: Option<String>,
    /// `--image`.
    pub image: String,
    /// The words after `--`: the container's `command` (as `create job`).
    pub command: Vec<String>,
    /// `--restart`: `Never` (kubectl's) or `OnFailure`.
    pub restart_policy: String,
    /// `-n`, when given (kubectl's `EnforceNamespace`).
    pub namespace: Option<String>,
}

/// kubectl's `batchv1.Job` as `create job` builds it, in Go's field order (`-o json` prints
/// the typed object field by field; `-o yaml` sorts the keys, as `sigs.k8s.io/yaml` does).
#[derive(Debug, Clone, Serialize)]
pub struct ClientJob {
    kind: &'static str,
    #[serde(rename = "apiVersion")]
    api_version: &'static str,
    metadata: ClientMeta,
    spec: ClientJobSpec,
    status: Empty,
}

#[derive(Debug, Clone, Serialize)]
struct ClientMeta {
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    #[serde(rename = "generateName", skip_serializing_if = "Option::is_none")]
    generate_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    namespace: Option<String>,
    /// Go's zero `metav1.Time` marshals as `null`.
    #[serde(rename = "creationTimestamp")]
    creation_timestamp: (),
}

#[derive(Debug, Clone, Serialize)]
struct ClientJobSpec {
    template: ClientTemplate,
}

#[derive(Debug, Clone, Serialize)]
struct ClientTemplate {
    metadata: TemplateMeta,
    spec: ClientPodSpec,
}

#[derive(Debug, Clone, Serialize)]
struct TemplateMeta {
    #[serde(rename = "creationTimestamp")]
    creation_timestamp: (),
}

#[derive(Debug, Clone, Serialize)]
struct ClientPodSpec {
    containers: Vec<ClientContainer>,
    #[serde(rename = "restartPolicy")]
    restart_policy: String,
}

#[derive(Debug, Clone, Serialize)]
struct ClientContainer {
    name: String,
    image: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    command: Vec<String>,
    resources: Empty,
}

/// A struct whose fields are all empty: `{}`.
#[derive(Debug, Clone, Serialize)]
struct Empty {}

impl ClientJob {
    /// The Job `create job` / `run --image` would send.
    pub fn from_flags(flags: &JobFlags) -> ClientJob {
        let base = name_from_image(&flags.image);
        let (name, generate_name, container) = match &flags.name {
            Some(name) => (Some(name.clone()), None, name.clone()),
            None => (None, Some(format!("{base}-")), base),
        };
        ClientJob {
            kind: "Job",
            api_version: "batch/v1",
            metadata: ClientMeta {
                name,
                generate_name,
                namespace: flags.namespace.clone(),
                creation_timestamp: (),
            },
            spec: ClientJobSpec {
                template: ClientTemplate {
                    metadata: TemplateMeta {
                        creation_timestamp: (),
                    },
                    spec: ClientPodSpec {
                        containers: vec![ClientContainer {
                            name: container,
                            image: flags.image.clone(),
                            command: flags.command.clone(),
                            resources: Empty {},
                        }],
                        restart_policy: flags.restart_policy.clone(),
                    },
                },
            },
            status: Empty {},
        }
    }

    /// `metadata.name` (empty with a `generateName`, as kubectl's client dry run shows it).
    pub fn name(&self) -> &str {
        self.metadata.name.as_deref().unwrap_or_default()
    }
}

/// The name `run --image IMG` without a NAME gives the Job's container, and the prefix of
/// the Job's `generateName`: the image's last path component without tag or digest, as
/// kubectl's `create deployment` names a container after its image
/// (staging/src/k8s.io/kubectl/pkg/cmd/create/create_deployment.go, `buildPodSpec`), with
/// characters a DNS label cannot hold (`_`, `.`) made `-` (kubectl's `sanitizeAndUniquify`
/// does so for `_`) and cut to leave room for the 5 random characters.
pub fn name_from_image(image: &str) -> String {
    let last = image.rsplit('/').next().unwrap_or(image);
    let last = last.split('@').next().unwrap_or(last);
    let last = last.split(':').next().unwrap_or(last);
    let mut name: String = last
        .chars()
        .map(|c| match c {
            'a'..='z' | '0'..='9' | '-' => c,
            'A'..='Z' => c.to_ascii_lowercase(),
            _ => '-',
        })
        .collect();
    // 63 (a label value: the Job name becomes the pods' job-name label) minus the random
    // suffix of a generateName and the dash before it.
    name.truncate(57);
    let name = name.trim_matches('-');
    if name.is_empty() {
        "job".to_string()
    } else {
        name.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flags(name: Option<&str>, command: &[&str]) -> JobFlags {
        JobFlags {
            name: name.map(str::to_string),
            image: "busybox".to_string(),
            command: command.iter().map(|s| s.to_string()).collect(),
            restart_policy: "Never".to_string(),
            namespace: None,
        }
    }

    fn pretty_json(job: &ClientJob) -> String {
        use serde::Serialize as _;
        let mut out = Vec::new();
        let formatter = serde_json::ser::PrettyFormatter::with_indent(b"    ");
        let mut serializer = serde_json::Serializer::with_formatter(&mut out, formatter);
        job.serialize(&mut serializer).unwrap();
        String::from_utf8(out).unwrap()
    }

    /// `kubectl create job x --image=busybox --dry-run=client -o json -- echo hi`
    /// (kubectl v1.32.4), byte for byte.
    #[test]
    fn json_is_kubectls_typed_object() {
        let expected = r#"{
    "kind": "Job",
    "apiVersion": "batch/v1",
    "metadata": {
        "name": "x",
        "creationTimestamp": null
    },
    "spec": {
        "template": {
            "metadata": {
                "creationTimestamp": null
            },
            "spec": {
                "containers": [
                    {
                        "name": "x",
                        "image": "busybox",
                        "command": [
                            "echo",
                            "hi"
                        ],
                        "resources": {}
                    }
                ],
                "restartPolicy": "Never"
            }
        }
    },
    "status": {}
}"#;
        assert_eq!(
            pretty_json(&ClientJob::from_flags(&flags(Some("x"), &["echo", "hi"]))),
            expected
        );
    }

    /// `kubectl create job x --image=busybox -n foo --dry-run=client -o yaml`: no command
    /// key when there is none, the namespace only when given.
    #[test]
    fn yaml_without_command_has_namespace_from_flag() {
        let mut f = flags(Some("x"), &[]);
        f.namespace = Some("foo".to_string());
        let value = serde_json::to_value(ClientJob::from_flags(&f)).unwrap();
        let expected = "apiVersion: batch/v1
kind: Job
metadata:
  creationTimestamp: null
  name: x
  namespace: foo
spec:
  template:
    metadata:
      creationTimestamp: null
    spec:
      containers:
      - image: busybox
        name: x
        resources: {}
      restartPolicy: Never
status: {}
";
        assert_eq!(crate::render::yaml::to_yaml(&value), expected);
    }

    #[test]
    fn run_without_a_name_generates_one_from_the_image() {
        let job = ClientJob::from_flags(&flags(None, &["date"]));
        let value = serde_json::to_value(&job).unwrap();
        assert_eq!(value["metadata"]["generateName"], "busybox-");
        assert!(value["metadata"].get("name").is_none());
        assert_eq!(
            value["spec"]["template"]["spec"]["containers"][0]["name"],
            "busybox"
        );
        assert_eq!(job.name(), "");
    }

    #[test]
    fn image_names_become_dns_labels() {
        assert_eq!(name_from_image("busybox"), "busybox");
        assert_eq!(name_from_image("busybox:1.36"), "busybox");
        assert_eq!(name_from_image("localhost:5000/team/my_app:v1"), "my-app");
        assert_eq!(
            name_from_image("registry.example.com/app.server@sha256:abc"),
            "app-server"
        );
        assert_eq!(name_from_image("Upper/Case"), "case");
        assert_eq!(name_from_image("___"), "job");
        assert_eq!(name_from_image(&"a".repeat(80)).len(), 57);
    }
}
