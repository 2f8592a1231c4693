// One component of a job on one party: metrics as charts, its model, its effective parameters (defaults
// included), a preview of its output data and its log. Refreshed while the component runs.
import { call, envelope, download, PATHS } from "./api.js";
import { h, replace, badge, flash, fmtNumber } from "./dom.js";
import { disposeCharts } from "./charts.js";
import { renderMetrics } from "./metrics.js";
import { renderModel } from "./models.js";
import { logView } from "./logview.js";

// components whose model says more than their metrics open on the Model tab
const MODEL_FIRST = new Set(["DataIO", "DataTransform", "FeatureScale", "HeteroFeatureBinning", "HeteroFeatureSelection",
  "HeteroLR", "HomoLR", "HeteroSecureBoost"]);
const TABS = [["metrics", "Metrics"], ["model", "Model"], ["parameters", "Parameters"], ["data", "Output data"], ["log", "Log"]];

export function componentPanel(container, ctx) {
  let party = ctx.parties.find((p) => p.role === ctx.role && p.partyId === ctx.partyId) || { role: ctx.role, partyId: ctx.partyId };
  let tab = MODEL_FIRST.has(ctx.module) ? "model" : "metrics";
  let lastStatus = ctx.status();
  let log = null;
  let loading = null;
  const at = () => ({ job_id: ctx.jobId, role: party.role, party_id: party.partyId, component_name: ctx.component });

  const statusSlot = h("span", { id: "component-status" });
  const partySelect = h("select", { id: "component-party", "aria-label": "party" },
    ctx.parties.map((p) => h("option", { value: `${p.role}:${p.partyId}`, selected: p === party }, `${p.role} ${p.partyId}`)));
  partySelect.addEventListener("change", () => {
    const [role, partyId] = partySelect.value.split(":");
    party = { role, partyId };
    show(tab);
  });
  const tabBar = h("div", { class: "tabs", role: "tablist" });
  const body = h("div", { id: "component-body" });
  replace(container,
    h("h2", {}, h("span", { class: "mono", id: "component-name" }, ctx.component), " ",
      h("span", { class: "muted" }, `(${ctx.module})`), " ", statusSlot,
      h("span", { style: "float:right;font-weight:normal;font-size:13px" }, "as ", partySelect)),
    tabBar, body);

  const renderTabs = () => replace(tabBar, TABS.map(([key, label]) =>
    h("button", { role: "tab", class: key === tab ? "active" : null, "data-tab": key, onclick: () => show(key) }, label)));

  const loaders = {
    async metrics() {
      const [metrics, summary] = await Promise.all([
        envelope(PATHS.metricAll, at()), envelope(PATHS.summary, at()).catch(() => ({})),
      ]);
      if (metrics.retcode !== 0) throw new Error(metrics.retmsg);
      renderMetrics(body, metrics.data || {}, summary.retcode === 0 ? summary.data : null);
    },
    async model() {
      const [model, summary] = await Promise.all([
        envelope(PATHS.outputModel, at()), envelope(PATHS.summary, at()).catch(() => ({})),
      ]);
      renderModel(body, ctx.module, model, summary.retcode === 0 ? summary.data : null, party);
    },
    async parameters() {
      const data = await call(PATHS.parameters, at());
      const params = Object.entries(data).find(([k]) => k.endsWith("Param"));
      replace(body, h("p", { class: "muted" }, `The parameters ${party.role} ${party.partyId} ran ${ctx.component} with (defaults filled in).`),
        params ? parameterTable(params[1]) : h("p", {}, "no parameters"));
    },
    async data() {
      const answer = await envelope(PATHS.outputData, { ...at(), limit: 100 });
      if (answer.retcode !== 0 || !answer.data || !answer.data.length) {
        replace(body, h("p", { class: "muted" }, answer.retmsg === "no data" || answer.retcode === 0 ? "no output data" : answer.retmsg));
        return;
      }
      const meta = answer.meta || {};
      replace(body, answer.data.map((rows, i) => h("div", {},
        h("h3", {}, `${(meta.names || [])[i] || "data"}: ${fmtNumber((meta.total || [])[i])} rows`,
          h("span", { class: "muted", style: "font-weight:normal" }, ` (first ${rows.length} shown)`)),
        h("div", { class: "scroll" }, h("table", { class: "output-data" },
          h("thead", {}, h("tr", {}, ((meta.header || [])[i] || []).map((c) => h("th", {}, c)))),
          h("tbody", {}, rows.map((row) => h("tr", {}, row.map((v) => h("td", {}, typeof v === "object" ? JSON.stringify(v) : String(v)))))))))),
      h("p", {}, h("button", { id: "download-data", onclick: async (event) => {
        event.target.disabled = true;
        try { await download(PATHS.outputDataDownload, { ...at(), limit: -1 }); } catch (e) { replace(body, flash(`download failed: ${e.message}`), body.firstChild); }
        event.target.disabled = false;
      } }, "Download all rows (tar.gz)")));
    },
    async log() {
      log = logView({ jobId: ctx.jobId, role: party.role, partyId: party.partyId, component: ctx.component });
      replace(body, log.el);
      await log.refresh();
    },
  };

  async function show(key) {
    tab = key;
    renderTabs();
    disposeCharts(body);
    log = null;
    replace(body, h("p", { class: "muted" }, "loading\u2026"));
    const run = (loading = loaders[key]().catch((e) => replace(body, flash(e.message))));
    await run;
    body.dataset.tab = key;
  }

  const showStatus = () => {
    const status = ctx.status();
    replace(statusSlot, status ? badge(status) : "");
    return status;
  };
  showStatus();
  show(tab);

  return {
    // on each poll of the job page: new log lines; new metric points while the component runs; the model and
    // output data again once its status changes (not before a first status is known: the tab was just loaded)
    async refresh() {
      const status = showStatus();
      const changed = lastStatus !== undefined && status !== lastStatus;
      lastStatus = status;
      if (tab === "log" && log) await log.refresh();
      else if (loading && ((tab === "metrics" && (status === "running" || changed))
                           || ((tab === "model" || tab === "data") && changed))) {
        await loading;
        await loaders[tab]().catch(() => {});
      }
    },
    dispose() { disposeCharts(body); },
  };
}

// nested parameters as rows of dotted keys
function parameterTable(params) {
  const rows = [];
  const walk = (value, path) => {
    if (value && typeof value === "object" && !Array.isArray(value) && Object.keys(value).length) {
      for (const [k, v] of Object.entries(value)) walk(v, path ? `${path}.${k}` : k);
    } else rows.push([path, value]);
  };
  walk(params, "");
  return h("table", { class: "parameters" }, h("tbody", {}, rows.map(([k, v]) =>
    h("tr", {}, h("td", { class: "mono" }, k), h("td", { class: "mono" }, typeof v === "string" ? v : JSON.stringify(v))))));
}
