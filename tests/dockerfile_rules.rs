//! One table per lint rule: Dockerfiles where it fires (and on which lines) and where it
//! must stay quiet. Expected lines are BuildKit's (the instruction's first line).

use dockjob::dockerfile::{self, lint};

/// (rule, Dockerfile, lines where the rule must fire; empty = must not fire)
type Case = (&'static str, &'static str, &'static [usize]);

const CASES: &[Case] = &[
    // MaintainerDeprecated
    ("MaintainerDeprecated", "FROM a:1\nMAINTAINER me\n", &[2]),
    ("MaintainerDeprecated", "FROM a:1\nLABEL org.opencontainers.image.authors=me\n", &[]),
    // LegacyKeyValueFormat
    ("LegacyKeyValueFormat", "FROM a:1\nENV A b c\nLABEL x y\n", &[2, 3]),
    ("LegacyKeyValueFormat", "FROM a:1\nENV A=b C=\"d e\"\nLABEL x=y\n", &[]),
    // JSONArgsRecommended
    ("JSONArgsRecommended", "FROM a:1\nENTRYPOINT my-app start\nCMD echo hi\n", &[2, 3]),
    ("JSONArgsRecommended", "FROM a:1\nCMD ['single', 'quotes']\n", &[2]),
    ("JSONArgsRecommended", "FROM a:1\nCMD [\"echo\", \"hi\"]\n", &[]),
    ("JSONArgsRecommended", "FROM a:1\nSHELL [\"/bin/bash\", \"-c\"]\nCMD echo hi\n", &[]),
    ("JSONArgsRecommended", "FROM a:1 AS b\nSHELL [\"/bin/bash\", \"-c\"]\nFROM b\nCMD echo hi\n", &[]),
    // WorkdirRelativePath
    ("WorkdirRelativePath", "FROM a:1\nWORKDIR app/src\n", &[2]),
    ("WorkdirRelativePath", "FROM a:1\nWORKDIR /app\nWORKDIR src\n", &[]),
    ("WorkdirRelativePath", "FROM a:1 AS base\nWORKDIR /app\nFROM base\nWORKDIR src\n", &[]),
    ("WorkdirRelativePath", "FROM a:1\nWORKDIR $HOME/app\n", &[]),
    ("WorkdirRelativePath", "FROM a:1\nWORKDIR app\nWORKDIR src\n", &[2]),
    // StageNameCasing
    ("StageNameCasing", "FROM a:1 AS Builder\n", &[1]),
    ("StageNameCasing", "FROM a:1 AS builder\n", &[]),
    // FromAsCasing
    ("FromAsCasing", "FROM a:1 as b\n", &[1]),
    ("FromAsCasing", "from a:1 AS b\n", &[1]),
    ("FromAsCasing", "FROM a:1 AS b\nfrom a:1 as c\n", &[]),
    // DuplicateStageName
    ("DuplicateStageName", "FROM a:1 AS x\nFROM a:1 AS X\n", &[2]),
    ("DuplicateStageName", "FROM a:1 AS x\nFROM a:1 AS y\n", &[]),
    // ReservedStageName
    ("ReservedStageName", "FROM a:1 AS scratch\nFROM a:1 AS context\n", &[1, 2]),
    ("ReservedStageName", "FROM scratch AS base\n", &[]),
    // MultipleInstructionsDisallowed (reported on the earlier, ignored instruction)
    ("MultipleInstructionsDisallowed", "FROM a:1\nCMD [\"a\"]\nCMD [\"b\"]\nENTRYPOINT [\"c\"]\n", &[2]),
    ("MultipleInstructionsDisallowed", "FROM a:1\nHEALTHCHECK NONE\nHEALTHCHECK CMD [\"x\"]\n", &[2]),
    ("MultipleInstructionsDisallowed", "FROM a:1\nCMD [\"a\"]\nFROM a:1\nCMD [\"b\"]\n", &[]),
    // NoEmptyContinuation (reported on the instruction's last line)
    ("NoEmptyContinuation", "FROM a:1\nRUN echo a \\\n\n  && echo b\n", &[4]),
    ("NoEmptyContinuation", "FROM a:1\nRUN echo a \\\n  # comment\n  && echo b\n", &[]),
    // ConsistentInstructionCasing
    ("ConsistentInstructionCasing", "FROM a:1\nrun echo\nCOPY a b\n", &[2]),
    ("ConsistentInstructionCasing", "from a:1\nrun echo\nCOPY a b\n", &[3]),
    ("ConsistentInstructionCasing", "FROM a:1\nRun echo\n", &[2]),
    ("ConsistentInstructionCasing", "arg X=1\nFROM a:1\nRUN echo\n", &[]),
    // SecretsUsedInArgOrEnv
    ("SecretsUsedInArgOrEnv", "FROM a:1\nARG GITHUB_TOKEN\nENV DB_PASSWORD=x\nENV AWS_SECRET_KEY x\n", &[2, 3, 4]),
    ("SecretsUsedInArgOrEnv", "FROM a:1\nARG PUBLIC_KEY\nENV MONKEY=1 KEY_FILE=a TOKEN_VERSION=2\n", &[]),
    ("SecretsUsedInArgOrEnv", "ARG API_TOKEN\nFROM a:1\n", &[]),
    // ExposeProtoCasing / ExposeInvalidFormat
    ("ExposeProtoCasing", "FROM a:1\nEXPOSE 80/TcP 443/udp\n", &[2]),
    ("ExposeProtoCasing", "FROM a:1\nEXPOSE 80/tcp 53/udp 8080\n", &[]),
    ("ExposeInvalidFormat", "FROM a:1\nEXPOSE 127.0.0.1:80:80\nEXPOSE 80:80\n", &[2, 3]),
    ("ExposeInvalidFormat", "FROM a:1\nEXPOSE 80 443/tcp\n", &[]),
    // UndefinedVar
    ("UndefinedVar", "FROM a:1\nCOPY $foo .\n", &[2]),
    ("UndefinedVar", "FROM a:1\nENV PATH=$PAHT:/app\n", &[2]),
    ("UndefinedVar", "FROM a:1\nARG foo\nCOPY $foo .\nENV A=1\nENV B=$A\nRUN echo $NOPE\n", &[]),
    ("UndefinedVar", "FROM scratch\nENV A=$HOME\n", &[2]),
    ("UndefinedVar", "FROM a:1\nENV A=1 B=$A\n", &[2]),
    ("UndefinedVar", "ARG V=1\nFROM a:1\nARG V\nENV X=$V\n", &[]),
    ("UndefinedVar", "FROM a:1 AS b\nENV A=1\nFROM b\nWORKDIR /$A\n", &[]),
    // UndefinedArgInFrom
    ("UndefinedArgInFrom", "FROM alpine:$TAG\n", &[1]),
    ("UndefinedArgInFrom", "ARG TAG=3\nFROM alpine:${TAG}\nFROM --platform=$BUILDPLATFORM alpine:1\n", &[]),
    ("UndefinedArgInFrom", "ARG TAG\nFROM alpine:${TAG:-3}\n", &[]),
    // InvalidDefaultArgInFrom
    ("InvalidDefaultArgInFrom", "ARG TAG\nFROM alpine:${TAG}\n", &[2]),
    ("InvalidDefaultArgInFrom", "ARG IMG=\nFROM ${IMG}\n", &[2]),
    ("InvalidDefaultArgInFrom", "ARG TAG=3\nFROM alpine:${TAG}\n", &[]),
    // RedundantTargetPlatform
    ("RedundantTargetPlatform", "FROM --platform=$TARGETPLATFORM alpine:1\n", &[1]),
    ("RedundantTargetPlatform", "FROM --platform=${TARGETPLATFORM} alpine:1\n", &[1]),
    ("RedundantTargetPlatform", "FROM --platform=$BUILDPLATFORM alpine:1\n", &[]),
    // FromPlatformFlagConstDisallowed
    ("FromPlatformFlagConstDisallowed", "FROM --platform=linux/amd64 alpine:1\nFROM --platform=linux/arm64 alpine:1 AS build\n", &[1, 2]),
    ("FromPlatformFlagConstDisallowed", "FROM --platform=linux/amd64 alpine:1 AS build-amd64\nFROM --platform=$BUILDPLATFORM alpine:1\n", &[]),
    // DL3006 / DL3007
    ("DL3006", "FROM alpine\nFROM alpine:3 AS b\nFROM b\nFROM scratch\n", &[1]),
    ("DL3006", "FROM ghcr.io/o/img@sha256:0123456789abcdef0123456789abcdef\nFROM localhost:5000/x:1\n", &[]),
    ("DL3007", "FROM alpine:latest\n", &[1]),
    ("DL3007", "FROM alpine:3.20\n", &[]),
    // DL3020
    ("DL3020", "FROM a:1\nADD app.py /app/\n", &[2]),
    ("DL3020", "FROM a:1\nADD rootfs.tar.gz /\nADD https://example.com/x /x\n", &[]),
    // DL3015 / DL3009
    ("DL3015", "FROM a:1\nRUN apt-get update && apt-get install -y curl && rm -rf /var/lib/apt/lists/*\n", &[2]),
    ("DL3015", "FROM a:1\nRUN apt-get install -y --no-install-recommends curl\n", &[]),
    ("DL3009", "FROM a:1\nRUN apt-get update && apt-get install -y --no-install-recommends curl\n", &[2]),
    ("DL3009", "FROM a:1\nRUN apt-get update \\\n && apt-get install -y --no-install-recommends curl \\\n && rm -rf /var/lib/apt/lists/*\n", &[]),
    ("DL3009", "FROM a:1 AS build\nRUN apt-get update && apt-get install -y --no-install-recommends gcc\nFROM a:1\n", &[]),
    // DL3003
    ("DL3003", "FROM a:1\nRUN cd /tmp && make\n", &[2]),
    ("DL3003", "FROM a:1\nWORKDIR /tmp\nRUN make && echo cd\n", &[]),
    // DL4006
    ("DL4006", "FROM a:1\nRUN wget -O - https://x | tar xz\n", &[2]),
    ("DL4006", "FROM a:1\nSHELL [\"/bin/bash\", \"-o\", \"pipefail\", \"-c\"]\nRUN wget -O - https://x | tar xz\n", &[]),
    ("DL4006", "FROM a:1\nRUN a || b\nRUN echo 'a|b'\n", &[]),
    ("DL4006", "FROM a:1\nRUN set -euo pipefail; curl -s x | sh\n", &[]),
];

#[test]
fn every_rule_fires_where_it_should_and_nowhere_else() {
    let mut failures = Vec::new();
    for (rule, source, lines) in CASES {
        let df = dockerfile::parse(source)
            .unwrap_or_else(|e| panic!("{rule}: parse failed: {e}\n{source}"));
        let got: Vec<usize> = lint::lint(&df, &lint::LintOptions::default())
            .iter()
            .filter(|d| d.rule == *rule)
            .map(|d| d.line)
            .collect();
        if got != *lines {
            failures.push(format!(
                "{rule}: expected lines {lines:?}, got {got:?} for:\n{source}"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_rule_in_the_catalogue_has_a_firing_case() {
    for info in lint::RULES {
        let covered = CASES
            .iter()
            .any(|(rule, _, lines)| *rule == info.id && !lines.is_empty())
            || ["CopyIgnoredFile", "InvalidCheckDirective"].contains(&info.id);
        assert!(covered, "no firing case for {}", info.id);
    }
}

#[test]
fn copy_ignored_file_uses_the_context_predicate() {
    let df =
        dockerfile::parse("FROM a:1\nCOPY secret.txt ./app /dst/\nCOPY --from=b secret.txt /x\n")
            .unwrap();
    let ignored = |p: &str| p == "secret.txt";
    let opts = lint::LintOptions {
        is_ignored: Some(&ignored),
        ..Default::default()
    };
    let diags: Vec<_> = lint::lint(&df, &opts)
        .into_iter()
        .filter(|d| d.rule == "CopyIgnoredFile")
        .collect();
    assert_eq!(diags.len(), 1);
    assert_eq!(diags[0].line, 2);
    assert_eq!(
        diags[0].message,
        "Attempting to Copy file \"secret.txt\" that is excluded by .dockerignore"
    );
    let quiet = lint::lint(&df, &lint::LintOptions::default());
    assert!(quiet.iter().all(|d| d.rule != "CopyIgnoredFile"));
}

#[test]
fn check_directive_skips_rules_and_turns_warnings_into_errors() {
    let src = "# check=skip=MaintainerDeprecated\nFROM a:1\nMAINTAINER me\nENV A b\n";
    let diags = lint::lint(
        &dockerfile::parse(src).unwrap(),
        &lint::LintOptions::default(),
    );
    let rules: Vec<_> = diags.iter().map(|d| d.rule).collect();
    assert_eq!(rules, ["LegacyKeyValueFormat"]);
    assert_eq!(diags[0].severity, lint::Severity::Warning);

    let src = "# check=error=true\nFROM alpine\nENV A b\n";
    let diags = lint::lint(
        &dockerfile::parse(src).unwrap(),
        &lint::LintOptions::default(),
    );
    let legacy = diags
        .iter()
        .find(|d| d.rule == "LegacyKeyValueFormat")
        .unwrap();
    assert_eq!(legacy.severity, lint::Severity::Error);
    let dl3006 = diags.iter().find(|d| d.rule == "DL3006").unwrap();
    assert_eq!(
        dl3006.severity,
        lint::Severity::Warning,
        "hadolint rules are not BuildKit checks"
    );

    let src = "# check=skip=all\nFROM alpine\nMAINTAINER me\n";
    assert!(lint::lint(
        &dockerfile::parse(src).unwrap(),
        &lint::LintOptions::default()
    )
    .is_empty());

    let src = "# check=bogus\nFROM a:1\n";
    let diags = lint::lint(
        &dockerfile::parse(src).unwrap(),
        &lint::LintOptions::default(),
    );
    assert_eq!(diags[0].rule, "InvalidCheckDirective");
    assert_eq!(diags[0].severity, lint::Severity::Error);
    assert_eq!((diags[0].line, diags[0].column), (1, 9));
}

#[test]
fn messages_use_buildkit_wording() {
    let src =
        "FROM alpine:$TAG AS Build\nWORKDIR app\nENTRYPOINT run\nENV PATH=$PAHT\nARG API_KEY\n";
    let df = dockerfile::parse(src).unwrap();
    let messages: Vec<String> = lint::lint(
        &df,
        &lint::LintOptions {
            buildkit_only: true,
            ..Default::default()
        },
    )
    .into_iter()
    .map(|d| format!("{}: {}", d.rule, d.message))
    .collect();
    assert_eq!(
        messages,
        [
            "InvalidDefaultArgInFrom: Default value for ARG alpine:$TAG results in empty or invalid base image name",
            "UndefinedArgInFrom: FROM argument 'TAG' is not declared",
            "StageNameCasing: Stage name 'Build' should be lowercase",
            "WorkdirRelativePath: Relative workdir \"app\" can have unexpected results if the base image changes",
            "JSONArgsRecommended: JSON arguments recommended for ENTRYPOINT to prevent unintended behavior related to OS signals",
            "UndefinedVar: Usage of undefined variable '$PAHT' (did you mean $PATH?)",
            "SecretsUsedInArgOrEnv: Do not use ARG or ENV instructions for sensitive data (ARG \"API_KEY\")",
        ]
    );
}
