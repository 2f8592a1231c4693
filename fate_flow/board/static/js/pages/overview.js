// The server at a glance: jobs running / waiting / ended today, the queue, each hosted party's cores
// (/v1/job/overview) and which routed parties answer a signed ping (/v1/version/parties).
import { call, envelope, PATHS } from "../api.js";
import { h, replace, fmtTime, fmtDuration, flash, every, table } from "../dom.js";

const REFRESH_MS = 5000;
const PARTIES_REFRESH_MS = 30000;

export function overviewPage(root) {
  const stats = h("div", { class: "row", id: "stats" });
  const queue = h("div", { id: "queue" });
  const cores = h("div", { id: "cores" });
  const parties = h("div", { id: "parties" }, h("span", { class: "muted" }, "asking the parties\u2026"));
  const message = h("div");
  replace(root, h("h1", {}, "Overview"), message, stats,
    h("div", { class: "row" },
      h("div", { class: "card grow" }, h("h2", {}, "Cores per hosted party"), cores),
      h("div", { class: "card grow" }, h("h2", {}, "Routed parties"), parties)),
    h("div", { class: "card" }, h("h2", {}, "Queue (waiting jobs, oldest first)"), queue));

  const stat = (label, n, link, id) => h("div", { class: "card stat", id },
    h("div", { class: "n" }, link ? h("a", { href: link }, String(n)) : String(n)), h("div", { class: "muted" }, label));

  const load = async () => {
    let data;
    try {
      data = await call(PATHS.jobOverview, {});
      replace(message);
    } catch (e) {
      replace(message, flash(`cannot read the overview: ${e.message}`));
      return;
    }
    const ended = data.jobs.ended_today;
    const today = new Date(data.today);
    const day = `${today.getFullYear()}-${String(today.getMonth() + 1).padStart(2, "0")}-${String(today.getDate()).padStart(2, "0")}`;
    replace(stats,
      stat("running", data.jobs.running, "#/jobs?status=running", "stat-running"),
      stat("waiting", data.jobs.waiting, "#/jobs?status=waiting", "stat-waiting"),
      Object.entries(ended).map(([status, n]) => stat(`${status} today`, n, `#/jobs?status=${status}&from=${day}`, `stat-${status}`)));
    replace(cores, data.parties.length ? table([
      { title: "Party", get: (p) => p.party_id },
      { title: "Cores used / total", get: (p) => h("div", {},
        h("div", { class: "bar", title: `${p.used} used, ${p.free} free` },
          h("span", { class: "used", style: `width:${p.cores ? (100 * p.used) / p.cores : 0}%` }),
          h("span", { class: "free", style: `width:${p.cores ? (100 * Math.max(0, p.free)) / p.cores : 0}%` })),
        h("span", { class: "muted" }, `${p.used} / ${p.cores} (${p.free} free)`)) },
      { title: "Jobs holding cores", class: "num", get: (p) => p.running_jobs },
    ], data.parties) : h("p", { class: "muted" }, "this server hosts no party"));
    replace(queue, data.queue.length ? table([
      { title: "#", get: (q, i) => i + 1 },
      { title: "Job", get: (q) => h("a", { class: "mono", href: `#/dashboard?job_id=${encodeURIComponent(q.job_id)}&role=${encodeURIComponent(q.initiator.role)}&party_id=${encodeURIComponent(q.initiator.party_id)}` }, q.job_id) },
      { title: "Initiator", get: (q) => `${q.initiator.role} ${q.initiator.party_id}` },
      { title: "Submitted", get: (q) => fmtTime(q.create_time) },
      { title: "Waiting for", class: "num", get: (q) => fmtDuration(q.waited_ms) },
      { title: "Cores asked here", class: "num", get: (q) => q.cores },
    ], data.queue) : h("p", { class: "muted" }, "no job is waiting"));
  };

  const loadParties = async () => {
    let answer;
    try {
      answer = await envelope(PATHS.parties, { timeout: 3 });
    } catch (e) {
      replace(parties, flash(`cannot ask the parties: ${e.message}`));
      return;
    }
    const report = answer.data;
    if (!report) { replace(parties, flash(answer.retmsg)); return; }
    const rows = Object.entries(report.parties || {}).map(([party, r]) => ({ party, ...r }));
    replace(parties, rows.length ? table([
      { title: "Party", get: (r) => r.party },
      { title: "Address", get: (r) => h("span", { class: "mono" }, r.address || "") },
      { title: "Answers", get: (r) => h("span", { class: `badge ${r.reachable ? "s-success" : "s-failed"}`, "data-reachable": String(r.reachable) }, r.reachable ? "yes" : "no") },
      { title: "Round trip", class: "num", get: (r) => (r.reachable ? `${Number(r.latency_ms).toFixed(1)} ms` : r.retmsg || "") },
    ], rows) : h("p", { class: "muted" }, "no routed party"),
    h("p", { class: "muted" }, `hosted here: ${(report.local_parties || []).join(", ")}; signed federation ${report.site_auth ? "on" : "off"}`));
  };

  const pollers = [every(REFRESH_MS, load), every(PARTIES_REFRESH_MS, loadParties)];
  return { dispose() { pollers.forEach((p) => p.stop()); } };
}
