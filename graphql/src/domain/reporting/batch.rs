//! Recognising repeated externalIds: against what is stored, and within the batch.

use std::collections::HashMap;

/// How an item's externalId relates to what was reported before.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Replay<T> {
    /// Not seen before.
    New,
    /// Stored before with the same payload.
    Duplicate(T),
    /// Stored before, or earlier in this batch, with a different payload.
    Conflict,
    /// The same externalId and payload as an earlier item of this batch (its index):
    /// it ends as that item does.
    Twin(usize),
}

/// Classifies each `(index, externalId, payload hash)` against the stored
/// `externalId → (hash, record)`.
pub(super) fn classify<T: Clone>(
    items: &[(usize, &str, &str)],
    stored: &HashMap<String, (String, T)>,
) -> Vec<Replay<T>> {
    let mut first_seen: HashMap<&str, (usize, &str)> = HashMap::new();
    items
        .iter()
        .map(|&(index, external_id, hash)| {
            if let Some((stored_hash, record)) = stored.get(external_id) {
                return if stored_hash == hash {
                    Replay::Duplicate(record.clone())
                } else {
                    Replay::Conflict
                };
            }
            match first_seen.get(external_id) {
                Some(&(first, first_hash)) if first_hash == hash => Replay::Twin(first),
                Some(_) => Replay::Conflict,
                None => {
                    first_seen.insert(external_id, (index, hash));
                    Replay::New
                }
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_ids_replay_or_conflict_and_batch_twins_follow_the_first() {
        let mut stored = HashMap::new();
        stored.insert("a".to_owned(), ("h1".to_owned(), 10));
        let items = [
            (0, "a", "h1"),
            (1, "a", "h2"),
            (2, "b", "h3"),
            (3, "b", "h3"),
            (4, "b", "h4"),
            (5, "c", "h5"),
        ];
        assert_eq!(
            classify(&items, &stored),
            [
                Replay::Duplicate(10),
                Replay::Conflict,
                Replay::New,
                Replay::Twin(2),
                Replay::Conflict,
                Replay::New,
            ]
        );
    }
}
