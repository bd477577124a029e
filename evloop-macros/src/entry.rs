//! The expansion of `#[evloop::main]` and `#[evloop::test]`.
//!
//! ```text
//! #[evloop::main(flavor = "current_thread")]      #[doc...] #[attrs...]
//! async fn main() -> R { body }             =>    fn main() -> R {
//!                                                     ::evloop::runtime::Builder::new_current_thread()
//!                                                         .enable_all()
//!                                                         .build()
//!                                                         .expect("Failed building the Runtime")
//!                                                         .block_on(async { body })
//!                                                 }
//! ```
//!
//! The function keeps its attributes (doc comments included), visibility,
//! name and return type; only `async` is removed. The body becomes an async
//! block whose output is the function's return value, so `?` and `return`
//! inside it work as they did in the `async fn`.
//!
//! When the arguments are wrong the function is still expanded, with the
//! valid part of the configuration, next to the error: the caller then sees the one
//! error that matters instead of a cascade about `async fn main`.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned, ToTokens};
use syn::spanned::Spanned;
use syn::ItemFn;

use crate::args::{parse_args_lenient, Config, Flavor, Kind};

/// Expands the attribute `kind` with arguments `args` on `item`.
pub(crate) fn expand(kind: Kind, args: TokenStream, item: TokenStream) -> TokenStream {
    let func: ItemFn = match syn::parse2(item.clone()) {
        Ok(func) => func,
        Err(e) => {
            let message = format!(
                "`#[evloop::{}]` can only be used on an `async fn`: {e}",
                kind.name()
            );
            return with_error(item, syn::Error::new(e.span(), message));
        }
    };

    if let Err(e) = check_signature(kind, &func) {
        // An `async fn main(args)`: expanded without its arguments next to
        // the error, so rustc does not add "`main` cannot be `async`".
        if func.sig.asyncness.is_some() && !func.sig.inputs.is_empty() {
            let mut func = func;
            func.sig.inputs.clear();
            let (config, _) = parse_args_lenient(kind, args);
            return with_error(build(kind, &config, func), e);
        }
        return with_error(item, e);
    }

    match parse_args_lenient(kind, args) {
        (config, None) => build(kind, &config, func),
        (config, Some(e)) => with_error(build(kind, &config, func), e),
    }
}

/// `tokens` preceded by `error` as `compile_error!`s.
fn with_error(tokens: TokenStream, error: syn::Error) -> TokenStream {
    let error = error.to_compile_error();
    quote! { #error #tokens }
}

fn check_signature(kind: Kind, func: &ItemFn) -> syn::Result<()> {
    let sig = &func.sig;
    let attr = kind.name();
    if sig.asyncness.is_none() {
        return Err(syn::Error::new(
            sig.fn_token.span(),
            format!("`#[evloop::{attr}]` needs an `async fn`: add the `async` keyword"),
        ));
    }
    // As with tokio: `main` itself takes no arguments, another function
    // under `#[evloop::main]` may (its body sees them).
    let takes_none = kind == Kind::Test || sig.ident == "main";
    if takes_none && !sig.inputs.is_empty() {
        let what = match kind {
            Kind::Main => "the main function cannot take arguments",
            Kind::Test => "a test function cannot take arguments",
        };
        // `new_spanned` keeps the first and the last token's spans, so the
        // caret covers every argument on any compiler; `inputs.span()` would
        // be only the first token's span on stable and the joined span when
        // proc-macro span joining is available (nightly, RUSTC_BOOTSTRAP).
        return Err(syn::Error::new_spanned(&sig.inputs, what));
    }
    if kind == Kind::Test {
        if let Some(test) = func.attrs.iter().find(|a| is_test_attribute(a.path())) {
            // `new_spanned`: the whole attribute, on every compiler (see above).
            return Err(syn::Error::new_spanned(
                test,
                "`#[evloop::test]` already adds `#[test]`; remove this attribute",
            ));
        }
    }
    Ok(())
}

/// `#[test]`, `#[core::prelude::v1::test]`, `#[::std::prelude::rust_2021::test]`...
fn is_test_attribute(path: &syn::Path) -> bool {
    let segments: Vec<String> = path.segments.iter().map(|s| s.ident.to_string()).collect();
    match segments.as_slice() {
        [only] => only == "test" && path.leading_colon.is_none(),
        [krate, prelude, _, last] => {
            (krate == "core" || krate == "std") && prelude == "prelude" && last == "test"
        }
        _ => false,
    }
}

fn build(kind: Kind, config: &Config, func: ItemFn) -> TokenStream {
    let ItemFn {
        attrs,
        vis,
        mut sig,
        block,
    } = func;
    sig.asyncness = None;

    let krate = &config.crate_path;
    let builder = match config.flavor {
        Flavor::CurrentThread | Flavor::Local => {
            quote! { #krate::runtime::Builder::new_current_thread() }
        }
        Flavor::MultiThread => quote! { #krate::runtime::Builder::new_multi_thread() },
    };
    let build = match config.flavor {
        Flavor::Local => {
            quote! { .build_local(::core::default::Default::default()) }
        }
        Flavor::CurrentThread | Flavor::MultiThread => quote! { .build() },
    };
    let name = config.name.as_ref().map(|n| quote! { .name(#n) });
    let start_paused = config.start_paused.map(|b| quote! { .start_paused(#b) });
    let worker_threads = config.worker_threads.map(|n| {
        let n = proc_macro2::Literal::usize_unsuffixed(n);
        quote! { .worker_threads(#n) }
    });
    let test_attr = match kind {
        Kind::Test => quote! { #[::core::prelude::v1::test] },
        Kind::Main => TokenStream::new(),
    };

    // Errors about the body's type (a wrong return type, say) point into the
    // body rather than at the attribute: the block gets the declared return
    // type as its expected type. `impl Trait` cannot be written there, so such
    // a return type is left to inference through `block_on`.
    let body_span = block.span();
    let body = match &sig.output {
        syn::ReturnType::Type(_, ty) if !mentions_impl(ty.to_token_stream()) => {
            // The output leaves through a `return` statement that allows
            // `unreachable_code`, not a tail expression: a body that never
            // returns (a server loop, `process::exit`) makes the code after
            // it unreachable, and only that one statement must be exempt,
            // not the user's body.
            quote_spanned! {body_span=>
                {
                    let __evloop_output: #ty = #block;
                    #[allow(unreachable_code, clippy::needless_return)]
                    return __evloop_output;
                }
            }
        }
        _ => block.into_token_stream(),
    };
    let run = quote_spanned! {body_span=>
        #[allow(clippy::expect_used, clippy::diverging_sub_expression)]
        {
            #builder
                .enable_all()
                #start_paused
                #worker_threads
                #name
                #build
                .expect("Failed building the Runtime")
                .block_on(async #body)
        }
    };

    quote! {
        #test_attr
        #(#attrs)*
        #vis #sig {
            #run
        }
    }
}

/// Whether `tokens` contain the `impl` keyword at any depth.
fn mentions_impl(tokens: TokenStream) -> bool {
    tokens.into_iter().any(|tt| match tt {
        proc_macro2::TokenTree::Ident(ident) => ident == "impl",
        proc_macro2::TokenTree::Group(group) => mentions_impl(group.stream()),
        _ => false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expand_str(kind: Kind, args: TokenStream, item: TokenStream) -> String {
        expand(kind, args, item).to_string()
    }

    fn squash(s: &str) -> String {
        s.chars().filter(|c| !c.is_whitespace()).collect()
    }

    #[test]
    fn main_builds_a_multi_thread_runtime_by_default() {
        let out = squash(&expand_str(
            Kind::Main,
            quote!(),
            quote! {
                /// Docs stay.
                async fn main() -> Result<(), std::io::Error> { Ok(()) }
            },
        ));
        assert!(out.contains("#[doc=r\"Docsstay.\"]"), "{out}");
        assert!(
            out.contains("fnmain()->Result<(),std::io::Error>{"),
            "{out}"
        );
        assert!(!out.contains("asyncfnmain"), "{out}");
        assert!(
            out.contains(
                "::evloop::runtime::Builder::new_multi_thread().enable_all().build()\
                 .expect(\"FailedbuildingtheRuntime\").block_on(async{\
                 let__evloop_output:Result<(),std::io::Error>={Ok(())};\
                 #[allow(unreachable_code,clippy::needless_return)]return__evloop_output;})"
            ),
            "{out}"
        );
        assert!(!out.contains("prelude::v1::test"), "{out}");
    }

    #[test]
    fn test_adds_the_test_attribute_and_options() {
        let out = squash(&expand_str(
            Kind::Test,
            quote!(start_paused = true, crate = "crate"),
            quote! {
                #[should_panic]
                async fn paused() { work().await; }
            },
        ));
        assert!(
            out.starts_with("#[::core::prelude::v1::test]#[should_panic]fnpaused(){"),
            "{out}"
        );
        assert!(
            out.contains(
                "crate::runtime::Builder::new_current_thread().enable_all().start_paused(true).build()"
            ),
            "{out}"
        );
        assert!(out.contains(".block_on(async{work().await;})"), "{out}");
    }

    #[test]
    fn worker_threads_are_passed_on() {
        let out = squash(&expand_str(
            Kind::Main,
            quote!(flavor = "multi_thread", worker_threads = 4),
            quote! { pub async fn run() {} },
        ));
        assert!(out.contains("pubfnrun(){"), "{out}");
        assert!(
            out.contains("new_multi_thread().enable_all().worker_threads(4).build()"),
            "{out}"
        );
    }

    #[test]
    fn local_flavor_builds_a_local_runtime_and_name_is_passed_on() {
        let out = squash(&expand_str(
            Kind::Test,
            quote!(flavor = "local", name = "svc", start_paused = true),
            quote! { async fn t() {} },
        ));
        assert!(
            out.contains(
                "::evloop::runtime::Builder::new_current_thread().enable_all().start_paused(true)\
                 .name(\"svc\").build_local(::core::default::Default::default())"
            ),
            "{out}"
        );
    }

    #[test]
    fn signature_errors() {
        let out = expand_str(Kind::Main, quote!(), quote! { fn main() {} });
        assert!(out.contains("compile_error"), "{out}");
        assert!(out.contains("needs an `async fn`"), "{out}");

        let out = expand_str(Kind::Main, quote!(), quote! { async fn main(x: u8) {} });
        assert!(
            out.contains("the main function cannot take arguments"),
            "{out}"
        );

        // Another function may take arguments.
        let out = expand_str(Kind::Main, quote!(), quote! { async fn run(x: u8) {} });
        assert!(!out.contains("compile_error"), "{out}");
        assert!(squash(&out).contains("fnrun(x:u8){"), "{out}");

        let out = expand_str(Kind::Test, quote!(), quote! { async fn t(x: u8) {} });
        assert!(
            out.contains("a test function cannot take arguments"),
            "{out}"
        );

        let out = expand_str(Kind::Test, quote!(), quote! { #[test] async fn t() {} });
        assert!(out.contains("already adds `#[test]`"), "{out}");

        let out = expand_str(Kind::Main, quote!(), quote! { struct S; });
        assert!(out.contains("can only be used on an `async fn`"), "{out}");
    }

    #[test]
    fn argument_errors_still_expand_the_function() {
        let out = squash(&expand_str(
            Kind::Main,
            quote!(flavor = "current_thread", worker_threads = 2),
            quote! { async fn main() {} },
        ));
        assert!(out.contains("compile_error"), "{out}");
        assert!(out.contains("fnmain(){"), "{out}");
        // The valid part of the arguments is kept.
        assert!(out.contains("new_current_thread()"), "{out}");
    }

    #[test]
    fn test_attribute_paths_are_recognised() {
        let yes = |p: syn::Path| assert!(is_test_attribute(&p), "{}", quote!(#p));
        let no = |p: syn::Path| assert!(!is_test_attribute(&p), "{}", quote!(#p));
        yes(syn::parse_quote!(test));
        yes(syn::parse_quote!(::core::prelude::v1::test));
        yes(syn::parse_quote!(std::prelude::rust_2021::test));
        no(syn::parse_quote!(evloop::test));
        no(syn::parse_quote!(tokio::test));
        no(syn::parse_quote!(should_panic));
    }
}
