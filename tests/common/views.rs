//! A seeded state store for the view tests: Jobs driven through the pure controller at fixed
//! times (no engine, no clock), saved with made-up container IDs.

use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::jiff::Timestamp;
use rand::SeedableRng;

use dockjob::engine::{ContainerExit, PodNetwork};
use dockjob::job::controller::{Action, Controller, ControllerConfig, Input};
use dockjob::job::load::load_jobs_with_rng;
use dockjob::store::{PodAttempt, Store};

/// The fixed epoch of the seeded store: 2024-05-01T10:00:00Z.
pub fn t(secs: i64) -> Timestamp {
    Timestamp::from_second(1_714_557_600 + secs).unwrap()
}

/// A Job manifest: `name`, extra spec lines (2-space indented under `spec:`), restart policy
/// and command.
pub fn manifest(name: &str, spec: &str, restart: &str, pull: &str) -> String {
    format!(
        "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: {name}\nspec:\n{spec}  template:\n    spec:\n      restartPolicy: {restart}\n      containers:\n      - name: main\n        image: busybox:1.36\n        imagePullPolicy: {pull}\n        command: [\"sh\", \"-c\", \"echo hi\"]\n"
    )
}

/// Where a seeded container ran: the node `dockjob-host` at the bridge gateway, an address
/// made up from the pod's name and restart.
pub fn network(pod: &str, restart: u32) -> PodNetwork {
    // FNV-1a: a stable, well-spread made-up host number.
    let hash = pod
        .bytes()
        .chain(restart.to_le_bytes())
        .fold(0x811c_9dc5u32, |h, b| {
            (h ^ u32::from(b)).wrapping_mul(0x0100_0193)
        });
    let n = hash % 250 + 2;
    PodNetwork {
        node_name: "dockjob-host".to_string(),
        host_ip: "172.17.0.1".to_string(),
        pod_ips: vec![format!("172.17.0.{n}")],
    }
}

/// One Job being simulated.
pub struct Sim {
    /// The controller.
    pub ctl: Controller,
    /// (pod, restart, container id) in creation order.
    pub containers: Vec<(String, u32, String)>,
    /// Waiting reason to report instead of starting containers (`ErrImageNeverPull`).
    pub waiting: Option<String>,
    job: Job,
}

impl Sim {
    /// Stores `yaml` in `store` at `t(at)` and starts its controller.
    pub fn start(store: &mut Store, yaml: &str, seed: u64, at: i64) -> Sim {
        Self::start_waiting(store, yaml, seed, at, None)
    }

    /// As [`Sim::start`], with containers that never start (`reason`; `""`: still being
    /// created).
    pub fn start_waiting(
        store: &mut Store,
        yaml: &str,
        seed: u64,
        at: i64,
        reason: Option<&str>,
    ) -> Sim {
        let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
        let job = load_jobs_with_rng(yaml, "job.yaml", &mut rng)
            .unwrap()
            .remove(0)
            .job;
        let stored = store.create_job("default", &job, t(at)).unwrap().unwrap();
        let config = ControllerConfig {
            backoff_scale: 1.0,
            seed,
        };
        let (ctl, actions) = Controller::new(stored.job.clone(), config, t(at));
        let mut sim = Sim {
            ctl,
            containers: Vec::new(),
            waiting: reason.map(str::to_string),
            job: stored.job,
        };
        sim.run(actions, at);
        sim
    }

    fn run(&mut self, actions: Vec<Action>, at: i64) {
        let mut queue: std::collections::VecDeque<Action> = actions.into();
        while let Some(action) = queue.pop_front() {
            let input = match action {
                Action::CreatePod { pod } => self.started(pod, 0),
                Action::StartContainer { pod, restart, .. } => self.started(pod, restart),
                Action::StopPod { pod, .. } => Input::ContainerExited {
                    pod,
                    container: "main".to_string(),
                    exit: ContainerExit {
                        code: 137,
                        ..Default::default()
                    },
                },
            };
            queue.extend(self.ctl.step(input, t(at)));
        }
    }

    fn started(&mut self, pod: String, restart: u32) -> Input {
        if self.waiting.as_deref() == Some("") {
            // Created, not started yet: no input at all.
            return Input::Tick;
        }
        if let Some(reason) = &self.waiting {
            return Input::ContainerWaiting {
                pod,
                container: "main".to_string(),
                reason: reason.clone(),
                message:
                    "Container image \"busybox:1.36\" is not present with pull policy of Never"
                        .to_string(),
            };
        }
        let id = format!("{:064x}", self.containers.len() as u64 * 7919 + 1);
        self.containers.push((pod.clone(), restart, id));
        Input::ContainerStarted {
            pod,
            container: "main".to_string(),
        }
    }

    /// The `n`th pod (creation order) exits with `code` at `t(at)`.
    pub fn exit(&mut self, n: usize, code: i64, oom: bool, at: i64) {
        let pod = self.ctl.pods()[n].name.clone();
        let exit = ContainerExit {
            code,
            oom_killed: oom,
            error: None,
        };
        let container = "main".to_string();
        let input = Input::ContainerExited {
            pod,
            container,
            exit,
        };
        let actions = self.ctl.step(input, t(at));
        self.run(actions, at);
    }

    /// Time passes to `t(at)` (backoff timers fire).
    pub fn tick(&mut self, at: i64) {
        let actions = self.ctl.step(Input::Tick, t(at));
        self.run(actions, at);
    }

    /// Saves the Job's state to `store`.
    pub fn save(&self, store: &mut Store) {
        let attempts: Vec<PodAttempt> = self
            .ctl
            .pods()
            .iter()
            .map(|record| {
                let newest = self
                    .containers
                    .iter()
                    .filter(|(p, _, _)| *p == record.name)
                    .max_by_key(|(_, r, _)| *r);
                PodAttempt {
                    record: record.clone(),
                    attempt: newest.map_or(0, |(_, r, _)| *r),
                    container_id: newest.map(|(_, _, id)| id.clone()),
                    containers: self
                        .containers
                        .iter()
                        .filter(|(p, _, _)| *p == record.name)
                        .map(|(_, r, id)| ("main".to_string(), *r, id.clone()))
                        .collect(),
                    network: newest.map(|(pod, restart, _)| network(pod, *restart)),
                    image_ids: Default::default(),
                }
            })
            .collect();
        store
            .save_snapshot(&self.job, &self.ctl.status(), &attempts, self.ctl.events())
            .unwrap();
    }
}
