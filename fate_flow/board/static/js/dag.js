// The job's DAG from /v1/pipeline/dag/dependency, laid out in layers (longest path from the sources, then a
// few barycentre sweeps to untangle each layer) and drawn as SVG: data edges solid, model edges dashed, node
// colours from the tasks' statuses.
import { s, clear } from "./dom.js";

const W = 190, H = 46, GAP_X = 34, GAP_Y = 64, MARGIN = 20;

export function layout(names, edges) {
  const preds = new Map(names.map((n) => [n, []]));
  const succs = new Map(names.map((n) => [n, []]));
  for (const e of edges) {
    if (preds.has(e.to) && succs.has(e.from)) { preds.get(e.to).push(e.from); succs.get(e.from).push(e.to); }
  }
  const layer = new Map();
  for (const n of names) { // names come in topological order
    layer.set(n, Math.max(-1, ...preds.get(n).map((p) => layer.get(p) ?? -1)) + 1);
  }
  const layers = [];
  names.forEach((n) => { (layers[layer.get(n)] ||= []).push(n); });
  const pos = new Map();
  const index = () => layers.forEach((row) => row.forEach((n, i) => pos.set(n, i)));
  index();
  const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
  for (let sweep = 0; sweep < 4; sweep++) {
    const down = sweep % 2 === 0;
    const order = down ? layers.slice(1) : layers.slice(0, -1).reverse();
    for (const row of order) {
      const key = new Map(row.map((n) => {
        const next = down ? preds.get(n) : succs.get(n);
        return [n, next.length ? mean(next.map((m) => pos.get(m))) : pos.get(n)];
      }));
      row.sort((a, b) => key.get(a) - key.get(b));
      row.forEach((n, i) => pos.set(n, i));
    }
  }
  const widest = Math.max(...layers.map((row) => row.length));
  const width = widest * W + (widest - 1) * GAP_X + 2 * MARGIN;
  const coords = new Map();
  layers.forEach((row, depth) => {
    const rowWidth = row.length * W + (row.length - 1) * GAP_X;
    const left = (width - rowWidth) / 2;
    row.forEach((n, i) => coords.set(n, { x: left + i * (W + GAP_X), y: MARGIN + depth * (H + GAP_Y) }));
  });
  return { coords, width, height: layers.length * H + (layers.length - 1) * GAP_Y + 2 * MARGIN };
}

// dependency: the /v1/pipeline/dag/dependency answer; returns {setStatus(name, status), select(name), el}
export function drawDag(container, dependency, onSelect) {
  const names = dependency.component_list;
  const edges = [];
  for (const [to, inputs] of Object.entries(dependency.dependencies || {})) {
    for (const input of inputs) edges.push({ from: input.component_name, to, type: input.type === "model" ? "model" : "data" });
  }
  const { coords, width, height } = layout(names, edges);
  const svg = s("svg", { class: "dag", width, height, viewBox: `0 0 ${width} ${height}`, role: "img",
    "aria-label": "job DAG" });
  svg.appendChild(s("defs", {},
    s("marker", { id: "arrow", viewBox: "0 0 10 10", refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: "auto" },
      s("path", { d: "M0,0 L10,5 L0,10 z", fill: "#8b95a6" })),
    s("marker", { id: "arrow-model", viewBox: "0 0 10 10", refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: "auto" },
      s("path", { d: "M0,0 L10,5 L0,10 z", fill: "#c0842a" }))));
  const pairCount = new Map();
  for (const e of edges) {
    const a = coords.get(e.from), b = coords.get(e.to);
    if (!a || !b) continue;
    const pair = `${e.from}>${e.to}`;
    const k = pairCount.get(pair) || 0;
    pairCount.set(pair, k + 1);
    const shift = k * 14;
    const x1 = a.x + W / 2 + shift, y1 = a.y + H, x2 = b.x + W / 2 + shift, y2 = b.y - 2;
    const bend = Math.max(24, (y2 - y1) / 2);
    svg.appendChild(s("path", { class: `dag-edge ${e.type}`, d: `M${x1},${y1} C${x1},${y1 + bend} ${x2},${y2 - bend} ${x2},${y2}`,
      "marker-end": e.type === "model" ? "url(#arrow-model)" : "url(#arrow)", "data-from": e.from, "data-to": e.to,
      "data-type": e.type }));
  }
  const nodes = new Map();
  for (const name of names) {
    const { x, y } = coords.get(name);
    const module = (dependency.component_module || {})[name] || "";
    const runs = (dependency.component_need_run || {})[name] !== false;
    const node = s("g", { class: "dag-node", transform: `translate(${x},${y})`, "data-component": name,
      "data-status": runs ? "waiting" : "pass", tabindex: 0, role: "button", "aria-label": name },
      s("title", {}, `${name} (${module})${runs ? "" : ": does not run on this party"}`),
      s("rect", { width: W, height: H, rx: 6 }),
      s("text", { x: W / 2, y: 19, "text-anchor": "middle" }, name),
      s("text", { class: "module", x: W / 2, y: 35, "text-anchor": "middle" }, module));
    node.addEventListener("click", () => onSelect(name));
    node.addEventListener("keydown", (event) => { if (event.key === "Enter") onSelect(name); });
    nodes.set(name, node);
    svg.appendChild(node);
  }
  clear(container).appendChild(svg);
  return {
    el: svg,
    setStatus(name, status) {
      const node = nodes.get(name);
      if (node && node.dataset.status !== "pass" && status && node.dataset.status !== status) node.dataset.status = status;
    },
    select(name) {
      for (const [n, node] of nodes) node.classList.toggle("selected", n === name);
    },
  };
}
