//! `#[before_each]`, `#[after_each]` and `#[request_filter]`: check the signature, keep the
//! function as written, and register a type-erased handler with `inventory`.

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{FnArg, ItemFn, Signature};

use crate::args::Errors;
use crate::expand::{awaited, convert_return, provider_scope, source_location};
use crate::registering::{Parsed, Registering, Text};

/// `#[before_each]`.
pub(crate) struct BeforeEach;

/// `#[after_each]`.
pub(crate) struct AfterEach;

/// `#[request_filter]`.
pub(crate) struct RequestFilter;

/// `#[before_each]` and `#[after_each]` differ only in their name and the kind they register.
macro_rules! each_interaction_hook {
    ($hook:ident, $attribute:literal, $kind:ident) => {
        impl Registering for $hook {
            const ATTRIBUTE: &'static str = $attribute;
            const ITEM: &'static str = "a hook";
            const TEXT: Option<Text> = None;

            type Extra = ();
            /// Whether the hook takes the interaction.
            type Arguments = bool;

            fn check_arguments(signature: &Signature, errors: &mut Errors) -> bool {
                check_hook_arguments(Self::ATTRIBUTE, signature, errors)
            }

            fn render(function: &ItemFn, parsed: &Parsed<()>, takes_interaction: bool) -> TokenStream {
                let krate = &parsed.krate;
                render_hook::<Self>(function, parsed, takes_interaction, quote! { #krate::__private::HookKind::$kind })
            }
        }
    };
}

each_interaction_hook!(BeforeEach, "before_each", BeforeEach);
each_interaction_hook!(AfterEach, "after_each", AfterEach);

impl Registering for RequestFilter {
    const ATTRIBUTE: &'static str = "request_filter";
    const ITEM: &'static str = "a request filter";
    const TEXT: Option<Text> = None;

    type Extra = ();
    type Arguments = ();

    fn check_arguments(signature: &Signature, errors: &mut Errors) {
        if typed_arguments(signature) != 1 {
            let span =
                if signature.inputs.is_empty() { signature.paren_token.span.join() } else { signature.inputs.span() };
            errors.at(
                span,
                "#[request_filter] takes one argument, the request: `request: &mut pact_runtime::ProviderRequest`",
            );
        }
    }

    fn render(function: &ItemFn, parsed: &Parsed<()>, _arguments: ()) -> TokenStream {
        let krate = &parsed.krate;
        let name = &function.sig.ident;
        let (input, into_result) = call_and_convert(function, krate, true);
        let provider = provider_scope(parsed.provider.as_ref());
        let location = source_location(krate);
        let handler = handler_name::<Self>(function);
        quote! {
            const _: () = {
                fn #handler(
                    #input: &mut #krate::__private::ProviderRequest,
                ) -> #krate::__private::RequestFilterFuture<'_> {
                    ::std::boxed::Box::pin(async move { #into_result })
                }
                #krate::__private::inventory::submit! {
                    #krate::__private::RequestFilterRegistration {
                        provider: #provider,
                        function: ::core::stringify!(#name),
                        location: #location,
                        handler: #handler,
                    }
                }
            };
        }
    }
}

fn typed_arguments(signature: &Signature) -> usize {
    signature.inputs.iter().filter(|input| matches!(input, FnArg::Typed(_))).count()
}

/// A hook takes nothing or the interaction; answers whether it takes the interaction.
fn check_hook_arguments(attribute: &str, signature: &Signature, errors: &mut Errors) -> bool {
    let typed = typed_arguments(signature);
    if typed > 1 {
        errors.spanned(
            &signature.inputs,
            format!(
                "#[{attribute}] takes nothing or one argument, the interaction: `interaction: pact_runtime::HookContext`"
            ),
        );
    }
    typed == 1
}

/// Item names are not hygienic, even at `mixed_site`: the handler's name comes from the
/// function's so it can never shadow the function it calls.
fn handler_name<Attribute: Registering>(function: &ItemFn) -> syn::Ident {
    format_ident!("__pact_{}_handler_{}", Attribute::ATTRIBUTE, function.sig.ident, span = Span::mixed_site())
}

/// The handler's input and the body that calls the function with it (or without it) and
/// converts what it returns.
fn call_and_convert(function: &ItemFn, krate: &syn::Path, passes_input: bool) -> (syn::Ident, TokenStream) {
    let name = &function.sig.ident;
    let input = format_ident!("__pact_input", span = Span::mixed_site());
    let argument_span = function
        .sig
        .inputs
        .iter()
        .find_map(|input| match input {
            FnArg::Typed(typed) => Some(typed.ty.span()),
            FnArg::Receiver(_) => None,
        })
        .unwrap_or_else(|| name.span());
    let call = if passes_input {
        // The same binding, shown at the argument's type: a wrong type is reported there.
        let argument = format_ident!("__pact_input", span = Span::mixed_site().located_at(argument_span));
        quote_spanned! { argument_span=> #name(#argument) }
    } else {
        quote! { { let _ = #input; #name() } }
    };
    let into_result =
        convert_return(function, krate, awaited(function, call), quote! { IntoHookResult::into_hook_result });
    (input, into_result)
}

fn render_hook<Attribute: Registering>(
    function: &ItemFn,
    parsed: &Parsed<()>,
    takes_interaction: bool,
    hook_kind: TokenStream,
) -> TokenStream {
    let krate = &parsed.krate;
    let name = &function.sig.ident;
    let (input, into_result) = call_and_convert(function, krate, takes_interaction);
    let provider = provider_scope(parsed.provider.as_ref());
    let location = source_location(krate);
    let handler = handler_name::<Attribute>(function);
    quote! {
        const _: () = {
            fn #handler(#input: #krate::__private::HookContext) -> #krate::__private::HookFuture {
                ::std::boxed::Box::pin(async move { #into_result })
            }
            #krate::__private::inventory::submit! {
                #krate::__private::HookRegistration {
                    kind: #hook_kind,
                    provider: #provider,
                    function: ::core::stringify!(#name),
                    location: #location,
                    handler: #handler,
                }
            }
        };
    }
}
