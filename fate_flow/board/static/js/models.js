// A component's model (/v1/tracking/component/output/model) shown for what it is: DataIO/DataTransform's
// columns, FeatureScale's fitted ranges, binning per feature (bins, counts, event rates, WOE, IV), selection's
// kept and dropped columns with the filter that decided, LR coefficients by magnitude, SecureBoost's feature
// importances and trees; raw JSON for the rest.
import { h, replace, kv, table, fmtNumber, jsonBlock } from "./dom.js";
import { barChart, chartBox } from "./charts.js";

const VIEWS = {
  DataIO: dataTransformView, DataTransform: dataTransformView, FeatureScale: scaleView,
  HeteroFeatureBinning: binningView, HeteroFeatureSelection: selectionView,
  HeteroLR: lrView, HomoLR: lrView, LogisticRegression: lrView, HeteroSecureBoost: boostingView,
};
const NO_MODEL = { Intersection: "intersection", Evaluation: "evaluation", Reader: "reader" };

// party: {role, partyId} the model is shown as
export function renderModel(container, module, answer, summary, party) {
  const data = answer && answer.retcode === 0 ? answer.data || {} : {};
  const meta = (answer && answer.meta && answer.meta.meta_data) || {};
  const draws = [];
  const parts = [];
  if (!Object.keys(data).length) {
    if (answer && answer.retcode && answer.retcode !== 0) parts.push(h("p", { class: "error" }, answer.retmsg));
    parts.push(h("p", { class: "muted" }, `${module} keeps no model${NO_MODEL[module] ? "; what it found:" : "."}`));
    if (summary && Object.keys(summary).length) parts.push(kvOrJson(summary));
  } else {
    const view = VIEWS[module];
    if (view) {
      try {
        parts.push(view(data, meta, draws, party || {}));
      } catch (e) {
        parts.push(h("p", { class: "error" }, `cannot show this model: ${e.message}`));
      }
    } else {
      parts.push(h("p", { class: "muted" }, `no view for ${module} models; the model as JSON:`), jsonBlock(data));
    }
    parts.push(h("details", { class: "raw" }, h("summary", {}, "Model and meta as JSON"),
      jsonBlock({ model: data, meta })));
  }
  replace(container, h("div", { class: "model", "data-module": module }, parts));
  draws.forEach((draw) => draw());
}

function kvOrJson(value) {
  const flat = Object.values(value).every((v) => v === null || typeof v !== "object");
  return flat ? kv(Object.entries(value).map(([k, v]) => [k, fmtNumber(v)])) : jsonBlock(value);
}

const list = (values) => (values && values.length ? values.join(", ") : h("span", { class: "muted" }, "none"));

function dataTransformView(data, meta) {
  const replaced = (m) => (m && Object.keys(m).length ? Object.entries(m).map(([k, v]) => `${k} \u2192 ${v}`).join(", ") : h("span", { class: "muted" }, "none"));
  return h("div", {},
    kv([
      ["Features", String((data.header || []).length)],
      ["Columns", list(data.header)],
      ["Label", data.label_name || h("span", { class: "muted" }, "none (this party has no label)")],
      ["Id column", data.sid_name || ""],
      ["Missing values replaced", replaced(data.missing_replace_value)],
      ["Outliers replaced", replaced(data.outlier_replace_value)],
    ]),
    h("h3", {}, "Settings"),
    kv(Object.entries(meta).map(([k, v]) => [k, typeof v === "object" ? JSON.stringify(v) : String(v)])));
}

function scaleView(data, meta) {
  const columns = Object.entries(data.col_scale_param || {});
  return h("div", {},
    kv([["Method", meta.method || "none"], ["Columns scaled", `${columns.length} of ${(data.header || []).length}`]]),
    table([
      { title: "column", get: (c) => c[0] },
      { title: "lower", class: "num", get: (c) => fmtNumber(c[1].column_lower) },
      { title: "upper", class: "num", get: (c) => fmtNumber(c[1].column_upper) },
      ...(meta.method === "standard_scale" ? [ // min-max scaling has no mean and std
        { title: "mean", class: "num", get: (c) => fmtNumber(c[1].mean) },
        { title: "std", class: "num", get: (c) => fmtNumber(c[1].std) }] : []),
    ], columns));
}

function binningView(data, meta, draws) {
  const own = (data.binning_result && data.binning_result.binning_result) || {};
  const hosts = data.host_results || [];
  const detail = h("div", { id: "bin-detail" });
  const features = Object.entries(own).sort((a, b) => (b[1].iv || 0) - (a[1].iv || 0));
  const showFeature = (name, r) => {
    const bins = (r.bin_anonymous || []).map((bin, i) => ({
      bin, split: (r.split_points || [])[i], count: (r.count_array || [])[i], event: (r.event_count_array || [])[i],
      nonEvent: (r.non_event_count_array || [])[i], eventRate: (r.event_rate_array || [])[i],
      woe: (r.woe_array || [])[i], iv: (r.iv_array || [])[i],
    }));
    const chart = chartBox(`WOE of ${name} per bin`, 220);
    replace(detail, h("h3", {}, `Bins of ${name}`),
      table([
        { title: "bin", get: (b) => b.bin },
        { title: "upper split point", class: "num", get: (b) => fmtNumber(b.split) },
        { title: "count", class: "num", get: (b) => fmtNumber(Number(b.count)) },
        { title: "events", class: "num", get: (b) => fmtNumber(b.event === undefined ? "" : Number(b.event)) },
        { title: "non-events", class: "num", get: (b) => fmtNumber(b.nonEvent === undefined ? "" : Number(b.nonEvent)) },
        { title: "event rate", class: "num", get: (b) => fmtNumber(b.eventRate, 4) },
        { title: "WOE", class: "num", get: (b) => fmtNumber(b.woe, 4) },
        { title: "IV", class: "num", get: (b) => fmtNumber(b.iv, 4) },
      ], bins),
      (r.woe_array || []).length ? chart.box : null);
    if ((r.woe_array || []).length) {
      barChart(chart.el, `woe:${name}`, bins.map((b) => b.bin), bins.map((b) => b.woe),
        { color: (v) => (v >= 0 ? "#2f7fe0" : "#e5484d") });
    }
  };
  const featureTable = (rows, selectable) => table([
    { title: "feature", get: (f) => f[0] },
    { title: "IV", class: "num", get: (f) => fmtNumber(f[1].iv, 5) },
    { title: "bins", class: "num", get: (f) => fmtNumber(Number(f[1].bin_nums || (f[1].bin_anonymous || []).length)) },
    { title: "monotonic WOE", get: (f) => (f[1].woe_array && f[1].woe_array.length ? (f[1].is_woe_monotonic ? "yes" : "no") : "") },
  ], rows, selectable ? (f) => ({ class: "clickable", "data-feature": f[0], onclick: () => showFeature(f[0], f[1]) }) : null);
  const ivChart = chartBox("IV per feature", Math.max(180, 22 * features.length + 40));
  if (features.some((f) => f[1].iv)) {
    draws.push(() => barChart(ivChart.el, "iv", features.map((f) => f[0]), features.map((f) => f[1].iv || 0), { horizontal: true }));
  }
  if (features.length) draws.push(() => showFeature(features[0][0], features[0][1]));
  return h("div", {},
    kv([["Method", meta.method || ""], ["Features binned here", String(features.length)], ["Bins asked", String(meta.bin_num || "")]]),
    h("div", { class: "row" },
      h("div", { class: "grow" }, h("h3", {}, "Features (click one for its bins)"), h("div", { class: "scroll" }, featureTable(features, true))),
      features.some((f) => f[1].iv) ? h("div", { class: "grow" }, ivChart.box) : null),
    detail,
    hosts.map((host) => {
      const rows = Object.entries(host.binning_result || {}).sort((a, b) => (b[1].iv || 0) - (a[1].iv || 0));
      return h("div", {}, h("h3", {}, `${host.role || "host"} ${host.party_id}: IV of its features (names hidden)`),
        h("div", { class: "scroll" }, featureTable(rows, false)));
    }));
}

function selectionView(data) {
  const results = data.results || [];
  const original = ((data.final_left_cols || {}).original_cols) || data.header || [];
  const finalLeft = ((data.final_left_cols || {}).left_cols) || {};
  const decided = (col, pick) => {
    for (const r of results) {
      const left = pick(r) || {};
      if (left[col] === false) return { filter: r.filter_name, value: (r.feature_values || {})[col] };
    }
    return null;
  };
  const rows = original.map((col) => {
    const kept = finalLeft[col] !== false;
    const by = kept ? null : decided(col, (r) => (r.left_cols || {}).left_cols);
    const value = results.map((r) => (r.feature_values || {})[col]).find((v) => v !== undefined);
    return { col, kept, by, value };
  });
  const hostParts = (data.host_col_names || []).map((host, i) => {
    const hostLeft = results.map((r) => ((r.host_left_cols || [])[i] || {}).left_cols || {});
    const lastLeft = hostLeft.length ? hostLeft[hostLeft.length - 1] : {};
    const hostRows = (host.col_names || []).map((col) => {
      const dropIndex = hostLeft.findIndex((left) => left[col] === false);
      const values = results.map((r) => (((r.host_feature_values || [])[i] || {}).feature_values || {})[col]);
      return { col, kept: dropIndex < 0 && lastLeft[col] !== false, by: dropIndex >= 0 ? { filter: results[dropIndex].filter_name } : null,
        value: values.find((v) => v !== undefined) };
    });
    return h("div", {}, h("h3", {}, `host ${host.party_id}: its columns (names hidden)`), selectionTable(hostRows));
  });
  const keptCount = rows.filter((r) => r.kept).length;
  return h("div", {},
    kv([["Filters, in order", list(results.map((r) => r.filter_name))], ["Kept here", `${keptCount} of ${rows.length} columns`]]),
    selectionTable(rows), hostParts);
}

function selectionTable(rows) {
  return table([
    { title: "column", get: (r) => r.col },
    { title: "", get: (r) => h("span", { class: r.kept ? "kept" : "dropped" }, r.kept ? "kept" : "dropped") },
    { title: "dropped by", get: (r) => (r.by ? r.by.filter : "") },
    { title: "value the filter saw", class: "num", get: (r) => fmtNumber(r.value, 5) },
  ], rows, (r) => ({ "data-column": r.col, "data-kept": String(r.kept) }));
}

function lrView(data, meta, draws) {
  const weights = Object.entries(data.weight || {}).sort((a, b) => Math.abs(b[1]) - Math.abs(a[1]));
  const chart = chartBox("Coefficients by magnitude", Math.max(180, 22 * weights.length + 40));
  if (weights.length) {
    draws.push(() => barChart(chart.el, "coefficients", weights.map((w) => w[0]), weights.map((w) => w[1]),
      { horizontal: true, color: (v) => (v >= 0 ? "#2f7fe0" : "#e5484d") }));
  }
  return h("div", {},
    kv([
      ["Intercept", h("span", { id: "lr-intercept" }, fmtNumber(data.intercept))],
      ["Iterations", fmtNumber(Number(data.iters))],
      ["Converged", data.is_converged ? "yes" : "no"],
      ["Best iteration", data.best_iteration === undefined ? "" : String(data.best_iteration)],
      ["Penalty / optimizer", `${meta.penalty || ""} / ${meta.optimizer || ""}`],
    ]),
    h("div", { class: "row" },
      h("div", { class: "grow" }, table([
        { title: "feature", get: (w) => w[0] },
        { title: "coefficient", class: "num", get: (w) => fmtNumber(w[1], 6) },
      ], weights, (w) => ({ "data-feature": w[0] }))),
      weights.length ? h("div", { class: "grow" }, chart.box) : null));
}

function boostingView(data, meta, draws, party) {
  const importances = [...(data.feature_importances || [])].sort((a, b) => (b.importance || 0) - (a.importance || 0));
  const names = data.feature_name_fid_mapping || {};
  const trees = data.trees_ || [];
  const tree = (meta.tree_meta || {});
  const chart = chartBox("Feature importance (splits)", Math.max(160, 22 * importances.length + 40));
  if (importances.length) {
    draws.push(() => barChart(chart.el, "importance", importances.map((f) => f.fullname || `${f.sitename} ${f.fid}`),
      importances.map((f) => f.importance || 0), { horizontal: true }));
  }
  const detail = h("div", { id: "tree-detail" });
  const here = `${party.role}:${party.partyId}`;
  const own = (n) => n.sitename === here; // only the party that owns a split knows its feature and threshold
  const showTree = (i) => {
    const nodes = trees[i].tree_ || [];
    replace(detail, h("h3", {}, `Tree ${i}`), nodes.length ? table([
      { title: "node", get: (n) => n.id },
      { title: "split by", get: (n) => (n.is_leaf ? "" : n.sitename) },
      { title: "feature", get: (n) => (n.is_leaf ? "" : own(n) ? names[n.fid] || `fid ${n.fid}` : "(kept by that party)") },
      // a host's own split keeps its value in split_maskdict (the node holds the bin); the guest's, in the node
      { title: "threshold", class: "num", get: (n) => (n.is_leaf || !own(n) ? "" : fmtNumber((trees[i].split_maskdict || {})[n.id] ?? n.bid)) },
      { title: "left / right", get: (n) => (n.is_leaf ? "leaf" : n.left_nodeid || n.right_nodeid ? `${n.left_nodeid} / ${n.right_nodeid}` : "") },
      { title: "leaf weight", class: "num", get: (n) => (n.is_leaf ? fmtNumber(n.weight) : "") },
    ], nodes) : h("p", { class: "muted" }, "no node of this tree is kept here (none splits on this party's features)"));
  };
  if (trees.length) draws.push(() => showTree(0));
  return h("div", {},
    kv([
      ["Task", `${meta.task_type || ""} (${(meta.objective_meta || {}).objective || ""})`],
      ["Trees", `${data.tree_num}${data.tree_dim > 1 ? ` \u00d7 ${data.tree_dim} per round` : ""}, depth at most ${tree.max_depth ?? ""}`],
      ["Learning rate", fmtNumber(meta.learning_rate)],
      (data.classes_ || []).length ? ["Classes", data.classes_.join(", ")] : null,
      (data.init_score || []).length ? ["Initial score", data.init_score.map((v) => fmtNumber(v)).join(", ")] : null,
      ["Best iteration", String(data.best_iteration ?? "")],
    ]),
    h("div", { class: "row" },
      importances.length ? h("div", { class: "grow" }, chart.box) : null,
      h("div", { class: "grow" }, h("h3", {}, "Trees (click one for its nodes)"), table([
        { title: "tree", get: (t) => t.index },
        { title: "nodes", class: "num", get: (t) => t.nodes },
        { title: "leaves", class: "num", get: (t) => t.leaves },
      ], trees.map((t, index) => ({ index, nodes: (t.tree_ || []).length, leaves: (t.tree_ || []).filter((n) => n.is_leaf).length })),
      (t) => ({ class: "clickable", "data-tree": t.index, onclick: () => showTree(t.index) })))),
    detail);
}
