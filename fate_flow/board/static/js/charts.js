// Charts on Apache ECharts (vendor/echarts.common.min.js, global `echarts`). Every chart element carries
// data-chart (its name) and data-points (points drawn), and echarts.getInstanceByDom(el) gives its option.

const PALETTE = ["#2f7fe0", "#e5484d", "#1fa971", "#e79b1b", "#8e5bd0", "#0ea5b5", "#b4561a", "#5b6b80"];
const BIG = 2000; // beyond this many points a series is drawn without symbols, sampled (LTTB), unanimated

const live = new Set();
window.addEventListener("resize", () => live.forEach((chart) => chart.resize()));

function mount(el, option, name, points) {
  let chart = echarts.getInstanceByDom(el);
  if (chart) { // a live update: new data in place, no animation
    option.animation = false;
    chart.setOption(option, { replaceMerge: ["series"] });
  } else {
    chart = echarts.init(el, null, { renderer: "canvas" });
    live.add(chart);
    chart.setOption(option, true);
    performance.mark(`board:chart:${name}`); // for bench/board.py: when each chart was first drawn
  }
  el.dataset.chart = name;
  el.dataset.points = String(points);
  return chart;
}

export function disposeCharts(root) {
  for (const el of root.querySelectorAll("[data-chart]")) {
    const chart = echarts.getInstanceByDom(el);
    if (chart) { live.delete(chart); chart.dispose(); }
  }
}

function lineSeries(series, i, opts) {
  const big = series.data.length > BIG;
  return {
    name: series.name, type: "line", data: series.data, showSymbol: !big && series.data.length <= 60,
    symbolSize: 4, sampling: big ? "lttb" : undefined, step: series.step || undefined,
    lineStyle: { width: 2, type: series.dashed ? "dashed" : "solid" }, color: series.color || PALETTE[i % PALETTE.length],
    areaStyle: opts.area && i === 0 ? { opacity: 0.12 } : undefined, animation: !big,
    markLine: series.markLine, progressive: big ? 5000 : undefined,
  };
}

// series: [{name, data: [[x, y], ...], dashed, color}]; opts: {xName, yName, diagonal, area, xMax, yMax, zoom}
export function lineChart(el, name, series, opts = {}) {
  const points = series.reduce((n, s) => n + s.data.length, 0);
  const all = series.map((s, i) => lineSeries(s, i, opts));
  if (opts.diagonal) {
    all.push({ name: "random", type: "line", data: [[0, 0], [1, 1]], showSymbol: false, silent: true,
      lineStyle: { type: "dotted", width: 1, color: "#9aa3b2" }, tooltip: { show: false } });
  }
  const option = {
    animation: points <= BIG,
    grid: { left: 56, right: 24, top: series.length > 1 ? 34 : 16, bottom: opts.zoom ? 62 : 40 },
    tooltip: { trigger: "axis", axisPointer: { type: "cross" }, confine: true },
    legend: series.length > 1 ? { top: 0, type: "scroll" } : undefined,
    xAxis: { type: opts.category ? "category" : "value", name: opts.xName, nameLocation: "middle", nameGap: 26,
      min: opts.xMin, max: opts.xMax, scale: !opts.xMax, data: opts.categories },
    yAxis: { type: "value", name: opts.yName, nameLocation: "middle", nameGap: 42, min: opts.yMin, max: opts.yMax,
      scale: !opts.yMax },
    dataZoom: opts.zoom ? [{ type: "inside" }, { type: "slider", height: 16, bottom: 6 }] : undefined,
    series: all,
  };
  return mount(el, option, name, points);
}

// categories: labels, values: numbers; opts: {horizontal, name, colors(value) -> color}
export function barChart(el, name, categories, values, opts = {}) {
  const category = { type: "category", data: categories, axisLabel: { interval: 0, fontSize: 11 } };
  const value = { type: "value", scale: false, name: opts.valueName, nameLocation: "middle", nameGap: 28 };
  const option = {
    animation: categories.length <= 200,
    grid: { left: opts.horizontal ? 110 : 50, right: 24, top: 14, bottom: opts.horizontal ? 36 : 56 },
    tooltip: { trigger: "axis", confine: true },
    xAxis: opts.horizontal ? value : { ...category, axisLabel: { rotate: categories.length > 8 ? 40 : 0, fontSize: 11 } },
    yAxis: opts.horizontal ? { ...category, inverse: true } : value,
    series: [{ type: "bar", name: opts.name || name, data: values.map((v) => ({
      value: v, itemStyle: { color: opts.color ? opts.color(v) : PALETTE[0] } })) }],
  };
  return mount(el, option, name, values.length);
}

const slots = new WeakMap(); // container -> Map(key -> {box, el}): a re-render keeps its charts

// the chart box `key` of `container`: the one drawn before (its chart still alive) or a new one
export function chartSlot(container, key, title, height) {
  let map = slots.get(container);
  if (!map) slots.set(container, (map = new Map()));
  const old = map.get(key);
  if (old && echarts.getInstanceByDom(old.el)) return old;
  const slot = chartBox(title, height);
  map.set(key, slot);
  return slot;
}

export function chartBox(title, height) {
  const el = document.createElement("div");
  el.className = "chart";
  if (height) el.style.height = `${height}px`;
  const box = document.createElement("div");
  box.className = "chart-box";
  const heading = document.createElement("h4");
  heading.textContent = title;
  box.append(heading, el);
  return { box, el };
}
