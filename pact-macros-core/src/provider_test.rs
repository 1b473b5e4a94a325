//! `#[pact_provider_test]`: turns an async function that builds the provider into a `#[test]`
//! that boots it and verifies it. The runtime decides from the function's type (through the
//! `ProviderApp` trait) how to boot it, so this macro only reads options.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use syn::spanned::Spanned;
use syn::{ItemFn, LitStr};

use crate::args::{
    bool_value, crate_path, integer_value, option_name, parse_args, parse_function, string_value, Arg, Errors,
};
use pact_syntax::options::{find_option, OptionKind, OPTIONS};

struct Options {
    /// `(name, value)` pairs for the runtime, in attribute order.
    pairs: Vec<(String, String)>,
    krate: syn::Path,
    /// `harness`: generate the `fn main` of a `harness = false` target, a test per interaction.
    harness: bool,
}

fn option_list() -> String {
    let names: Vec<String> =
        OPTIONS.iter().filter_map(|option| option.attribute).map(|name| format!("`{name}`")).collect();
    format!("{}, `harness` and `crate`", names.join(", "))
}

/// Expands the attribute. On errors the function is emitted unchanged beside them, so IDEs
/// keep working.
pub fn expand(args: TokenStream, item: TokenStream) -> TokenStream {
    let mut errors = Errors::default();
    let function = match parse_function(item, "#[pact_provider_test] goes on an `async fn` that builds the provider: return an `axum::Router`, take a `tokio::net::TcpListener` and serve on it, or return the base URL of a running server") {
        Ok(function) => function,
        Err(unchanged) => return unchanged,
    };
    let options = parse_options(args, &mut errors);
    check_signature(&function, &mut errors);
    if !errors.is_empty() {
        let compile_errors = errors.into_compile_errors();
        return quote! { #function #compile_errors };
    }
    generate_test(function, options)
}

fn parse_options(args: TokenStream, errors: &mut Errors) -> Options {
    let mut options = Options { pairs: Vec::new(), krate: syn::parse_quote!(::pact_runtime), harness: false };
    let args = match parse_args(args) {
        Ok(args) => args,
        Err(error) => {
            errors.push(error);
            return options;
        }
    };
    for arg in args {
        let meta = match arg {
            Arg::Option(meta) => meta,
            Arg::Text(text) => {
                errors.at(
                    text.span(),
                    format!(
                        "options are named: write `provider = {}` or `pacts = {}`; the options are {}",
                        text.token(),
                        text.token(),
                        option_list()
                    ),
                );
                continue;
            }
        };
        let name = option_name(&meta);
        if name == "crate" {
            match crate_path(&meta) {
                Ok(path) => options.krate = path,
                Err(error) => errors.push(error),
            }
            continue;
        }
        if name == "harness" {
            match &meta {
                syn::Meta::Path(_) => options.harness = true,
                other => errors.at(other.span(), "`harness` is a flag: write `harness` without a value"),
            }
            continue;
        }
        let Some(definition) = find_option(&name) else {
            let hint = if ["username", "password", "token", "broker_username", "broker_password", "broker_token"]
                .contains(&name.as_str())
            {
                "; credentials do not belong in source code: set PACT_BROKER_USERNAME/PACT_BROKER_PASSWORD or PACT_BROKER_TOKEN in the environment".to_string()
            } else {
                String::new()
            };
            errors.at(meta.path().span(), format!("unknown option `{name}`: the options are {}{hint}", option_list()));
            continue;
        };
        if !definition.repeatable && options.pairs.iter().any(|(seen, _)| *seen == name) {
            errors.at(meta.path().span(), format!("option `{name}` is given twice"));
            continue;
        }
        let value = match definition.kind {
            OptionKind::Text => string_value(&meta).and_then(|text| check_text(&name, &text)),
            OptionKind::Flag => bool_value(&meta).map(|flag| flag.to_string()),
            OptionKind::Integer => integer_value(&meta).map(|number| number.to_string()),
        };
        match value {
            Ok(value) => options.pairs.push((name, value)),
            Err(error) => errors.push(error),
        }
    }
    options
}

/// Checks that text options can be checked without running anything.
fn check_text(name: &str, text: &LitStr) -> syn::Result<String> {
    let value = text.value();
    match name {
        "state_path" if !value.starts_with('/') => Err(syn::Error::new(
            text.span(),
            "`state_path` must start with `/`, e.g. `state_path = \"/_pact/provider_states\"`",
        )),
        "consumer_version_selectors" => match serde_json::from_str::<serde_json::Value>(&value) {
            Ok(serde_json::Value::Array(_)) => Ok(value),
            Ok(_) => Err(syn::Error::new(
                text.span(),
                "`consumer_version_selectors` must be a JSON array, e.g. `r#\"[{\"mainBranch\": true}]\"#`",
            )),
            Err(err) => {
                Err(syn::Error::new(text.span(), format!("`consumer_version_selectors` is not valid JSON: {err}")))
            }
        },
        "broker_url" if !(value.starts_with("http://") || value.starts_with("https://")) => {
            Err(syn::Error::new(text.span(), "`broker_url` must be an `http://` or `https://` URL"))
        }
        "missing_states" if !["fail", "warn"].contains(&value.to_ascii_lowercase().as_str()) => {
            Err(syn::Error::new(text.span(), "`missing_states` must be \"fail\" or \"warn\""))
        }
        "unused_states" if !["warn", "fail"].contains(&value.to_ascii_lowercase().as_str()) => {
            Err(syn::Error::new(text.span(), "`unused_states` must be \"warn\" or \"fail\""))
        }
        "no_pacts" if !["fail", "pass"].contains(&value.to_ascii_lowercase().as_str()) => {
            Err(syn::Error::new(text.span(), "`no_pacts` must be \"fail\" or \"pass\""))
        }
        "custom_headers" => match pact_syntax::options::parse_headers(&value) {
            Ok(headers) if !headers.is_empty() => Ok(value),
            Ok(_) => {
                Err(syn::Error::new(text.span(), "`custom_headers` is empty: write `custom_headers = \"Name: value\"`"))
            }
            Err(err) => Err(syn::Error::new(text.span(), format!("`custom_headers`: {err}"))),
        },
        _ if value.trim().is_empty() => Err(syn::Error::new(text.span(), format!("`{name}` is empty"))),
        _ => Ok(value),
    }
}

fn check_signature(function: &ItemFn, errors: &mut Errors) {
    let signature = &function.sig;
    if signature.asyncness.is_none() {
        errors.at(signature.fn_token.span(), "#[pact_provider_test] needs an `async fn`: add `async` before `fn`");
    }
    if !signature.generics.params.is_empty() {
        errors.spanned(&signature.generics, "#[pact_provider_test] cannot be generic");
    }
    if let Some(receiver) = signature.receiver() {
        errors.spanned(receiver, "#[pact_provider_test] goes on a free function, not a method");
    }
}

/// The app function moves beside the `#[test]` under a derived name, with a check of its
/// type that every build compiles, so `cargo check` reports a bad app function without
/// waiting for `cargo test`.
fn generate_test(function: ItemFn, options: Options) -> TokenStream {
    let krate = &options.krate;
    let name = function.sig.ident.clone();
    let vis = function.vis.clone();
    let (test_attrs, app_attrs): (Vec<_>, Vec<_>) = function
        .attrs
        .iter()
        .cloned()
        .partition(|attr| !attr.path().is_ident("allow") && !attr.path().is_ident("expect"));
    let app_name = format_ident!("__pact_provider_app_{}", name);
    let check_name = format_ident!("__pact_check_provider_app_{}", name);
    // At the user's function name, so a type error points there.
    let checked_app = format_ident!("__pact_provider_app_{}", name, span = name.span());
    let mut app = ItemFn { attrs: app_attrs, vis: syn::Visibility::Inherited, ..function };
    app.sig.ident = app_name.clone();
    let names = options.pairs.iter().map(|(name, _)| name);
    let values = options.pairs.iter().map(|(_, value)| value);
    if options.harness {
        // A `harness = false` target: the function becomes its `main`, a test per interaction.
        return quote! {
            #[doc(hidden)]
            #[allow(dead_code)]
            #app

            #(#test_attrs)*
            fn main() -> ::std::process::ExitCode {
                #krate::__private::run_harness(
                    #krate::__private::ProviderTestSpec {
                        test_name: ::core::concat!(::core::module_path!(), "::", ::core::stringify!(#name)),
                        manifest_dir: ::core::env!("CARGO_MANIFEST_DIR"),
                        options: &[#((#names, #values)),*],
                    },
                    #checked_app,
                )
            }
        };
    }
    quote! {
        #[doc(hidden)]
        #[allow(dead_code)]
        #app

        #[doc(hidden)]
        #[allow(dead_code)]
        fn #check_name() {
            #krate::__private::assert_provider_app(#checked_app);
        }

        #[::core::prelude::v1::test]
        #(#test_attrs)*
        #vis fn #name() {
            #krate::__private::run_provider_test(
                #krate::__private::ProviderTestSpec {
                    test_name: ::core::concat!(::core::module_path!(), "::", ::core::stringify!(#name)),
                    manifest_dir: ::core::env!("CARGO_MANIFEST_DIR"),
                    options: &[#((#names, #values)),*],
                },
                #app_name,
            )
        }
    }
}
