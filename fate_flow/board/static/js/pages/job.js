// A job as one party sees it (FATE-Board's #/dashboard and #/details): status, progress and times, the DAG with
// live status colours, stop / rerun / log archive / conf and DSL, the selected component and the job's schedule
// log. While the job runs, statuses, progress, metrics and log lines are polled (cheap indexed queries and
// log reads from an offset).
import { call, download, PATHS } from "../api.js";
import { h, replace, badge, progressBar, fmtTime, fmtDuration, kv, flash, modal, jsonBlock, every, ENDED } from "../dom.js";
import { drawDag } from "../dag.js";
import { componentPanel } from "../component.js";
import { logView } from "../logview.js";

const LIVE_MS = 2000;

export function jobPage(root, params) {
  const jobId = params.get("job_id") || "";
  const role = params.get("role") || "";
  const partyId = params.get("party_id") || "";
  const here = `job_id=${encodeURIComponent(jobId)}&role=${encodeURIComponent(role)}&party_id=${encodeURIComponent(partyId)}`;
  let selected = params.get("component_name") || "";
  let dag = null;
  let dependency = null;
  let panel = null;
  let rows = [];          // this job's rows on this server (one per hosted party)
  let taskStatus = {};    // component -> status on this party
  let poller = null;

  const title = h("h1", {}, "Job ", h("span", { class: "mono", id: "job-id" }, jobId), " ", h("span", { id: "job-status" }));
  const message = h("div", { id: "job-message" });
  const info = h("div", { class: "grow", id: "job-info" });
  const actions = h("div", { class: "toolbar", id: "job-actions" });
  const dagBox = h("div", { class: "dag-wrap", id: "dag" }, h("span", { class: "muted" }, "loading the DAG\u2026"));
  const panelBox = h("div", { id: "component" }, h("p", { class: "muted" }, "Click a component of the DAG to see its parameters, metrics, model, output data and log."));
  const jobLog = logView({ jobId, role, partyId, component: null, label: "Schedule log of the job" });
  replace(root, title, message,
    h("div", { class: "card" }, h("div", { class: "row" }, info), actions),
    h("div", { class: "row" },
      h("div", { class: "card", style: "flex: 0 0 auto; max-width: 100%" },
        h("h2", {}, "DAG ", h("span", { class: "muted", style: "font-weight:normal;font-size:12px" },
          h("span", { class: "legend-line" }), "data", h("span", { class: "legend-line model" }), "model")), dagBox),
      h("div", { class: "card grow", style: "min-width: 480px" }, panelBox)),
    h("div", { class: "card" }, h("h2", {}, "Job log"), jobLog.el));

  const mine = () => rows.find((r) => r.f_role === role && r.f_party_id === partyId);

  const renderInfo = () => {
    const job = mine();
    if (!job) return;
    const elapsed = job.f_elapsed ?? (job.f_start_time && !ENDED.has(job.f_status) ? Date.now() - job.f_start_time : null);
    replace(document.getElementById("job-status"), badge(job.f_status));
    const views = rows.filter((r) => r !== job).map((r) => h("a", {
      href: `#/dashboard?job_id=${encodeURIComponent(jobId)}&role=${encodeURIComponent(r.f_role)}&party_id=${encodeURIComponent(r.f_party_id)}` },
    `${r.f_role} ${r.f_party_id}`));
    replace(info, kv([
      ["Status", h("span", { id: "info-status", "data-status": job.f_status }, badge(job.f_status))],
      ["Progress", h("span", { id: "info-progress" }, progressBar(job.f_progress, job.f_status))],
      ["Viewed as", h("span", {}, `${role} ${partyId}`, views.length ? [" \u00b7 also here: ", views.map((v, i) => [i ? ", " : "", v])] : "")],
      ["Initiator", `${job.f_initiator_role} ${job.f_initiator_party_id}`],
      ["Roles and parties", Object.entries(job.f_roles || {}).map(([r, ids]) => `${r}: ${(ids || []).join(", ")}`).join(" \u00b7 ")],
      ["Submitted", fmtTime(job.f_create_time)],
      ["Started", fmtTime(job.f_start_time)],
      ["Ended", fmtTime(job.f_end_time)],
      ["Duration", fmtDuration(elapsed)],
      ["Notes", job.f_description || h("span", { class: "muted" }, "none")],
      job.f_fail_reason ? ["Why it ended", h("span", { class: "error" }, job.f_fail_reason)] : null,
    ]));
  };

  const renderActions = () => {
    const job = mine();
    if (!job) return;
    const components = dependency ? dependency.component_list : [];
    const firstBad = components.find((c) => ["failed", "canceled", "timeout"].includes(taskStatus[c]));
    const rerunFrom = h("select", { id: "rerun-component", "aria-label": "rerun from component" },
      components.map((c) => h("option", { value: c, selected: c === (firstBad || selected) }, c)));
    replace(actions,
      h("button", { class: "danger", id: "stop-job", disabled: ENDED.has(job.f_status), onclick: stop }, "Stop"),
      h("span", {}, "Rerun from "), rerunFrom,
      h("button", { id: "rerun-job", disabled: !ENDED.has(job.f_status), onclick: () => rerun(rerunFrom.value) }, "Rerun"),
      h("button", { id: "download-log", onclick: downloadLog }, "Download logs"),
      h("button", { id: "view-conf", onclick: viewConf }, "Conf and DSL"));
  };

  const say = (text, good) => replace(message, flash(text, good));

  const stop = async () => {
    const ok = await modal("Stop the job?", h("p", {}, `Every party of job ${jobId} stops its tasks; the job ends canceled.`),
      [["Cancel", false], ["Stop the job", true, "danger"]]);
    if (!ok) return;
    try {
      await call(PATHS.jobStop, { job_id: jobId });
      say("stop requested: every party stops the job", true);
    } catch (e) {
      say(`stop failed: ${e.message}`);
    }
    live();
  };

  const rerun = async (component) => {
    try {
      await call(PATHS.jobRerun, { job_id: jobId, component_name: component });
      say(`rerun from ${component} requested`, true);
    } catch (e) {
      say(`rerun failed: ${e.message}`);
    }
    live();
  };

  const downloadLog = async () => {
    try {
      await download(PATHS.jobLog, { job_id: jobId });
    } catch (e) {
      say(`cannot download the logs: ${e.message}`);
    }
  };

  const viewConf = async () => {
    try {
      const conf = await call(PATHS.jobConfig, { job_id: jobId, role, party_id: partyId });
      const body = h("div", {});
      const tabs = [["DSL", conf.dsl], ["Runtime conf", conf.runtime_conf], ["Train runtime conf", conf.train_runtime_conf],
        ["Model", conf.model_info]];
      const show = (i) => replace(body, h("div", { class: "tabs" }, tabs.map(([name], j) =>
        h("button", { class: i === j ? "active" : null, onclick: () => show(j) }, name))), jsonBlock(tabs[i][1] || {}));
      show(0);
      await modal(`Job ${jobId}`, body);
    } catch (e) {
      say(`cannot read the conf: ${e.message}`);
    }
  };

  // without a component in the URL, the job's last Evaluation is shown (its ROC curve is what people look for)
  const defaultComponent = () => {
    if (!dependency) return "";
    const evaluations = dependency.component_list.filter((c) => dependency.component_module[c] === "Evaluation");
    return evaluations.length ? evaluations[evaluations.length - 1] : "";
  };

  const select = (component) => {
    if (component === selected && panel) return;
    location.hash = `#/details?${here}&component_name=${encodeURIComponent(component)}`;
  };

  const showComponent = (component) => {
    selected = component;
    if (dag) dag.select(component);
    if (panel) panel.dispose();
    panel = null;
    if (!component || !dependency) return;
    if (!dependency.component_list.includes(component)) {
      replace(panelBox, flash(`job ${jobId} has no component ${component}`));
      return;
    }
    panel = componentPanel(panelBox, {
      jobId, role, partyId, component, module: dependency.component_module[component],
      parties: rows.map((r) => ({ role: r.f_role, partyId: r.f_party_id })), status: () => taskStatus[component],
    });
    renderActions();
  };

  const refresh = async () => {
    const [jobRows, tasks] = await Promise.all([
      call(PATHS.jobQuery, { job_id: jobId }),
      call(PATHS.taskQuery, { job_id: jobId, role, party_id: partyId }).catch(() => []),
    ]);
    rows = jobRows || [];
    taskStatus = {};
    for (const t of tasks || []) taskStatus[t.f_component_name] = t.f_party_status || t.f_status;
    if (dag) for (const [component, status] of Object.entries(taskStatus)) dag.setStatus(component, status);
    renderInfo();
    renderActions();
    performance.mark("board:statuses"); // for bench/board.py: statuses shown
    if (panel) await panel.refresh();
    await jobLog.refresh();
    const job = mine();
    return job && ENDED.has(job.f_status) && Object.values(taskStatus).every((s) => s !== "running");
  };

  // poll while the job runs; one more round after it ends so the last statuses and lines are shown
  const live = () => {
    if (poller) poller.stop();
    let lastRound = false;
    poller = every(LIVE_MS, async () => {
      const done = await refresh();
      if (done && lastRound) poller.stop();
      lastRound = done;
    });
  };

  const start = async () => {
    try {
      rows = (await call(PATHS.jobQuery, { job_id: jobId })) || [];
      if (!mine()) {
        say(rows.length ? `this server has job ${jobId}, but not as ${role} ${partyId}` : `this server has no job ${jobId}`);
        if (!rows.length) return;
      }
      dependency = await call(PATHS.dag, { job_id: jobId, role, party_id: partyId });
      dag = drawDag(dagBox, dependency, select);
      dag.el.dataset.nodes = String(dependency.component_list.length);
      performance.mark("board:dag");
    } catch (e) {
      say(`cannot read job ${jobId}: ${e.message}`);
      return;
    }
    live();
    selected = selected || defaultComponent();
    if (selected) showComponent(selected);
  };
  start();

  return {
    update(newParams) {
      const component = newParams.get("component_name") || defaultComponent();
      if (component !== selected || !panel) showComponent(component);
    },
    dispose() {
      if (poller) poller.stop();
      if (panel) panel.dispose();
      jobLog.dispose();
    },
  };
}
jobPage.key = (params) => `job:${params.get("job_id")}:${params.get("role")}:${params.get("party_id")}`;
