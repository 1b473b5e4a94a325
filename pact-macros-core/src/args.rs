//! Attribute argument parsing shared by every attribute: a list of string literals, bare flags
//! and `key = value` options, with every error collected rather than the first one returned.

use proc_macro2::{Span, TokenStream};
use syn::parse::{Parse, ParseStream, Parser};
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::{Expr, ExprLit, Lit, LitStr, Meta, Token};

/// One argument of an attribute.
#[allow(clippy::large_enum_variant)] // lives only while parsing an attribute
pub enum Arg {
    /// A positional string literal.
    Text(LitStr),
    /// A flag or a `key = value` option.
    Option(Meta),
}

impl Parse for Arg {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        if input.peek(LitStr) {
            input.parse().map(Arg::Text)
        } else {
            input.parse().map(Arg::Option)
        }
    }
}

/// Parses the attribute's arguments.
pub fn parse_args(args: TokenStream) -> syn::Result<Vec<Arg>> {
    Punctuated::<Arg, Token![,]>::parse_terminated.parse2(args).map(|args| args.into_iter().collect())
}

/// The option's name, as written (`crate` included).
pub fn option_name(meta: &Meta) -> String {
    meta.path().get_ident().map(ToString::to_string).unwrap_or_else(|| {
        meta.path().segments.iter().map(|segment| segment.ident.to_string()).collect::<Vec<_>>().join("::")
    })
}

/// The string literal of a `key = "value"` option.
pub fn string_value(meta: &Meta) -> syn::Result<LitStr> {
    let name = option_name(meta);
    match meta {
        Meta::NameValue(pair) => match &pair.value {
            Expr::Lit(ExprLit { lit: Lit::Str(text), .. }) => Ok(text.clone()),
            other => {
                Err(syn::Error::new_spanned(other, format!("`{name}` takes a string literal: `{name} = \"...\"`")))
            }
        },
        other => Err(syn::Error::new_spanned(other, format!("`{name}` takes a value: `{name} = \"...\"`"))),
    }
}

/// The integer literal of a `key = 123` option.
pub fn integer_value(meta: &Meta) -> syn::Result<u64> {
    let name = option_name(meta);
    match meta {
        Meta::NameValue(pair) => match &pair.value {
            Expr::Lit(ExprLit { lit: Lit::Int(number), .. }) => number.base10_parse(),
            other => Err(syn::Error::new_spanned(other, format!("`{name}` takes an integer: `{name} = 10000`"))),
        },
        other => Err(syn::Error::new_spanned(other, format!("`{name}` takes a value: `{name} = 10000`"))),
    }
}

/// The boolean literal of a `key = true` option.
pub fn bool_value(meta: &Meta) -> syn::Result<bool> {
    let name = option_name(meta);
    match meta {
        Meta::NameValue(pair) => match &pair.value {
            Expr::Lit(ExprLit { lit: Lit::Bool(flag), .. }) => Ok(flag.value),
            other => Err(syn::Error::new_spanned(other, format!("`{name}` takes `true` or `false`: `{name} = true`"))),
        },
        Meta::Path(_) => Ok(true),
        other => Err(syn::Error::new_spanned(other, format!("`{name}` takes `true` or `false`: `{name} = true`"))),
    }
}

/// Collects errors so a macro can report all of them at once.
#[derive(Default)]
pub struct Errors(Option<syn::Error>);

impl Errors {
    /// Records an error.
    pub fn push(&mut self, error: syn::Error) {
        match &mut self.0 {
            Some(first) => first.combine(error),
            None => self.0 = Some(error),
        }
    }

    /// Records an error at `span`.
    pub fn at(&mut self, span: Span, message: impl std::fmt::Display) {
        self.push(syn::Error::new(span, message));
    }

    /// Records an error that underlines all of `tokens`.
    pub fn spanned(&mut self, tokens: impl quote::ToTokens, message: impl std::fmt::Display) {
        self.push(syn::Error::new_spanned(tokens, message));
    }

    /// The errors as `compile_error!` invocations (empty when there are none).
    pub fn into_compile_errors(self) -> TokenStream {
        self.0.map(|error| error.to_compile_error()).unwrap_or_default()
    }

    /// True when nothing was recorded.
    pub fn is_empty(&self) -> bool {
        self.0.is_none()
    }
}

/// `tokens` shown at `span` but resolved at the call site: trait errors on the items they name
/// then point at the user's argument or return type instead of the whole attribute.
pub fn located_at(tokens: &impl quote::ToTokens, span: Span) -> TokenStream {
    let span = Span::call_site().located_at(span);
    tokens
        .to_token_stream()
        .into_iter()
        .map(|mut token| {
            token.set_span(span);
            token
        })
        .collect()
}

/// The annotated item as a function, or, for any other item, the item unchanged with an error
/// that says where the attribute goes.
pub fn parse_function(item: TokenStream, where_it_goes: impl std::fmt::Display) -> Result<syn::ItemFn, TokenStream> {
    syn::parse2(item.clone()).map_err(|_| {
        let error = syn::Error::new(Span::call_site(), where_it_goes).to_compile_error();
        quote::quote! { #item #error }
    })
}

/// Handles the options every registering attribute shares: `provider = "Name"` (once, not
/// empty) and `crate = "path"`. Answers `false` for any other option, for the caller.
pub fn shared_option(meta: &Meta, provider: &mut Option<LitStr>, krate: &mut syn::Path, errors: &mut Errors) -> bool {
    match option_name(meta).as_str() {
        "provider" if provider.is_some() => errors.at(meta.path().span(), "option `provider` is given twice"),
        "provider" => match string_value(meta) {
            Ok(name) if name.value().trim().is_empty() => errors.at(name.span(), "`provider` is empty"),
            Ok(name) => *provider = Some(name),
            Err(error) => errors.push(error),
        },
        "crate" => match crate_path(meta) {
            Ok(path) => *krate = path,
            Err(error) => errors.push(error),
        },
        _ => return false,
    }
    true
}

/// Parses a `crate = "path"` option.
pub fn crate_path(meta: &Meta) -> syn::Result<syn::Path> {
    let text = string_value(meta)?;
    text.parse::<syn::Path>().map_err(|_| syn::Error::new(text.span(), "`crate` takes a path: `crate = \"my_pact\"`"))
}
