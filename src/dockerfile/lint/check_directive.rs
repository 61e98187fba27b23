//! The `# check=` parser directive (moby/buildkit `frontend/dockerfile/linter/linter.go`,
//! `ParseLintOptions`): `skip=Rule1,Rule2` or `skip=all`, `error=true`, separated by `;`.

/// Rule id used when the `# check=` directive itself is malformed (BuildKit fails the build).
pub const RULE_ID: &str = "InvalidCheckDirective";

/// What `# check=` asks for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CheckDirective {
    /// Rule ids to skip.
    pub skip: Vec<String>,
    /// `skip=all`.
    pub skip_all: bool,
    /// `error=true`: any BuildKit check that fires fails the build.
    pub error: bool,
    /// `experimental=` value, kept for completeness (all our rules run regardless).
    pub experimental: Vec<String>,
}

impl CheckDirective {
    /// Parses the directive's value; the error is BuildKit's message.
    pub fn parse(value: &str) -> Result<CheckDirective, String> {
        let value = value.trim();
        let mut out = CheckDirective::default();
        if value.is_empty() {
            return Ok(out);
        }
        for part in value.split(';') {
            let Some((key, v)) = part.split_once('=') else {
                return Err(format!(
                    "failed to parse check options: invalid check option {part:?}"
                ));
            };
            match key.trim() {
                "skip" => {
                    let v = v.trim();
                    if v == "all" {
                        out.skip_all = true;
                    } else {
                        out.skip = v.split(',').map(|r| r.trim().to_owned()).collect();
                    }
                }
                "error" => {
                    out.error = parse_go_bool(v.trim()).ok_or_else(|| {
                        format!("failed to parse check options: failed to parse check option {part:?}: invalid syntax")
                    })?;
                }
                "experimental" => {
                    out.experimental = v.split(',').map(|r| r.trim().to_owned()).collect();
                }
                other => {
                    return Err(format!(
                        "failed to parse check options: invalid check option {other:?}"
                    ))
                }
            }
        }
        Ok(out)
    }

    /// True when findings of `rule` must not be reported.
    pub fn skips(&self, rule: &str) -> bool {
        rule != RULE_ID && (self.skip_all || self.skip.iter().any(|s| s == rule))
    }
}

/// Go's `strconv.ParseBool`.
fn parse_go_bool(v: &str) -> Option<bool> {
    match v {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Some(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Some(false),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_like_buildkit() {
        let c =
            CheckDirective::parse("skip=JSONArgsRecommended, StageNameCasing;error=true").unwrap();
        assert_eq!(c.skip, ["JSONArgsRecommended", "StageNameCasing"]);
        assert!(c.error && c.skips("StageNameCasing") && !c.skips("UndefinedVar"));
        assert!(CheckDirective::parse("skip=all").unwrap().skips("DL3006"));
        assert!(CheckDirective::parse("error=maybe").is_err());
        assert!(CheckDirective::parse("bogus").is_err());
        assert!(CheckDirective::parse("color=red").is_err());
    }
}
