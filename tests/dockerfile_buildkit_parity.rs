//! Parity with `docker build --check`: the same situations BuildKit's own lint integration
//! tests exercise (moby/buildkit `frontend/dockerfile/dockerfile_lint_test.go`), rewritten
//! with our own names, checked for the exact rule, line and message BuildKit reports.

use dockjob::dockerfile::{self, lint};

/// (Dockerfile, expected (rule, line, message) in any order)
type Case = (&'static str, &'static [(&'static str, usize, &'static str)]);

const CASES: &[Case] = &[
    (
        "FROM scratch\nARG DB_PASSWORD\nENV Api_Secret=x\nENV token=1 tulip=2\nARG my_auth_token=a key=b\nENV deploy_key=\n",
        &[
            ("SecretsUsedInArgOrEnv", 2, "Do not use ARG or ENV instructions for sensitive data (ARG \"DB_PASSWORD\")"),
            ("SecretsUsedInArgOrEnv", 3, "Do not use ARG or ENV instructions for sensitive data (ENV \"Api_Secret\")"),
            ("SecretsUsedInArgOrEnv", 4, "Do not use ARG or ENV instructions for sensitive data (ENV \"token\")"),
            ("SecretsUsedInArgOrEnv", 5, "Do not use ARG or ENV instructions for sensitive data (ARG \"key\")"),
            ("SecretsUsedInArgOrEnv", 5, "Do not use ARG or ENV instructions for sensitive data (ARG \"my_auth_token\")"),
            ("SecretsUsedInArgOrEnv", 6, "Do not use ARG or ENV instructions for sensitive data (ENV \"deploy_key\")"),
        ],
    ),
    (
        "FROM scratch AS one\nCOPY $src .\n\nFROM scratch AS two\nCOPY $dst .\n",
        &[
            ("UndefinedVar", 2, "Usage of undefined variable '$src'"),
            ("UndefinedVar", 5, "Usage of undefined variable '$dst'"),
        ],
    ),
    ("#check=skip=all\nFROM scratch as first\ncopy app.txt .\n", &[]),
    ("#check=skip=ConsistentInstructionCasing,FromAsCasing\nFROM scratch as first\ncopy a .\n", &[]),
    (
        "#check=skip=ConsistentInstructionCasing\nFROM scratch as first\ncopy a .\n",
        &[("FromAsCasing", 2, "'as' and 'FROM' keywords' casing do not match")],
    ),
    (
        "FROM scratch AS MixedCase\n\nFROM scratch as second\n",
        &[
            ("StageNameCasing", 1, "Stage name 'MixedCase' should be lowercase"),
            ("FromAsCasing", 3, "'as' and 'FROM' keywords' casing do not match"),
        ],
    ),
    (
        "from scratch AS first\nfrom scratch as second\n",
        &[("FromAsCasing", 1, "'AS' and 'from' keywords' casing do not match")],
    ),
    (
        "FROM scratch\nCOPY a.txt \\\n\n/dst/\nCOPY b.txt \\\n/dst/\n",
        &[("NoEmptyContinuation", 4, "Empty continuation line")],
    ),
    (
        "From scratch as first\nFROM scratch AS second\n",
        &[("ConsistentInstructionCasing", 1, "Command 'From' should match the case of the command majority (uppercase)")],
    ),
    (
        "FROM scratch\ncopy a /x\ncopy b /y\ncopy c /z\n",
        &[("ConsistentInstructionCasing", 1, "Command 'FROM' should match the case of the command majority (lowercase)")],
    ),
    ("FROM alpine:3\nRUN <<'SCRIPT'\nenv\nSCRIPT\n", &[]),
    (
        "FROM scratch AS dup\nFROM scratch AS dup\n",
        &[("DuplicateStageName", 2, "Duplicate stage name \"dup\", stage names should be unique")],
    ),
    (
        "FROM scratch AS context\n",
        &[("ReservedStageName", 1, "Stage name should not use the same name as reserved stage \"context\"")],
    ),
    ("FROM scratch AS base\nSHELL [\"/bin/zsh\", \"-c\"]\nFROM base\nCMD serve\n", &[]),
    ("ARG IMG=scratch\nFROM $IMG\n", &[]),
    ("FROM --platform=$BUILDPLATFORM scratch\n", &[]),
    (
        "FROM --platform=$BUIDLPLATFORM scratch\n",
        &[("UndefinedArgInFrom", 1, "FROM argument 'BUIDLPLATFORM' is not declared (did you mean BUILDPLATFORM?)")],
    ),
    (
        "ARG OS_NAME=linux\nARG CPU_ARCH=arm64\nFROM --platform=linux/${CPUARCH} debian:12\n",
        &[("UndefinedArgInFrom", 3, "FROM argument 'CPUARCH' is not declared (did you mean CPU_ARCH?)")],
    ),
    (
        "ARG flavor=slim\nFROM debian:${flavor}${suffix}\n",
        &[("UndefinedArgInFrom", 2, "FROM argument 'suffix' is not declared")],
    ),
    (
        "FROM scratch\nWORKDIR srv/\n",
        &[("WorkdirRelativePath", 2, "Relative workdir \"srv/\" can have unexpected results if the base image changes")],
    ),
    ("FROM scratch AS a\nWORKDIR /srv\nFROM a\nWORKDIR data/\n", &[]),
    ("FROM debian:12 AS base\nARG name=app.txt\nFROM base\nCOPY $name .\n", &[]),
    (
        "FROM debian:12\nCOPY $name .\nARG name=x\n",
        &[("UndefinedVar", 2, "Usage of undefined variable '$name'")],
    ),
    (
        "FROM debian:12\nARG LOG_LEVELS=info\nCOPY $LOG_LEVEL .\n",
        &[("UndefinedVar", 3, "Usage of undefined variable '$LOG_LEVEL' (did you mean $LOG_LEVELS?)")],
    ),
    (
        "FROM scratch\nCMD [\"a\"]\nCMD [\"b\"]\nHEALTHCHECK NONE\nCOPY <<EOT /x\nhi\nEOT\nHEALTHCHECK CMD [\"c\"]\n",
        &[
            ("MultipleInstructionsDisallowed", 2, "Multiple CMD instructions should not be used in the same stage because only the last one will be used"),
            ("MultipleInstructionsDisallowed", 4, "Multiple HEALTHCHECK instructions should not be used in the same stage because only the last one will be used"),
        ],
    ),
    ("FROM scratch AS a\nCMD [\"a\"]\nFROM a\nCMD [\"b\"]\n", &[]),
    (
        "FROM --platform=${TARGETPLATFORM} scratch\n",
        &[("RedundantTargetPlatform", 1, "Setting platform to predefined ${TARGETPLATFORM} in FROM is redundant as this is the default behavior")],
    ),
    (
        "ARG REF\nFROM $REF\n",
        &[("InvalidDefaultArgInFrom", 2, "Default value for ARG $REF results in empty or invalid base image name")],
    ),
    (
        "ARG TAIL=\"ian:\"\nFROM deb${TAIL}\n",
        &[("InvalidDefaultArgInFrom", 2, "Default value for ARG deb${TAIL} results in empty or invalid base image name")],
    ),
    ("ARG VARIANT=\"\"\nFROM debian:stable${VARIANT}\n", &[]),
    ("  ARG VARIANT\n  FROM debian:stable${VARIANT}\n", &[]),
    (
        "FROM --platform=linux/arm64 scratch\n",
        &[("FromPlatformFlagConstDisallowed", 1, "FROM --platform flag should not use constant value \"linux/arm64\"")],
    ),
    ("FROM --platform=linux/arm64 scratch AS build_arm64\n", &[]),
];

#[test]
fn findings_match_buildkit_rule_line_and_message() {
    let mut failures = Vec::new();
    for (source, expected) in CASES {
        let df = dockerfile::parse(source).unwrap_or_else(|e| panic!("{source:?}: {e}"));
        let opts = lint::LintOptions {
            buildkit_only: true,
            ..Default::default()
        };
        let mut got: Vec<(String, usize, String)> = lint::lint(&df, &opts)
            .into_iter()
            .map(|d| (d.rule.to_owned(), d.line, d.message))
            .collect();
        let mut want: Vec<(String, usize, String)> = expected
            .iter()
            .map(|(r, l, m)| (r.to_string(), *l, m.to_string()))
            .collect();
        got.sort_by(|a, b| (a.1, &a.2).cmp(&(b.1, &b.2)));
        want.sort_by(|a, b| (a.1, &a.2).cmp(&(b.1, &b.2)));
        if got != want {
            failures.push(format!("{source:?}\n  got  {got:?}\n  want {want:?}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
