//! Entry points for crates that re-export evloop under another name.
//!
//! A crate that re-exports evloop's API under the name `tokio` (so that a
//! dependency tree written for tokio builds against evloop) re-exports these
//! two attributes as its `main` and `test`. They expand exactly like
//! `#[evloop::main]` / `#[evloop::test]`, except that the runtime is named
//! through `::tokio` unless the attribute names another path with
//! `crate = "..."`: a program that depends only on `tokio` then needs no
//! direct dependency on evloop.

use proc_macro2::{TokenStream, TokenTree};
use quote::quote;

/// `args` with `crate = "::tokio"` appended when they do not name a crate.
pub(crate) fn default_crate_tokio(args: TokenStream) -> TokenStream {
    if names_crate(&args) {
        return args;
    }
    let trailing_comma = matches!(
        args.clone().into_iter().last(),
        Some(TokenTree::Punct(p)) if p.as_char() == ','
    );
    if args.is_empty() || trailing_comma {
        quote! { #args crate = "::tokio" }
    } else {
        quote! { #args, crate = "::tokio" }
    }
}

/// Whether the top level of `args` has a `crate = ...` pair.
fn names_crate(args: &TokenStream) -> bool {
    let tokens: Vec<TokenTree> = args.clone().into_iter().collect();
    tokens.windows(2).any(|pair| {
        matches!(&pair[0], TokenTree::Ident(i) if i == "crate")
            && matches!(&pair[1], TokenTree::Punct(p) if p.as_char() == '=')
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn squash(t: TokenStream) -> String {
        t.to_string()
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect()
    }

    #[test]
    fn adds_the_tokio_path_when_no_crate_is_named() {
        assert_eq!(squash(default_crate_tokio(quote!())), "crate=\"::tokio\"");
        assert_eq!(
            squash(default_crate_tokio(quote!(flavor = "current_thread"))),
            "flavor=\"current_thread\",crate=\"::tokio\""
        );
        assert_eq!(
            squash(default_crate_tokio(quote!(flavor = "current_thread",))),
            "flavor=\"current_thread\",crate=\"::tokio\""
        );
    }

    #[test]
    fn keeps_a_crate_the_user_names() {
        let args = quote!(crate = "my::rt", flavor = "current_thread");
        assert_eq!(squash(default_crate_tokio(args.clone())), squash(args));
    }
}
