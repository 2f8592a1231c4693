// Two or more jobs side by side: their evaluation metrics in one table and their ROC, K-S and loss curves
// overlaid. #/compare?jobs=<job_id>:<role>:<party_id>,...
import { call, envelope, PATHS } from "../api.js";
import { h, replace, flash, fmtNumber } from "../dom.js";
import { lineChart, chartBox, disposeCharts } from "../charts.js";

const LOSS_MODULES = /LR$|LinR$|PoissonR$|NN$|SecureBoost|Regression/;

export function parseJobs(text) {
  return (text || "").split(",").map((item) => decodeURIComponent(item).trim()).filter(Boolean).map((item) => {
    const [jobId, role, partyId] = item.split(":");
    return { jobId, role, partyId, key: `${jobId}:${role}:${partyId}` };
  }).filter((j) => j.jobId && j.role && j.partyId);
}

async function collect(job) {
  const at = { job_id: job.jobId, role: job.role, party_id: job.partyId };
  const [summary, rows] = await Promise.all([call(PATHS.jobSummary, at), call(PATHS.jobQuery, { job_id: job.jobId })]);
  const result = { ...job, status: (rows.find((r) => r.f_role === job.role && r.f_party_id === job.partyId) || {}).f_status,
    values: {}, roc: [], ks: [], loss: [] };
  for (const c of summary.components) {
    for (const [ns, byName] of Object.entries(c.key_metrics || {})) {
      for (const [name, metrics] of Object.entries(byName)) {
        for (const [metric, value] of Object.entries(metrics)) result.values[`${c.component} \u00b7 ${ns} \u00b7 ${name} \u00b7 ${metric}`] = value;
      }
    }
  }
  const evaluations = summary.components.filter((c) => c.module === "Evaluation");
  for (const c of evaluations) {
    const all = (await call(PATHS.metricAll, { ...at, component_name: c.component })) || {};
    for (const [ns, byName] of Object.entries(all)) {
      for (const [name, entry] of Object.entries(byName)) {
        const type = entry.meta && entry.meta.metric_type;
        if (type === "ROC_EVALUATION") result.roc.push({ name: `${ns} ${entry.meta.curve_name || name}`, data: entry.data });
        if (type === "KS_EVALUATION" && /_tpr$/.test(name)) {
          const fpr = byName[name.replace(/_tpr$/, "_fpr")];
          if (fpr) result.ks.push({ name: `${ns} ${entry.meta.pair_type || name}`, data: entry.data.map((p, i) => [p[0], p[1] - ((fpr.data[i] || [])[1] ?? 0)]) });
        }
      }
    }
  }
  // the loss is kept by the party that computes it (the arbiter in hetero LR): look on every party hosted here
  for (const c of summary.components.filter((x) => LOSS_MODULES.test(x.module || ""))) {
    for (const row of rows) {
      const answer = await envelope(PATHS.metricAll, { job_id: job.jobId, role: row.f_role, party_id: row.f_party_id, component_name: c.component });
      const train = (answer.data || {}).train || {};
      const loss = Object.values(train).find((e) => e.meta && e.meta.metric_type === "LOSS");
      if (loss) { result.loss.push({ name: `${c.component} (${row.f_role} ${row.f_party_id})`, data: loss.data }); break; }
    }
  }
  return result;
}

export function comparePage(root, params) {
  const jobs = parseJobs(params.get("jobs"));
  const charts = h("div", { class: "charts", id: "compare-charts" });
  const tableSlot = h("div", { id: "compare-table" }, h("p", { class: "muted" }, "reading the jobs\u2026"));
  const input = h("input", { placeholder: "job_id:role:party_id, ...", size: 70, value: jobs.map((j) => j.key).join(", ") });
  replace(root, h("h1", {}, "Compare jobs"),
    h("form", { class: "card filters", onsubmit: (event) => {
      event.preventDefault();
      location.hash = "#/compare?jobs=" + input.value.split(",").map((s) => encodeURIComponent(s.trim())).filter(Boolean).join(",");
    } }, h("label", {}, "Jobs (or tick them on the Jobs page)", input), h("button", { class: "primary" }, "Compare")),
    h("div", { class: "card" }, tableSlot), charts);
  if (jobs.length < 2) {
    replace(tableSlot, h("p", { class: "muted" }, "Pick two or more jobs: tick them on the ", h("a", { href: "#/jobs" }, "Jobs"), " page and press Compare selected."));
    return { dispose() {} };
  }
  (async () => {
    const results = await Promise.all(jobs.map((job) => collect(job).catch((e) => ({ ...job, error: e.message }))));
    const failed = results.filter((r) => r.error);
    const ok = results.filter((r) => !r.error);
    const keys = [...new Set(ok.flatMap((r) => Object.keys(r.values)))].sort();
    replace(tableSlot,
      failed.map((r) => flash(`${r.key}: ${r.error}`)),
      h("table", { class: "compare" },
        h("thead", {}, h("tr", {}, h("th", {}, "metric"), ok.map((r) => h("th", { class: "num" },
          h("a", { class: "mono", href: `#/dashboard?job_id=${encodeURIComponent(r.jobId)}&role=${encodeURIComponent(r.role)}&party_id=${encodeURIComponent(r.partyId)}` }, r.jobId),
          h("div", { class: "muted" }, `${r.role} ${r.partyId} \u00b7 ${r.status || ""}`))))),
        h("tbody", {}, keys.length ? keys.map((key) => {
          const values = ok.map((r) => r.values[key]);
          const best = Math.max(...values.filter((v) => typeof v === "number"));
          return h("tr", { "data-metric": key }, h("td", {}, key), values.map((v) =>
            h("td", { class: "num", style: v === best && ok.length > 1 ? "font-weight:bold" : null }, v === undefined ? "\u2013" : fmtNumber(v))));
        }) : h("tr", {}, h("td", { colspan: ok.length + 1, class: "muted" }, "these jobs recorded no evaluation metrics")))));
    const overlay = (title, type, key, opts) => {
      const series = ok.flatMap((r) => r[key].map((s) => ({  // named by the job (its curve too when it has several)
        name: `\u2026${r.jobId.slice(-8)}` + (r[key].length > 1 ? ` ${s.name}` : ""), data: s.data })));
      if (!series.length) return;
      const box = chartBox(title);
      box.el.dataset.metricType = type;
      charts.appendChild(box.box);
      lineChart(box.el, `compare:${key}`, series, opts);
    };
    overlay("ROC", "ROC_EVALUATION", "roc", { xName: "false positive rate", yName: "true positive rate", diagonal: true, xMin: 0, xMax: 1, yMin: 0, yMax: 1 });
    overlay("K-S (tpr \u2212 fpr)", "KS_EVALUATION", "ks", { xName: "cut", yName: "tpr \u2212 fpr", xMin: 0, xMax: 1 });
    overlay("Loss", "LOSS", "loss", { xName: "iteration", yName: "loss", zoom: true });
  })();
  return { dispose() { disposeCharts(root); } };
}
