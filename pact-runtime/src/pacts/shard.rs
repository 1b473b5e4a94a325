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
    /// Parses `k/n` with `1 <= k <= n <= 1000`. The error says what is wrong, without naming
    /// the source.
    pub fn parse(text: &str) -> Result<Shard, String> {
        let shape = || format!("must be `k/n` with 1 <= k <= n, such as `2/3`, got `{}`", text.trim());
        let (index, count) = text.trim().split_once('/').ok_or_else(shape)?;
        let (Ok(index), Ok(count)) = (index.trim().parse::<u32>(), count.trim().parse::<u32>()) else {
            return Err(shape());
        };
        if count == 0 || index == 0 || index > count {
            return Err(shape());
        }
        if count > MAX_SHARDS {
            return Err(format!(
                "splits the run into at most {MAX_SHARDS} shards, got {count}: use fewer (each shard verifies whole pacts, so shards beyond the number of pacts get nothing)"
            ));
        }
        Ok(Shard { index, count })
    }

    /// Which of the pacts, given as `(identity, size)`, belong to this shard. Time and memory
    /// depend on the pacts only, not on `count`: the shards no pact went to yet all weigh
    /// nothing, so only the next of them is a candidate.
    pub(crate) fn assign(&self, pacts: &[(String, usize)]) -> Vec<bool> {
        use std::cmp::Reverse;
        let mut order: Vec<usize> = (0..pacts.len()).collect();
        order.sort_by(|&a, &b| pacts[b].1.cmp(&pacts[a].1).then_with(|| pacts[a].0.cmp(&pacts[b].0)));
        // The shards that got a pact, lightest first (ties: the lower shard), and the first
        // shard that got none.
        let mut loaded: std::collections::BinaryHeap<Reverse<(usize, u32)>> = std::collections::BinaryHeap::new();
        let mut untouched: u32 = 0;
        let mut mine = vec![false; pacts.len()];
        for pact in order {
            let fresh = (untouched < self.count).then_some((0, untouched));
            let (load, shard) = match (loaded.peek(), fresh) {
                (Some(Reverse(lightest)), Some(fresh)) if *lightest > fresh => {
                    untouched += 1;
                    fresh
                }
                (None, Some(fresh)) => {
                    untouched += 1;
                    fresh
                }
                _ => loaded.pop().map_or((0, 0), |Reverse(lightest)| lightest),
            };
            loaded.push(Reverse((load + pacts[pact].1, shard)));
            mine[pact] = u64::from(shard) + 1 == u64::from(self.index);
        }
        mine
    }
}

/// The most shards a run can be split into: more than any CI matrix runs.
pub(crate) const MAX_SHARDS: u32 = 1000;

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

    /// The assignment before it stopped depending on `count`: one load per shard.
    fn reference(shard: Shard, pacts: &[(String, usize)]) -> Vec<bool> {
        let mut order: Vec<usize> = (0..pacts.len()).collect();
        order.sort_by(|&a, &b| pacts[b].1.cmp(&pacts[a].1).then_with(|| pacts[a].0.cmp(&pacts[b].0)));
        let mut loads = vec![0usize; shard.count as usize];
        let mut mine = vec![false; pacts.len()];
        for pact in order {
            let lightest = (0..loads.len()).min_by_key(|&shard| (loads[shard], shard)).unwrap_or(0);
            loads[lightest] += pacts[pact].1;
            mine[pact] = lightest + 1 == shard.index as usize;
        }
        mine
    }

    /// `PACT_SHARD=1/4294967295` aborted the process allocating 32 GiB for the loads, and
    /// 100 million shards took 68 s over 20 pacts: time and memory depend on the pacts only,
    /// whatever `count` is (a `Shard` can be built with any count), and a count over the
    /// maximum is refused.
    #[test]
    fn a_huge_shard_count_costs_nothing_and_is_refused_past_the_maximum() {
        let pacts: Vec<(String, usize)> = (0..20).map(|n| (format!("pact {n}"), n % 7)).collect();
        let started = std::time::Instant::now();
        let mine = Shard { index: u32::MAX, count: u32::MAX }.assign(&pacts);
        assert!(mine.iter().all(|mine| !mine));
        let first = Shard { index: 1, count: u32::MAX }.assign(&pacts);
        assert_eq!(first.iter().filter(|mine| **mine).count(), 1);
        assert!(started.elapsed() < std::time::Duration::from_secs(5), "took {:?}", started.elapsed());
        // The same assignment as before, pact for pact.
        for count in 1..=25 {
            for index in 1..=count {
                let shard = Shard { index, count };
                assert_eq!(shard.assign(&pacts), reference(shard, &pacts), "shard {shard}");
            }
        }
        assert_eq!(
            Shard::parse("1/4294967295").unwrap_err(),
            "splits the run into at most 1000 shards, got 4294967295: use fewer (each shard verifies whole pacts, so shards beyond the number of pacts get nothing)"
        );
        assert!(Shard::parse("1000/1000").is_ok());
    }
}
