//! Container exits read from one engine event stream (`GET /events`) instead of a
//! `/containers/{id}/wait` and an inspect per container.
//!
//! A pod cost seven engine requests, and each answer wakes the process: the wait and the
//! inspect after it were two of them (docs/performance.md, "Fourth pass"). One stream of the
//! `oom` and `die` events of dockjob's containers carries the same news for every container
//! at once; `die` has the exit code.
//!
//! Nothing here may lose an exit. The stream covers a container created after the stream was
//! asked for, while that stream lasts: the engine flushes the stream's headers just *before*
//! it subscribes (moby `api/server/router/system/system_routes.go`), and `since` makes it
//! replay what it logged from just before the request, atomically with the subscription
//! (moby `daemon/events/events.go`), so a `die` in between is replayed, not lost. Any other
//! container (created before the stream, or by another process), a lost stream, or a `die`
//! that is late (the engine drops events for a subscriber that stops reading for 100 ms with
//! 1024 queued) is waited for the old way.
//!
//! An earlier version trusted the stream only for containers whose `create` it had shown:
//! that cost a `create` event (all of the container's labels) per pod, for a race the replay
//! closes already.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::Deserialize;
use tokio::sync::oneshot;

use super::transport::RawTransport;
use crate::engine::{EngineError, LABEL_MANAGED};

/// How long a waiter trusts the stream before it also asks the engine the old way: a `die`
/// the engine dropped delays a pod by this much at most.
pub(super) const STREAM_TRUST: Duration = Duration::from_secs(30);

/// Containers covered at once; the oldest are forgotten first (and waited for the old way).
const REMEMBERED: usize = 4096;

/// A stream that failed this many times is not asked for again on this connection.
const ATTEMPTS: u32 = 3;

/// How far back the stream's replay starts, before the request: events logged while the
/// stream was being asked for are replayed, not lost (and a `tcp://` engine's clock may be a
/// little behind this one's).
const REPLAY: Duration = Duration::from_secs(2);

/// How a container ended, as its `die` (and an `oom` before it) said.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Died {
    /// The `exitCode` attribute.
    pub code: i64,
    /// An `oom` event came before the `die`.
    pub oom: bool,
}

/// What the stream knows of one container.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Known {
    /// Created while the stream ran, not yet ended (maybe an `oom` seen).
    Running { oom: bool },
    /// Its `die`, not yet asked for.
    Ended(Died),
}

/// What [`Seen::watch`] found.
#[derive(Debug)]
pub(super) enum Watch {
    /// It ended already.
    Ended(Died),
    /// The stream will say when it ends (or drop the sender when the stream is lost).
    Pending(oneshot::Receiver<Died>),
}

/// The containers the stream has shown, and who waits for which. Pure: events in, exits out.
#[derive(Debug, Default)]
pub(super) struct Seen {
    containers: HashMap<String, Known>,
    /// Insertion order, to forget the oldest first (may hold ids already forgotten).
    order: VecDeque<String>,
    waiters: HashMap<String, oneshot::Sender<Died>>,
    /// A stream is being read (or asked for).
    streaming: bool,
    /// Which stream: a container covered by one is not covered by the next.
    generation: u64,
    /// Streams that ended with an error.
    failures: u32,
}

impl Seen {
    /// Container `id` was created while stream `generation` was asked for or read: its end
    /// will come on that stream.
    pub fn cover(&mut self, id: &str, generation: u64) {
        if !self.streaming || generation != self.generation {
            return;
        }
        self.containers
            .insert(id.to_string(), Known::Running { oom: false });
        self.order.push_back(id.to_string());
        self.forget_oldest();
    }

    /// One event of the stream: `action` of container `id`, with its `exitCode` attribute.
    /// Events of containers not covered (another process's) are ignored.
    pub fn on_event(&mut self, action: &str, id: &str, exit_code: Option<&str>) {
        match action {
            "oom" => {
                if let Some(Known::Running { oom }) = self.containers.get_mut(id) {
                    *oom = true;
                }
            }
            "die" => {
                let Some(Known::Running { oom }) = self.containers.get(id).copied() else {
                    return;
                };
                // An exit code that does not parse is not trusted: the old way asks.
                let Some(code) = exit_code.and_then(|c| c.parse::<i64>().ok()) else {
                    self.containers.remove(id);
                    self.waiters.remove(id);
                    return;
                };
                let died = Died { code, oom };
                match self.waiters.remove(id) {
                    Some(waiter) => {
                        self.containers.remove(id);
                        if let Err(died) = waiter.send(died) {
                            // The waiter gave up (it asks the old way); keep it for a later one.
                            self.containers.insert(id.to_string(), Known::Ended(died));
                        }
                    }
                    None => {
                        self.containers.insert(id.to_string(), Known::Ended(died));
                    }
                }
            }
            _ => {}
        }
    }

    /// How container `id` ended or will end, when the stream covers it; `None`: ask the
    /// engine the old way.
    pub fn watch(&mut self, id: &str) -> Option<Watch> {
        match self.containers.get(id).copied()? {
            Known::Ended(died) => {
                self.containers.remove(id);
                Some(Watch::Ended(died))
            }
            Known::Running { .. } => {
                let (sender, receiver) = oneshot::channel();
                self.waiters.insert(id.to_string(), sender);
                Some(Watch::Pending(receiver))
            }
        }
    }

    /// The stream ended: nothing it showed can be trusted to end on it, so every waiter asks
    /// the old way (their senders are dropped) and so does every later wait.
    pub fn lost(&mut self, failed: bool) {
        self.streaming = false;
        self.failures += u32::from(failed);
        self.containers.clear();
        self.order.clear();
        self.waiters.clear();
    }

    /// The stream containers created now are covered by, starting a new one when none is
    /// read (`Err`: ask for it, as this generation) unless too many failed (`None`).
    fn stream_for_new_container(&mut self) -> Option<Result<u64, u64>> {
        if self.streaming {
            return Some(Ok(self.generation));
        }
        if self.failures >= ATTEMPTS {
            return None;
        }
        self.streaming = true;
        self.generation += 1;
        Some(Err(self.generation))
    }

    fn forget_oldest(&mut self) {
        while self.containers.len() > REMEMBERED {
            let Some(oldest) = self.order.pop_front() else {
                break;
            };
            self.containers.remove(&oldest);
            self.waiters.remove(&oldest);
        }
        if self.order.len() > 2 * REMEMBERED {
            let containers = &self.containers;
            self.order.retain(|id| containers.contains_key(id));
        }
    }
}

/// The exit stream of one engine connection, shared by its clones. The stream is read by a
/// task of its own, asked for at the first container created; it ends when the last clone
/// is dropped.
#[derive(Clone, Default)]
pub(super) struct ExitWatch {
    owner: Arc<Owner>,
}

#[derive(Default)]
struct Owner {
    seen: Arc<Mutex<Seen>>,
    /// Dropped with the last clone: the reading task then ends.
    stop: Mutex<Option<oneshot::Sender<()>>>,
}

impl ExitWatch {
    /// Starts reading the stream unless it is read already (or failed too often, or there is
    /// no runtime to read it on). Called before each container is created; what it returns
    /// goes to [`Self::cover`] once the container exists.
    pub fn before_create(&self, raw: &RawTransport, timeout: Duration) -> Option<u64> {
        let runtime = tokio::runtime::Handle::try_current().ok()?;
        let generation = match lock(&self.owner.seen).stream_for_new_container()? {
            Ok(running) => return Some(running),
            Err(new) => new,
        };
        let (stop, stopped) = oneshot::channel();
        *self
            .owner
            .stop
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some(stop);
        let seen = Arc::clone(&self.owner.seen);
        let raw = raw.clone();
        let since = SystemTime::now();
        runtime.spawn(async move {
            let outcome = tokio::select! {
                _ = stopped => Ok(()),
                read = read_stream(&raw, since, timeout, &seen) => read,
            };
            lock(&seen).lost(outcome.is_err());
        });
        Some(generation)
    }

    /// Container `id` was made after [`Self::before_create`] gave `generation`.
    pub fn cover(&self, id: &str, generation: Option<u64>) {
        if let Some(generation) = generation {
            lock(&self.owner.seen).cover(id, generation);
        }
    }

    /// How container `id` ended, from the stream, when the stream covers it and says so
    /// within [`STREAM_TRUST`]; `None`: ask the engine.
    pub async fn exit_of(&self, id: &str) -> Option<Died> {
        let watch = lock(&self.owner.seen).watch(id)?;
        match watch {
            Watch::Ended(died) => Some(died),
            Watch::Pending(receiver) => tokio::time::timeout(STREAM_TRUST, receiver)
                .await
                .ok()?
                .ok(),
        }
    }
}

fn lock(seen: &Mutex<Seen>) -> MutexGuard<'_, Seen> {
    // A poisoned lock only means a task panicked mid-update; the maps are still usable.
    seen.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The fields of an event this module reads; serde skips the rest (the labels) unbuilt.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
struct Event {
    action: String,
    actor: Actor,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
struct Actor {
    #[serde(rename = "ID")]
    id: String,
    attributes: Attributes,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Attributes {
    #[serde(rename = "exitCode")]
    exit_code: Option<String>,
}

/// The query of the stream: dockjob's containers' `oom` and `die`, replayed from [`REPLAY`]
/// before `now`.
fn stream_path(now: SystemTime) -> String {
    let since = now
        .checked_sub(REPLAY)
        .unwrap_or(now)
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let filters = serde_json::json!({
        "type": ["container"],
        "event": ["oom", "die"],
        "label": [LABEL_MANAGED],
    });
    let query = form_urlencoded::Serializer::new(String::new())
        .append_pair(
            "since",
            &format!("{}.{:09}", since.as_secs(), since.subsec_nanos()),
        )
        .append_pair("filters", &filters.to_string())
        .finish();
    format!("/events?{query}")
}

/// Reads the stream asked for at `since` into `seen` until it ends; its headers must come
/// within `timeout`.
async fn read_stream(
    raw: &RawTransport,
    since: SystemTime,
    timeout: Duration,
    seen: &Mutex<Seen>,
) -> Result<(), EngineError> {
    let failed = |detail: String| EngineError::Daemon(format!("the engine's events: {detail}"));
    let uri = raw.uri(&stream_path(since)).map_err(failed)?;
    let request = http::Request::builder()
        .method(http::Method::GET)
        .uri(uri)
        .body(bollard::body_full(bytes::Bytes::new()))
        .map_err(|e| failed(e.to_string()))?;
    let response = tokio::time::timeout(timeout, raw.send(request))
        .await
        .map_err(|_| failed("no answer".to_string()))?
        .map_err(|e| failed(e.to_string()))?;
    if !response.status().is_success() {
        return Err(failed(format!("status {}", response.status())));
    }
    super::transport::each_json_message::<Event>(response.into_body(), |event| {
        lock(seen).on_event(
            &event.action,
            &event.actor.id,
            event.actor.attributes.exit_code.as_deref(),
        );
        Ok(())
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A store of what the stream showed, with a stream running: its generation.
    fn streaming() -> (Seen, u64) {
        let mut seen = Seen::default();
        let generation = seen
            .stream_for_new_container()
            .expect("a stream may start")
            .expect_err("none was running");
        (seen, generation)
    }

    fn ended(seen: &mut Seen, id: &str) -> Option<Died> {
        match seen.watch(id)? {
            Watch::Ended(died) => Some(died),
            Watch::Pending(_) => panic!("{id} is still running"),
        }
    }

    #[test]
    fn the_die_of_a_covered_container_is_its_exit() {
        let (mut seen, stream) = streaming();
        seen.cover("a", stream);
        seen.on_event("die", "a", Some("3"));
        assert_eq!(
            ended(&mut seen, "a"),
            Some(Died {
                code: 3,
                oom: false
            })
        );
        // Asked once: the entry is gone.
        assert!(seen.watch("a").is_none());
    }

    #[test]
    fn a_container_not_covered_is_waited_for_the_old_way() {
        let (mut seen, _) = streaming();
        // Another process's container, or one made before the stream.
        seen.on_event("die", "b", Some("0"));
        assert!(seen.watch("b").is_none());
    }

    #[test]
    fn no_container_is_covered_without_a_stream_or_by_an_earlier_one() {
        let mut seen = Seen::default();
        seen.cover("x", 0);
        assert!(seen.watch("x").is_none());
        let (mut seen, first) = streaming();
        seen.lost(true);
        let second = seen
            .stream_for_new_container()
            .unwrap()
            .expect_err("a new stream");
        assert_ne!(first, second);
        // Created while the first stream was asked for, registered after it was lost.
        seen.cover("y", first);
        seen.on_event("die", "y", Some("0"));
        assert!(seen.watch("y").is_none());
    }

    #[test]
    fn an_oom_before_the_die_is_kept() {
        let (mut seen, stream) = streaming();
        seen.cover("c", stream);
        seen.on_event("oom", "c", None);
        seen.on_event("die", "c", Some("137"));
        assert_eq!(
            ended(&mut seen, "c"),
            Some(Died {
                code: 137,
                oom: true
            })
        );
    }

    #[test]
    fn a_waiter_gets_the_die_that_comes_after_it() {
        let (mut seen, stream) = streaming();
        seen.cover("d", stream);
        let Some(Watch::Pending(mut receiver)) = seen.watch("d") else {
            panic!("not pending");
        };
        assert!(receiver.try_recv().is_err());
        seen.on_event("die", "d", Some("0"));
        assert_eq!(
            receiver.try_recv(),
            Ok(Died {
                code: 0,
                oom: false
            })
        );
    }

    #[test]
    fn a_lost_stream_sends_its_waiters_and_later_waits_the_old_way() {
        let (mut seen, stream) = streaming();
        seen.cover("e", stream);
        seen.cover("f", stream);
        seen.on_event("die", "f", Some("0"));
        let Some(Watch::Pending(mut receiver)) = seen.watch("e") else {
            panic!("not pending");
        };
        seen.lost(true);
        assert!(matches!(
            receiver.try_recv(),
            Err(oneshot::error::TryRecvError::Closed)
        ));
        assert!(seen.watch("f").is_none());
    }

    #[test]
    fn an_unreadable_exit_code_is_not_trusted() {
        let (mut seen, stream) = streaming();
        seen.cover("g", stream);
        seen.on_event("die", "g", None);
        assert!(seen.watch("g").is_none());
    }

    #[test]
    fn a_die_for_a_waiter_that_gave_up_is_kept_for_the_next() {
        let (mut seen, stream) = streaming();
        seen.cover("h", stream);
        drop(seen.watch("h"));
        seen.on_event("die", "h", Some("1"));
        assert_eq!(
            ended(&mut seen, "h"),
            Some(Died {
                code: 1,
                oom: false
            })
        );
    }

    #[test]
    fn the_oldest_containers_are_forgotten_first() {
        let (mut seen, stream) = streaming();
        for i in 0..=REMEMBERED {
            seen.cover(&format!("c{i}"), stream);
        }
        assert!(seen.watch("c0").is_none());
        assert!(seen.watch(&format!("c{REMEMBERED}")).is_some());
        assert!(seen.order.len() <= 2 * REMEMBERED);
    }

    #[test]
    fn streams_are_not_asked_for_again_after_repeated_failures() {
        let mut seen = Seen::default();
        for _ in 0..ATTEMPTS {
            let generation = seen.stream_for_new_container().unwrap().unwrap_err();
            assert_eq!(
                seen.stream_for_new_container(),
                Some(Ok(generation)),
                "one stream at a time"
            );
            seen.lost(true);
        }
        assert_eq!(seen.stream_for_new_container(), None);
    }

    #[test]
    fn the_stream_asks_for_dockjobs_container_exits_from_just_before_now() {
        let now = UNIX_EPOCH + Duration::from_millis(1_700_000_000_250);
        let path = stream_path(now);
        let query: HashMap<String, String> =
            form_urlencoded::parse(path.trim_start_matches("/events?").as_bytes())
                .into_owned()
                .collect();
        assert_eq!(query["since"], "1699999998.250000000");
        let filters: serde_json::Value = serde_json::from_str(&query["filters"]).unwrap();
        assert_eq!(filters["event"], serde_json::json!(["oom", "die"]));
        assert_eq!(filters["label"], serde_json::json!([LABEL_MANAGED]));
        assert_eq!(filters["type"], serde_json::json!(["container"]));
    }

    #[test]
    fn an_event_is_read_without_its_labels() {
        let line = r#"{"status":"die","id":"abc","Type":"container","Action":"die","Actor":{"ID":"abc","Attributes":{"exitCode":"2","io.dockjob.managed":"true","image":"x"}},"scope":"local","time":1,"timeNano":1}"#;
        let event: Event = serde_json::from_str(line).unwrap();
        assert_eq!(event.action, "die");
        assert_eq!(event.actor.id, "abc");
        assert_eq!(event.actor.attributes.exit_code.as_deref(), Some("2"));
    }
}
