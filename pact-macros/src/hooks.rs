//! `#[before_each]`, `#[after_each]` and `#[request_filter]`: check the signature, keep the
//! function as written, and register a type-erased handler with `inventory`.

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{FnArg, ItemFn, LitStr};

use crate::args::{option_name, parse_args, parse_function, shared_option, Arg, Errors};
use crate::expand::{awaited, convert_return, provider_scope, source_location};

/// Which attribute is expanding.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    BeforeEach,
    AfterEach,
    RequestFilter,
}

impl Kind {
    fn attribute(self) -> &'static str {
        match self {
            Kind::BeforeEach => "before_each",
            Kind::AfterEach => "after_each",
            Kind::RequestFilter => "request_filter",
        }
    }

    fn item(self) -> &'static str {
        match self {
            Kind::BeforeEach | Kind::AfterEach => "a hook",
            Kind::RequestFilter => "a request filter",
        }
    }
}

struct Options {
    provider: Option<LitStr>,
    krate: syn::Path,
}

/// Expands the attribute. On errors the function is emitted unchanged beside them.
pub fn expand(kind: Kind, args: TokenStream, item: TokenStream) -> TokenStream {
    let mut errors = Errors::default();
    let function = match parse_function(
        item,
        format!("#[{}] goes on a function: `fn` or `async fn`, free-standing or in a module", kind.attribute()),
    ) {
        Ok(function) => function,
        Err(unchanged) => return unchanged,
    };
    let options = parse_options(kind, args, &mut errors);
    let argument = check_signature(kind, &function, &mut errors);
    if !errors.is_empty() {
        let compile_errors = errors.into_compile_errors();
        return quote! { #function #compile_errors };
    }
    let registration = register(kind, &function, &options, argument);
    quote! { #function #registration }
}

fn parse_options(kind: Kind, args: TokenStream, errors: &mut Errors) -> Options {
    let mut options = Options { provider: None, krate: syn::parse_quote!(::pact_runtime) };
    let args = match parse_args(args) {
        Ok(args) => args,
        Err(error) => {
            errors.push(error);
            return options;
        }
    };
    let known = "the options are `provider = \"Name\"` and `crate = \"path\"`";
    for arg in args {
        match arg {
            Arg::Text(text) => errors.at(
                text.span(),
                format!(
                    "#[{}] takes no text: {known}, e.g. `#[{}(provider = \"UserService\")]`",
                    kind.attribute(),
                    kind.attribute()
                ),
            ),
            Arg::Option(meta) if shared_option(&meta, &mut options.provider, &mut options.krate, errors) => {}
            Arg::Option(meta) => {
                errors.at(meta.path().span(), format!("unknown option `{}`: {known}", option_name(&meta)))
            }
        }
    }
    options
}

/// Checks the signature; answers whether the function takes its one argument.
fn check_signature(kind: Kind, function: &ItemFn, errors: &mut Errors) -> bool {
    let signature = &function.sig;
    let what = kind.item();
    if !signature.generics.params.is_empty() {
        errors.spanned(
            &signature.generics,
            format!("{what} cannot be generic: the runtime calls it with concrete types"),
        );
    }
    if let Some(receiver) = signature.receiver() {
        errors.spanned(receiver, format!("{what} cannot take `self`: write a free function"));
    }
    if let Some(variadic) = &signature.variadic {
        errors.spanned(variadic, format!("{what} cannot be variadic"));
    }
    let typed: Vec<&FnArg> = signature.inputs.iter().filter(|input| matches!(input, FnArg::Typed(_))).collect();
    match kind {
        Kind::BeforeEach | Kind::AfterEach => {
            if typed.len() > 1 {
                errors.spanned(
                    &signature.inputs,
                    format!(
                        "#[{}] takes nothing or one argument, the interaction: `interaction: pact_runtime::HookContext`",
                        kind.attribute()
                    ),
                );
            }
            typed.len() == 1
        }
        Kind::RequestFilter => {
            if typed.len() != 1 {
                let span = if signature.inputs.is_empty() {
                    signature.paren_token.span.join()
                } else {
                    signature.inputs.span()
                };
                errors.at(
                    span,
                    "#[request_filter] takes one argument, the request: `request: &mut pact_runtime::ProviderRequest`",
                );
            }
            true
        }
    }
}

fn register(kind: Kind, function: &ItemFn, options: &Options, takes_argument: bool) -> TokenStream {
    let krate = &options.krate;
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
    let call = if takes_argument {
        // The same binding, shown at the argument's type: a wrong type is reported there.
        let argument = format_ident!("__pact_input", span = Span::mixed_site().located_at(argument_span));
        quote_spanned! { argument_span=> #name(#argument) }
    } else {
        quote! { { let _ = #input; #name() } }
    };
    let into_result =
        convert_return(function, krate, awaited(function, call), quote! { IntoHookResult::into_hook_result });
    let provider = provider_scope(options.provider.as_ref());
    let location = source_location(krate);
    let handler = format_ident!("__pact_{}_handler_{}", kind.attribute(), name, span = Span::mixed_site());
    match kind {
        Kind::BeforeEach | Kind::AfterEach => {
            let hook_kind = if kind == Kind::BeforeEach {
                quote! { #krate::__private::HookKind::BeforeEach }
            } else {
                quote! { #krate::__private::HookKind::AfterEach }
            };
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
        Kind::RequestFilter => quote! {
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
        },
    }
}
