//! A batch of report items on its way to outcomes: each item checked on its own, then
//! recognised as new, a replay of what is stored, a repeat within the batch, or a
//! conflicting reuse of an externalId.

use std::collections::HashMap;

use entity::compliance_incident;
use serde::Serialize;

use super::{ItemCode, ItemError, ItemOutcome, payload_hash};

/// An item that passed its own checks.
pub(super) trait Checked: Serialize {
    fn external_id(&self) -> &str;
}

/// How an item's externalId relates to what was reported before.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Replay<T> {
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
fn classify<T: Clone>(
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

/// A batch's new items (index, checked item, payload hash) and its duplicates' originals
/// (index, stored record).
pub(super) type Recognised<C, T> = (Vec<(usize, C, String)>, Vec<(usize, T)>);

/// The batch: outcomes so far, and the items still to decide.
pub(super) struct Batch<C, T> {
    outcomes: Vec<Option<ItemOutcome<T>>>,
    /// Checked items with their payload hashes, until [`Batch::recognise`].
    checked: Vec<(usize, C, String)>,
    twins: Vec<(usize, usize)>,
}

impl<C: Checked, T: Clone> Batch<C, T> {
    /// Checks each item on its own; a failing item is REJECTED at once.
    pub fn check<I>(
        items: Vec<I>,
        raw_external_id: impl Fn(&I) -> String,
        check: impl Fn(I) -> Result<C, ItemError>,
    ) -> Self {
        let mut outcomes = vec![None; items.len()];
        let mut checked = Vec::with_capacity(items.len());
        for (index, item) in items.into_iter().enumerate() {
            let raw_id = raw_external_id(&item).trim().to_owned();
            match check(item) {
                Ok(item) => {
                    let hash = payload_hash(&item);
                    checked.push((index, item, hash));
                }
                Err(error) => outcomes[index] = Some(ItemOutcome::rejected(index, raw_id, error)),
            }
        }
        Self {
            outcomes,
            checked,
            twins: Vec::new(),
        }
    }

    /// The externalIds to look up among the stored records.
    pub fn external_ids(&self) -> Vec<String> {
        self.checked
            .iter()
            .map(|(_, item, _)| item.external_id().to_owned())
            .collect()
    }

    /// Sorts the checked items against the stored `externalId → (hash, record)`: returns
    /// the new ones (with their hashes) and the duplicates' originals; conflicts are
    /// REJECTED.
    pub fn recognise(&mut self, stored: &HashMap<String, (String, T)>) -> Recognised<C, T> {
        let checked = std::mem::take(&mut self.checked);
        let keys: Vec<(usize, &str, &str)> = checked
            .iter()
            .map(|(index, item, hash)| (*index, item.external_id(), hash.as_str()))
            .collect();
        let replays = classify(&keys, stored);
        let (mut fresh, mut duplicates) = (Vec::new(), Vec::new());
        for ((index, item, hash), replay) in checked.into_iter().zip(replays) {
            match replay {
                Replay::New => fresh.push((index, item, hash)),
                Replay::Duplicate(original) => duplicates.push((index, original)),
                Replay::Twin(first) => self.twins.push((index, first)),
                Replay::Conflict => self.reject(
                    index,
                    item.external_id(),
                    ItemError::new(
                        ItemCode::Conflict,
                        "this externalId was reported before with a different payload",
                    ),
                ),
            }
        }
        (fresh, duplicates)
    }

    pub fn reject(&mut self, index: usize, external_id: &str, error: ItemError) {
        self.outcomes[index] = Some(ItemOutcome::rejected(index, external_id.to_owned(), error));
    }

    pub fn accept(
        &mut self,
        index: usize,
        external_id: &str,
        record: T,
        incidents: Vec<compliance_incident::Model>,
    ) {
        self.outcomes[index] = Some(ItemOutcome::accepted(
            index,
            external_id.to_owned(),
            record,
            incidents,
        ));
    }

    pub fn duplicate(
        &mut self,
        index: usize,
        external_id: &str,
        record: T,
        incidents: Vec<compliance_incident::Model>,
    ) {
        self.outcomes[index] = Some(ItemOutcome::duplicate(
            index,
            external_id.to_owned(),
            record,
            incidents,
        ));
    }

    /// Every item's outcome, in the order sent. A repeat within the batch ends as its
    /// first: a duplicate of an accepted or duplicate item, the same rejection otherwise.
    pub fn finish(mut self) -> Vec<ItemOutcome<T>> {
        for (index, first) in std::mem::take(&mut self.twins) {
            let first = self.outcomes[first]
                .clone()
                .expect("every item before a repeat has its outcome");
            self.outcomes[index] = Some(match first.record {
                Some(record) => {
                    ItemOutcome::duplicate(index, first.external_id, record, first.incidents)
                }
                None => ItemOutcome { index, ..first },
            });
        }
        self.outcomes.into_iter().flatten().collect()
    }
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
