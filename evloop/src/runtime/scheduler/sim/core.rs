//! The simulated workers: queues, LIFO slots, the inject queue, and the
//! seeded choices between them.
//!
//! `workers(n)` gives n logical workers, each with a local FIFO queue and
//! a LIFO slot, plus one inject queue, all on the simulation's one OS
//! thread. A step picks one thing to poll; every choice the multi_thread
//! scheduler would make from timing comes from the seeded generator here.
//!
//! # Rules
//!
//! 1. **Random policy.** A step picks the main future with probability
//!    1 / (n + 1) when it is woken, else a uniformly chosen worker, which
//!    takes (in this order of consideration): its LIFO slot (always if its
//!    queue is empty, else with probability 3/4), the inject queue's head
//!    (always if its queue is empty, else 1 in 8), its queue's head; with
//!    nothing of its own it steals from a uniformly chosen worker that has
//!    work: between one task and half of that worker's queue from its head
//!    (how many is drawn), or the LIFO slot (evloop's thieves may take it).
//! 2. **PCT policy** (probabilistic concurrency testing, Burckhardt et al.
//!    2010). Each task gets a random priority at its first sight, above
//!    `depth`; a step polls the highest-priority runnable task wherever it
//!    waits (which models the orders stealing can produce). `depth - 1`
//!    change points are drawn among the first `pct_steps` steps; at the
//!    i-th, the task just polled drops to priority `depth - i`, below every
//!    initial one. A step costs O(runnable tasks): PCT is for small tests.
//! 3. **Placement.** A wake from a running task goes to the LIFO slot with
//!    probability 1/2 (the slot's former task to the back of the queue),
//!    else to the back of the running worker's queue; a spawn or a task
//!    woken during its own poll goes to the back of the queue. With no task
//!    running (the main future's poll, the driver firing timers), a spawn
//!    goes to the inject queue and wakes gather in a batch, shuffled at the
//!    next step and dealt to random workers' queues or the inject queue.
//! 4. Every decision is recorded (`events.rs`): polls, steals, wakes with
//!    where they went, spawns with their sites.

use std::collections::{HashMap, VecDeque};
use std::panic::Location;
use std::sync::Arc;

use super::events::{EventKind, Recorder};
use super::rng::SimRng;
use super::SimHandle;
use crate::runtime::task::Notified;

pub(crate) type Entry = Notified<Arc<SimHandle>>;

/// How the next task is chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Policy {
    /// Uniform random choices within the multi_thread model (rule 1).
    Random,
    /// Priority change points (rule 2): finds bugs of depth `depth` with
    /// probability at least 1 / (n * k^(depth-1)) per run.
    Pct {
        /// Number of ordering constraints the bug needs (1 = no change point).
        depth: u32,
    },
}

/// How a task reached `push` (rule 3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Push {
    Spawn,
    Wake,
    Yield,
}

pub(crate) const NONE_WORKER: u16 = u16::MAX;
pub(crate) const NONE_TASK: u32 = u32::MAX;

struct Worker {
    local: VecDeque<Entry>,
    lifo: Option<Entry>,
}

struct TaskInfo {
    seq: u32,
    prio: u64,
    group: u32,
}

pub(crate) enum Pick {
    Main,
    Task(usize, Entry),
    Idle,
}

/// Owned by the simulation's thread, inside its `Context`.
pub(crate) struct Core {
    pub(crate) rng: SimRng,
    policy: Policy,
    /// PCT: steps at which the polled task's priority drops (ascending).
    change_points: Vec<u64>,
    next_change: usize,
    workers: Box<[Worker]>,
    inject: VecDeque<Entry>,
    /// Rule 3: wakes while no task runs.
    batch: Vec<Entry>,
    /// Tasks waiting in some queue, slot or the batch.
    queued: usize,
    /// The worker and task number being polled.
    pub(crate) running: Option<(usize, u32)>,
    tasks: HashMap<u64, TaskInfo>,
    /// Spawn site by task number (0: the main future).
    pub(crate) sites: Vec<&'static Location<'static>>,
    /// Task group by task number (0: none).
    pub(crate) groups: Vec<u32>,
    pub(crate) rec: Recorder,
    pub(crate) now_ns: u64,
    pub(crate) polls: u64,
    pub(crate) steps: u64,
    main_prio: u64,
    /// The next task group number (0 is "no group").
    pub(crate) next_group: u32,
    /// The group the next registered task joins (`sim::Group::spawn`).
    pub(crate) pending_group: Option<u32>,
}

impl Core {
    pub(crate) fn new(
        seed: u64,
        workers: usize,
        policy: Policy,
        pct_steps: u64,
        log_cap: Option<usize>,
        main_site: &'static Location<'static>,
    ) -> Core {
        let mut rng = SimRng::new(seed);
        let mut change_points = Vec::new();
        if let Policy::Pct { depth } = policy {
            for _ in 1..depth.max(1) {
                change_points.push(1 + rng.next_u64() % pct_steps.max(1));
            }
            change_points.sort_unstable();
        }
        let main_prio = rng.next_u64() | (1 << 63);
        let mut rec = Recorder::new(log_cap);
        rec.site(main_site);
        Core {
            rng,
            policy,
            change_points,
            next_change: 0,
            workers: (0..workers.max(1))
                .map(|_| Worker {
                    local: VecDeque::new(),
                    lifo: None,
                })
                .collect(),
            inject: VecDeque::new(),
            batch: Vec::new(),
            queued: 0,
            running: None,
            tasks: HashMap::new(),
            sites: vec![main_site],
            groups: vec![0],
            rec,
            now_ns: 0,
            polls: 0,
            steps: 0,
            main_prio,
            next_group: 1,
            pending_group: None,
        }
    }

    pub(crate) fn record(&mut self, kind: EventKind, worker: u16, task: u32, arg: u64) {
        self.rec.record(kind, worker, task, arg, self.now_ns);
    }

    /// The simulation's number for `task`, registering it at first sight
    /// (a spawn: recorded with its site and parent, rule 4).
    pub(crate) fn seq(&mut self, task: &Entry) -> u32 {
        let id = task.id().as_u64();
        if let Some(info) = self.tasks.get(&id) {
            return info.seq;
        }
        self.register(id, task.raw().spawned_at(), None)
    }

    /// Registers a new task; `group` overrides the parent's group.
    pub(crate) fn register(
        &mut self,
        id: u64,
        site: &'static Location<'static>,
        group: Option<u32>,
    ) -> u32 {
        let seq = self.sites.len() as u32;
        let parent = self.running.map_or(0, |(_, t)| t);
        let group = group
            .or_else(|| self.pending_group.take())
            .unwrap_or(self.groups[parent as usize]);
        let prio = self.rng.next_u64() | (1 << 63);
        self.tasks.insert(id, TaskInfo { seq, prio, group });
        self.sites.push(site);
        self.groups.push(group);
        self.rec.site(site);
        self.record(EventKind::Spawn, NONE_WORKER, seq, u64::from(parent));
        seq
    }

    pub(crate) fn forget(&mut self, id: u64) {
        self.tasks.remove(&id);
    }

    /// Task ids of the live tasks in `group`, in task-number order.
    pub(crate) fn group_ids(&self, group: u32) -> Vec<u64> {
        let mut v: Vec<(u32, u64)> = self
            .tasks
            .iter()
            .filter(|(_, i)| i.group == group)
            .map(|(id, i)| (i.seq, *id))
            .collect();
        v.sort_unstable();
        v.into_iter().map(|(_, id)| id).collect()
    }

    /// The group of the running task (0: none, or the main future).
    pub(crate) fn current_group(&self) -> u32 {
        self.running.map_or(0, |(_, t)| self.groups[t as usize])
    }

    /// Queues a task (rule 3).
    pub(crate) fn push(&mut self, task: Entry, how: Push) {
        let seq = self.seq(&task);
        self.queued += 1;
        match (self.running, how) {
            (Some((w, _)), Push::Wake) if self.rng.one_in(2) => {
                self.record(EventKind::Wake, w as u16, seq, 1);
                if let Some(old) = self.workers[w].lifo.replace(task) {
                    self.workers[w].local.push_back(old);
                }
            }
            (Some((w, _)), _) => {
                self.record(EventKind::Wake, w as u16, seq, 0);
                self.workers[w].local.push_back(task);
            }
            (None, Push::Spawn) => {
                self.record(EventKind::Wake, NONE_WORKER, seq, 2);
                self.inject.push_back(task);
            }
            (None, _) => {
                self.record(EventKind::Wake, NONE_WORKER, seq, 3);
                self.batch.push(task);
            }
        }
    }

    /// A task woken from another OS thread (a leak), queued at this step.
    pub(crate) fn push_foreign(&mut self, task: Entry) {
        let seq = self.seq(&task);
        self.queued += 1;
        self.record(EventKind::Wake, NONE_WORKER, seq, 4);
        self.batch.push(task);
    }

    /// Rule 3: shuffles the batch and deals it out.
    fn deal_batch(&mut self) {
        let n = self.workers.len();
        let mut batch = std::mem::take(&mut self.batch);
        for i in (1..batch.len()).rev() {
            let j = self.rng.below(i + 1);
            batch.swap(i, j);
        }
        for task in batch.drain(..) {
            let to = self.rng.below(n + 1);
            if to == n {
                self.inject.push_back(task);
            } else {
                self.workers[to].local.push_back(task);
            }
        }
        self.batch = batch;
    }

    /// Picks what to poll next (rules 1, 2).
    pub(crate) fn pick(&mut self, main_woken: bool) -> Pick {
        if !self.batch.is_empty() {
            self.deal_batch();
        }
        if self.queued == 0 {
            return if main_woken { Pick::Main } else { Pick::Idle };
        }
        let pick = match self.policy {
            Policy::Random => {
                let n = self.workers.len();
                if main_woken && self.rng.one_in(n + 1) {
                    return Pick::Main;
                }
                let w = self.rng.below(n);
                let task = self.take_for(w);
                Pick::Task(w, task)
            }
            Policy::Pct { .. } => match self.take_highest(main_woken) {
                Some((w, task)) => Pick::Task(w, task),
                None => return Pick::Main,
            },
        };
        self.queued -= 1;
        pick
    }

    fn take_for(&mut self, w: usize) -> Entry {
        let rng = &mut self.rng;
        let me = &mut self.workers[w];
        if me.lifo.is_some() && (me.local.is_empty() || !rng.one_in(4)) {
            return me.lifo.take().expect("checked");
        }
        if !self.inject.is_empty() && (me.local.is_empty() || rng.one_in(8)) {
            return self.inject.pop_front().expect("checked");
        }
        if let Some(task) = me.local.pop_front() {
            return task;
        }
        // Steal (rule 1).
        let victims: Vec<usize> = (0..self.workers.len())
            .filter(|&v| {
                v != w && (self.workers[v].lifo.is_some() || !self.workers[v].local.is_empty())
            })
            .collect();
        let v = victims[self.rng.below(victims.len())];
        let len = self.workers[v].local.len();
        if len == 0 {
            self.record(EventKind::Steal, w as u16, NONE_TASK, (v as u64) << 32);
            return self.workers[v].lifo.take().expect("victim has work");
        }
        let take = 1 + self.rng.below(len.div_ceil(2));
        self.record(
            EventKind::Steal,
            w as u16,
            NONE_TASK,
            ((v as u64) << 32) | take as u64,
        );
        let mut stolen: VecDeque<Entry> = self.workers[v].local.drain(..take).collect();
        let first = stolen.pop_front().expect("took at least one");
        self.workers[w].local.extend(stolen);
        first
    }

    fn prio(&self, task: &Entry) -> u64 {
        self.tasks.get(&task.id().as_u64()).map_or(0, |i| i.prio)
    }

    /// Rule 2: removes and returns the highest-priority task, or `None`
    /// when the main future (woken) outranks them all.
    fn take_highest(&mut self, main_woken: bool) -> Option<(usize, Entry)> {
        // (priority, worker or n for inject, index or usize::MAX for LIFO)
        let n = self.workers.len();
        let mut best: Option<(u64, usize, usize)> = None;
        let mut consider = |p: u64, w: usize, i: usize| {
            if best.is_none_or(|(bp, _, _)| p > bp) {
                best = Some((p, w, i));
            }
        };
        for (w, worker) in self.workers.iter().enumerate() {
            if let Some(t) = &worker.lifo {
                consider(self.prio(t), w, usize::MAX);
            }
            for (i, t) in worker.local.iter().enumerate() {
                consider(self.prio(t), w, i);
            }
        }
        for (i, t) in self.inject.iter().enumerate() {
            consider(self.prio(t), n, i);
        }
        let (p, w, i) = best.expect("a task is queued");
        if main_woken && self.main_prio > p {
            return None;
        }
        let task = if w == n {
            self.inject.remove(i)
        } else if i == usize::MAX {
            self.workers[w].lifo.take()
        } else {
            self.workers[w].local.remove(i)
        }
        .expect("index found above");
        let worker = if w == n { self.rng.below(n) } else { w };
        Some((worker, task))
    }

    /// After each poll: PCT's change points (rule 2).
    pub(crate) fn step_done(&mut self, polled: Option<u64>) {
        self.steps += 1;
        let Policy::Pct { depth } = self.policy else {
            return;
        };
        while self.next_change < self.change_points.len()
            && self.change_points[self.next_change] <= self.steps
        {
            self.next_change += 1;
            let low = u64::from(depth).saturating_sub(self.next_change as u64);
            match polled {
                Some(id) => {
                    if let Some(info) = self.tasks.get_mut(&id) {
                        info.prio = low;
                    }
                }
                None => self.main_prio = low,
            }
        }
    }

    /// Every queued task, for shutdown.
    pub(crate) fn drain(&mut self) -> Vec<Entry> {
        let mut all: Vec<Entry> = self.batch.drain(..).collect();
        all.extend(self.inject.drain(..));
        for w in self.workers.iter_mut() {
            all.extend(w.lifo.take());
            all.extend(w.local.drain(..));
        }
        self.queued = 0;
        all
    }

    pub(crate) fn alive(&self) -> usize {
        self.tasks.len()
    }
}
