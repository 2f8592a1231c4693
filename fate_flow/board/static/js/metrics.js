// A component's metrics (/v1/tracking/component/metric/all) per namespace (train, validate...): evaluation
// summaries as a table; loss, ROC, KS, lift, gain, accuracy, precision/recall and PR curves as charts; the
// confusion matrix at a chosen threshold; anything else as a table or a line.
import { h, replace, kv, fmtNumber, jsonBlock } from "./dom.js";
import { lineChart, barChart, chartSlot } from "./charts.js";

const NAMESPACE_ORDER = { train: 0, validate: 1 };
const CURVES = { LIFT_EVALUATION: ["Lift", "cut", "lift"], GAIN_EVALUATION: ["Gain", "cut", "gain"],
  ACCURACY_EVALUATION: ["Accuracy", "cut", "accuracy"] };
// charts in this order (the rest after them, as recorded)
const TYPE_ORDER = ["EVALUATION_SUMMARY", "CONFUSION_MAT", "ROC_EVALUATION", "KS_EVALUATION", "LOSS", "LIFT_EVALUATION",
  "GAIN_EVALUATION", "PRECISION_BINARY_EVALUATION", "RECALL_BINARY_EVALUATION", "ACCURACY_EVALUATION", "F1_SCORE",
  "QUANTILE_PR"];
const rank = (type) => (TYPE_ORDER.includes(type) ? TYPE_ORDER.indexOf(type) : TYPE_ORDER.length);
const HIDDEN_META = new Set(["name", "metric_type", "curve_name", "pair_type", "unit_name", "ordinate_name", "thresholds"]);

export function renderMetrics(container, all, summary) {
  const draws = []; // charts are drawn once their boxes are in the page (ECharts needs their size)
  const parts = [];
  if (summary && Object.keys(summary).length) {
    const flat = Object.values(summary).every((v) => v === null || typeof v !== "object");
    parts.push(h("details", { class: "summary", open: flat }, h("summary", {}, "Summary"), summaryView(summary)));
  }
  const namespaces = Object.keys(all).sort((a, b) => (NAMESPACE_ORDER[a] ?? 9) - (NAMESPACE_ORDER[b] ?? 9) || a.localeCompare(b));
  if (!namespaces.length) parts.push(h("p", { class: "muted" }, "no metrics recorded on this party"));
  for (const ns of namespaces) {
    parts.push(h("h3", { "data-namespace": ns }, ns), namespaceView(container, ns, all[ns], draws));
  }
  replace(container, parts);
  draws.forEach((draw) => draw());
}

function summaryView(summary) {
  const flat = Object.entries(summary).every(([, v]) => v === null || typeof v !== "object");
  return flat ? kv(Object.entries(summary).map(([k, v]) => [k, fmtNumber(v)])) : jsonBlock(summary);
}

function namespaceView(container, ns, metrics, draws) {
  const byType = {};
  for (const [name, entry] of Object.entries(metrics)) {
    const type = (entry.meta && entry.meta.metric_type) || "OTHER";
    (byType[type] ||= []).push({ name, data: entry.data || [], meta: entry.meta || {} });
  }
  const parts = [];
  const charts = h("div", { class: "charts" });
  const chart = (key, title, height) => {
    const slot = chartSlot(container, `${ns}:${key}`, title, height);
    slot.box.firstChild.textContent = title;
    charts.appendChild(slot.box);
    return slot.el;
  };
  for (const [type, entries] of Object.entries(byType).sort((a, b) => rank(a[0]) - rank(b[0]))) {
    if (type === "EVALUATION_SUMMARY") parts.unshift(evaluationTable(entries));
    else if (type === "ROC_EVALUATION") {
      const el = chart("roc", "ROC");
      el.dataset.metricType = type;
      draws.push(() => lineChart(el, `${ns}:ROC`, entries.map((e) => ({ name: e.meta.curve_name || e.name, data: e.data })),
        { xName: "false positive rate", yName: "true positive rate", diagonal: true, area: entries.length === 1,
          xMin: 0, xMax: 1, yMin: 0, yMax: 1 }));
    } else if (type === "KS_EVALUATION") {
      for (const [pair, curves] of groupBy(entries, (e) => e.meta.pair_type || e.name.replace(/_(tpr|fpr)$/, ""))) {
        const el = chart(`ks:${pair}`, `K-S (${pair})`);
        el.dataset.metricType = type;
        draws.push(() => drawKs(el, `${ns}:KS:${pair}`, curves));
      }
    } else if (CURVES[type]) {
      const [title, xName, yName] = CURVES[type];
      const el = chart(type, title);
      el.dataset.metricType = type;
      draws.push(() => lineChart(el, `${ns}:${type}`, entries.map((e) => ({ name: e.meta.curve_name || e.name, data: e.data })),
        { xName, yName, xMin: 0, xMax: 1 }));
    } else if (type === "PRECISION_BINARY_EVALUATION" || type === "RECALL_BINARY_EVALUATION") {
      if (type === "RECALL_BINARY_EVALUATION" && byType.PRECISION_BINARY_EVALUATION) continue; // drawn with precision
      const recalls = byType.RECALL_BINARY_EVALUATION || [];
      for (const [pair, precision] of groupBy(entries, (e) => e.meta.pair_type || e.name)) {
        const recall = recalls.find((r) => (r.meta.pair_type || r.name) === pair);
        const el = chart(`pr:${pair}`, `Precision and recall (${pair})`);
        el.dataset.metricType = "PRECISION_RECALL";
        const series = [{ name: "precision", data: precision[0].data }];
        if (recall) series.push({ name: "recall", data: recall.data });
        draws.push(() => lineChart(el, `${ns}:PR:${pair}`, series, { xName: "cut", yName: "rate", xMin: 0, xMax: 1, yMin: 0, yMax: 1 }));
        if (recall && recall.data.length === precision[0].data.length) {
          const curve = chart(`prcurve:${pair}`, `Precision-recall curve (${pair})`);
          curve.dataset.metricType = "PR_CURVE";
          const points = recall.data.map((r, i) => [r[1], precision[0].data[i][1]]).sort((a, b) => a[0] - b[0]);
          draws.push(() => lineChart(curve, `${ns}:PRC:${pair}`, [{ name: pair, data: points }],
            { xName: "recall", yName: "precision", xMin: 0, xMax: 1, yMin: 0, yMax: 1 }));
        }
      }
    } else if (type === "LOSS") {
      for (const e of entries) {
        const el = chart(`loss:${e.name}`, `Loss (${e.meta.curve_name || e.name})`);
        el.dataset.metricType = type;
        draws.push(() => lineChart(el, `${ns}:LOSS:${e.name}`, [{ name: e.meta.curve_name || "loss", data: e.data }],
          { xName: e.meta.unit_name || "iteration", yName: "loss", zoom: e.data.length > 100 }));
      }
    } else if (type === "F1_SCORE") {
      for (const e of entries) {
        const el = chart(`f1:${e.name}`, "F1 score by threshold");
        el.dataset.metricType = type;
        const points = (e.meta.thresholds || []).map((t, i) => [t, (e.meta.f1_scores || [])[i]]).sort((a, b) => a[0] - b[0]);
        draws.push(() => lineChart(el, `${ns}:F1:${e.name}`, [{ name: "f1", data: points }], { xName: "threshold", yName: "F1" }));
      }
    } else if (type === "QUANTILE_PR") {
      for (const e of entries) {
        const el = chart(`qpr:${e.name}`, "Precision and recall by threshold");
        el.dataset.metricType = type;
        const at = (scores) => (e.meta.thresholds || []).map((t, i) => [t, ((scores || [])[i] || [])[1]]).sort((a, b) => a[0] - b[0]);
        draws.push(() => lineChart(el, `${ns}:QPR:${e.name}`, [{ name: "precision", data: at(e.meta.p_scores) },
          { name: "recall", data: at(e.meta.r_scores) }], { xName: "threshold", yName: "rate" }));
      }
    } else if (type === "CONFUSION_MAT") {
      entries.forEach((e) => parts.push(confusionView(e)));
    } else if (type.endsWith("_MULTI_EVALUATION")) {
      for (const e of entries) {
        const el = chart(`multi:${e.name}`, `${e.meta.ordinate_name || e.name} per class`);
        el.dataset.metricType = type;
        draws.push(() => barChart(el, `${ns}:${e.name}`, e.data.map((p) => String(p[0])), e.data.map((p) => p[1])));
      }
    } else {
      for (const e of entries) parts.push(genericView(e, chart, draws, ns));
    }
  }
  if (charts.childNodes.length) parts.push(charts);
  return h("div", { class: "namespace", "data-namespace": ns }, parts);
}

function groupBy(entries, key) {
  const groups = new Map();
  for (const e of entries) {
    const k = key(e);
    if (!groups.has(k)) groups.set(k, []);
    groups.get(k).push(e);
  }
  return groups;
}

function evaluationTable(entries) {
  const columns = [...new Set(entries.flatMap((e) => e.data.map((p) => String(p[0]))))];
  return h("table", { class: "evaluation-summary" },
    h("thead", {}, h("tr", {}, h("th", {}, "model"), columns.map((c) => h("th", { class: "num" }, c)))),
    h("tbody", {}, entries.map((e) => {
      const values = Object.fromEntries(e.data.map((p) => [String(p[0]), p[1]]));
      return h("tr", { "data-metric": e.name }, h("td", {}, e.name),
        columns.map((c) => h("td", { class: "num", "data-key": c }, fmtNumber(values[c]))));
    })));
}

function drawKs(el, name, curves) {
  const tpr = curves.find((c) => /tpr$/.test(c.meta.curve_name || c.name)) || curves[0];
  const fpr = curves.find((c) => /fpr$/.test(c.meta.curve_name || c.name)) || curves[1];
  const series = [{ name: "tpr", data: tpr.data }];
  if (fpr) {
    let best = { gap: -1, x: 0 };
    tpr.data.forEach((p, i) => {
      const gap = p[1] - ((fpr.data[i] || [])[1] ?? 0);
      if (gap > best.gap) best = { gap, x: p[0] };
    });
    series[0].markLine = { symbol: "none", label: { formatter: `KS ${fmtNumber(best.gap, 4)}` },
      lineStyle: { color: "#1fa971" }, data: [{ xAxis: best.x }] };
    series.push({ name: "fpr", data: fpr.data });
  }
  lineChart(el, name, series, { xName: "cut", yName: "rate", xMin: 0, xMax: 1, yMin: 0, yMax: 1 });
}

function confusionView(e) {
  const m = e.meta;
  const thresholds = m.thresholds || [];
  if (!thresholds.length) return h("div", {});
  let start = 0;
  thresholds.forEach((t, i) => { if (Math.abs(t - 0.5) < Math.abs(thresholds[start] - 0.5)) start = i; });
  const cells = h("div", {});
  const select = h("select", { "aria-label": "threshold" }, thresholds.map((t, i) =>
    h("option", { value: i, selected: i === start }, fmtNumber(t, 4))));
  const show = (i) => {
    const tp = m.tp[i], fp = m.fp[i], tn = m.tn[i], fn = m.fn[i];
    const rate = (a, b) => (a + b ? fmtNumber(a / (a + b), 4) : "");
    replace(cells, h("table", { style: "width:auto" },
      h("thead", {}, h("tr", {}, h("th", {}, ""), h("th", { class: "num" }, "predicted 1"), h("th", { class: "num" }, "predicted 0"))),
      h("tbody", {},
        h("tr", {}, h("th", {}, "actual 1"), h("td", { class: "num" }, tp), h("td", { class: "num" }, fn)),
        h("tr", {}, h("th", {}, "actual 0"), h("td", { class: "num" }, fp), h("td", { class: "num" }, tn)))),
    h("p", { class: "muted" }, `precision ${rate(tp, fp)} \u00b7 recall ${rate(tp, fn)} \u00b7 accuracy ${rate(tp + tn, fp + fn)}`));
  };
  select.addEventListener("change", () => show(Number(select.value)));
  show(start);
  return h("div", { class: "card confusion" }, h("h4", {}, `Confusion matrix (${e.name}) at threshold `, select), cells);
}

// a meta value: a flat object as its own key/value list, anything else nested as JSON text
function metaValue(value) {
  if (value === null || typeof value !== "object") return fmtNumber(value);
  if (!Array.isArray(value) && Object.values(value).every((v) => v === null || typeof v !== "object")) {
    return kv(Object.entries(value).map(([k, v]) => [k, h("span", { class: "mono" }, fmtNumber(v))]));
  }
  return h("span", { class: "mono" }, JSON.stringify(value));
}

function genericView(e, chart, draws, ns) {
  const numeric = e.data.length > 1 && e.data.every((p) => typeof p[0] === "number" && typeof p[1] === "number");
  const meta = Object.entries(e.meta).filter(([k]) => !HIDDEN_META.has(k));
  const parts = [h("h4", {}, `${e.name} `, h("span", { class: "muted" }, e.meta.metric_type || ""))];
  if (numeric) {
    const el = chart(`generic:${e.name}`, e.name);
    el.dataset.metricType = e.meta.metric_type || "OTHER";
    draws.push(() => lineChart(el, `${ns}:${e.name}`, [{ name: e.name, data: e.data }], { xName: e.meta.unit_name || "" }));
  } else if (e.data.length) {
    parts.push(kv(e.data.map((p) => [String(p[0]), typeof p[1] === "object" ? JSON.stringify(p[1]) : fmtNumber(p[1])])));
  }
  if (meta.length) parts.push(kv(meta.map(([k, v]) => [k, metaValue(v)])));
  return h("div", { class: "metric", "data-metric": e.name }, parts);
}
