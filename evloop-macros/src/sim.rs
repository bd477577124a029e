//! `#[evloop::test(sim, ...)]`: a test run under the deterministic
//! simulator, once per seed.
//!
//! | argument  | value                 | meaning |
//! |-----------|-----------------------|---------|
//! | `sim`     | (first, bare)         | run under `evloop::sim` |
//! | `seeds`   | integer, default 1    | how many seeds a plain `cargo test` sweeps |
//! | `workers` | integer, default 1    | simulated multi_thread workers |
//! | `check`   | `true`/`false`        | run each seed twice and compare the event hashes |
//! | `crate`   | string path           | where evloop is (default `::evloop`) |
//!
//! The expansion calls `evloop::sim::__test`, which reads `EVLOOP_SEED`,
//! `EVLOOP_SEEDS` and `EVLOOP_SIM_CHECK`, runs the seeds in parallel and on
//! a failure prints the seed and the command that replays it.

use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::parse::Parser;
use syn::punctuated::Punctuated;
use syn::{Expr, ExprLit, ItemFn, Lit, Meta, Token};

/// True if the attribute's arguments start with the bare word `sim`.
pub(crate) fn is_sim(args: &TokenStream) -> bool {
    matches!(args.clone().into_iter().next(), Some(proc_macro2::TokenTree::Ident(i)) if i == "sim")
}

fn error(span: Span, msg: &str) -> TokenStream {
    syn::Error::new(span, msg).to_compile_error()
}

pub(crate) fn expand(args: TokenStream, item: TokenStream) -> TokenStream {
    let metas = match Punctuated::<Meta, Token![,]>::parse_terminated.parse2(args) {
        Ok(m) => m,
        Err(e) => return e.to_compile_error(),
    };
    let mut seeds: u64 = 1;
    let mut workers: u64 = 1;
    let mut check = quote!(false);
    let mut krate: syn::Path = syn::parse_quote!(::evloop);
    for meta in metas.iter().skip(1) {
        let Meta::NameValue(nv) = meta else {
            return error(syn::spanned::Spanned::span(meta), "expected `name = value`");
        };
        let name = nv
            .path
            .get_ident()
            .map(|i| i.to_string())
            .unwrap_or_default();
        let lit = match &nv.value {
            Expr::Lit(ExprLit { lit, .. }) => lit.clone(),
            other => return error(syn::spanned::Spanned::span(other), "expected a literal"),
        };
        match (name.as_str(), lit) {
            ("seeds", Lit::Int(i)) => match i.base10_parse() {
                Ok(v) if v > 0 => seeds = v,
                _ => return error(i.span(), "`seeds` must be a positive integer"),
            },
            ("workers", Lit::Int(i)) => match i.base10_parse() {
                Ok(v) if v > 0 => workers = v,
                _ => return error(i.span(), "`workers` must be a positive integer"),
            },
            ("check", Lit::Bool(b)) => check = if b.value { quote!(true) } else { quote!(false) },
            ("crate", Lit::Str(s)) => match s.parse() {
                Ok(p) => krate = p,
                Err(e) => return e.to_compile_error(),
            },
            _ => {
                return error(
                    nv.path
                        .get_ident()
                        .map_or_else(Span::call_site, |i| i.span()),
                    "unknown or mistyped argument: expected `seeds = N`, `workers = N`, \
                     `check = true|false` or `crate = \"path\"`",
                )
            }
        }
    }
    let func: ItemFn = match syn::parse2(item) {
        Ok(f) => f,
        Err(e) => return e.to_compile_error(),
    };
    if func.sig.asyncness.is_none() {
        return error(
            func.sig.fn_token.span,
            "`#[evloop::test(sim)]` needs an `async fn`",
        );
    }
    if !func.sig.inputs.is_empty() {
        return error(
            syn::spanned::Spanned::span(&func.sig.inputs),
            "a test takes no arguments",
        );
    }
    let attrs = &func.attrs;
    let vis = &func.vis;
    let name = &func.sig.ident;
    let body = &func.block;
    let span = name.span();
    let workers = workers as usize;
    quote_spanned! {span=>
        #[::core::prelude::v1::test]
        #(#attrs)*
        #vis fn #name() {
            #krate::sim::__test(
                ::core::concat!(::core::module_path!(), "::", ::core::stringify!(#name)),
                #seeds,
                #workers,
                #check,
                || async #body,
            )
        }
    }
}
