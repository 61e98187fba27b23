//! Kubernetes resource quantities (`128Mi`, `0.5`, `250m`, `1e3`) and the kubelet's
//! CPU formulas. Port of apimachinery `pkg/api/resource/quantity.go` (parsing, `Value`,
//! `MilliValue` round up) and kubelet `pkg/kubelet/cm/helpers_linux.go`. Pure.

/// CFS period the kubelet uses (`QuotaPeriod = 100000` µs).
pub const CPU_PERIOD_US: i64 = 100_000;
/// Smallest CFS quota (`MinQuotaPeriod = 1000` µs).
pub const MIN_CPU_QUOTA_US: i64 = 1_000;
/// Smallest CPU shares (`MinShares = 2`).
pub const MIN_CPU_SHARES: i64 = 2;
const SHARES_PER_CPU: i64 = 1024;
const MILLI_CPU_TO_CPU: i64 = 1000;

/// Parses a quantity and returns `value × scale`, rounded up (Kubernetes rounds up in
/// `Value()`/`MilliValue()`). `scale` is 1 for bytes, 1000 for milli-units.
pub fn parse_scaled(text: &str, scale: i128) -> Result<i64, String> {
    let bad = || {
        format!("quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$': {text:?}")
    };
    let s = text.trim();
    let split = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '+' || c == '-'))
        .unwrap_or(s.len());
    let (number, suffix) = s.split_at(split);
    let (negative, digits) = match number.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, number.strip_prefix('+').unwrap_or(number)),
    };
    let (int_part, frac_part) = digits.split_once('.').unwrap_or((digits, ""));
    if int_part.is_empty() && frac_part.is_empty()
        || !(int_part.chars().chain(frac_part.chars())).all(|c| c.is_ascii_digit())
    {
        return Err(bad());
    }
    let all_digits = format!("{int_part}{frac_part}");
    let all_digits = all_digits.trim_start_matches('0');
    if all_digits.len() > 30 {
        return Err(bad());
    }
    let mantissa: i128 = if all_digits.is_empty() {
        0
    } else {
        all_digits.parse().map_err(|_| bad())?
    };
    // value = mantissa × 10^(exp10) × 2^(exp2)
    let mut exp10: i32 = -(frac_part.len() as i32);
    let mut exp2: u32 = 0;
    match suffix {
        "" => {}
        "Ki" => exp2 = 10,
        "Mi" => exp2 = 20,
        "Gi" => exp2 = 30,
        "Ti" => exp2 = 40,
        "Pi" => exp2 = 50,
        "Ei" => exp2 = 60,
        "n" => exp10 -= 9,
        "u" => exp10 -= 6,
        "m" => exp10 -= 3,
        "k" => exp10 += 3,
        "M" => exp10 += 6,
        "G" => exp10 += 9,
        "T" => exp10 += 12,
        "P" => exp10 += 15,
        "E" => exp10 += 18,
        other => {
            let exp = other.strip_prefix(['e', 'E']).ok_or_else(bad)?;
            exp10 += exp.parse::<i32>().map_err(|_| bad())?;
        }
    }
    let mut numerator = mantissa.checked_mul(scale).ok_or_else(bad)?;
    numerator = numerator.checked_mul(1i128 << exp2).ok_or_else(bad)?;
    let mut denominator: i128 = 1;
    if exp10 >= 0 {
        numerator = numerator
            .checked_mul(10i128.checked_pow(exp10 as u32).ok_or_else(bad)?)
            .ok_or_else(bad)?;
    } else {
        denominator = 10i128.checked_pow((-exp10) as u32).ok_or_else(bad)?;
    }
    let value = (numerator + denominator - 1) / denominator;
    let value = i64::try_from(value).map_err(|_| bad())?;
    Ok(if negative { -value } else { value })
}

/// Bytes of a memory quantity.
pub fn memory_bytes(text: &str) -> Result<i64, String> {
    parse_scaled(text, 1)
}

/// Milli-CPUs of a CPU quantity.
pub fn milli_cpu(text: &str) -> Result<i64, String> {
    parse_scaled(text, 1000)
}

/// CFS quota for a CPU limit (`milliCPUToQuota`): 0 stays unset, otherwise at least 1000 µs.
pub fn cpu_quota(milli_cpu: i64) -> Option<i64> {
    if milli_cpu <= 0 {
        return None;
    }
    // Saturating: a huge limit in a job.yaml must not overflow (it would panic in debug
    // builds and wrap in release ones).
    Some((milli_cpu.saturating_mul(CPU_PERIOD_US) / MILLI_CPU_TO_CPU).max(MIN_CPU_QUOTA_US))
}

/// CPU shares for a CPU request (`MilliCPUToShares`): no request or 0 gives the minimum 2,
/// and the kernel's maximum 262144 (`MaxShares`) caps it.
pub fn cpu_shares(milli_cpu: Option<i64>) -> i64 {
    match milli_cpu {
        Some(m) if m > 0 => (m.saturating_mul(SHARES_PER_CPU) / MILLI_CPU_TO_CPU)
            .clamp(MIN_CPU_SHARES, MAX_CPU_SHARES),
        _ => MIN_CPU_SHARES,
    }
}

/// kubelet `MaxShares` (pkg/kubelet/cm/helpers_linux.go): the kernel refuses more.
const MAX_CPU_SHARES: i64 = 262_144;

#[cfg(test)]
mod tests {
    use super::*;

    // Regression (review): `cpu: "1e12"` overflowed and panicked; `requests.cpu: "300"`
    // gave 307200 shares, which runc refuses.
    #[test]
    fn huge_cpu_quantities_saturate_and_shares_are_capped() {
        let huge = milli_cpu("1e12").unwrap();
        assert!(cpu_quota(huge).unwrap() > 0);
        assert_eq!(cpu_shares(Some(huge)), 262_144);
        assert_eq!(cpu_shares(Some(300_000)), 262_144);
        assert_eq!(cpu_shares(Some(250)), 256);
    }

    proptest::proptest! {
        #[test]
        fn no_quantity_text_panics(text in "[-+]?[0-9.]{0,30}([eE][-+]?[0-9]{0,4})?(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E|m|n|u)?") {
            if let Ok(m) = milli_cpu(&text) {
                let _ = (cpu_quota(m), cpu_shares(Some(m)));
            }
            let _ = memory_bytes(&text);
        }
    }

    #[test]
    fn memory_quantities() {
        assert_eq!(memory_bytes("128Mi"), Ok(128 * 1024 * 1024));
        assert_eq!(memory_bytes("1G"), Ok(1_000_000_000));
        assert_eq!(memory_bytes("1.5Gi"), Ok(1_610_612_736));
        assert_eq!(memory_bytes("1e3"), Ok(1000));
        assert_eq!(memory_bytes("100m"), Ok(1)); // 0.1 byte rounds up
        assert!(memory_bytes("12 MB").is_err());
        assert!(memory_bytes("abc").is_err());
    }

    #[test]
    fn cpu_formulas_match_the_kubelet() {
        assert_eq!(milli_cpu("0.1"), Ok(100));
        assert_eq!(milli_cpu("250m"), Ok(250));
        assert_eq!(milli_cpu("2"), Ok(2000));
        assert_eq!(cpu_quota(500), Some(50_000));
        assert_eq!(cpu_quota(5), Some(1_000));
        assert_eq!(cpu_quota(0), None);
        assert_eq!(cpu_shares(Some(250)), 256);
        assert_eq!(cpu_shares(Some(1)), 2);
        assert_eq!(cpu_shares(None), 2);
    }
}
