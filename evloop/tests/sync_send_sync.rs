//! Auto traits of the `sync` types and of the futures their methods return,
//! checked at compile time against the table tokio documents and tests for
//! its own types: code that moves a tokio handle or future across threads
//! (or relies on it staying on one) compiles the same against evloop.
//!
//! `NN` is neither `Send` nor `Sync`, `YN` is `Send` but not `Sync`, `YY` is
//! both. A "no" is checked too: a type that is `Send` where tokio's is not
//! would accept programs that tokio rejects for a reason.
#![allow(
    dead_code,
    clippy::diverging_sub_expression,
    clippy::let_unit_value,
    clippy::type_complexity
)]

use std::cell::Cell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::time::Duration;

#[derive(Clone)]
struct YY;

#[derive(Clone)]
struct YN(Cell<u8>);

#[derive(Clone)]
struct NN(Rc<u8>);

fn must_send<T: ?Sized + Send>(_: &T) {}
fn must_sync<T: ?Sized + Sync>(_: &T) {}
fn must_unpin<T: ?Sized + Unpin>(_: &T) {}

/// `check` resolves to the first impl only when `T` lacks the trait; with
/// the trait both impls apply, the call is ambiguous and the build fails.
trait LacksSend<Which> {
    fn check(&self) {}
}
impl<T: ?Sized> LacksSend<()> for T {}
impl<T: ?Sized + Send> LacksSend<u8> for T {}

trait LacksSync<Which> {
    fn check(&self) {}
}
impl<T: ?Sized> LacksSync<()> for T {}
impl<T: ?Sized + Sync> LacksSync<u8> for T {}

trait LacksUnpin<Which> {
    fn check(&self) {}
}
impl<T: ?Sized> LacksUnpin<()> for T {}
impl<T: ?Sized + Unpin> LacksUnpin<u8> for T {}

macro_rules! has {
    ($v:ident, Send, yes) => {
        must_send(&$v)
    };
    ($v:ident, Send, no) => {
        LacksSend::check(&$v)
    };
    ($v:ident, Sync, yes) => {
        must_sync(&$v)
    };
    ($v:ident, Sync, no) => {
        LacksSync::check(&$v)
    };
    ($v:ident, Unpin, yes) => {
        must_unpin(&$v)
    };
    ($v:ident, Unpin, no) => {
        LacksUnpin::check(&$v)
    };
}

/// `traits!([expression] Send = yes, Sync = no, Unpin = yes)`: the
/// expression is never evaluated, only type-checked.
macro_rules! traits {
    ([$value:expr] $($tr:ident = $ans:ident),*) => {
        #[allow(unreachable_code, unused_variables)]
        const _: fn() = || {
            let v = $value;
            $(has!(v, $tr, $ans);)*
        };
    };
}

traits!([{ let x: evloop::sync::AcquireError = todo!(); x }] Send = yes, Sync = yes, Unpin = yes);
traits!([{ let x: evloop::sync::Barrier = todo!(); x }] Send = yes, Sync = yes, Unpin = yes);
traits!([{ let x: evloop::sync::BarrierWaitResult = todo!(); x }] Send = yes, Sync = yes, Unpin = yes);
traits!([{ let x: evloop::sync::MappedMutexGuard<'_, NN> = todo!(); x }] Send = no, Sync = no, Unpin = yes);
traits!([{ let x: evloop::sync::MappedMutexGuard<'_, YN> = todo!(); x }] Send = yes, Sync = no, Unpin = yes);
traits!([{ let x: evloop::sync::MappedMutexGuard<'_, YY> = todo!(); x }] Send = yes, Sync = yes, Unpin = yes);
traits!([{ let x: evloop::sync::Mutex<NN> = todo!(); x }] Send = no, Sync = no, Unpin = yes);
traits!([{ let x: evloop::sync::Mutex<YN> = todo!(); x }] Send = yes, Sync = yes, Unpin = yes);
traits!([{ let x: evloop::sync::Mutex<YY> = todo!(); x }] Send = yes, Sync = yes, Unpin = yes);
traits!([{ let x: evloop::sync::MutexGuard<'_, NN> = todo!(); x }] Send = no, Sync = no, Unpin = yes);
traits!([{ let x: evloop::sync::MutexGuard<'_, YN> = todo!(); x }] Send = yes, Sync = no, Unpin = yes);
traits!([{ let x: evloop::sync::MutexGuard<'_, YY> = todo!(); x }] Send = yes, Sync = yes, Unpin = yes);
traits!([{ let x: evloop::sync::Notify = todo!(); x }] Send = yes, Sync = yes, Unpin = yes);
traits!([{ let x: evloop::sync::OnceCell<NN> = todo!(); x }] Send = no, Sync = no, Unpin = yes);
traits!([{ let x: evloop::sync::OnceCell<YN> = todo!(); x }] Send = yes, Sync = no, Unpin = yes);
traits!([{ let x: evloop::sync::OnceCell<YY> = todo!(); x }] Send = yes, Sync = yes, Unpin = yes);
traits!([{ let x: evloop::sync::SetOnce<NN> = todo!(); x }] Send = no, Sync = no, Unpin = yes);
traits!([{ let x: evloop::sync::SetOnce<YN> = todo!(); x }] Send = yes, Sync = no, Unpin = yes);
traits!([{ let x: evloop::sync::SetOnce<YY> = todo!(); x }] Send = yes, Sync = yes, Unpin = yes);
traits!([{ let x: evloop::sync::OwnedMutexGuard<NN> = todo!(); x }] Send = no, Sync = no, Unpin = yes);
traits!([{ let x: evloop::sync::OwnedMutexGuard<YN> = todo!(); x }] Send = yes, Sync = no, Unpin = yes);
traits!([{ let x: evloop::sync::OwnedMutexGuard<YY> = todo!(); x }] Send = yes, Sync = yes, Unpin = yes);
traits!([{ let x: evloop::sync::OwnedMappedMutexGuard<NN,NN> = todo!(); x }] Send = no, Sync = no, Unpin = yes);
traits!([{ let x: evloop::sync::OwnedMappedMutexGuard<NN,YN> = todo!(); x }] Send = no, Sync = no, Unpin = yes);
traits!([{ let x: evloop::sync::OwnedMappedMutexGuard<NN,YY> = todo!(); x }] Send = no, Sync = no, Unpin = yes);
traits!([{ let x: evloop::sync::OwnedMappedMutexGuard<YN,NN> = todo!(); x }] Send = no, Sync = no, Unpin = yes);
traits!([{ let x: evloop::sync::OwnedMappedMutexGuard<YN,YN> = todo!(); x }] Send = yes, Sync = no, Unpin = yes);
traits!([{ let x: evloop::sync::OwnedMappedMutexGuard<YN,YY> = todo!(); x }] Send = yes, Sync = no, Unpin = yes);
traits!([{ let x: evloop::sync::OwnedMappedMutexGuard<YY,NN> = todo!(); x }] Send = no, Sync = no, Unpin = yes);
traits!([{ let x: evloop::sync::OwnedMappedMutexGuard<YY,YN> = todo!(); x }] Send = yes, Sync = no, Unpin = yes);
traits!([{ let x: evloop::sync::OwnedMappedMutexGuard<YY,YY> = todo!(); x }] Send = yes, Sync = yes, Unpin = yes);
traits!([{ let x: evloop::sync::OwnedRwLockMappedWriteGuard<NN> = todo!(); x }] Send = no, Sync = no, Unpin = yes);
traits!([{ let x: evloop::sync::OwnedRwLockMappedWriteGuard<YN> = todo!(); x }] Send = no, Sync = no, Unpin = yes);
traits!([{ let x: evloop::sync::OwnedRwLockMappedWriteGuard<YY> = todo!(); x }] Send = yes, Sync = yes, Unpin = yes);
traits!([{ let x: evloop::sync::OwnedRwLockReadGuard<NN> = todo!(); x }] Send = no, Sync = no, Unpin = yes);
traits!([{ let x: evloop::sync::OwnedRwLockReadGuard<YN> = todo!(); x }] Send = no, Sync = no, Unpin = yes);
traits!([{ let x: evloop::sync::OwnedRwLockReadGuard<YY> = todo!(); x }] Send = yes, Sync = yes, Unpin = yes);
traits!([{ let x: evloop::sync::OwnedRwLockWriteGuard<NN> = todo!(); x }] Send = no, Sync = no, Unpin = yes);
traits!([{ let x: evloop::sync::OwnedRwLockWriteGuard<YN> = todo!(); x }] Send = no, Sync = no, Unpin = yes);
traits!([{ let x: evloop::sync::OwnedRwLockWriteGuard<YY> = todo!(); x }] Send = yes, Sync = yes, Unpin = yes);
traits!([{ let x: evloop::sync::OwnedSemaphorePermit = todo!(); x }] Send = yes, Sync = yes, Unpin = yes);
traits!([{ let x: evloop::sync::RwLock<NN> = todo!(); x }] Send = no, Sync = no, Unpin = yes);
traits!([{ let x: evloop::sync::RwLock<YN> = todo!(); x }] Send = yes, Sync = no, Unpin = yes);
traits!([{ let x: evloop::sync::RwLock<YY> = todo!(); x }] Send = yes, Sync = yes, Unpin = yes);
traits!([{ let x: evloop::sync::RwLockMappedWriteGuard<'_, NN> = todo!(); x }] Send = no, Sync = no, Unpin = yes);
traits!([{ let x: evloop::sync::RwLockMappedWriteGuard<'_, YN> = todo!(); x }] Send = no, Sync = no, Unpin = yes);
traits!([{ let x: evloop::sync::RwLockMappedWriteGuard<'_, YY> = todo!(); x }] Send = yes, Sync = yes, Unpin = yes);
traits!([{ let x: evloop::sync::RwLockReadGuard<'_, NN> = todo!(); x }] Send = no, Sync = no, Unpin = yes);
traits!([{ let x: evloop::sync::RwLockReadGuard<'_, YN> = todo!(); x }] Send = no, Sync = no, Unpin = yes);
traits!([{ let x: evloop::sync::RwLockReadGuard<'_, YY> = todo!(); x }] Send = yes, Sync = yes, Unpin = yes);
traits!([{ let x: evloop::sync::RwLockWriteGuard<'_, NN> = todo!(); x }] Send = no, Sync = no, Unpin = yes);
traits!([{ let x: evloop::sync::RwLockWriteGuard<'_, YN> = todo!(); x }] Send = no, Sync = no, Unpin = yes);
traits!([{ let x: evloop::sync::RwLockWriteGuard<'_, YY> = todo!(); x }] Send = yes, Sync = yes, Unpin = yes);
traits!([{ let x: evloop::sync::Semaphore = todo!(); x }] Send = yes, Sync = yes, Unpin = yes);
traits!([{ let x: evloop::sync::SemaphorePermit<'_> = todo!(); x }] Send = yes, Sync = yes, Unpin = yes);
traits!([{ let x: evloop::sync::TryAcquireError = todo!(); x }] Send = yes, Sync = yes, Unpin = yes);
traits!([{ let x: evloop::sync::TryLockError = todo!(); x }] Send = yes, Sync = yes, Unpin = yes);
traits!([{ let x: evloop::sync::broadcast::Receiver<NN> = todo!(); x }] Send = no, Sync = no, Unpin = yes);
traits!([{ let x: evloop::sync::broadcast::Receiver<YN> = todo!(); x }] Send = yes, Sync = yes, Unpin = yes);
traits!([{ let x: evloop::sync::broadcast::Receiver<YY> = todo!(); x }] Send = yes, Sync = yes, Unpin = yes);
traits!([{ let x: evloop::sync::broadcast::Sender<NN> = todo!(); x }] Send = no, Sync = no, Unpin = yes);
traits!([{ let x: evloop::sync::broadcast::Sender<YN> = todo!(); x }] Send = yes, Sync = yes, Unpin = yes);
traits!([{ let x: evloop::sync::broadcast::Sender<YY> = todo!(); x }] Send = yes, Sync = yes, Unpin = yes);
traits!([{ let x: evloop::sync::broadcast::WeakSender<NN> = todo!(); x }] Send = no, Sync = no, Unpin = yes);
traits!([{ let x: evloop::sync::broadcast::WeakSender<YN> = todo!(); x }] Send = yes, Sync = yes, Unpin = yes);
traits!([{ let x: evloop::sync::broadcast::WeakSender<YY> = todo!(); x }] Send = yes, Sync = yes, Unpin = yes);
traits!([{ let x: evloop::sync::futures::Notified<'_> = todo!(); x }] Send = yes, Sync = yes, Unpin = no);
traits!([{ let x: evloop::sync::futures::OwnedNotified = todo!(); x }] Send = yes, Sync = yes, Unpin = no);
traits!([{ let x: evloop::sync::mpsc::OwnedPermit<NN> = todo!(); x }] Send = no, Sync = no, Unpin = yes);
traits!([{ let x: evloop::sync::mpsc::OwnedPermit<YN> = todo!(); x }] Send = yes, Sync = yes, Unpin = yes);
traits!([{ let x: evloop::sync::mpsc::OwnedPermit<YY> = todo!(); x }] Send = yes, Sync = yes, Unpin = yes);
traits!([{ let x: evloop::sync::mpsc::Permit<'_, NN> = todo!(); x }] Send = no, Sync = no, Unpin = yes);
traits!([{ let x: evloop::sync::mpsc::Permit<'_, YN> = todo!(); x }] Send = yes, Sync = yes, Unpin = yes);
traits!([{ let x: evloop::sync::mpsc::Permit<'_, YY> = todo!(); x }] Send = yes, Sync = yes, Unpin = yes);
traits!([{ let x: evloop::sync::mpsc::Receiver<NN> = todo!(); x }] Send = no, Sync = no, Unpin = yes);
traits!([{ let x: evloop::sync::mpsc::Receiver<YN> = todo!(); x }] Send = yes, Sync = yes, Unpin = yes);
traits!([{ let x: evloop::sync::mpsc::Receiver<YY> = todo!(); x }] Send = yes, Sync = yes, Unpin = yes);
traits!([{ let x: evloop::sync::mpsc::Sender<NN> = todo!(); x }] Send = no, Sync = no, Unpin = yes);
traits!([{ let x: evloop::sync::mpsc::Sender<YN> = todo!(); x }] Send = yes, Sync = yes, Unpin = yes);
traits!([{ let x: evloop::sync::mpsc::Sender<YY> = todo!(); x }] Send = yes, Sync = yes, Unpin = yes);
traits!([{ let x: evloop::sync::mpsc::UnboundedReceiver<NN> = todo!(); x }] Send = no, Sync = no, Unpin = yes);
traits!([{ let x: evloop::sync::mpsc::UnboundedReceiver<YN> = todo!(); x }] Send = yes, Sync = yes, Unpin = yes);
traits!([{ let x: evloop::sync::mpsc::UnboundedReceiver<YY> = todo!(); x }] Send = yes, Sync = yes, Unpin = yes);
traits!([{ let x: evloop::sync::mpsc::UnboundedSender<NN> = todo!(); x }] Send = no, Sync = no, Unpin = yes);
traits!([{ let x: evloop::sync::mpsc::UnboundedSender<YN> = todo!(); x }] Send = yes, Sync = yes, Unpin = yes);
traits!([{ let x: evloop::sync::mpsc::UnboundedSender<YY> = todo!(); x }] Send = yes, Sync = yes, Unpin = yes);
traits!([{ let x: evloop::sync::mpsc::WeakSender<NN> = todo!(); x }] Send = no, Sync = no, Unpin = yes);
traits!([{ let x: evloop::sync::mpsc::WeakSender<YN> = todo!(); x }] Send = yes, Sync = yes, Unpin = yes);
traits!([{ let x: evloop::sync::mpsc::WeakSender<YY> = todo!(); x }] Send = yes, Sync = yes, Unpin = yes);
traits!([{ let x: evloop::sync::mpsc::WeakUnboundedSender<NN> = todo!(); x }] Send = no, Sync = no, Unpin = yes);
traits!([{ let x: evloop::sync::mpsc::WeakUnboundedSender<YN> = todo!(); x }] Send = yes, Sync = yes, Unpin = yes);
traits!([{ let x: evloop::sync::mpsc::WeakUnboundedSender<YY> = todo!(); x }] Send = yes, Sync = yes, Unpin = yes);
traits!([{ let x: evloop::sync::mpsc::error::SendError<NN> = todo!(); x }] Send = no, Sync = no, Unpin = yes);
traits!([{ let x: evloop::sync::mpsc::error::SendError<YN> = todo!(); x }] Send = yes, Sync = no, Unpin = yes);
traits!([{ let x: evloop::sync::mpsc::error::SendError<YY> = todo!(); x }] Send = yes, Sync = yes, Unpin = yes);
traits!([{ let x: evloop::sync::mpsc::error::SendTimeoutError<NN> = todo!(); x }] Send = no, Sync = no, Unpin = yes);
traits!([{ let x: evloop::sync::mpsc::error::SendTimeoutError<YN> = todo!(); x }] Send = yes, Sync = no, Unpin = yes);
traits!([{ let x: evloop::sync::mpsc::error::SendTimeoutError<YY> = todo!(); x }] Send = yes, Sync = yes, Unpin = yes);
traits!([{ let x: evloop::sync::mpsc::error::TrySendError<NN> = todo!(); x }] Send = no, Sync = no, Unpin = yes);
traits!([{ let x: evloop::sync::mpsc::error::TrySendError<YN> = todo!(); x }] Send = yes, Sync = no, Unpin = yes);
traits!([{ let x: evloop::sync::mpsc::error::TrySendError<YY> = todo!(); x }] Send = yes, Sync = yes, Unpin = yes);
traits!([{ let x: evloop::sync::oneshot::Receiver<NN> = todo!(); x }] Send = no, Sync = no, Unpin = yes);
traits!([{ let x: evloop::sync::oneshot::Receiver<YN> = todo!(); x }] Send = yes, Sync = yes, Unpin = yes);
traits!([{ let x: evloop::sync::oneshot::Receiver<YY> = todo!(); x }] Send = yes, Sync = yes, Unpin = yes);
traits!([{ let x: evloop::sync::oneshot::Sender<NN> = todo!(); x }] Send = no, Sync = no, Unpin = yes);
traits!([{ let x: evloop::sync::oneshot::Sender<YN> = todo!(); x }] Send = yes, Sync = yes, Unpin = yes);
traits!([{ let x: evloop::sync::oneshot::Sender<YY> = todo!(); x }] Send = yes, Sync = yes, Unpin = yes);
traits!([{ let x: evloop::sync::watch::Receiver<NN> = todo!(); x }] Send = no, Sync = no, Unpin = yes);
traits!([{ let x: evloop::sync::watch::Receiver<YN> = todo!(); x }] Send = no, Sync = no, Unpin = yes);
traits!([{ let x: evloop::sync::watch::Receiver<YY> = todo!(); x }] Send = yes, Sync = yes, Unpin = yes);
traits!([{ let x: evloop::sync::watch::Ref<'_, NN> = todo!(); x }] Send = no, Sync = no, Unpin = yes);
traits!([{ let x: evloop::sync::watch::Ref<'_, YN> = todo!(); x }] Send = no, Sync = no, Unpin = yes);
traits!([{ let x: evloop::sync::watch::Ref<'_, YY> = todo!(); x }] Send = no, Sync = yes, Unpin = yes);
traits!([{ let x: evloop::sync::watch::Sender<NN> = todo!(); x }] Send = no, Sync = no, Unpin = yes);
traits!([{ let x: evloop::sync::watch::Sender<YN> = todo!(); x }] Send = no, Sync = no, Unpin = yes);
traits!([{ let x: evloop::sync::watch::Sender<YY> = todo!(); x }] Send = yes, Sync = yes, Unpin = yes);
traits!([evloop::sync::Barrier::wait(todo!())] Send = yes, Sync = yes, Unpin = no);
traits!([evloop::sync::Mutex::<NN>::lock(todo!())] Send = no, Sync = no, Unpin = no);
traits!([evloop::sync::Mutex::<NN>::lock_owned(todo!())] Send = no, Sync = no, Unpin = no);
traits!([evloop::sync::Mutex::<YN>::lock(todo!())] Send = yes, Sync = yes, Unpin = no);
traits!([evloop::sync::Mutex::<YN>::lock_owned(todo!())] Send = yes, Sync = yes, Unpin = no);
traits!([evloop::sync::Mutex::<YY>::lock(todo!())] Send = yes, Sync = yes, Unpin = no);
traits!([evloop::sync::Mutex::<YY>::lock_owned(todo!())] Send = yes, Sync = yes, Unpin = no);
traits!([evloop::sync::Notify::notified(todo!())] Send = yes, Sync = yes, Unpin = no);
traits!([evloop::sync::OnceCell::<NN>::get_or_init(todo!(), { let a: fn() -> Pin<Box<dyn Future<Output = NN> + Send + Sync>> = todo!(); a })] Send = no, Sync = no, Unpin = no);
traits!([evloop::sync::OnceCell::<NN>::get_or_init(todo!(), { let a: fn() -> Pin<Box<dyn Future<Output = NN> + Send>> = todo!(); a })] Send = no, Sync = no, Unpin = no);
traits!([evloop::sync::OnceCell::<NN>::get_or_init(todo!(), { let a: fn() -> Pin<Box<dyn Future<Output = NN>>> = todo!(); a })] Send = no, Sync = no, Unpin = no);
traits!([evloop::sync::OnceCell::<NN>::get_or_try_init(todo!(), { let a: fn() -> Pin<Box<dyn Future<Output = std::io::Result<NN>> + Send + Sync>> = todo!(); a })] Send = no, Sync = no, Unpin = no);
traits!([evloop::sync::OnceCell::<NN>::get_or_try_init(todo!(), { let a: fn() -> Pin<Box<dyn Future<Output = std::io::Result<NN>> + Send>> = todo!(); a })] Send = no, Sync = no, Unpin = no);
traits!([evloop::sync::OnceCell::<NN>::get_or_try_init(todo!(), { let a: fn() -> Pin<Box<dyn Future<Output = std::io::Result<NN>>>> = todo!(); a })] Send = no, Sync = no, Unpin = no);
traits!([evloop::sync::OnceCell::<YN>::get_or_init(todo!(), { let a: fn() -> Pin<Box<dyn Future<Output = YN> + Send + Sync>> = todo!(); a })] Send = no, Sync = no, Unpin = no);
traits!([evloop::sync::OnceCell::<YN>::get_or_init(todo!(), { let a: fn() -> Pin<Box<dyn Future<Output = YN> + Send>> = todo!(); a })] Send = no, Sync = no, Unpin = no);
traits!([evloop::sync::OnceCell::<YN>::get_or_init(todo!(), { let a: fn() -> Pin<Box<dyn Future<Output = YN>>> = todo!(); a })] Send = no, Sync = no, Unpin = no);
traits!([evloop::sync::OnceCell::<YN>::get_or_try_init(todo!(), { let a: fn() -> Pin<Box<dyn Future<Output = std::io::Result<YN>> + Send + Sync>> = todo!(); a })] Send = no, Sync = no, Unpin = no);
traits!([evloop::sync::OnceCell::<YN>::get_or_try_init(todo!(), { let a: fn() -> Pin<Box<dyn Future<Output = std::io::Result<YN>> + Send>> = todo!(); a })] Send = no, Sync = no, Unpin = no);
traits!([evloop::sync::OnceCell::<YN>::get_or_try_init(todo!(), { let a: fn() -> Pin<Box<dyn Future<Output = std::io::Result<YN>>>> = todo!(); a })] Send = no, Sync = no, Unpin = no);
traits!([evloop::sync::OnceCell::<YY>::get_or_init(todo!(), { let a: fn() -> Pin<Box<dyn Future<Output = YY> + Send + Sync>> = todo!(); a })] Send = yes, Sync = yes, Unpin = no);
traits!([evloop::sync::OnceCell::<YY>::get_or_init(todo!(), { let a: fn() -> Pin<Box<dyn Future<Output = YY> + Send>> = todo!(); a })] Send = yes, Sync = no, Unpin = no);
traits!([evloop::sync::OnceCell::<YY>::get_or_init(todo!(), { let a: fn() -> Pin<Box<dyn Future<Output = YY>>> = todo!(); a })] Send = no, Sync = no, Unpin = no);
traits!([evloop::sync::OnceCell::<YY>::get_or_try_init(todo!(), { let a: fn() -> Pin<Box<dyn Future<Output = std::io::Result<YY>> + Send + Sync>> = todo!(); a })] Send = yes, Sync = yes, Unpin = no);
traits!([evloop::sync::OnceCell::<YY>::get_or_try_init(todo!(), { let a: fn() -> Pin<Box<dyn Future<Output = std::io::Result<YY>> + Send>> = todo!(); a })] Send = yes, Sync = no, Unpin = no);
traits!([evloop::sync::OnceCell::<YY>::get_or_try_init(todo!(), { let a: fn() -> Pin<Box<dyn Future<Output = std::io::Result<YY>>>> = todo!(); a })] Send = no, Sync = no, Unpin = no);
traits!([evloop::sync::SetOnce::<NN>::wait(todo!())] Send = no, Sync = no, Unpin = no);
traits!([evloop::sync::SetOnce::<YN>::wait(todo!())] Send = no, Sync = no, Unpin = no);
traits!([evloop::sync::SetOnce::<YY>::wait(todo!())] Send = yes, Sync = yes, Unpin = no);
traits!([evloop::sync::RwLock::<NN>::read(todo!())] Send = no, Sync = no, Unpin = no);
traits!([evloop::sync::RwLock::<NN>::write(todo!())] Send = no, Sync = no, Unpin = no);
traits!([evloop::sync::RwLock::<YN>::read(todo!())] Send = no, Sync = no, Unpin = no);
traits!([evloop::sync::RwLock::<YN>::write(todo!())] Send = no, Sync = no, Unpin = no);
traits!([evloop::sync::RwLock::<YY>::read(todo!())] Send = yes, Sync = yes, Unpin = no);
traits!([evloop::sync::RwLock::<YY>::write(todo!())] Send = yes, Sync = yes, Unpin = no);
traits!([evloop::sync::Semaphore::acquire(todo!())] Send = yes, Sync = yes, Unpin = no);
traits!([evloop::sync::Semaphore::acquire_many(todo!(), { let a: u32 = todo!(); a })] Send = yes, Sync = yes, Unpin = no);
traits!([evloop::sync::Semaphore::acquire_many_owned(todo!(), { let a: u32 = todo!(); a })] Send = yes, Sync = yes, Unpin = no);
traits!([evloop::sync::Semaphore::acquire_owned(todo!())] Send = yes, Sync = yes, Unpin = no);
traits!([evloop::sync::broadcast::Receiver::<NN>::recv(todo!())] Send = no, Sync = no, Unpin = no);
traits!([evloop::sync::broadcast::Receiver::<YN>::recv(todo!())] Send = yes, Sync = yes, Unpin = no);
traits!([evloop::sync::broadcast::Receiver::<YY>::recv(todo!())] Send = yes, Sync = yes, Unpin = no);
traits!([evloop::sync::mpsc::Receiver::<NN>::recv(todo!())] Send = no, Sync = no, Unpin = no);
traits!([evloop::sync::mpsc::Receiver::<YN>::recv(todo!())] Send = yes, Sync = yes, Unpin = no);
traits!([evloop::sync::mpsc::Receiver::<YY>::recv(todo!())] Send = yes, Sync = yes, Unpin = no);
traits!([evloop::sync::mpsc::Sender::<NN>::closed(todo!())] Send = no, Sync = no, Unpin = no);
traits!([evloop::sync::mpsc::Sender::<NN>::reserve(todo!())] Send = no, Sync = no, Unpin = no);
traits!([evloop::sync::mpsc::Sender::<NN>::reserve_owned(todo!())] Send = no, Sync = no, Unpin = no);
traits!([evloop::sync::mpsc::Sender::<NN>::send(todo!(), { let a: NN = todo!(); a })] Send = no, Sync = no, Unpin = no);
traits!([evloop::sync::mpsc::Sender::<NN>::send_timeout(todo!(), { let a: NN = todo!(); a }, { let a: Duration = todo!(); a })] Send = no, Sync = no, Unpin = no);
traits!([evloop::sync::mpsc::Sender::<YN>::closed(todo!())] Send = yes, Sync = yes, Unpin = no);
traits!([evloop::sync::mpsc::Sender::<YN>::reserve(todo!())] Send = yes, Sync = yes, Unpin = no);
traits!([evloop::sync::mpsc::Sender::<YN>::reserve_owned(todo!())] Send = yes, Sync = yes, Unpin = no);
traits!([evloop::sync::mpsc::Sender::<YN>::send(todo!(), { let a: YN = todo!(); a })] Send = yes, Sync = no, Unpin = no);
traits!([evloop::sync::mpsc::Sender::<YN>::send_timeout(todo!(), { let a: YN = todo!(); a }, { let a: Duration = todo!(); a })] Send = yes, Sync = no, Unpin = no);
traits!([evloop::sync::mpsc::Sender::<YY>::closed(todo!())] Send = yes, Sync = yes, Unpin = no);
traits!([evloop::sync::mpsc::Sender::<YY>::reserve(todo!())] Send = yes, Sync = yes, Unpin = no);
traits!([evloop::sync::mpsc::Sender::<YY>::reserve_owned(todo!())] Send = yes, Sync = yes, Unpin = no);
traits!([evloop::sync::mpsc::Sender::<YY>::send(todo!(), { let a: YY = todo!(); a })] Send = yes, Sync = yes, Unpin = no);
traits!([evloop::sync::mpsc::Sender::<YY>::send_timeout(todo!(), { let a: YY = todo!(); a }, { let a: Duration = todo!(); a })] Send = yes, Sync = yes, Unpin = no);
traits!([evloop::sync::mpsc::UnboundedReceiver::<NN>::recv(todo!())] Send = no, Sync = no, Unpin = no);
traits!([evloop::sync::mpsc::UnboundedReceiver::<YN>::recv(todo!())] Send = yes, Sync = yes, Unpin = no);
traits!([evloop::sync::mpsc::UnboundedReceiver::<YY>::recv(todo!())] Send = yes, Sync = yes, Unpin = no);
traits!([evloop::sync::mpsc::UnboundedSender::<NN>::closed(todo!())] Send = no, Sync = no, Unpin = no);
traits!([evloop::sync::mpsc::UnboundedSender::<YN>::closed(todo!())] Send = yes, Sync = yes, Unpin = no);
traits!([evloop::sync::mpsc::UnboundedSender::<YY>::closed(todo!())] Send = yes, Sync = yes, Unpin = no);
traits!([evloop::sync::oneshot::Sender::<NN>::closed(todo!())] Send = no, Sync = no, Unpin = no);
traits!([evloop::sync::oneshot::Sender::<YN>::closed(todo!())] Send = yes, Sync = yes, Unpin = no);
traits!([evloop::sync::oneshot::Sender::<YY>::closed(todo!())] Send = yes, Sync = yes, Unpin = no);
traits!([evloop::sync::watch::Receiver::<NN>::changed(todo!())] Send = no, Sync = no, Unpin = no);
traits!([evloop::sync::watch::Receiver::<YN>::changed(todo!())] Send = no, Sync = no, Unpin = no);
traits!([evloop::sync::watch::Receiver::<YY>::changed(todo!())] Send = yes, Sync = yes, Unpin = no);
traits!([evloop::sync::watch::Sender::<NN>::closed(todo!())] Send = no, Sync = no, Unpin = no);
traits!([evloop::sync::watch::Sender::<YN>::closed(todo!())] Send = no, Sync = no, Unpin = no);
traits!([evloop::sync::watch::Sender::<YY>::closed(todo!())] Send = yes, Sync = yes, Unpin = no);

/// The checks above are made by the compiler; this runs them as a test.
#[test]
fn auto_traits_match_the_table() {}
