//! `#[provider_state("...")]`: validates the pattern and the signature, keeps the function as
//! written, and registers a type-erased handler with `inventory`.

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{ItemFn, LitStr, Meta, Signature};

use crate::args::{located_at, option_name, Errors};
use crate::expand::{convert_return, invoke, provider_scope, source_location};
use crate::registering::{code_span, plain_argument_names, require_placeholder_arguments, Parsed, Registering, Text};
use pact_syntax::pattern::StatePattern;

/// `#[provider_state]`.
pub(crate) struct ProviderState;

/// The options only `#[provider_state]` takes.
#[derive(Default)]
pub(crate) struct StateOptions {
    /// `teardown`: the function runs after the interaction instead of before.
    teardown: bool,
}

impl Registering for ProviderState {
    const ATTRIBUTE: &'static str = "provider_state";
    const ITEM: &'static str = "a provider state function";
    const TEXT: Option<Text> = Some(Text { name: "state text", registers: "state", example: "user {id} exists" });
    const EXTRA_OPTIONS: &'static [&'static str] = &["`teardown`"];

    type Extra = StateOptions;
    /// The arguments by name, matched to placeholders and params by name.
    type Arguments = Vec<syn::Ident>;

    fn extra_option(meta: &Meta, extra: &mut StateOptions, errors: &mut Errors) -> bool {
        if option_name(meta) != "teardown" {
            return false;
        }
        match meta {
            Meta::Path(_) => extra.teardown = true,
            other => errors.at(other.span(), "`teardown` is a flag: write `teardown` without a value"),
        }
        true
    }

    fn generic_error() -> String {
        format!("{} cannot be generic: the runtime calls it with concrete argument types", Self::ITEM)
    }

    fn receiver_error() -> String {
        format!(
            "{} cannot take `self`: write a free function and reach shared state through a static or a global",
            Self::ITEM
        )
    }

    // rustc rejects a variadic `fn` itself; this attribute never added its own error for it.
    fn variadic_error() -> Option<String> {
        None
    }

    fn check_arguments(signature: &Signature, errors: &mut Errors) -> Vec<syn::Ident> {
        plain_argument_names(
            signature,
            "unsupported argument: bind each argument to a plain name, like `id: u64` (named like a `{placeholder}`) or `params: serde_json::Map<String, Value>`",
            errors,
        )
    }

    fn check_text(text: &LitStr, arguments: &Vec<syn::Ident>, errors: &mut Errors) {
        let value = text.value();
        let pattern = match StatePattern::parse(&value) {
            Ok(pattern) => pattern,
            Err(error) => {
                errors.at(text.span(), format!("invalid provider state pattern: {}", error.message));
                return;
            }
        };
        if value.trim().is_empty() {
            errors.at(text.span(), "the provider state text is empty: write the state as the pact names it");
            return;
        }
        require_placeholder_arguments(text, &pattern, arguments, errors);
    }

    fn doc_line(text: &LitStr, extra: &StateOptions) -> Option<String> {
        let action = if extra.teardown { "teardown" } else { "state" };
        Some(format!(" Pact provider {action}: {}", code_span(text)))
    }

    fn render(function: &ItemFn, parsed: &Parsed<StateOptions>, arguments: Vec<syn::Ident>) -> TokenStream {
        let krate = &parsed.krate;
        let name = &function.sig.ident;
        let pattern = parsed.text.as_ref().map(LitStr::value).unwrap_or_default();
        let placeholders: Vec<String> = StatePattern::parse(&pattern)
            .map(|parsed| parsed.placeholders().map(str::to_string).collect())
            .unwrap_or_default();
        let call = format_ident!("__pact_call", span = Span::mixed_site());
        let locals: Vec<_> = (0..arguments.len())
            .map(|index| format_ident!("__pact_argument_{}", index, span = Span::mixed_site()))
            .collect();
        let bindings = arguments.iter().zip(&locals).map(|(argument, local)| {
            let argument_name = argument.to_string();
            // The whole call sits at the argument, so a type the runtime cannot build is reported there.
            let span = argument.span();
            let krate = located_at(krate, span);
            let resolve = if placeholders.contains(&argument_name) {
                quote_spanned! { span=> placeholder_argument }
            } else {
                quote_spanned! { span=> params_argument }
            };
            quote_spanned! { span=> let #local = #krate::__private::#resolve(&#call, #argument_name)?; }
        });
        let into_values = convert_return(
            function,
            krate,
            invoke(function, quote! { #(#locals),* }),
            quote! { IntoStateValues::into_state_values },
        );
        let provider = provider_scope(parsed.provider.as_ref());
        let location = source_location(krate);
        let action = if parsed.extra.teardown {
            quote! { #krate::__private::StateAction::Teardown }
        } else {
            quote! { #krate::__private::StateAction::Setup }
        };
        // Item names are not hygienic, even at `mixed_site`: derive the handler's name from the
        // function's so it can never shadow the function it calls.
        let handler = format_ident!("__pact_state_handler_{}", name, span = Span::mixed_site());
        quote! {
            const _: () = {
                fn #handler(#call: #krate::__private::StateCall) -> #krate::__private::StateFuture {
                    ::std::boxed::Box::pin(async move {
                        #(#bindings)*
                        #into_values
                    })
                }
                #krate::__private::inventory::submit! {
                    #krate::__private::StateRegistration {
                        pattern: #pattern,
                        provider: #provider,
                        action: #action,
                        function: ::core::stringify!(#name),
                        location: #location,
                        handler: #handler,
                    }
                }
            };
        }
    }
}
