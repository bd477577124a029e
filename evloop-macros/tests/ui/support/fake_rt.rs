// A stand-in for `evloop::runtime`, with the builder methods the expansion
// calls, so these tests need only the macro crate.
#![allow(dead_code)]

pub mod runtime {
    use std::future::Future;

    pub struct Builder;
    pub struct Runtime;

    impl Builder {
        pub fn new_current_thread() -> Builder {
            Builder
        }
        pub fn new_multi_thread() -> Builder {
            Builder
        }
        pub fn enable_all(&mut self) -> &mut Builder {
            self
        }
        pub fn start_paused(&mut self, _: bool) -> &mut Builder {
            self
        }
        pub fn worker_threads(&mut self, _: usize) -> &mut Builder {
            self
        }
        pub fn build(&mut self) -> std::io::Result<Runtime> {
            Ok(Runtime)
        }
    }

    impl Runtime {
        pub fn block_on<F: Future>(&self, _future: F) -> F::Output {
            unimplemented!("compile-time stand-in")
        }
    }
}
