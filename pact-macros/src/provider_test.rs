//! `#[pact_provider_test]`: turns an async function that builds the provider into a `#[test]`
//! that boots it and verifies it. The runtime decides from the function's type (through the
//! `ProviderApp` trait) how to boot it, so this macro only reads options.

use proc_macro2::{Span, TokenStream};
use quote::quote;
use syn::spanned::Spanned;
use syn::{ItemFn, LitStr, Meta};

use crate::args::{crate_path, integer_value, option_name, parse_args, string_value, Arg, Errors};

const OPTIONS: &str =
    "`provider = \"Name\"`, `pacts = \"path, dir or URL\"` (repeatable), `state_path = \"/path\"`, `boot_timeout_ms = 10000` and `crate = \"path\"`";

struct Options {
    provider: Option<LitStr>,
    pacts: Vec<LitStr>,
    state_path: Option<LitStr>,
    boot_timeout_ms: Option<u64>,
    krate: syn::Path,
}

/// Expands the attribute. On errors the function is emitted unchanged beside them, so IDEs
/// keep working.
pub fn expand(args: TokenStream, item: TokenStream) -> TokenStream {
    let mut errors = Errors::default();
    let function: ItemFn = match syn::parse2(item.clone()) {
        Ok(function) => function,
        Err(_) => {
            errors.at(
                Span::call_site(),
                "#[pact_provider_test] goes on an `async fn` that builds the provider: return an `axum::Router`, take a `tokio::net::TcpListener` and serve on it, or return the base URL of a running server",
            );
            return quote! { #item }.into_iter().chain(errors.into_compile_errors()).collect();
        }
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
    let mut options = Options {
        provider: None,
        pacts: Vec::new(),
        state_path: None,
        boot_timeout_ms: None,
        krate: syn::parse_quote!(::pact_runtime),
    };
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
                        "options are named: write `provider = {}` or `pacts = {}`; the options are {OPTIONS}",
                        text.token(),
                        text.token()
                    ),
                );
                continue;
            }
        };
        let result = match option_name(&meta).as_str() {
            "provider" => string_value(&meta).map(|value| options.provider = Some(value)),
            "pacts" => string_value(&meta).map(|value| options.pacts.push(value)),
            "state_path" => string_value(&meta).and_then(|value| {
                if value.value().starts_with('/') {
                    options.state_path = Some(value);
                    Ok(())
                } else {
                    Err(syn::Error::new(
                        value.span(),
                        "`state_path` must start with `/`, e.g. `state_path = \"/_pact/provider_states\"`",
                    ))
                }
            }),
            "boot_timeout_ms" => integer_value(&meta).map(|value| options.boot_timeout_ms = Some(value)),
            "crate" => crate_path(&meta).map(|path| options.krate = path),
            name => Err(syn::Error::new(
                meta_path_span(&meta),
                format!("unknown option `{name}`: the options are {OPTIONS}"),
            )),
        };
        if let Err(error) = result {
            errors.push(error);
        }
    }
    options
}

fn meta_path_span(meta: &Meta) -> Span {
    meta.path().span()
}

fn check_signature(function: &ItemFn, errors: &mut Errors) {
    let signature = &function.sig;
    if signature.asyncness.is_none() {
        errors.at(signature.fn_token.span(), "#[pact_provider_test] needs an `async fn`: add `async` before `fn`");
    }
    if !signature.generics.params.is_empty() {
        errors.at(signature.generics.span(), "#[pact_provider_test] cannot be generic");
    }
    if let Some(receiver) = signature.receiver() {
        errors.at(receiver.span(), "#[pact_provider_test] goes on a free function, not a method");
    }
}

fn generate_test(function: ItemFn, options: Options) -> TokenStream {
    let krate = &options.krate;
    let name = function.sig.ident.clone();
    let vis = function.vis.clone();
    let (test_attrs, inner_attrs): (Vec<_>, Vec<_>) = function
        .attrs
        .iter()
        .cloned()
        .partition(|attr| !attr.path().is_ident("allow") && !attr.path().is_ident("expect"));
    let inner = ItemFn { attrs: inner_attrs, vis: syn::Visibility::Inherited, ..function };
    let optional = |value: &Option<LitStr>| match value {
        Some(value) => quote! { ::core::option::Option::Some(#value) },
        None => quote! { ::core::option::Option::None },
    };
    let provider = optional(&options.provider);
    let state_path = optional(&options.state_path);
    let pacts = &options.pacts;
    let boot_timeout_ms = match options.boot_timeout_ms {
        Some(value) => quote! { ::core::option::Option::Some(#value) },
        None => quote! { ::core::option::Option::None },
    };
    quote! {
        #[::core::prelude::v1::test]
        #(#test_attrs)*
        #vis fn #name() {
            #inner
            #krate::__private::run_provider_test(
                #krate::__private::ProviderTestSpec {
                    test_name: ::core::concat!(::core::module_path!(), "::", ::core::stringify!(#name)),
                    provider: #provider,
                    pacts: &[#(#pacts),*],
                    state_path: #state_path,
                    boot_timeout_ms: #boot_timeout_ms,
                    manifest_dir: ::core::env!("CARGO_MANIFEST_DIR"),
                },
                #name,
            )
        }
    }
}
