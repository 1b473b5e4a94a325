//! The one model of every registering attribute (provider states, messages, hooks): parse the
//! arguments, check the signature, document the function, render its registration. Each
//! attribute supplies only what differs through [`Registering`]; [`expand`] does the rest.

use pact_syntax::pattern::StatePattern;
use proc_macro2::{Span, TokenStream};
use quote::quote;
use syn::spanned::Spanned;
use syn::{ItemFn, LitStr, Meta, Signature};

use crate::args::{option_name, parse_args, parse_function, shared_option, Arg, Errors};

/// The string literal an attribute takes first, like the state pattern.
pub(crate) struct Text {
    /// What errors call the text: `state text`.
    pub name: &'static str,
    /// What one attribute registers, for the "add another" hint: `state`.
    pub registers: &'static str,
    /// A text for the usage line: `user {id} exists`.
    pub example: &'static str,
}

/// An attribute's arguments once parsed.
pub(crate) struct Parsed<Extra> {
    /// The text, when the attribute takes one and it was given.
    pub text: Option<LitStr>,
    /// The `provider = "Name"` scope.
    pub provider: Option<LitStr>,
    /// The path of `pact-runtime`: `crate = "path"`, else `::pact_runtime`.
    pub krate: syn::Path,
    /// The attribute's own options.
    pub extra: Extra,
}

/// What one registering attribute does differently from the others.
pub(crate) trait Registering {
    /// The attribute's name: `provider_state`.
    const ATTRIBUTE: &'static str;
    /// What errors call the annotated function: `a provider state function`.
    const ITEM: &'static str;
    /// The text the attribute takes, or `None` when it takes none.
    const TEXT: Option<Text>;
    /// The attribute's own options, as errors list them between `provider` and `crate`.
    const EXTRA_OPTIONS: &'static [&'static str] = &[];

    /// The values of the attribute's own options.
    type Extra: Default;
    /// What the argument check learned, for rendering.
    type Arguments;

    /// The error for an item that is not a function.
    fn where_it_goes() -> String {
        format!("#[{}] goes on a function: `fn` or `async fn`, free-standing or in a module", Self::ATTRIBUTE)
    }

    /// Reads one of the attribute's own options; answers `false` for an option it does not know.
    fn extra_option(_meta: &Meta, _extra: &mut Self::Extra, _errors: &mut Errors) -> bool {
        false
    }

    /// The error for a generic function.
    fn generic_error() -> String {
        format!("{} cannot be generic: the runtime calls it with concrete types", Self::ITEM)
    }

    /// The error for a method.
    fn receiver_error() -> String {
        format!("{} cannot take `self`: write a free function", Self::ITEM)
    }

    /// The error for a variadic function; `None` leaves it to rustc.
    fn variadic_error() -> Option<String> {
        Some(format!("{} cannot be variadic", Self::ITEM))
    }

    /// Checks the typed arguments against the attribute's rules.
    fn check_arguments(signature: &Signature, errors: &mut Errors) -> Self::Arguments;

    /// Checks the text once the arguments are known.
    fn check_text(_text: &LitStr, _arguments: &Self::Arguments, _errors: &mut Errors) {}

    /// The doc line the function gets, with a leading space like `///` writes it.
    fn doc_line(_text: &LitStr, _extra: &Self::Extra) -> Option<String> {
        None
    }

    /// The registration, rendered only when nothing was wrong.
    fn render(function: &ItemFn, parsed: &Parsed<Self::Extra>, arguments: Self::Arguments) -> TokenStream;
}

/// Expands a registering attribute. On any error the function is still emitted, documented,
/// with every error beside it, so the rest of the crate keeps type-checking.
pub(crate) fn expand<Attribute: Registering>(args: TokenStream, item: TokenStream) -> TokenStream {
    let function = match parse_function(item, Attribute::where_it_goes()) {
        Ok(function) => function,
        Err(unchanged) => return unchanged,
    };
    let mut errors = Errors::default();
    let parsed = parse::<Attribute>(args, &mut errors);
    let arguments = check_signature::<Attribute>(&function.sig, &mut errors);
    if let Some(text) = &parsed.text {
        Attribute::check_text(text, &arguments, &mut errors);
    }
    let doc_line = parsed.text.as_ref().and_then(|text| Attribute::doc_line(text, &parsed.extra));
    let documented = document(&function, doc_line);
    if !errors.is_empty() {
        let compile_errors = errors.into_compile_errors();
        return quote! { #documented #compile_errors };
    }
    let registration = Attribute::render(&function, &parsed, arguments);
    quote! { #documented #registration }
}

fn parse<Attribute: Registering>(args: TokenStream, errors: &mut Errors) -> Parsed<Attribute::Extra> {
    let mut parsed =
        Parsed { text: None, provider: None, krate: syn::parse_quote!(::pact_runtime), extra: Default::default() };
    let args = match parse_args(args) {
        Ok(args) => args,
        Err(error) => {
            // Unparsable arguments: a missing text would only be noise beside this error.
            errors.push(error);
            return parsed;
        }
    };
    let attribute = Attribute::ATTRIBUTE;
    for arg in args {
        match arg {
            Arg::Text(text) => match &Attribute::TEXT {
                Some(_) if parsed.text.is_none() => parsed.text = Some(text),
                Some(expected) => errors.at(
                    text.span(),
                    format!(
                        "only one {} per attribute: add another `#[{attribute}]` function for a second {}",
                        expected.name, expected.registers
                    ),
                ),
                None => errors.at(
                    text.span(),
                    format!(
                        "#[{attribute}] takes no text: the options are {}, e.g. `#[{attribute}(provider = \"UserService\")]`",
                        option_list::<Attribute>("and")
                    ),
                ),
            },
            Arg::Option(meta) if shared_option(&meta, &mut parsed.provider, &mut parsed.krate, errors) => {}
            Arg::Option(meta) if Attribute::extra_option(&meta, &mut parsed.extra, errors) => {}
            Arg::Option(meta) => errors.at(
                meta.path().span(),
                format!("unknown option `{}`: the options are {}", option_name(&meta), option_list::<Attribute>("and")),
            ),
        }
    }
    if let (Some(expected), None) = (&Attribute::TEXT, &parsed.text) {
        errors.at(
            Span::call_site(),
            format!(
                "missing the {}: write `#[{attribute}(\"{}\")]`, optionally with {}",
                expected.name,
                expected.example,
                option_list::<Attribute>("or")
            ),
        );
    }
    parsed
}

/// The options an attribute takes, for errors: "`provider = \"Name\"`, `teardown` and `crate = \"path\"`".
fn option_list<Attribute: Registering>(conjunction: &str) -> String {
    let mut options = vec!["`provider = \"Name\"`"];
    options.extend(Attribute::EXTRA_OPTIONS);
    format!("{} {conjunction} `crate = \"path\"`", options.join(", "))
}

fn check_signature<Attribute: Registering>(signature: &Signature, errors: &mut Errors) -> Attribute::Arguments {
    if !signature.generics.params.is_empty() {
        errors.spanned(&signature.generics, Attribute::generic_error());
    }
    // syn accepts a receiver only as the first argument.
    if let Some(receiver) = signature.receiver() {
        errors.spanned(receiver, Attribute::receiver_error());
    }
    if let (Some(variadic), Some(message)) = (&signature.variadic, Attribute::variadic_error()) {
        errors.spanned(variadic, message);
    }
    Attribute::check_arguments(signature, errors)
}

/// The function with `doc_line` added after its own docs, so rustdoc and IDEs show what it
/// registers.
fn document(function: &ItemFn, doc_line: Option<String>) -> TokenStream {
    let Some(doc_line) = doc_line else {
        return quote! { #function };
    };
    let separator = function.attrs.iter().any(|attr| attr.path().is_ident("doc")).then(|| quote! { #[doc = ""] });
    let ItemFn { attrs, vis, sig, block } = function;
    quote! {
        #(#attrs)*
        #separator
        #[doc = #doc_line]
        #vis #sig #block
    }
}

/// The text's value as the inside of a Markdown code span.
pub(crate) fn code_span(text: &LitStr) -> String {
    format!("`{}`", text.value().replace('`', "\\`"))
}

/// The names of the typed arguments; each must be a plain identifier, else `unsupported`.
pub(crate) fn plain_argument_names(signature: &Signature, unsupported: &str, errors: &mut Errors) -> Vec<syn::Ident> {
    let mut names = Vec::new();
    for input in &signature.inputs {
        if let syn::FnArg::Typed(typed) = input {
            match &*typed.pat {
                syn::Pat::Ident(ident) if ident.by_ref.is_none() && ident.subpat.is_none() => {
                    names.push(ident.ident.clone())
                }
                other => errors.at(other.span(), unsupported),
            }
        }
    }
    names
}

/// An error on `text` for each `{placeholder}` of its `pattern` that no argument is named after.
pub(crate) fn require_placeholder_arguments(
    text: &LitStr,
    pattern: &StatePattern,
    arguments: &[syn::Ident],
    errors: &mut Errors,
) {
    for placeholder in pattern.placeholders() {
        if !arguments.iter().any(|argument| argument == placeholder) {
            errors.at(
                text.span(),
                format!("placeholder `{{{placeholder}}}` has no argument: add `{placeholder}: T` to the function, where `T: FromStr`"),
            );
        }
    }
}
