//! Segments: which accounts a strategy takes, by DPD bucket, balance band, region and
//! product. DPD buckets come from configuration.

use chrono::{Duration, NaiveDate};
use serde::Deserialize;

/// A band of days past due, e.g. M1 = 1–30. `max_days: None` is open-ended.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
pub struct DpdBucket {
    pub name: String,
    pub min_days: i64,
    pub max_days: Option<i64>,
}

/// The DOMAIN defaults: M1 1–30, M2 31–60, M3 61–90, M4-6 91–180, WRITE_OFF 181+.
pub fn default_buckets() -> Vec<DpdBucket> {
    [
        ("M1", 1, Some(30)),
        ("M2", 31, Some(60)),
        ("M3", 61, Some(90)),
        ("M4-6", 91, Some(180)),
        ("WRITE_OFF", 181, None),
    ]
    .into_iter()
    .map(|(name, min_days, max_days)| DpdBucket {
        name: name.to_owned(),
        min_days,
        max_days,
    })
    .collect()
}

/// Buckets must be named once each, ascending and without overlaps.
pub fn check_buckets(buckets: &[DpdBucket]) -> Result<(), String> {
    if buckets.is_empty() {
        return Err("name at least one bucket".into());
    }
    for (i, bucket) in buckets.iter().enumerate() {
        if bucket.name.trim().is_empty() || buckets[..i].iter().any(|b| b.name == bucket.name) {
            return Err(format!(
                "bucket names must be unique and not empty ({:?})",
                bucket.name
            ));
        }
        if bucket.min_days < 0 || bucket.max_days.is_some_and(|max| max < bucket.min_days) {
            return Err(format!(
                "bucket {} has an empty or negative range",
                bucket.name
            ));
        }
        if let Some(previous) = i.checked_sub(1).map(|p| &buckets[p])
            && previous.max_days.is_none_or(|max| max >= bucket.min_days)
        {
            return Err(format!("bucket {} overlaps {}", bucket.name, previous.name));
        }
    }
    Ok(())
}

/// The bucket `days_past_due` falls in.
pub fn bucket_of(buckets: &[DpdBucket], days_past_due: i64) -> Option<&DpdBucket> {
    buckets
        .iter()
        .find(|b| days_past_due >= b.min_days && b.max_days.is_none_or(|max| days_past_due <= max))
}

/// The delinquency start dates (inclusive range, open-ended when `None`) a bucket
/// covers on `today`.
pub fn start_dates(bucket: &DpdBucket, today: NaiveDate) -> (Option<NaiveDate>, NaiveDate) {
    let latest = today - Duration::days(bucket.min_days);
    let earliest = bucket.max_days.map(|max| today - Duration::days(max));
    (earliest, latest)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_defaults_are_valid_and_cover_every_day_past_due() {
        let buckets = default_buckets();
        check_buckets(&buckets).unwrap();
        assert_eq!(bucket_of(&buckets, 1).unwrap().name, "M1");
        assert_eq!(bucket_of(&buckets, 30).unwrap().name, "M1");
        assert_eq!(bucket_of(&buckets, 31).unwrap().name, "M2");
        assert_eq!(bucket_of(&buckets, 180).unwrap().name, "M4-6");
        assert_eq!(bucket_of(&buckets, 5000).unwrap().name, "WRITE_OFF");
        assert!(bucket_of(&buckets, 0).is_none());
    }

    #[test]
    fn overlapping_or_unordered_buckets_are_refused() {
        let mut buckets = default_buckets();
        buckets[1].min_days = 30;
        assert!(check_buckets(&buckets).unwrap_err().contains("overlaps"));
        let mut buckets = default_buckets();
        buckets[2].name = "M1".into();
        assert!(check_buckets(&buckets).is_err());
    }

    #[test]
    fn start_dates_bound_the_bucket() {
        let today: NaiveDate = "2026-11-28".parse().unwrap();
        let m1 = &default_buckets()[0];
        assert_eq!(
            start_dates(m1, today),
            (
                Some("2026-10-29".parse().unwrap()),
                "2026-11-27".parse().unwrap()
            )
        );
        let write_off = &default_buckets()[4];
        assert_eq!(start_dates(write_off, today).0, None);
    }
}
