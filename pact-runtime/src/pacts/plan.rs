//! Which interactions a run verifies, in which order, and which of them are identical to an
//! earlier one of another pact of the same consumer (`dedupe_interactions`).
//!
//! A broker run with several selectors (`mainBranch`, `deployedOrReleased`) often gets several
//! versions of one consumer's pact that share most interactions. Two interactions are
//! identical when everything that decides their verification is: the consumer and provider,
//! the pact's specification version and plugin configuration, the interaction's key, and its
//! whole content (description, states with their params, request, response or message, matching
//! rules, generators, its `pending` flag) but for comments and ids, which verification does not read.

use std::collections::HashMap;

use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use super::{interaction_key, Interaction, LoadedPact};

/// One interaction to verify.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Planned {
    /// Its pact, by index in the run's pacts.
    pub(crate) pact: usize,
    /// Its index in that pact's interactions.
    pub(crate) interaction: usize,
    /// The earlier step whose interaction is identical: its result is this one's.
    pub(crate) same_as: Option<usize>,
}

/// The interactions a run verifies, in pact order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Plan {
    pub(crate) steps: Vec<Planned>,
    /// Stop at the first interaction that fails the run.
    pub(crate) fail_fast: bool,
}

impl Plan {
    /// Every interaction `select` keeps (given its pact's index, its consumer and itself), in
    /// pact order, each verified on its own.
    pub(crate) fn selected_by(
        pacts: &[LoadedPact],
        mut select: impl FnMut(usize, &str, &Interaction<'_>) -> bool,
    ) -> Plan {
        let mut steps = Vec::new();
        for (pact, loaded) in pacts.iter().enumerate() {
            let consumer = loaded.pact.consumer().name;
            for (interaction, item) in loaded.interactions().iter().enumerate() {
                if select(pact, &consumer, item.as_ref()) {
                    steps.push(Planned { pact, interaction, same_as: None });
                }
            }
        }
        Plan { steps, fail_fast: false }
    }

    /// Marks each step whose interaction is identical to an earlier step's of another pact of
    /// the same consumer and provider. Only pacts that share their consumer with another are
    /// looked at, so a run of one pact per consumer costs nothing.
    pub(crate) fn dedupe(mut self, pacts: &[LoadedPact]) -> Plan {
        let mut per_consumer: HashMap<(String, String), usize> = HashMap::new();
        for loaded in pacts {
            *per_consumer.entry((loaded.pact.consumer().name, loaded.pact.provider().name)).or_default() += 1;
        }
        let shared_pacts: Vec<bool> = pacts
            .iter()
            .map(|loaded| per_consumer[&(loaded.pact.consumer().name, loaded.pact.provider().name)] > 1)
            .collect();
        if !shared_pacts.contains(&true) {
            return self;
        }
        let pact_identities: Vec<Option<Value>> =
            pacts.iter().zip(&shared_pacts).map(|(loaded, shared)| shared.then(|| pact_identity(loaded))).collect();
        let mut first: HashMap<[u8; 32], usize> = HashMap::new();
        for step in 0..self.steps.len() {
            let Planned { pact, interaction, .. } = self.steps[step];
            let Some(pact_identity) = &pact_identities[pact] else { continue };
            // An interaction this runtime cannot verify fails on its own, in every pact.
            if pacts[pact].unsupported(interaction).is_some() {
                continue;
            }
            let identity = identity(pact_identity, pacts[pact].interactions()[interaction].as_ref());
            match first.get(&identity) {
                // Within one pact two equal interactions are both verified, as the pact asks.
                Some(&earlier) if self.steps[earlier].pact != pact => self.steps[step].same_as = Some(earlier),
                Some(_) => {}
                None => {
                    first.insert(identity, step);
                }
            }
        }
        self
    }
}

/// What of a pact decides how its interactions verify.
fn pact_identity(loaded: &LoadedPact) -> Value {
    let plugins: Vec<Value> =
        loaded.pact.plugin_data().iter().map(|data| serde_json::to_value(data).unwrap_or(Value::Null)).collect();
    json!({
        "consumer": loaded.pact.consumer().name,
        "provider": loaded.pact.provider().name,
        "specification": loaded.pact.specification_version().to_string(),
        "plugins": plugins,
    })
}

/// The SHA-256 of everything that decides how `interaction` of a pact (`pact_identity`) verifies.
fn identity(pact_identity: &Value, interaction: &Interaction<'_>) -> [u8; 32] {
    let mut content = interaction.as_v4().map(|v4| v4.to_json()).unwrap_or(Value::Null);
    if let Value::Object(fields) = &mut content {
        // Not read by verification; the key is added below as `interaction_key` computes it.
        for field in ["comments", "_id", "id", "key"] {
            fields.remove(field);
        }
    }
    let whole = json!({ "pact": pact_identity, "key": interaction_key(interaction), "interaction": content });
    let mut text = String::new();
    super::key::canonical(&whole, &mut text);
    Sha256::digest(text.as_bytes()).into()
}

#[cfg(test)]
mod tests {
    use pact_models::pact::load_pact_from_json;
    use serde_json::{json, Value};

    use super::*;

    fn loaded(source: &str, consumer: &str, interactions: Vec<Value>) -> LoadedPact {
        let pact = json!({
            "consumer": { "name": consumer }, "provider": { "name": "P" },
            "interactions": interactions,
            "metadata": { "pactSpecification": { "version": "3.0.0" } }
        });
        LoadedPact::new(source, load_pact_from_json(source, &pact).unwrap())
    }

    fn interaction(description: &str, state: &str, status: u16, comment: &str) -> Value {
        json!({
            "description": description, "providerStates": [{ "name": state, "params": { "id": 1 } }],
            "request": { "method": "GET", "path": "/" }, "response": { "status": status },
            "_id": comment, "comments": { "text": [comment] }
        })
    }

    fn same_as(pacts: &[LoadedPact]) -> Vec<Option<usize>> {
        Plan::selected_by(pacts, |_, _, _| true).dedupe(pacts).steps.iter().map(|step| step.same_as).collect()
    }

    /// Only what verification reads tells interactions apart: an `_id` or comment does not,
    /// the response, a state or the consumer does; and equal interactions within one pact are
    /// each verified.
    #[test]
    fn identical_interactions_of_one_consumers_pacts_are_verified_once() {
        let pacts = [
            loaded("v1", "C", vec![interaction("a", "s", 200, "x"), interaction("b", "s", 200, "x")]),
            loaded(
                "v2",
                "C",
                vec![
                    interaction("a", "s", 200, "other id and comment"),
                    interaction("b", "s", 500, "x"),
                    interaction("a", "t", 200, "x"),
                    interaction("a", "s", 200, "again"),
                ],
            ),
            loaded("other", "D", vec![interaction("a", "s", 200, "x")]),
        ];
        assert_eq!(same_as(&pacts), [None, None, Some(0), None, None, Some(0), None]);
        // One pact per consumer: nothing is shared.
        assert_eq!(same_as(&pacts[1..]), [None; 5]);
    }
}
