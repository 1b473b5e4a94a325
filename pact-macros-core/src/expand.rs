//! Pieces every registering macro expands to: the call of the user's function, the conversion
//! of what it returns, and the registration's provider scope and source location.

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{ItemFn, LitStr, ReturnType};

use crate::args::located_at;

/// `name(arguments)`, awaited when the function is `async`.
pub fn invoke(function: &ItemFn, arguments: TokenStream) -> TokenStream {
    let name = &function.sig.ident;
    awaited(function, quote! { #name(#arguments) })
}

/// `call`, awaited when the function is `async`.
pub fn awaited(function: &ItemFn, call: TokenStream) -> TokenStream {
    if function.sig.asyncness.is_some() {
        quote! { #call.await }
    } else {
        call
    }
}

/// Converts what `call` returns with `#krate::__private::#conversion`. The value is bound to a
/// local at the function's return type, so a type the runtime cannot use is reported there.
pub fn convert_return(function: &ItemFn, krate: &syn::Path, call: TokenStream, conversion: TokenStream) -> TokenStream {
    let output = match &function.sig.output {
        ReturnType::Type(_, ty) => ty.span(),
        ReturnType::Default => function.sig.ident.span(),
    };
    let value = format_ident!("__pact_returned", span = Span::mixed_site().located_at(output));
    let krate = located_at(krate, output);
    let conversion = located_at(&conversion, output);
    quote_spanned! { output=>
        let #value = #call;
        #krate::__private::#conversion(#value)
    }
}

/// `Some("Name")` for a `provider = "Name"` scope, else `None`.
pub fn provider_scope(provider: Option<&LitStr>) -> TokenStream {
    match provider {
        Some(provider) => quote! { ::core::option::Option::Some(#provider) },
        None => quote! { ::core::option::Option::None },
    }
}

/// The registration's `file!()`, `line!()` and `column!()`.
pub fn source_location(krate: &syn::Path) -> TokenStream {
    quote! {
        #krate::__private::SourceLocation {
            file: ::core::file!(),
            line: ::core::line!(),
            column: ::core::column!(),
        }
    }
}
