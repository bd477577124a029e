//! The classic async/await program, on evloop's single-threaded event loop.
//!
//! Fetch a user, then that user's posts, then a post's comments: three
//! operations that each wait (here: 100, 150 and 200 ms timers standing in
//! for network requests), written as straight-line `async fn`s with `?` for
//! errors — the `try/catch` of the explanation.
//!
//! The program runs the chain once (about 450 ms), shows a failing fetch
//! reaching the error handler, and then runs N copies at once (10,000 by
//! default): because every `.await` hands the thread back to the event loop,
//! N chains take about as long as one.
//!
//! ```sh
//! cargo run --release --example fetch_chain -- --chains 100000
//! ```
//!
//! To *see* the loop, record a timeline of a small run and open it in a
//! browser: one lane per thread showing which task runs when, the task
//! queue's depth, the loop parked while the timers run, and for any task
//! (click it) its spawn, its polls and what woke it:
//!
//! ```sh
//! cargo run --release --example fetch_chain -- --chains 20 --trace fetch_chain.html
//! ```
//!
//! A whole big run needs a bigger ring than the default (records kept per
//! thread; also `EVLOOP_TRACE_RING=N`):
//!
//! ```sh
//! cargo run --release --example fetch_chain -- --chains 100000 --trace-ring 2000000 --trace big.html
//! ```

use std::error::Error;
use std::fmt;
use std::time::{Duration, Instant};

use evloop::time::sleep;

/// What a failed fetch reports.
#[derive(Debug)]
enum FetchError {
    UserNotFound(String),
}

impl fmt::Display for FetchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FetchError::UserNotFound(id) => write!(f, "user {id:?} not found"),
        }
    }
}

impl Error for FetchError {}

async fn fetch_user(user_id: &str, verbose: bool) -> Result<String, FetchError> {
    if verbose {
        println!("Fetching user...");
    }
    sleep(Duration::from_millis(100)).await;
    if user_id == "missing" {
        return Err(FetchError::UserNotFound(user_id.to_string()));
    }
    Ok(format!("User-{user_id}"))
}

async fn fetch_posts(user: &str, verbose: bool) -> Result<String, FetchError> {
    if verbose {
        println!("Fetching posts for {user}...");
    }
    sleep(Duration::from_millis(150)).await;
    Ok("Post-123".to_string())
}

async fn fetch_comments(post: &str, verbose: bool) -> Result<String, FetchError> {
    if verbose {
        println!("Fetching comments for {post}...");
    }
    sleep(Duration::from_millis(200)).await;
    Ok("Here are the comments.".to_string())
}

/// The explanation's `displayComments`: each `.await` suspends this
/// function and lets the loop run something else; `?` is the `catch`.
async fn display_comments(user_id: &str, verbose: bool) -> Result<String, FetchError> {
    let user = fetch_user(user_id, verbose).await?;
    if verbose {
        println!("Got user: {user}");
    }
    let post = fetch_posts(&user, verbose).await?;
    if verbose {
        println!("Got post: {post}");
    }
    let comments = fetch_comments(&post, verbose).await?;
    if verbose {
        println!("Got comments: {comments}");
    }
    Ok(comments)
}

fn handle_error(err: &FetchError) {
    println!("Error handled: {err}");
}

struct Args {
    chains: usize,
    trace: Option<String>,
    trace_ring: Option<usize>,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        chains: 10_000,
        trace: None,
        trace_ring: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--chains" => {
                let v = it.next().ok_or("--chains needs a number")?;
                args.chains = v
                    .parse()
                    .map_err(|_| format!("--chains: {v:?} is not a number"))?;
            }
            "--trace" => {
                let path = it
                    .next()
                    .ok_or("--trace needs a file name (.html or .json)")?;
                args.trace = Some(path);
            }
            "--trace-ring" => {
                let v = it.next().ok_or("--trace-ring needs a number")?;
                args.trace_ring = Some(
                    v.parse()
                        .map_err(|_| format!("--trace-ring: {v:?} is not a number"))?,
                );
            }
            "-h" | "--help" => {
                println!(
                    "usage: fetch_chain [--chains N] [--trace FILE.html|FILE.json] [--trace-ring RECORDS]"
                );
                std::process::exit(0);
            }
            other => return Err(format!("unknown argument {other:?} (try --help)")),
        }
    }
    Ok(args)
}

fn main() {
    let args = match parse_args() {
        Ok(args) => args,
        Err(e) => {
            eprintln!("fetch_chain: {e}");
            std::process::exit(2);
        }
    };
    // The single-threaded event loop: every chain runs on this thread.
    let mut builder = evloop::runtime::Builder::new_current_thread();
    builder.enable_all();
    if let Some(path) = &args.trace {
        let mut config = evloop::trace::TraceConfig::new().output(path);
        // Records kept per thread (also `EVLOOP_TRACE_RING`): a whole big
        // run needs more than the default.
        if let Some(records) = args.trace_ring {
            config = config.ring_capacity(records);
        }
        builder.trace(config);
    }
    let rt = builder.build().expect("failed to build the runtime");
    rt.block_on(run(&args));
    // Dropping the runtime writes the trace file, if one was asked for.
    drop(rt);
    if let Some(path) = &args.trace {
        if path.ends_with(".html") || path.ends_with(".htm") {
            println!("\ntimeline written to {path}: open it in a browser");
        } else {
            println!(
                "\ntrace written to {path}: Chrome trace-event JSON, open it in Perfetto \
                 (ui.perfetto.dev) or chrome://tracing"
            );
        }
    }
}

async fn run(args: &Args) {
    println!("== One chain, step by step");
    let start = Instant::now();
    match display_comments("test-user", true).await {
        Ok(_) => println!("Process finished in {:?} (ideal: 450 ms)", start.elapsed()),
        Err(e) => handle_error(&e),
    }

    println!("\n== A chain whose first fetch fails");
    match display_comments("missing", true).await {
        Ok(c) => println!("unexpected success: {c}"),
        Err(e) => handle_error(&e),
    }

    println!("\n== {} chains at once on one thread", args.chains);
    let start = Instant::now();
    let handles: Vec<_> = (0..args.chains)
        .map(|i| {
            evloop::spawn(async move {
                let id = if i % 1000 == 999 {
                    "missing"
                } else {
                    "test-user"
                };
                display_comments(id, false).await
            })
        })
        .collect();
    let (mut ok, mut failed) = (0usize, 0usize);
    for handle in handles {
        match handle.await.expect("a chain task panicked") {
            Ok(_) => ok += 1,
            Err(_) => failed += 1,
        }
    }
    let elapsed = start.elapsed();
    assert_eq!(ok + failed, args.chains);
    println!(
        "{ok} chains completed and {failed} failed (every 1000th user is missing) in {elapsed:?}; \
         one chain alone takes 450 ms"
    );
}
