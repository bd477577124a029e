//! Task dumps: names, spawn sites, states.

use evloop::runtime::TaskState;

mod support;

#[test]
#[allow(clippy::async_yields_async)] // the block returns the JoinHandle on purpose
fn named_idle_task_with_site() {
    let rt = support::rt();
    let gate = support::Gate::new();
    let g = gate.clone();
    let line = line!() + 4; // the `.spawn(` call
    let h = rt.block_on(async move {
        let h = evloop::task::Builder::new()
            .name("waiter")
            .spawn(async move { g.wait().await })
            .unwrap();
        evloop::task::yield_now().await; // let it run once and wait
        h
    });
    let queued = rt.spawn(async {});
    let dump = rt.handle().dump();
    assert_eq!(dump.tasks().len(), 2, "{dump}");
    let waiter = dump.tasks().iter().find(|t| t.id() == h.id()).unwrap();
    assert_eq!(waiter.name(), Some("waiter"));
    assert_eq!(waiter.state(), TaskState::Idle);
    assert!(waiter.spawned_at().file().ends_with("dump_tasks.rs"));
    assert_eq!(waiter.spawned_at().line(), line);
    assert!(waiter.since_last_poll().is_some());
    let q = dump.tasks().iter().find(|t| t.id() == queued.id()).unwrap();
    assert_eq!(q.state(), TaskState::Queued);
    assert_eq!(q.since_last_poll(), None);
    assert_eq!(q.name(), None);

    let text = dump.to_string();
    assert!(text.starts_with("2 live task(s)"), "{text}");
    assert!(
        text.contains(&format!("task {} \"waiter\" [idle] spawned at", h.id())),
        "{text}"
    );
    assert!(text.contains(&format!("dump_tasks.rs:{line}")), "{text}");
    assert!(text.contains("never polled"), "{text}");

    gate.open();
    rt.block_on(async {
        h.await.unwrap();
        queued.await.unwrap();
    });
    assert!(rt.handle().dump().tasks().is_empty());
}

#[test]
fn running_and_complete_states() {
    let rt = support::rt();
    let handle = rt.handle().clone();
    let (state, done) = rt.block_on(async move {
        let me = evloop::spawn(async move {
            let id = evloop::task::id();
            let dump = evloop::runtime::Handle::current().dump();
            dump.tasks().iter().find(|t| t.id() == id).unwrap().state()
        });
        let state = me.await.unwrap();
        let finished = evloop::spawn(async { 1 });
        evloop::task::yield_now().await;
        evloop::task::yield_now().await;
        let done = handle
            .dump()
            .tasks()
            .iter()
            .find(|t| t.id() == finished.id())
            .map(|t| t.state());
        (state, done)
    });
    assert_eq!(state, TaskState::Running);
    // Completed tasks leave the owned list: a dump holds live tasks only.
    assert_eq!(done, None);
}

#[test]
fn spawn_local_and_spawn_on_keep_names() {
    let rt = support::rt();
    let h = evloop::task::Builder::new()
        .name("on")
        .spawn_on(async { 1 }, rt.handle())
        .unwrap();
    assert_eq!(rt.handle().dump().tasks()[0].name(), Some("on"));
    assert_eq!(rt.block_on(h).unwrap(), 1);
    let local = evloop::task::LocalSet::new();
    let out = local.block_on(&rt, async {
        let h = evloop::task::Builder::new()
            .name("local")
            .spawn_local(async { std::rc::Rc::new(2) })
            .unwrap();
        *h.await.unwrap()
    });
    assert_eq!(out, 2);
    let err = evloop::task::Builder::new().spawn(async {}).unwrap_err();
    assert!(err.to_string().contains("no evloop runtime"), "{err}");
    assert!(evloop::task::Builder::new().spawn_local(async {}).is_err());
}
