//! The arguments of `#[evloop::main(...)]` and `#[evloop::test(...)]`.
//!
//! The grammar is a comma-separated list of `name = literal` pairs:
//!
//! | name             | literal                                | allowed with        |
//! |------------------|----------------------------------------|---------------------|
//! | `flavor`         | `"current_thread"`, `"multi_thread"` or `"local"` | every flavour |
//! | `worker_threads` | integer, at least 1                    | `multi_thread` only |
//! | `start_paused`   | `true` or `false`                      | `current_thread` and `local` |
//! | `name`           | a non-empty string: the runtime's name | every flavour       |
//! | `crate`          | a path in a string, e.g. `"::evloop"`  | every flavour       |
//!
//! `main` defaults to `multi_thread`, `test` to `current_thread`. Parsing is a
//! plain function over [`proc_macro2::TokenStream`] so that it can be unit
//! tested without a compiler session. Every problem is reported with the span
//! of the token at fault; independent problems are reported together.

use proc_macro2::{Span, TokenStream};
use syn::ext::IdentExt;
use syn::parse::{Parse, ParseStream, Parser};
use syn::punctuated::Punctuated;
use syn::{Ident, Lit, Path, Token};

/// Which attribute is being expanded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Main,
    Test,
}

impl Kind {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Kind::Main => "main",
            Kind::Test => "test",
        }
    }

    fn default_flavor(self) -> Flavor {
        match self {
            Kind::Main => Flavor::MultiThread,
            Kind::Test => Flavor::CurrentThread,
        }
    }
}

/// The runtime flavour the expansion builds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Flavor {
    CurrentThread,
    MultiThread,
    /// A `LocalRuntime` (current-thread, with `!Send` tasks).
    Local,
}

impl Flavor {
    fn from_str(value: &str) -> Option<Flavor> {
        match value {
            "current_thread" => Some(Flavor::CurrentThread),
            "multi_thread" => Some(Flavor::MultiThread),
            "local" => Some(Flavor::Local),
            _ => None,
        }
    }
}

/// The validated arguments.
#[derive(Clone)]
pub(crate) struct Config {
    pub(crate) flavor: Flavor,
    pub(crate) worker_threads: Option<usize>,
    pub(crate) start_paused: Option<bool>,
    /// `Builder::name`.
    pub(crate) name: Option<String>,
    /// The path the expansion uses to name the runtime crate.
    pub(crate) crate_path: Path,
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let path = &self.crate_path;
        f.debug_struct("Config")
            .field("flavor", &self.flavor)
            .field("worker_threads", &self.worker_threads)
            .field("start_paused", &self.start_paused)
            .field("name", &self.name)
            .field("crate_path", &quote::quote!(#path).to_string())
            .finish()
    }
}

impl Config {
    /// The configuration used when no argument is given.
    pub(crate) fn default_for(kind: Kind) -> Config {
        Config {
            flavor: kind.default_flavor(),
            worker_threads: None,
            start_paused: None,
            name: None,
            crate_path: syn::parse_quote!(::evloop),
        }
    }
}

const NAMES: &str = "`flavor`, `worker_threads`, `start_paused`, `name`, `crate`";

/// One `name = literal` pair, before validation.
struct Arg {
    name: Ident,
    value: Lit,
}

impl Parse for Arg {
    fn parse(input: ParseStream<'_>) -> syn::Result<Arg> {
        // `parse_any` accepts keywords, so that `crate = "..."` parses.
        let name = Ident::parse_any(input)?;
        if !input.peek(Token![=]) {
            return Err(syn::Error::new(
                name.span(),
                format!("expected `{name} = <value>`"),
            ));
        }
        input.parse::<Token![=]>()?;
        let value: Lit = input.parse().map_err(|e| {
            syn::Error::new(e.span(), format!("the value of `{name}` must be a literal"))
        })?;
        Ok(Arg { name, value })
    }
}

/// Collects errors so that independent problems are all reported at once.
#[derive(Default)]
struct Errors(Option<syn::Error>);

impl Errors {
    fn push(&mut self, span: Span, message: impl std::fmt::Display) {
        let error = syn::Error::new(span, message);
        match &mut self.0 {
            Some(all) => all.combine(error),
            None => self.0 = Some(error),
        }
    }

    #[cfg(test)]
    fn finish<T>(self, value: T) -> syn::Result<T> {
        match self.0 {
            Some(error) => Err(error),
            None => Ok(value),
        }
    }
}

/// Parses and validates the arguments of `#[evloop::main]` / `#[evloop::test]`.
#[cfg(test)]
pub(crate) fn parse_args(kind: Kind, args: TokenStream) -> syn::Result<Config> {
    let (config, errors) = parse_all(kind, args);
    errors.finish(config)
}

/// Like `parse_args`, but also returns the best configuration it could make
/// out of the valid arguments, so the caller can expand the function next to
/// the error (with the right `crate` path, say) and avoid a cascade of errors.
pub(crate) fn parse_args_lenient(kind: Kind, args: TokenStream) -> (Config, Option<syn::Error>) {
    let (config, errors) = parse_all(kind, args);
    (config, errors.0)
}

fn parse_all(kind: Kind, args: TokenStream) -> (Config, Errors) {
    let args = match Punctuated::<Arg, Token![,]>::parse_terminated.parse2(args) {
        Ok(args) => args,
        Err(e) => return (Config::default_for(kind), Errors(Some(e))),
    };
    let attr = kind.name();
    let mut errors = Errors::default();

    let mut flavor: Option<(Flavor, Span)> = None;
    let mut worker_threads: Option<(usize, Span)> = None;
    let mut start_paused: Option<(bool, Span)> = None;
    let mut crate_path: Option<Path> = None;
    let mut rt_name: Option<String> = None;
    let mut seen: Vec<String> = Vec::new();

    for Arg { name, value } in args {
        let key = name.unraw().to_string();
        if seen.contains(&key) {
            errors.push(name.span(), format!("`{key}` is given more than once"));
            continue;
        }
        seen.push(key.clone());
        match key.as_str() {
            "flavor" => match &value {
                Lit::Str(s) => match Flavor::from_str(&s.value()) {
                    Some(f) => flavor = Some((f, name.span())),
                    None => errors.push(
                        s.span(),
                        format!(
                            "unknown runtime flavor \"{}\"; expected \"current_thread\", \"multi_thread\" or \"local\"",
                            s.value()
                        ),
                    ),
                },
                other => errors.push(
                    other.span(),
                    "`flavor` must be a string: \"current_thread\", \"multi_thread\" or \"local\"",
                ),
            },
            "worker_threads" => match &value {
                Lit::Int(n) => match n.base10_parse::<usize>() {
                    Ok(0) => errors.push(n.span(), "`worker_threads` must be at least 1"),
                    Ok(v) => worker_threads = Some((v, name.span())),
                    Err(e) => errors.push(
                        n.span(),
                        format!("`worker_threads` must be a positive integer: {e}"),
                    ),
                },
                other => errors.push(
                    other.span(),
                    "`worker_threads` must be an integer literal, such as `4`",
                ),
            },
            "start_paused" => match &value {
                Lit::Bool(b) => start_paused = Some((b.value, name.span())),
                other => errors.push(other.span(), "`start_paused` must be `true` or `false`"),
            },
            "name" => match &value {
                Lit::Str(s) if !s.value().trim().is_empty() => rt_name = Some(s.value()),
                Lit::Str(s) => errors.push(s.span(), "`name` must not be empty"),
                other => errors.push(other.span(), "`name` must be a string, such as \"api\""),
            },
            "crate" => match &value {
                Lit::Str(s) => match s.parse::<Path>() {
                    Ok(path) => crate_path = Some(path),
                    Err(_) => errors.push(
                        s.span(),
                        format!("`crate` must be a path, such as \"::evloop\"; found \"{}\"", s.value()),
                    ),
                },
                other => errors.push(
                    other.span(),
                    "`crate` must be a path in a string, such as \"::evloop\"",
                ),
            },
            _ => errors.push(
                name.span(),
                format!("unknown option `{key}`; expected one of {NAMES}"),
            ),
        }
    }

    let resolved = flavor.map_or(kind.default_flavor(), |(f, _)| f);
    if let Some((_, span)) = worker_threads {
        if resolved != Flavor::MultiThread {
            let message = if flavor.is_some() {
                "`worker_threads` needs the \"multi_thread\" flavor: the current_thread and local runtimes run everything on one thread".to_string()
            } else {
                format!(
                    "`worker_threads` needs the \"multi_thread\" flavor, and `#[evloop::{attr}]` defaults to \"current_thread\"; \
                     write `#[evloop::{attr}(flavor = \"multi_thread\", worker_threads = N)]`"
                )
            };
            errors.push(span, message);
        }
    }
    if let Some((_, span)) = start_paused {
        if resolved == Flavor::MultiThread {
            let message = if flavor.is_some() {
                "`start_paused` needs the \"current_thread\" flavor: time can only be paused on a single-threaded runtime".to_string()
            } else {
                format!(
                    "`start_paused` needs the \"current_thread\" flavor, and `#[evloop::{attr}]` defaults to \"multi_thread\"; \
                     write `#[evloop::{attr}(flavor = \"current_thread\", start_paused = true)]`"
                )
            };
            errors.push(span, message);
        }
    }

    let mut config = Config::default_for(kind);
    config.flavor = resolved;
    config.worker_threads = worker_threads.map(|(n, _)| n);
    config.start_paused = start_paused.map(|(b, _)| b);
    config.name = rt_name;
    if let Some(path) = crate_path {
        config.crate_path = path;
    }
    (config, errors)
}

#[cfg(test)]
mod tests {
    use super::*;
    use quote::quote;

    fn parse(kind: Kind, args: TokenStream) -> Config {
        match parse_args(kind, args) {
            Ok(config) => config,
            Err(e) => panic!("unexpected error: {e}"),
        }
    }

    fn error(kind: Kind, args: TokenStream) -> String {
        match parse_args(kind, args) {
            Ok(config) => panic!("expected an error, got {config:?}"),
            Err(e) => e
                .into_iter()
                .map(|e| e.to_string())
                .collect::<Vec<_>>()
                .join("\n"),
        }
    }

    fn path_str(path: &Path) -> String {
        quote!(#path).to_string().replace(' ', "")
    }

    #[test]
    fn defaults_differ_between_main_and_test() {
        let main = parse(Kind::Main, quote!());
        assert_eq!(main.flavor, Flavor::MultiThread);
        assert_eq!(main.worker_threads, None);
        assert_eq!(main.start_paused, None);
        assert_eq!(path_str(&main.crate_path), "::evloop");

        let test = parse(Kind::Test, quote!());
        assert_eq!(test.flavor, Flavor::CurrentThread);
    }

    #[test]
    fn all_options_are_read() {
        let c = parse(
            Kind::Main,
            quote!(
                flavor = "multi_thread",
                worker_threads = 3,
                crate = "my::rt",
            ),
        );
        assert_eq!(c.flavor, Flavor::MultiThread);
        assert_eq!(c.worker_threads, Some(3));
        assert_eq!(path_str(&c.crate_path), "my::rt");

        let c = parse(Kind::Test, quote!(start_paused = true));
        assert_eq!(c.flavor, Flavor::CurrentThread);
        assert_eq!(c.start_paused, Some(true));

        let c = parse(
            Kind::Main,
            quote!(flavor = "current_thread", start_paused = false),
        );
        assert_eq!(c.flavor, Flavor::CurrentThread);
        assert_eq!(c.start_paused, Some(false));

        let c = parse(Kind::Test, quote!(flavor = "multi_thread"));
        assert_eq!(c.flavor, Flavor::MultiThread);
    }

    #[test]
    fn local_flavor_and_name() {
        let c = parse(Kind::Main, quote!(flavor = "local", name = "api"));
        assert_eq!(c.flavor, Flavor::Local);
        assert_eq!(c.name.as_deref(), Some("api"));
        let c = parse(Kind::Test, quote!(flavor = "local", start_paused = true));
        assert_eq!(c.start_paused, Some(true));
        let e = error(Kind::Main, quote!(flavor = "local", worker_threads = 2));
        assert!(
            e.contains("`worker_threads` needs the \"multi_thread\" flavor"),
            "{e}"
        );
        let e = error(Kind::Main, quote!(name = " "));
        assert!(e.contains("`name` must not be empty"), "{e}");
        let e = error(Kind::Main, quote!(name = 3));
        assert!(e.contains("`name` must be a string"), "{e}");
    }

    #[test]
    fn unknown_option_is_rejected() {
        let e = error(Kind::Main, quote!(threads = 4));
        assert!(e.contains("unknown option `threads`"), "{e}");
        assert!(e.contains("`worker_threads`"), "{e}");
    }

    #[test]
    fn bad_flavor_is_rejected() {
        let e = error(Kind::Main, quote!(flavor = "single_thread"));
        assert!(
            e.contains("unknown runtime flavor \"single_thread\""),
            "{e}"
        );
        let e = error(Kind::Main, quote!(flavor = current_thread));
        assert!(e.contains("must be a literal"), "{e}");
        let e = error(Kind::Main, quote!(flavor = 1));
        assert!(e.contains("`flavor` must be a string"), "{e}");
    }

    #[test]
    fn worker_threads_needs_multi_thread() {
        let e = error(
            Kind::Main,
            quote!(flavor = "current_thread", worker_threads = 2),
        );
        assert!(
            e.contains("`worker_threads` needs the \"multi_thread\" flavor"),
            "{e}"
        );
        // `test` defaults to current_thread: the message says so.
        let e = error(Kind::Test, quote!(worker_threads = 2));
        assert!(e.contains("defaults to \"current_thread\""), "{e}");
    }

    #[test]
    fn worker_threads_must_be_positive_integer() {
        let e = error(Kind::Main, quote!(worker_threads = 0));
        assert!(e.contains("must be at least 1"), "{e}");
        let e = error(Kind::Main, quote!(worker_threads = "4"));
        assert!(e.contains("must be an integer literal"), "{e}");
        let e = error(Kind::Main, quote!(worker_threads = -1));
        assert!(e.contains("must be a positive integer"), "{e}");
    }

    #[test]
    fn start_paused_needs_current_thread() {
        let e = error(Kind::Main, quote!(start_paused = true));
        assert!(e.contains("defaults to \"multi_thread\""), "{e}");
        let e = error(
            Kind::Test,
            quote!(flavor = "multi_thread", start_paused = true),
        );
        assert!(
            e.contains("`start_paused` needs the \"current_thread\" flavor"),
            "{e}"
        );
        let e = error(Kind::Test, quote!(start_paused = 1));
        assert!(e.contains("`true` or `false`"), "{e}");
    }

    #[test]
    fn crate_must_be_a_path() {
        let e = error(Kind::Main, quote!(crate = "not a path"));
        assert!(e.contains("`crate` must be a path"), "{e}");
        let e = error(Kind::Main, quote!(crate = evloop));
        assert!(e.contains("must be a literal"), "{e}");
    }

    #[test]
    fn duplicates_and_syntax_errors_are_rejected() {
        let e = error(
            Kind::Main,
            quote!(flavor = "multi_thread", flavor = "multi_thread"),
        );
        assert!(e.contains("`flavor` is given more than once"), "{e}");
        let e = error(Kind::Main, quote!(flavor));
        assert!(e.contains("expected `flavor = <value>`"), "{e}");
        let e = error(
            Kind::Main,
            quote!(flavor = "multi_thread" worker_threads = 2),
        );
        assert!(e.contains("expected `,`"), "{e}");
    }

    #[test]
    fn independent_errors_are_reported_together() {
        let e = error(Kind::Main, quote!(bogus = 1, worker_threads = 0));
        assert!(e.contains("unknown option `bogus`"), "{e}");
        assert!(e.contains("must be at least 1"), "{e}");
    }
}
