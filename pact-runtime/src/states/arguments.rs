//! How a state function's signature is served: arguments are resolved and return values
//! converted through these traits, so the macro never needs to understand types.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Display;
use std::str::FromStr;

use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{Map, Value};

use super::{StateCall, StateError};

/// Types a `{placeholder}` argument can have: anything `FromStr` whose error is `Display`.
#[diagnostic::on_unimplemented(
    message = "placeholder argument type `{Self}` cannot be parsed from state text",
    note = "arguments named like a `{{placeholder}}` are parsed with `FromStr`: use a type such as `u64` or `String`"
)]
pub trait FromStatePlaceholder: Sized {
    /// Parses the captured text.
    fn from_placeholder(text: &str) -> Result<Self, String>;
}

impl<T> FromStatePlaceholder for T
where
    T: FromStr,
    T::Err: Display,
{
    fn from_placeholder(text: &str) -> Result<Self, String> {
        text.parse().map_err(|err: T::Err| err.to_string())
    }
}

/// Types an argument that is not a placeholder can have: anything deserialisable from the
/// state's params object, such as `serde_json::Map`, `HashMap<String, Value>` or your own
/// `#[derive(Deserialize)]` struct.
#[diagnostic::on_unimplemented(
    message = "state argument type `{Self}` cannot be built from the state's params",
    note = "arguments that are not `{{placeholders}}` receive the params object: use `serde_json::Map<String, Value>` or a type that implements `serde::Deserialize`"
)]
pub trait FromStateParams: Sized {
    /// Builds the argument from the params object.
    fn from_params(params: &Map<String, Value>) -> Result<Self, String>;
}

impl<T: DeserializeOwned> FromStateParams for T {
    fn from_params(params: &Map<String, Value>) -> Result<Self, String> {
        serde_json::from_value(Value::Object(params.clone())).map_err(|err| err.to_string())
    }
}

/// Return types of state functions. The values become the provider-state values that
/// `fromProviderState` generators inject into the request.
///
/// Implemented for `()`, `Result<T, E: Display>` (an `Err` fails the interaction with its
/// message), `Option<T>`, `serde_json::Map`, `serde_json::Value` (an object or `null`),
/// `HashMap`/`BTreeMap` with `String` keys, and [`StateValues`] for any `Serialize` struct.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be returned from a provider state function",
    note = "return `()`, `Result<(), E: Display>`, a `serde_json::Map`, a `HashMap<String, _>`, or wrap a `Serialize` struct in `pact_runtime::StateValues`"
)]
pub trait IntoStateValues {
    /// Converts the return value into provider-state values.
    fn into_state_values(self) -> Result<Map<String, Value>, StateError>;
}

/// Wraps any `Serialize` value that serialises to a JSON object, so a state function can
/// return it as provider-state values.
///
/// ```
/// use pact_runtime::StateValues;
///
/// #[derive(serde::Serialize)]
/// struct Created { id: u64 }
///
/// fn created() -> StateValues<Created> {
///     StateValues(Created { id: 42 })
/// }
/// # let _ = created();
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct StateValues<T>(pub T);

impl IntoStateValues for () {
    fn into_state_values(self) -> Result<Map<String, Value>, StateError> {
        Ok(Map::new())
    }
}

impl<T: IntoStateValues, E: Display> IntoStateValues for Result<T, E> {
    fn into_state_values(self) -> Result<Map<String, Value>, StateError> {
        self.map_err(|err| StateError(err.to_string()))?.into_state_values()
    }
}

impl<T: IntoStateValues> IntoStateValues for Option<T> {
    fn into_state_values(self) -> Result<Map<String, Value>, StateError> {
        self.map_or_else(|| Ok(Map::new()), IntoStateValues::into_state_values)
    }
}

impl IntoStateValues for Map<String, Value> {
    fn into_state_values(self) -> Result<Map<String, Value>, StateError> {
        Ok(self)
    }
}

impl IntoStateValues for Value {
    fn into_state_values(self) -> Result<Map<String, Value>, StateError> {
        match self {
            Value::Object(map) => Ok(map),
            Value::Null => Ok(Map::new()),
            other => Err(StateError(format!(
                "a provider state function must return a JSON object of values, but it returned `{other}`"
            ))),
        }
    }
}

impl<V: Serialize> IntoStateValues for HashMap<String, V> {
    fn into_state_values(self) -> Result<Map<String, Value>, StateError> {
        StateValues(self).into_state_values()
    }
}

impl<V: Serialize> IntoStateValues for BTreeMap<String, V> {
    fn into_state_values(self) -> Result<Map<String, Value>, StateError> {
        StateValues(self).into_state_values()
    }
}

impl<T: Serialize> IntoStateValues for StateValues<T> {
    fn into_state_values(self) -> Result<Map<String, Value>, StateError> {
        serde_json::to_value(&self.0)
            .map_err(|err| StateError(format!("could not serialise the state values: {err}")))?
            .into_state_values()
    }
}

/// Resolves the placeholder argument `name` (used by the macro expansion).
pub fn placeholder_argument<T: FromStatePlaceholder>(call: &StateCall, name: &str) -> Result<T, StateError> {
    let text = call
        .placeholders
        .iter()
        .find(|(placeholder, _)| placeholder == name)
        .map(|(_, text)| text.as_str())
        .ok_or_else(|| StateError(format!("state `{}` has no value for placeholder `{{{name}}}`", call.state)))?;
    T::from_placeholder(text).map_err(|err| {
        StateError(format!("state `{}`: cannot parse `{text}` for argument `{name}`: {err}", call.state))
    })
}

/// Resolves an argument from the state's params (used by the macro expansion).
pub fn params_argument<T: FromStateParams>(call: &StateCall, name: &str) -> Result<T, StateError> {
    T::from_params(&call.params).map_err(|err| {
        StateError(format!(
            "state `{}`: cannot build argument `{name}` from params {}: {err}",
            call.state,
            Value::Object(call.params.clone())
        ))
    })
}
