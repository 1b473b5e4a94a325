//! `#[message("...")]`: validates the description and the signature, keeps the function as
//! written, and registers a type-erased message producer with `inventory`.

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{FnArg, ItemFn, LitStr, Pat};

use crate::args::{located_at, option_name, parse_args, parse_function, shared_option, Arg, Errors};
use crate::expand::{convert_return, invoke, provider_scope, source_location};

const USAGE: &str =
    "write `#[message(\"an order created event\")]`, optionally with `provider = \"Name\"` or `crate = \"path\"`";

struct Options {
    description: Option<LitStr>,
    provider: Option<LitStr>,
    krate: syn::Path,
}

/// Expands the attribute. On any error the function is still emitted, with the errors beside
/// it, so the rest of the crate keeps type-checking.
pub fn expand(args: TokenStream, item: TokenStream) -> TokenStream {
    let mut errors = Errors::default();
    let function = match parse_function(
        item,
        "#[message] goes on a function that returns the message: `fn` or `async fn`, free-standing or in a module",
    ) {
        Ok(function) => function,
        Err(unchanged) => return unchanged,
    };
    let options = parse_options(args, &mut errors);
    let arguments = check_signature(&function, &mut errors);
    if let Some(description) = &options.description {
        if description.value().trim().is_empty() {
            errors.at(description.span(), "the message description is empty: write it as the pact names the message");
        }
    }
    let documented = document(&function, options.description.as_ref());
    let Some(description) = options.description.clone().filter(|_| errors.is_empty()) else {
        let compile_errors = errors.into_compile_errors();
        return quote! { #documented #compile_errors };
    };
    let registration = register(&function, &options, &arguments, &description);
    quote! { #documented #registration }
}

fn parse_options(args: TokenStream, errors: &mut Errors) -> Options {
    let mut options = Options { description: None, provider: None, krate: syn::parse_quote!(::pact_runtime) };
    let args = match parse_args(args) {
        Ok(args) => args,
        Err(error) => {
            errors.push(error);
            return options;
        }
    };
    for arg in args {
        match arg {
            Arg::Text(text) if options.description.is_none() => options.description = Some(text),
            Arg::Text(text) => errors.at(
                text.span(),
                "only one message description per attribute: add another `#[message]` function for a second message",
            ),
            Arg::Option(meta) if shared_option(&meta, &mut options.provider, &mut options.krate, errors) => {}
            Arg::Option(meta) => errors.at(
                meta.path().span(),
                format!(
                    "unknown option `{}`: the options are `provider = \"Name\"` and `crate = \"path\"`",
                    option_name(&meta)
                ),
            ),
        }
    }
    if options.description.is_none() {
        errors.at(Span::call_site(), format!("missing the message description: {USAGE}"));
    }
    options
}

/// The function's arguments. Each must be bound to a plain name.
fn check_signature(function: &ItemFn, errors: &mut Errors) -> Vec<syn::Ident> {
    let signature = &function.sig;
    if !signature.generics.params.is_empty() {
        errors.spanned(
            &signature.generics,
            "a #[message] function cannot be generic: the runtime calls it with concrete argument types",
        );
    }
    if let Some(variadic) = &signature.variadic {
        errors.spanned(variadic, "a #[message] function cannot be variadic");
    }
    let mut names = Vec::new();
    for input in &signature.inputs {
        match input {
            FnArg::Receiver(receiver) => {
                errors.spanned(receiver, "a #[message] function cannot take `self`: write a free function")
            }
            FnArg::Typed(typed) => match &*typed.pat {
                Pat::Ident(ident) if ident.by_ref.is_none() && ident.subpat.is_none() => {
                    names.push(ident.ident.clone())
                }
                other => errors.at(
                    other.span(),
                    "unsupported argument: bind each argument to a plain name, like `request: MessageRequest` or `params: MyParams`",
                ),
            },
        }
    }
    names
}

fn document(function: &ItemFn, description: Option<&LitStr>) -> TokenStream {
    let Some(description) = description else {
        return quote! { #function };
    };
    let doc = format!(" Pact message: `{}`", description.value().replace('`', "\\`"));
    let separator = function.attrs.iter().any(|attr| attr.path().is_ident("doc")).then(|| quote! { #[doc = ""] });
    let ItemFn { attrs, vis, sig, block } = function;
    quote! {
        #(#attrs)*
        #separator
        #[doc = #doc]
        #vis #sig #block
    }
}

fn register(function: &ItemFn, options: &Options, arguments: &[syn::Ident], description: &LitStr) -> TokenStream {
    let krate = &options.krate;
    let name = &function.sig.ident;
    let request = format_ident!("__pact_request", span = Span::mixed_site());
    let locals: Vec<_> = (0..arguments.len())
        .map(|index| format_ident!("__pact_argument_{}", index, span = Span::mixed_site()))
        .collect();
    let bindings = arguments.iter().zip(&locals).map(|(argument, local)| {
        let argument_name = argument.to_string();
        // The whole call sits at the argument, so a type the runtime cannot build is reported there.
        let span = argument.span();
        let krate = located_at(krate, span);
        quote_spanned! { span=> let #local = #krate::__private::message_argument(&#request, #argument_name)?; }
    });
    let into_message = convert_return(
        function,
        krate,
        invoke(function, quote! { #(#locals),* }),
        quote! { IntoMessage::into_message },
    );
    let provider = provider_scope(options.provider.as_ref());
    let location = source_location(krate);
    // Item names are not hygienic, even at `mixed_site`: derive the handler's name from the
    // function's so it can never shadow the function it calls.
    let handler = format_ident!("__pact_message_handler_{}", name, span = Span::mixed_site());
    let description = description.value();
    quote! {
        const _: () = {
            fn #handler(#request: #krate::__private::MessageRequest) -> #krate::__private::MessageFuture {
                ::std::boxed::Box::pin(async move {
                    #(#bindings)*
                    #into_message
                })
            }
            #krate::__private::inventory::submit! {
                #krate::__private::MessageRegistration {
                    description: #description,
                    provider: #provider,
                    function: ::core::stringify!(#name),
                    location: #location,
                    handler: #handler,
                }
            }
        };
    }
}
