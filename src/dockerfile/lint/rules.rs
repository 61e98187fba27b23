//! The rule catalogue: ids, default severity, description and documentation URL.
//! BuildKit's entries copy moby/buildkit `frontend/dockerfile/linter/ruleset.go`.

use super::check_directive::RULE_ID as CHECK_DIRECTIVE;
use super::diagnostic::Severity;

/// Where a rule comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuleSource {
    /// A BuildKit build check (`docker build --check`).
    BuildKit,
    /// A hadolint rule BuildKit lacks.
    Hadolint,
    /// dockjob's own (only the malformed `# check=` directive).
    Dockjob,
}

/// Static facts about one rule.
#[derive(Debug, Clone, Copy)]
pub struct RuleInfo {
    /// The stable id.
    pub id: &'static str,
    /// Where it comes from.
    pub source: RuleSource,
    /// Default severity.
    pub severity: Severity,
    /// One-line description.
    pub description: &'static str,
    /// Documentation URL.
    pub url: &'static str,
}

const fn bk(id: &'static str, description: &'static str, url: &'static str) -> RuleInfo {
    RuleInfo {
        id,
        source: RuleSource::BuildKit,
        severity: Severity::Warning,
        description,
        url,
    }
}

const fn hl(
    id: &'static str,
    severity: Severity,
    description: &'static str,
    url: &'static str,
) -> RuleInfo {
    RuleInfo {
        id,
        source: RuleSource::Hadolint,
        severity,
        description,
        url,
    }
}

/// Every rule dockjob knows.
pub static RULES: &[RuleInfo] = &[
    bk("StageNameCasing", "Stage names should be lowercase", "https://docs.docker.com/go/dockerfile/rule/stage-name-casing/"),
    bk("FromAsCasing", "The 'as' keyword should match the case of the 'from' keyword", "https://docs.docker.com/go/dockerfile/rule/from-as-casing/"),
    bk("NoEmptyContinuation", "Empty continuation lines will become errors in a future release", "https://docs.docker.com/go/dockerfile/rule/no-empty-continuation/"),
    bk("ConsistentInstructionCasing", "All commands within the Dockerfile should use the same casing (either upper or lower)", "https://docs.docker.com/go/dockerfile/rule/consistent-instruction-casing/"),
    bk("DuplicateStageName", "Stage names should be unique", "https://docs.docker.com/go/dockerfile/rule/duplicate-stage-name/"),
    bk("ReservedStageName", "Reserved words should not be used as stage names", "https://docs.docker.com/go/dockerfile/rule/reserved-stage-name/"),
    bk("JSONArgsRecommended", "JSON arguments recommended for ENTRYPOINT/CMD to prevent unintended behavior related to OS signals", "https://docs.docker.com/go/dockerfile/rule/json-args-recommended/"),
    bk("MaintainerDeprecated", "The MAINTAINER instruction is deprecated, use a label instead to define an image author", "https://docs.docker.com/go/dockerfile/rule/maintainer-deprecated/"),
    bk("UndefinedArgInFrom", "FROM command must use declared ARGs", "https://docs.docker.com/go/dockerfile/rule/undefined-arg-in-from/"),
    bk("WorkdirRelativePath", "Relative workdir without an absolute workdir declared within the build can have unexpected results if the base image changes", "https://docs.docker.com/go/dockerfile/rule/workdir-relative-path/"),
    bk("UndefinedVar", "Variables should be defined before their use", "https://docs.docker.com/go/dockerfile/rule/undefined-var/"),
    bk("MultipleInstructionsDisallowed", "Multiple instructions of the same type should not be used in the same stage", "https://docs.docker.com/go/dockerfile/rule/multiple-instructions-disallowed/"),
    bk("LegacyKeyValueFormat", "Legacy key/value format with whitespace separator should not be used", "https://docs.docker.com/go/dockerfile/rule/legacy-key-value-format/"),
    bk("RedundantTargetPlatform", "Setting platform to predefined $TARGETPLATFORM in FROM is redundant as this is the default behavior", "https://docs.docker.com/go/dockerfile/rule/redundant-target-platform/"),
    bk("SecretsUsedInArgOrEnv", "Sensitive data should not be used in the ARG or ENV commands", "https://docs.docker.com/go/dockerfile/rule/secrets-used-in-arg-or-env/"),
    bk("FromPlatformFlagConstDisallowed", "FROM --platform flag should not use a constant value", "https://docs.docker.com/go/dockerfile/rule/from-platform-flag-const-disallowed/"),
    bk("InvalidDefaultArgInFrom", "Default value for global ARG results in an empty or invalid base image name", "https://docs.docker.com/go/dockerfile/rule/invalid-default-arg-in-from/"),
    bk("CopyIgnoredFile", "Attempting to Copy file that is excluded by .dockerignore", "https://docs.docker.com/go/dockerfile/rule/copy-ignored-file/"),
    bk("ExposeProtoCasing", "Protocol in EXPOSE instruction should be lowercase", "https://docs.docker.com/go/dockerfile/rule/expose-proto-casing/"),
    bk("ExposeInvalidFormat", "IP address and host-port mapping should not be used in EXPOSE instruction. This will become an error in a future release", "https://docs.docker.com/go/dockerfile/rule/expose-invalid-format/"),
    hl("DL3006", Severity::Warning, "Always tag the version of an image explicitly", "https://github.com/hadolint/hadolint/wiki/DL3006"),
    hl("DL3007", Severity::Warning, "Using latest is prone to errors if the image will ever update. Pin the version explicitly to a release tag", "https://github.com/hadolint/hadolint/wiki/DL3007"),
    hl("DL3020", Severity::Warning, "Use COPY instead of ADD for files and folders", "https://github.com/hadolint/hadolint/wiki/DL3020"),
    hl("DL3015", Severity::Info, "Avoid additional packages by specifying `--no-install-recommends`", "https://github.com/hadolint/hadolint/wiki/DL3015"),
    hl("DL3009", Severity::Info, "Delete the apt-get lists after installing something", "https://github.com/hadolint/hadolint/wiki/DL3009"),
    hl("DL3003", Severity::Warning, "Use WORKDIR to switch to a directory", "https://github.com/hadolint/hadolint/wiki/DL3003"),
    hl("DL4006", Severity::Warning, "Set the SHELL option -o pipefail before RUN with a pipe in it", "https://github.com/hadolint/hadolint/wiki/DL4006"),
    RuleInfo {
        id: CHECK_DIRECTIVE,
        source: RuleSource::Dockjob,
        severity: Severity::Error,
        description: "The # check= parser directive must be valid (BuildKit fails the build otherwise)",
        url: "https://docs.docker.com/reference/dockerfile/#check",
    },
];

/// Looks a rule up by id.
pub fn rule_info(id: &str) -> Option<&'static RuleInfo> {
    RULES.iter().find(|r| r.id == id)
}
