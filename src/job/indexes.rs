//! Sets of completion indexes in Kubernetes' interval text (`1,3-5,7,8`), as used by
//! `status.completedIndexes`, `status.failedIndexes` and `successPolicy.rules[].succeededIndexes`.
//!
//! Port of kubernetes `pkg/controller/job/indexed_job_utils.go` (`succeededIndexesToString`,
//! `parseIndexesFromString`). Pure.

use std::collections::BTreeSet;

/// Formats indexes as intervals: runs of three or more become `a-b`, two neighbours stay `a,b`.
pub fn format_indexes(indexes: &BTreeSet<i32>) -> String {
    let mut parts = Vec::new();
    let mut iter = indexes.iter().copied().peekable();
    while let Some(first) = iter.next() {
        let mut last = first;
        while iter.peek() == Some(&(last + 1)) {
            last += 1;
            iter.next();
        }
        match last - first {
            0 => parts.push(first.to_string()),
            1 => {
                parts.push(first.to_string());
                parts.push(last.to_string());
            }
            _ => parts.push(format!("{first}-{last}")),
        }
    }
    parts.join(",")
}

/// Parses interval text; every index must be below `completions` and intervals must be
/// ordered and disjoint (`validateIndexesFormat` in `pkg/apis/batch/validation/validation.go`).
pub fn parse_indexes(text: &str, completions: i32) -> Result<BTreeSet<i32>, String> {
    Ok(parse_intervals(text, completions)?
        .into_iter()
        .flat_map(|(lo, hi)| lo..=hi)
        .collect())
}

/// [`parse_indexes`] as inclusive intervals, in time linear in the text whatever they span
/// (validation counts `0-999999999` without listing a billion indexes).
pub fn parse_intervals(text: &str, completions: i32) -> Result<Vec<(i32, i32)>, String> {
    let mut intervals = Vec::new();
    if text.is_empty() {
        return Ok(intervals);
    }
    let mut previous: Option<i32> = None;
    for part in text.split(',') {
        let (lo, hi) = match part.split_once('-') {
            Some((a, b)) => (parse_one(a)?, parse_one(b)?),
            None => {
                let v = parse_one(part)?;
                (v, v)
            }
        };
        if lo > hi {
            return Err(format!(
                "non-increasing order, previous: {lo}, current: {hi}"
            ));
        }
        if let Some(p) = previous.filter(|p| *p >= lo) {
            return Err(format!(
                "overlapping intervals, previous: {p}, current: {lo}"
            ));
        }
        if hi >= completions {
            return Err(format!("too large: {hi}"));
        }
        intervals.push((lo, hi));
        previous = Some(hi);
    }
    Ok(intervals)
}

fn parse_one(s: &str) -> Result<i32, String> {
    let v: i32 = s
        .parse()
        .map_err(|_| format!("cannot convert string to integer for index: {s:?}"))?;
    if v < 0 {
        return Err(format!("negative index: {v}"));
    }
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interval_format_matches_kubernetes() {
        for (set, want) in [
            (vec![1, 3, 4, 5, 7, 8], "1,3-5,7,8"),
            (vec![0, 1], "0,1"),
            (vec![0, 1, 2], "0-2"),
            (vec![], ""),
            (vec![5], "5"),
        ] {
            let set: BTreeSet<i32> = set.into_iter().collect();
            assert_eq!(format_indexes(&set), want);
            assert_eq!(parse_indexes(want, 10).unwrap(), set);
        }
        assert!(parse_indexes("3-1", 10).is_err());
        assert!(parse_indexes("1,1", 10).is_err());
        assert!(parse_indexes("12", 10).is_err());
    }
}
