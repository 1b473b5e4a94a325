//! `#[message("...")]`: validates the description and the signature, keeps the function as
//! written, and registers a type-erased message producer with `inventory`.

use pact_syntax::pattern::StatePattern;
use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::{ItemFn, LitStr, Signature};

use crate::args::{located_at, Errors};
use crate::expand::{convert_return, invoke, provider_scope, source_location};
use crate::registering::{code_span, plain_argument_names, require_placeholder_arguments, Parsed, Registering, Text};

/// `#[message]`.
pub(crate) struct Message;

impl Registering for Message {
    const ATTRIBUTE: &'static str = "message";
    const ITEM: &'static str = "a #[message] function";
    const TEXT: Option<Text> =
        Some(Text { name: "message description", registers: "message", example: "an order created event" });

    type Extra = ();
    /// The arguments by name, each read from the message request by name.
    type Arguments = Vec<syn::Ident>;

    fn where_it_goes() -> String {
        "#[message] goes on a function that returns the message: `fn` or `async fn`, free-standing or in a module"
            .to_string()
    }

    fn generic_error() -> String {
        format!("{} cannot be generic: the runtime calls it with concrete argument types", Self::ITEM)
    }

    fn check_arguments(signature: &Signature, errors: &mut Errors) -> Vec<syn::Ident> {
        plain_argument_names(
            signature,
            "unsupported argument: bind each argument to a plain name, like `request: MessageRequest` or `params: MyParams`",
            errors,
        )
    }

    fn check_text(description: &LitStr, arguments: &Vec<syn::Ident>, errors: &mut Errors) {
        let value = description.value();
        if value.trim().is_empty() {
            errors.at(description.span(), "the message description is empty: write it as the pact names the message");
            return;
        }
        // The same placeholder rules as provider states: `{name}` captures text, `{{`/`}}` are braces.
        let pattern = match StatePattern::parse(&value) {
            Ok(pattern) => pattern,
            Err(error) => {
                errors.at(description.span(), format!("invalid message description pattern: {}", error.message));
                return;
            }
        };
        require_placeholder_arguments(description, &pattern, arguments, errors);
    }

    fn doc_line(description: &LitStr, _extra: &()) -> Option<String> {
        Some(format!(" Pact message: {}", code_span(description)))
    }

    fn render(function: &ItemFn, parsed: &Parsed<()>, arguments: Vec<syn::Ident>) -> TokenStream {
        let krate = &parsed.krate;
        let name = &function.sig.ident;
        let request = format_ident!("__pact_request", span = Span::mixed_site());
        let locals: Vec<_> = (0..arguments.len())
            .map(|index| format_ident!("__pact_argument_{}", index, span = Span::mixed_site()))
            .collect();
        let description = parsed.text.as_ref().map(LitStr::value).unwrap_or_default();
        let placeholders: Vec<String> = StatePattern::parse(&description)
            .map(|pattern| pattern.placeholders().map(str::to_string).collect())
            .unwrap_or_default();
        let bindings = arguments.iter().zip(&locals).map(|(argument, local)| {
            let argument_name = argument.to_string();
            // The whole call sits at the argument, so a type the runtime cannot build is reported there.
            let span = argument.span();
            let krate = located_at(krate, span);
            if placeholders.contains(&argument_name) {
                quote_spanned! { span=>
                    let #local = #krate::__private::message_placeholder_argument(&#request, #description, #argument_name)?;
                }
            } else {
                quote_spanned! { span=> let #local = #krate::__private::message_argument(&#request, #argument_name)?; }
            }
        });
        let into_message = convert_return(
            function,
            krate,
            invoke(function, quote! { #(#locals),* }),
            quote! { IntoMessage::into_message },
        );
        let provider = provider_scope(parsed.provider.as_ref());
        let location = source_location(krate);
        // Item names are not hygienic, even at `mixed_site`: derive the handler's name from the
        // function's so it can never shadow the function it calls.
        let handler = format_ident!("__pact_message_handler_{}", name, span = Span::mixed_site());
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
}
