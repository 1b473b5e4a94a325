//! `#[provider_state("...")]`: validates the pattern and the signature, keeps the function as
//! written, and registers a type-erased handler with `inventory`.

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{FnArg, ItemFn, LitStr, Meta, Pat};

use crate::args::{located_at, option_name, parse_args, parse_function, shared_option, Arg, Errors};
use crate::expand::{convert_return, invoke, provider_scope, source_location};
use pact_syntax::pattern::StatePattern;

const USAGE: &str = "write `#[provider_state(\"user {id} exists\")]`, optionally with `provider = \"Name\"`, `teardown` or `crate = \"path\"`";

struct Options {
    pattern: Option<LitStr>,
    provider: Option<LitStr>,
    teardown: bool,
    krate: syn::Path,
}

/// Expands the attribute. On any error the function is still emitted, with the errors beside
/// it, so the rest of the crate keeps type-checking.
pub fn expand(args: TokenStream, item: TokenStream) -> TokenStream {
    let mut errors = Errors::default();
    let function = match parse_function(
        item,
        "#[provider_state] goes on a function: `fn` or `async fn`, free-standing or in a module",
    ) {
        Ok(function) => function,
        Err(unchanged) => return unchanged,
    };
    let options = parse_options(args, &mut errors);
    let arguments = check_signature(&function, &mut errors);
    let pattern = options.pattern.as_ref().and_then(|text| check_pattern(text, &arguments, &mut errors));

    let documented = document(&function, options.pattern.as_ref(), options.teardown);
    if !errors.is_empty() || pattern.is_none() {
        let compile_errors = errors.into_compile_errors();
        return quote! { #documented #compile_errors };
    }
    let registration = register(&function, &options, &arguments, &pattern.unwrap_or_default());
    quote! { #documented #registration }
}

fn parse_options(args: TokenStream, errors: &mut Errors) -> Options {
    let mut options =
        Options { pattern: None, provider: None, teardown: false, krate: syn::parse_quote!(::pact_runtime) };
    let args = match parse_args(args) {
        Ok(args) => args,
        Err(error) => {
            errors.push(error);
            return options;
        }
    };
    for arg in args {
        match arg {
            Arg::Text(text) if options.pattern.is_none() => options.pattern = Some(text),
            Arg::Text(text) => errors.at(text.span(), "only one state text per attribute: add another `#[provider_state]` function for a second state"),
            Arg::Option(meta) if shared_option(&meta, &mut options.provider, &mut options.krate, errors) => {}
            Arg::Option(meta) => match (option_name(&meta).as_str(), &meta) {
                ("teardown", Meta::Path(_)) => options.teardown = true,
                ("teardown", other) => errors.at(other.span(), "`teardown` is a flag: write `teardown` without a value"),
                (name, other) => errors.at(
                    other.path().span(),
                    format!("unknown option `{name}`: the options are `provider = \"Name\"`, `teardown` and `crate = \"path\"`"),
                ),
            },
        }
    }
    if options.pattern.is_none() {
        errors.at(Span::call_site(), format!("missing the state text: {USAGE}"));
    }
    options
}

/// The function's arguments by name. Each must be a plain identifier.
fn check_signature(function: &ItemFn, errors: &mut Errors) -> Vec<syn::Ident> {
    let signature = &function.sig;
    if !signature.generics.params.is_empty() {
        errors.spanned(
            &signature.generics,
            "a provider state function cannot be generic: the runtime calls it with concrete argument types",
        );
    }
    let mut names = Vec::new();
    for input in &signature.inputs {
        match input {
            FnArg::Receiver(receiver) => errors.spanned(
                receiver,
                "a provider state function cannot take `self`: write a free function and reach shared state through a static or a global",
            ),
            FnArg::Typed(typed) => match &*typed.pat {
                Pat::Ident(ident) if ident.by_ref.is_none() && ident.subpat.is_none() => names.push(ident.ident.clone()),
                other => errors.at(
                    other.span(),
                    "unsupported argument: bind each argument to a plain name, like `id: u64` (named like a `{placeholder}`) or `params: serde_json::Map<String, Value>`",
                ),
            },
        }
    }
    names
}

fn check_pattern(text: &LitStr, arguments: &[syn::Ident], errors: &mut Errors) -> Option<String> {
    let value = text.value();
    let pattern = match StatePattern::parse(&value) {
        Ok(pattern) => pattern,
        Err(error) => {
            errors.at(text.span(), format!("invalid provider state pattern: {}", error.message));
            return None;
        }
    };
    if value.trim().is_empty() {
        errors.at(text.span(), "the provider state text is empty: write the state as the pact names it");
        return None;
    }
    let mut ok = true;
    for placeholder in pattern.placeholders() {
        if !arguments.iter().any(|argument| argument == placeholder) {
            errors.at(
                text.span(),
                format!("placeholder `{{{placeholder}}}` has no argument: add `{placeholder}: T` to the function, where `T: FromStr`"),
            );
            ok = false;
        }
    }
    ok.then_some(value)
}

fn document(function: &ItemFn, pattern: Option<&LitStr>, teardown: bool) -> TokenStream {
    let Some(pattern) = pattern else {
        return quote! { #function };
    };
    let action = if teardown { "teardown" } else { "state" };
    let doc = format!(" Pact provider {action}: `{}`", pattern.value().replace('`', "\\`"));
    let separator = function.attrs.iter().any(|attr| attr.path().is_ident("doc")).then(|| quote! { #[doc = ""] });
    let ItemFn { attrs, vis, sig, block } = function;
    quote! {
        #(#attrs)*
        #separator
        #[doc = #doc]
        #vis #sig #block
    }
}

fn register(function: &ItemFn, options: &Options, arguments: &[syn::Ident], pattern: &str) -> TokenStream {
    let krate = &options.krate;
    let name = &function.sig.ident;
    let placeholders: Vec<String> = StatePattern::parse(pattern)
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
    let provider = provider_scope(options.provider.as_ref());
    let location = source_location(krate);
    let action = if options.teardown {
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
