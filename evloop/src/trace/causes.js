// Cause panels of the timeline page: suspended tasks, lints, summaries,
// search. Reads `EVLOOP_CAUSES` (written by `trace/html.rs`) and talks to
// the timeline through `window.EVLOOP`, which `timeline.html` defines:
//   EVLOOP.select(taskId)  select a task: its panel, its polls highlighted
//   EVLOOP.jump(ns)        center the view on a time (trace ns)
//   EVLOOP.onSelect        set here; the timeline calls it with the task id
//                          whenever a task is selected
//   EVLOOP.names           task id -> name
(function () {
"use strict";
const C = window.EVLOOP_CAUSES, E = window.EVLOOP;
const root = document.getElementById("causes");
if (!C || !E || !root) return;
const esc = s => String(s).replace(/[&<>"]/g, c => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" }[c]));
const fmt = ns => ns >= 1e9 ? (ns / 1e9).toFixed(2) + " s" : ns >= 1e6 ? (ns / 1e6).toFixed(2) + " ms" : ns >= 1e3 ? (ns / 1e3).toFixed(1) + " µs" : ns + " ns";
const tname = id => (E.names && E.names[id]) ? `task ${id} “${esc(E.names[id])}”` : `task ${id}`;
const link = (id, t) => `<a class="cz-task" data-id="${id}"${t !== undefined ? ` data-t="${t}"` : ""}>${tname(id)}</a>`;
// A task's suspensions, from the timeline's decoded events (kind 10:
// `Suspend`; the code names the resource, the argument the site).
const SUSPEND = 10;
function waitsOf(id) {
  const T = window.evloopTimeline, ev = T && T.events, out = [];
  if (!ev) return out;
  for (let i = 0; i < ev.k.length; i++) {
    if (ev.k[i] !== SUSPEND || ev.id[i] !== id) continue;
    out.push([id, ev.t[i], C.resources[ev.code[i]] || "?", T.trace.sites[ev.arg[i]] || ""]);
  }
  return out;
}
const taskSites = C.task_sites || [];
const tasks = (C.tasks || []).map(([id, name, at]) => [id, name, at === null ? null : taskSites[at]]);
function section(id, title, body) { return `<details class="cz" id="${id}" open><summary>${title}</summary>${body}</details>`; }
function suspended() {
  if (!C.suspended.length) return `<p class="cz-empty">No task was suspended at the end of the recording.</p>`;
  return `<ul class="cz-list">` + C.suspended.slice(0, 200).map(s =>
    `<li data-task="${s.task}">${link(s.task, s.since)} waiting on <b>${esc(s.resource || "an unknown resource")}</b>` +
    (s.at ? ` at <code>${esc(s.at)}</code>` : "") + ` since ${fmt(s.waiting)}</li>`).join("") + `</ul>`;
}
function lints() {
  if (!C.lints.length) return `<p class="cz-empty">No lints: no stall, self-wake storm, lost wake, budget overrun or late timer.</p>`;
  return `<ul class="cz-list">` + C.lints.map(l =>
    `<li class="cz-lint cz-${l.kind}" data-task="${l.task}"><span class="cz-kind">${esc(l.kind.replace(/_/g, " "))}</span> ${link(l.task, l.at)}: ${esc(l.message)}</li>`).join("") + `</ul>`;
}
function top(list, what) {
  if (!list.length) return `<p class="cz-empty">None recorded.</p>`;
  return `<table class="cz-table"><tr><th>task</th><th>${what}</th><th>at</th></tr>` + list.map(p =>
    `<tr><td>${link(p.task, p.start)}</td><td>${fmt(p.took)}</td><td>${fmt(p.start)}</td></tr>`).join("") + `</table>`;
}
function hist(h) {
  const max = Math.max(1, ...h); let last = h.length - 1; while (last > 0 && !h[last]) last--;
  return `<span class="cz-hist" title="buckets: <1µs, <2µs, <4µs … (powers of two)">` + h.slice(0, last + 1).map((v, i) =>
    `<i style="height:${Math.max(v ? 2 : 0, Math.round(v / max * 18))}px" title="${i ? "< " + fmt(1000 * 2 ** i) : "< 1 µs"}: ${v}"></i>`).join("") + `</span>`;
}
function sites() {
  return `<table class="cz-table"><tr><th>spawn site</th><th>tasks</th><th>polls</th><th>poll time</th><th>schedule latency</th></tr>` +
    C.sites.slice(0, 50).map(s => `<tr><td><a class="cz-site" data-site="${esc(s.site || "")}"><code>${esc(s.site || "(not recorded)")}</code></a></td><td>${s.tasks}</td><td>${s.polls}</td><td>${hist(s.poll)}</td><td>${hist(s.latency)}</td></tr>`).join("") + `</table>`;
}
function busy() {
  return `<table class="cz-table"><tr><th>lane</th><th>busy share</th></tr>` + C.busy.map((b, i) =>
    `<tr><td>${esc((E.lanes && E.lanes[i]) || "lane " + i)}</td><td><span class="cz-bar"><i style="width:${Math.round(b * 100)}%"></i></span> ${(b * 100).toFixed(1)}%</td></tr>`).join("") + `</table>`;
}
root.innerHTML =
  `<div class="cz-search"><input id="cz-q" type="search" placeholder="Find a task by name, id or spawn site"><div id="cz-results"></div></div>` +
  section("cz-suspended", `Suspended tasks (${C.suspended.length})`, suspended()) +
  section("cz-lints", `Lints (${C.lints.length})`, lints()) +
  section("cz-slowest", "Slowest polls", top(C.slowest, "poll took")) +
  section("cz-queued", "Longest queue waits", top(C.queued, "waited")) +
  section("cz-sites", "Per spawn site", sites()) +
  section("cz-busy", "Busy share per lane", busy()) +
  `<div id="cz-waits"></div>`;
function bind(el) {
  el.querySelectorAll("a.cz-task").forEach(a => a.onclick = () => {
    if (a.dataset.t !== undefined) E.jump(Number(a.dataset.t));
    E.select(Number(a.dataset.id));
  });
  el.querySelectorAll("a.cz-site").forEach(a => a.onclick = () => { q.value = a.dataset.site; search(); });
}
const q = document.getElementById("cz-q"), results = document.getElementById("cz-results");
function search() {
  const s = q.value.trim().toLowerCase();
  if (!s) { results.innerHTML = ""; return; }
  const hits = [];
  for (const [id, name, site] of tasks) {
    if (String(id) === s || (name && name.toLowerCase().includes(s)) || (site && site.toLowerCase().includes(s))) hits.push([id, site]);
    if (hits.length >= 100) break;
  }
  results.innerHTML = hits.length ? `<ul class="cz-list">` + hits.map(([id, site]) => `<li data-task="${id}">${link(id)}` + (site ? ` <code>${esc(site)}</code>` : "") + `</li>`).join("") + `</ul>` : `<p class="cz-empty">No task matches.</p>`;
  root.dataset.czMatches = String(hits.length);
  bind(results);
}
q.addEventListener("input", search);
// `#q=text` (with or without the timeline's `task=N`) fills the search box.
const pq = /[#&]q=([^&]*)/.exec(location.hash);
if (pq) { q.value = decodeURIComponent(pq[1]); search(); }
bind(root);
E.onSelect = id => {
  const el = document.getElementById("cz-waits"); const l = waitsOf(id);
  el.innerHTML = l.length ? `<h3>Where ${tname(id)} waited</h3><table class="cz-table"><tr><th>at</th><th>on</th><th>where</th></tr>` +
    l.slice(-200).map(w => `<tr><td>${fmt(w[1])}</td><td>${esc(w[2])}</td><td><code>${esc(w[3] || "")}</code></td></tr>`).join("") + `</table>` : "";
  root.dataset.czSelected = String(id);
};
// A task the timeline selected from the URL before this script ran.
const pt = /task=(\d+)/.exec(location.hash);
if (pt) E.onSelect(Number(pt[1]));
root.dataset.ready = "true";
})();
