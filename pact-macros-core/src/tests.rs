//! The expansions on `proc_macro2` token streams: which errors each attribute reports, that it
//! reports them all at once, and that the function survives them.

use proc_macro2::TokenStream;
use quote::quote;

/// What an expansion produced, read back as items.
struct Expansion {
    /// Functions emitted, by name.
    functions: Vec<String>,
    /// `compile_error!` messages, in order.
    errors: Vec<String>,
    /// The `const _: () = { ... };` blocks that register a function.
    registrations: Vec<String>,
    /// Doc lines of the emitted functions.
    docs: Vec<String>,
}

fn read(output: TokenStream) -> Expansion {
    let file: syn::File = syn::parse2(output.clone()).unwrap_or_else(|error| panic!("{error}: {output}"));
    let mut expansion = Expansion { functions: vec![], errors: vec![], registrations: vec![], docs: vec![] };
    for item in file.items {
        match item {
            syn::Item::Fn(function) => {
                expansion.functions.push(function.sig.ident.to_string());
                for attr in &function.attrs {
                    if let syn::Meta::NameValue(doc) = &attr.meta {
                        if let syn::Expr::Lit(syn::ExprLit { lit: syn::Lit::Str(text), .. }) = &doc.value {
                            expansion.docs.push(text.value());
                        }
                    }
                }
            }
            syn::Item::Macro(call) if call.mac.path.segments.last().unwrap().ident == "compile_error" => {
                expansion.errors.push(call.mac.parse_body::<syn::LitStr>().unwrap().value())
            }
            syn::Item::Const(registration) => expansion.registrations.push(quote!(#registration).to_string()),
            other => panic!("unexpected item: {}", quote!(#other)),
        }
    }
    expansion
}

fn assert_errors(expansion: &Expansion, expected: &[&str]) {
    assert_eq!(expansion.errors.len(), expected.len(), "errors: {:#?}", expansion.errors);
    for (error, start) in expansion.errors.iter().zip(expected) {
        assert!(error.starts_with(start), "`{error}` does not start with `{start}`");
    }
}

#[test]
fn a_state_reports_every_mistake_at_once_and_keeps_the_function() {
    let expansion = read(crate::provider_state(
        quote! { "user {id} exists", "a second text", colour = "red", teardown = true },
        quote! {
            /// Creates the user.
            fn user_exists<T>(count: u8) {}
        },
    ));
    assert_errors(
        &expansion,
        &[
            "only one state text per attribute",
            "unknown option `colour`: the options are `provider = \"Name\"`, `teardown` and `crate = \"path\"`",
            "`teardown` is a flag",
            "a provider state function cannot be generic",
            "placeholder `{id}` has no argument",
        ],
    );
    assert_eq!(expansion.functions, ["user_exists"]);
    assert_eq!(expansion.docs, [" Creates the user.", "", " Pact provider state: `user {id} exists`"]);
    assert!(expansion.registrations.is_empty());
}

#[test]
fn a_state_without_text_says_how_to_write_one() {
    let expansion = read(crate::provider_state(quote! { provider = "Users" }, quote! { fn no_text() {} }));
    assert_errors(
        &expansion,
        &["missing the state text: write `#[provider_state(\"user {id} exists\")]`, optionally with `provider = \"Name\"`, `teardown` or `crate = \"path\"`"],
    );
    assert_eq!(expansion.functions, ["no_text"]);
    assert!(expansion.docs.is_empty(), "no text, nothing to document");
}

#[test]
fn unparsable_arguments_are_the_only_error() {
    let expansion = read(crate::provider_state(quote! { provider = }, quote! { fn broken() {} }));
    assert_eq!(expansion.errors.len(), 1, "{:#?}", expansion.errors);
    assert!(!expansion.errors[0].starts_with("missing"));
    assert_eq!(expansion.functions, ["broken"]);
}

#[test]
fn a_state_registers_under_the_crate_it_is_given() {
    let expansion = read(crate::provider_state(
        quote! { "user {id} exists", teardown, provider = "Users", crate = "my_pact" },
        quote! { fn user_exists(id: u64) {} },
    ));
    assert_errors(&expansion, &[]);
    assert_eq!(expansion.docs, [" Pact provider teardown: `user {id} exists`"]);
    let [registration] = expansion.registrations.as_slice() else { panic!("{:#?}", expansion.registrations) };
    assert!(registration.contains("my_pact :: __private :: StateRegistration"), "{registration}");
    assert!(registration.contains("my_pact :: __private :: StateAction :: Teardown"), "{registration}");
    assert!(registration.contains("placeholder_argument"), "{registration}");
    assert!(!registration.contains("pact_runtime"), "{registration}");
}

#[test]
fn a_message_collects_every_option_error() {
    let expansion = read(crate::message(
        quote! { provider = 1, provider = "A", provider = "B", crate = "not a path", colour },
        quote! { fn order_created(self, (a, b): (u8, u8)) {} },
    ));
    assert_errors(
        &expansion,
        &[
            "`provider` takes a string literal",
            "option `provider` is given twice",
            "`crate` takes a path",
            "unknown option `colour`: the options are `provider = \"Name\"` and `crate = \"path\"`",
            "missing the message description: write `#[message(\"an order created event\")]`, optionally with `provider = \"Name\"` or `crate = \"path\"`",
            "a #[message] function cannot take `self`",
            "unsupported argument",
        ],
    );
    assert_eq!(expansion.functions, ["order_created"]);
}

#[test]
fn an_empty_message_description_is_documented_but_not_registered() {
    let expansion = read(crate::message(quote! { " " }, quote! { fn empty() {} }));
    assert_errors(&expansion, &["the message description is empty"]);
    assert_eq!(expansion.docs, [" Pact message: ` `"]);
    assert!(expansion.registrations.is_empty());
}

#[test]
fn hooks_take_no_text_and_name_their_options() {
    let expansion = read(crate::before_each(quote! { "text", colour }, quote! { fn reset(a: u8, b: u8) {} }));
    assert_errors(
        &expansion,
        &[
            "#[before_each] takes no text: the options are `provider = \"Name\"` and `crate = \"path\"`, e.g. `#[before_each(provider = \"UserService\")]`",
            "unknown option `colour`",
            "#[before_each] takes nothing or one argument",
        ],
    );
    assert_eq!(expansion.functions, ["reset"]);
    assert!(expansion.docs.is_empty());
}

#[test]
fn every_hook_checks_generics_self_and_arity() {
    let after = read(crate::after_each(quote! {}, quote! { fn clean<T>(&self) {} }));
    assert_errors(&after, &["a hook cannot be generic", "a hook cannot take `self`"]);
    let filter = read(crate::request_filter(quote! {}, quote! { fn sign() {} }));
    assert_errors(&filter, &["#[request_filter] takes one argument, the request"]);
    assert_eq!(filter.functions, ["sign"]);
}

#[test]
fn hooks_register_their_kind() {
    let before = read(crate::before_each(quote! {}, quote! { fn reset() {} }));
    assert!(before.registrations[0].contains("HookKind :: BeforeEach"), "{:?}", before.registrations);
    let after = read(crate::after_each(quote! {}, quote! { fn clean(interaction: HookContext) {} }));
    assert!(after.registrations[0].contains("HookKind :: AfterEach"), "{:?}", after.registrations);
    let filter = read(crate::request_filter(quote! {}, quote! { fn sign(request: &mut ProviderRequest) {} }));
    assert!(filter.registrations[0].contains("RequestFilterRegistration"), "{:?}", filter.registrations);
}

#[test]
fn anything_but_a_function_comes_back_unchanged_with_where_the_attribute_goes() {
    let item = quote! { struct NotAFunction; };
    for (attribute, output) in [
        ("provider_state", crate::provider_state(quote! { "a state" }, item.clone())),
        ("message", crate::message(quote! { "a message" }, item.clone())),
        ("before_each", crate::before_each(quote! {}, item.clone())),
        ("pact_provider_test", crate::pact_provider_test(quote! {}, item.clone())),
    ] {
        let file: syn::File = syn::parse2(output).unwrap();
        assert!(matches!(&file.items[0], syn::Item::Struct(_)), "{attribute}");
        let syn::Item::Macro(error) = &file.items[1] else { panic!("{attribute}: no error") };
        let message = error.mac.parse_body::<syn::LitStr>().unwrap().value();
        assert!(message.starts_with(&format!("#[{attribute}] goes on ")), "{message}");
    }
}

#[test]
fn a_provider_test_reports_every_mistake_at_once() {
    let expansion = read(crate::pact_provider_test(
        quote! { "UserService", colour = 1, state_path = "relative", harness = true },
        quote! { fn app() {} },
    ));
    assert_errors(
        &expansion,
        &[
            "options are named: write `provider = \"UserService\"`",
            "unknown option `colour`",
            "`state_path` must start with `/`",
            "`harness` is a flag",
            "#[pact_provider_test] needs an `async fn`",
        ],
    );
    assert_eq!(expansion.functions, ["app"]);
}
