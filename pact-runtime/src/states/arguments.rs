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
    let value = T::from_placeholder(text).map_err(|err| {
        StateError(format!("state `{}`: cannot parse `{text}` for argument `{name}`: {err}", call.state))
    })?;
    let typed = placeholder_json::<T>(text);
    call.placeholder_values.lock().unwrap_or_else(std::sync::PoisonError::into_inner).insert(name.to_string(), typed);
    Ok(value)
}

/// A placeholder's text as a `fromProviderState` value, typed as its argument took it: a JSON
/// number for an integer or float argument, a boolean for `bool`, the text for anything else
/// (`String`, or a type of yours: `FromStr` says nothing of its JSON form). `text` parsed as `T`.
fn placeholder_json<T>(text: &str) -> Value {
    const INTEGERS: &[&str] = &["u8", "u16", "u32", "u64", "u128", "usize", "i8", "i16", "i32", "i64", "i128", "isize"];
    let name = std::any::type_name::<T>();
    let typed = if INTEGERS.contains(&name) {
        // Through i128, as `+5` and `-0` parse for the argument too; beyond 64 bits, the text.
        text.parse::<i128>().ok().and_then(|number| {
            i64::try_from(number).map(Value::from).ok().or_else(|| u64::try_from(number).map(Value::from).ok())
        })
    } else if name == "f32" || name == "f64" {
        text.parse::<f64>().ok().and_then(serde_json::Number::from_f64).map(Value::Number)
    } else if name == "bool" {
        text.parse::<bool>().ok().map(Value::Bool)
    } else {
        None
    };
    typed.unwrap_or_else(|| Value::String(text.to_string()))
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

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn call(state: &str, placeholders: &[(&str, &str)]) -> StateCall {
        StateCall {
            state: state.to_string(),
            placeholders: placeholders.iter().map(|(name, text)| (name.to_string(), text.to_string())).collect(),
            ..StateCall::default()
        }
    }

    #[test]
    fn a_placeholder_value_is_typed_as_its_argument_took_it() {
        let call = call(
            "state",
            &[("id", "123"), ("big", "340282366920938463463374607431768211455"), ("price", "9.5"), ("on", "true")],
        );
        let _: u64 = placeholder_argument(&call, "id").unwrap();
        let _: u128 = placeholder_argument(&call, "big").unwrap();
        let _: f64 = placeholder_argument(&call, "price").unwrap();
        let _: bool = placeholder_argument(&call, "on").unwrap();
        let values = call.placeholder_values.lock().unwrap().clone();
        assert_eq!(
            Value::Object(values),
            json!({ "id": 123, "big": "340282366920938463463374607431768211455", "price": 9.5, "on": true })
        );
        let call = self::call("state", &[("id", "007"), ("name", " Ann ")]);
        let _: String = placeholder_argument(&call, "id").unwrap();
        let _: String = placeholder_argument(&call, "name").unwrap();
        let values = call.placeholder_values.lock().unwrap().clone();
        assert_eq!(Value::Object(values), json!({ "id": "007", "name": " Ann " }), "a String keeps its text");
    }

    #[test]
    fn a_placeholder_that_does_not_parse_records_nothing() {
        let call = call("user abc exists", &[("id", "abc")]);
        let error = placeholder_argument::<u64>(&call, "id").unwrap_err();
        assert!(error.0.contains("cannot parse `abc` for argument `id`"), "{error}");
        assert!(call.placeholder_values.lock().unwrap().is_empty());
    }
}
