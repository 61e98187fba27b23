//! `--progress rawjson`: each status message as one line of buildkit's `client.SolveStatus`
//! JSON (`client/graph.go`, converted by `client/status.go` `NewSolveStatus`, written by
//! `json.Encoder`), so tools that read buildx's output read dockjob's.
//!
//! Go's rules kept: fields in struct order, `omitempty` fields left out when empty, bytes as
//! base64, times as RFC 3339 with nanoseconds in UTC (a missing status or log time is the Unix
//! epoch, as `AsTime` gives), `<`, `>`, `&`, U+2028 and U+2029 escaped as `json.Encoder`
//! escapes them. A warning's `sourceInfo.definition` (an LLB definition) is left out.

use base64::Engine as _;
use bollard_buildkit_proto::google::protobuf::Timestamp as ProtoTimestamp;
use bollard_buildkit_proto::moby::buildkit::v1::StatusResponse;
use bollard_buildkit_proto::pb::{Position, ProgressGroup, Range, SourceInfo};
use serde::Serialize;

use super::timestamp;

/// One status message as a rawjson line, newline included.
pub fn rawjson_line(status: &StatusResponse) -> String {
    let solve = SolveStatus {
        vertexes: status
            .vertexes
            .iter()
            .map(|v| VertexJson {
                digest: &v.digest,
                inputs: &v.inputs,
                name: &v.name,
                started: time(v.started.as_ref()),
                completed: time(v.completed.as_ref()),
                cached: v.cached,
                error: &v.error,
                progress_group: v.progress_group.as_ref().map(group),
            })
            .collect(),
        statuses: status
            .statuses
            .iter()
            .map(|s| StatusJson {
                id: &s.id,
                vertex: &s.vertex,
                name: &s.name,
                total: s.total,
                current: s.current,
                timestamp: time(s.timestamp.as_ref()).unwrap_or_else(epoch),
                started: time(s.started.as_ref()),
                completed: time(s.completed.as_ref()),
            })
            .collect(),
        logs: status
            .logs
            .iter()
            .map(|l| LogJson {
                vertex: &l.vertex,
                stream: l.stream,
                data: (!l.msg.is_empty()).then(|| base64(&l.msg)),
                timestamp: time(l.timestamp.as_ref()).unwrap_or_else(epoch),
            })
            .collect(),
        warnings: status
            .warnings
            .iter()
            .map(|w| WarningJson {
                vertex: &w.vertex,
                level: w.level,
                short: (!w.short.is_empty()).then(|| base64(&w.short)),
                detail: w.detail.iter().map(|d| base64(d)).collect(),
                url: &w.url,
                source_info: w.info.as_ref().map(source_info),
                range: w.ranges.iter().map(range).collect(),
            })
            .collect(),
    };
    // Serializing plain structs of strings and numbers cannot fail.
    let json = serde_json::to_string(&solve).unwrap_or_default();
    let mut line = escape_like_go(&json);
    line.push('\n');
    line
}

#[derive(Serialize)]
struct SolveStatus<'a> {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    vertexes: Vec<VertexJson<'a>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    statuses: Vec<StatusJson<'a>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    logs: Vec<LogJson<'a>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    warnings: Vec<WarningJson<'a>>,
}

#[derive(Serialize)]
struct VertexJson<'a> {
    #[serde(skip_serializing_if = "str::is_empty")]
    digest: &'a str,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    inputs: &'a [String],
    #[serde(skip_serializing_if = "str::is_empty")]
    name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    started: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    completed: Option<String>,
    #[serde(skip_serializing_if = "is_false")]
    cached: bool,
    #[serde(skip_serializing_if = "str::is_empty")]
    error: &'a str,
    #[serde(rename = "progressGroup", skip_serializing_if = "Option::is_none")]
    progress_group: Option<GroupJson<'a>>,
}

#[derive(Serialize)]
struct GroupJson<'a> {
    #[serde(skip_serializing_if = "str::is_empty")]
    id: &'a str,
    #[serde(skip_serializing_if = "str::is_empty")]
    name: &'a str,
    #[serde(skip_serializing_if = "is_false")]
    weak: bool,
}

#[derive(Serialize)]
struct StatusJson<'a> {
    id: &'a str,
    #[serde(skip_serializing_if = "str::is_empty")]
    vertex: &'a str,
    #[serde(skip_serializing_if = "str::is_empty")]
    name: &'a str,
    #[serde(skip_serializing_if = "is_zero")]
    total: i64,
    current: i64,
    timestamp: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    started: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    completed: Option<String>,
}

#[derive(Serialize)]
struct LogJson<'a> {
    #[serde(skip_serializing_if = "str::is_empty")]
    vertex: &'a str,
    #[serde(skip_serializing_if = "is_zero")]
    stream: i64,
    /// `null` when empty: Go's nil `[]byte` has no `omitempty` here.
    data: Option<String>,
    timestamp: String,
}

#[derive(Serialize)]
struct WarningJson<'a> {
    #[serde(skip_serializing_if = "str::is_empty")]
    vertex: &'a str,
    #[serde(skip_serializing_if = "is_zero")]
    level: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    short: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    detail: Vec<String>,
    #[serde(skip_serializing_if = "str::is_empty")]
    url: &'a str,
    #[serde(rename = "sourceInfo", skip_serializing_if = "Option::is_none")]
    source_info: Option<SourceInfoJson<'a>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    range: Vec<RangeJson>,
}

#[derive(Serialize)]
struct SourceInfoJson<'a> {
    #[serde(skip_serializing_if = "str::is_empty")]
    filename: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    data: Option<String>,
    #[serde(skip_serializing_if = "str::is_empty")]
    language: &'a str,
}

#[derive(Serialize)]
struct RangeJson {
    #[serde(skip_serializing_if = "Option::is_none")]
    start: Option<PositionJson>,
    #[serde(skip_serializing_if = "Option::is_none")]
    end: Option<PositionJson>,
}

#[derive(Serialize)]
struct PositionJson {
    #[serde(skip_serializing_if = "is_zero32")]
    line: i32,
    #[serde(skip_serializing_if = "is_zero32")]
    character: i32,
}

fn is_false(b: &bool) -> bool {
    !*b
}

fn is_zero(n: &i64) -> bool {
    *n == 0
}

fn is_zero32(n: &i32) -> bool {
    *n == 0
}

fn group(g: &ProgressGroup) -> GroupJson<'_> {
    GroupJson {
        id: &g.id,
        name: &g.name,
        weak: g.weak,
    }
}

fn source_info(info: &SourceInfo) -> SourceInfoJson<'_> {
    SourceInfoJson {
        filename: &info.filename,
        data: (!info.data.is_empty()).then(|| base64(&info.data)),
        language: &info.language,
    }
}

fn range(r: &Range) -> RangeJson {
    let position = |p: &Position| PositionJson {
        line: p.line,
        character: p.character,
    };
    RangeJson {
        start: r.start.as_ref().map(position),
        end: r.end.as_ref().map(position),
    }
}

fn base64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// Go's `time.RFC3339Nano` in UTC: trailing zeros of the fraction dropped.
fn time(t: Option<&ProtoTimestamp>) -> Option<String> {
    timestamp(t).map(|t| t.to_string())
}

fn epoch() -> String {
    jiff::Timestamp::UNIX_EPOCH.to_string()
}

/// `json.Encoder` escapes HTML-significant characters and the JavaScript line separators;
/// they can only appear inside strings, so replacing them everywhere is safe.
fn escape_like_go(json: &str) -> String {
    let mut out = String::with_capacity(json.len());
    for c in json.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::fixtures;
    use super::*;

    #[test]
    fn a_vertex_and_its_log_print_as_buildx_rawjson() {
        let statuses = fixtures::statuses(fixtures::FAILED_RUN);
        let lines: Vec<String> = statuses.iter().map(rawjson_line).collect();
        let failed = lines
            .iter()
            .find(|l| l.contains("\"error\""))
            .expect("the failed vertex");
        assert_eq!(
            failed,
            "{\"vertexes\":[{\"digest\":\"sha256:f17c8250271b7effe6c36ab20d60298e6a728a4776020b1e6081b9d445bab5ab\",\
             \"inputs\":[\"sha256:a557a0efc046ac2761de2688e73a25e443c210c72402dc446cf8b07e36dadc18\"],\
             \"name\":\"[3/3] RUN echo about to fail \\u0026\\u0026 exit 3\",\
             \"started\":\"2026-12-06T11:08:42.384500931Z\",\
             \"completed\":\"2026-12-06T11:08:42.71979589Z\",\
             \"error\":\"executor failed running [/bin/sh -c echo about to fail \\u0026\\u0026 exit 3]: exit code: 3\"}]}\n"
        );
        let log = lines.iter().find(|l| l.contains("\"logs\"")).unwrap();
        assert_eq!(
            log,
            "{\"logs\":[{\"vertex\":\"sha256:a557a0efc046ac2761de2688e73a25e443c210c72402dc446cf8b07e36dadc18\",\
             \"stream\":1,\"data\":\"YmVmb3JlCg==\",\"timestamp\":\"2026-12-06T11:08:42.375505797Z\"}]}\n"
        );
        for line in &lines {
            let value: serde_json::Value = serde_json::from_str(line).unwrap();
            assert!(value.is_object());
        }
    }

    #[test]
    fn statuses_keep_current_and_timestamp_and_drop_empty_fields() {
        let status = StatusResponse {
            statuses: vec![bollard_buildkit_proto::moby::buildkit::v1::VertexStatus {
                id: "exporting layers".into(),
                vertex: "sha256:e8".into(),
                ..Default::default()
            }],
            ..Default::default()
        };
        assert_eq!(
            rawjson_line(&status),
            "{\"statuses\":[{\"id\":\"exporting layers\",\"vertex\":\"sha256:e8\",\"current\":0,\
             \"timestamp\":\"1970-01-01T00:00:00Z\"}]}\n"
        );
        assert_eq!(rawjson_line(&StatusResponse::default()), "{}\n");
    }
}
