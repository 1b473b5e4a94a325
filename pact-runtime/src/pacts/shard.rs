//! Splitting a run's pacts across the jobs of a CI matrix: shard `k/n` verifies a deterministic
//! set of whole pacts, so every job can publish the results of the pacts it verified.

use std::fmt;

/// One of `count` shards of a run, numbered from 1 (`PACT_SHARD=2/3` is the second of three).
///
/// Every shard sees the same pacts and assigns them the same way: the pacts sorted by their
/// size (the interactions the filters select), largest first, then by their identity (consumer,
/// provider and source: the file path or the broker's pact URL), each going to the shard with
/// the fewest interactions so far. So each pact is verified whole by exactly one shard, and the
/// shards get about equal work.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    /// Which shard this is, from 1 to `count`.
    pub index: u32,
    /// How many shards the run is split into.
    pub count: u32,
}

impl Shard {
    /// Parses `k/n` with `1 <= k <= n`. The error says what is wrong, without naming the source.
    pub fn parse(text: &str) -> Result<Shard, String> {
        let shape = || format!("must be `k/n` with 1 <= k <= n, such as `2/3`, got `{}`", text.trim());
        let (index, count) = text.trim().split_once('/').ok_or_else(shape)?;
        let (Ok(index), Ok(count)) = (index.trim().parse::<u32>(), count.trim().parse::<u32>()) else {
            return Err(shape());
        };
        if count == 0 || index == 0 || index > count {
            return Err(shape());
        }
        Ok(Shard { index, count })
    }

    /// Which of the pacts, given as `(identity, size)`, belong to this shard.
    pub(crate) fn assign(&self, pacts: &[(String, usize)]) -> Vec<bool> {
        let mut order: Vec<usize> = (0..pacts.len()).collect();
        order.sort_by(|&a, &b| pacts[b].1.cmp(&pacts[a].1).then_with(|| pacts[a].0.cmp(&pacts[b].0)));
        let mut loads = vec![0usize; self.count as usize];
        let mut mine = vec![false; pacts.len()];
        for pact in order {
            let lightest = (0..loads.len()).min_by_key(|&shard| (loads[shard], shard)).unwrap_or(0);
            loads[lightest] += pacts[pact].1;
            mine[pact] = lightest + 1 == self.index as usize;
        }
        mine
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_values_are_refused() {
        for text in ["0/3", "4/3", "x", "1/0", "1/", "/3", "-1/3", "1/3/4", ""] {
            assert!(Shard::parse(text).is_err(), "`{text}` was accepted");
        }
        assert_eq!(Shard::parse(" 2 / 3 "), Ok(Shard { index: 2, count: 3 }));
    }

    #[test]
    fn every_pact_goes_to_exactly_one_shard_balanced_by_size() {
        let pacts: Vec<(String, usize)> =
            [("a", 50), ("b", 10), ("c", 40), ("d", 10), ("e", 30), ("f", 0)].map(|(k, n)| (k.to_string(), n)).into();
        let shards: Vec<Vec<bool>> = (1..=3).map(|index| Shard { index, count: 3 }.assign(&pacts)).collect();
        for pact in 0..pacts.len() {
            assert_eq!(shards.iter().filter(|mine| mine[pact]).count(), 1, "pact {pact}");
        }
        let loads: Vec<usize> =
            shards.iter().map(|mine| (0..pacts.len()).filter(|&p| mine[p]).map(|p| pacts[p].1).sum()).collect();
        assert_eq!(loads, vec![50, 50, 40]);
        // The order the pacts arrive in does not matter.
        let mut reversed = pacts.clone();
        reversed.reverse();
        let again = Shard { index: 1, count: 3 }.assign(&reversed);
        let first: Vec<&str> = (0..pacts.len()).filter(|&p| shards[0][p]).map(|p| pacts[p].0.as_str()).collect();
        let mut second: Vec<&str> = (0..reversed.len()).filter(|&p| again[p]).map(|p| reversed[p].0.as_str()).collect();
        second.sort();
        assert_eq!(first, second);
    }
}
