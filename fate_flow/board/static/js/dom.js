// Small DOM helpers: every text from the server goes into the page as text nodes, never as HTML.

export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  setAttrs(el, attrs);
  append(el, children);
  return el;
}

const SVG_NS = "http://www.w3.org/2000/svg";

export function s(tag, attrs, ...children) {
  const el = document.createElementNS(SVG_NS, tag);
  setAttrs(el, attrs);
  append(el, children);
  return el;
}

function setAttrs(el, attrs) {
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith("on") && typeof value === "function") el.addEventListener(key.slice(2), value);
    else if (key === "value") el.value = value;
    else if (key === "checked" || key === "selected" || key === "disabled" || key === "hidden") el[key] = true;
    else el.setAttribute(key, value === true ? "" : String(value));
  }
}

export function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.appendChild(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

export function clear(el) {
  while (el.firstChild) el.removeChild(el.firstChild);
  return el;
}

export function replace(el, ...children) {
  return append(clear(el), children);
}

const pad = (n) => String(n).padStart(2, "0");

export function fmtTime(ms) {
  if (!ms) return "";
  const d = new Date(Number(ms));
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

// "MM-DD HH:MM:SS" (the year only when it is not this one), for tables; the full time in its title
export function shortTime(ms) {
  if (!ms) return "";
  const d = new Date(Number(ms));
  const text = fmtTime(ms);
  const short = d.getFullYear() === new Date().getFullYear() ? text.slice(5) : text;
  const el = document.createElement("span");
  el.title = text;
  el.textContent = short;
  return el;
}

export function fmtDuration(ms) {
  if (ms === null || ms === undefined || ms === "") return "";
  let seconds = Math.round(Number(ms) / 1000);
  const hours = Math.floor(seconds / 3600);
  seconds -= hours * 3600;
  const minutes = Math.floor(seconds / 60);
  seconds -= minutes * 60;
  return hours ? `${hours}h ${pad(minutes)}m ${pad(seconds)}s` : minutes ? `${minutes}m ${pad(seconds)}s` : `${seconds}s`;
}

export function fmtNumber(value, digits = 6) {
  if (typeof value !== "number") return value === null || value === undefined ? "" : String(value);
  if (Number.isInteger(value)) return String(value);
  return String(Number(value.toPrecision(digits)));
}

export const ENDED = new Set(["success", "failed", "canceled", "timeout"]);

export function badge(status) {
  return h("span", { class: `badge s-${status || "waiting"}`, "data-status": status || "" }, status || "unknown");
}

export function progressBar(progress, status) {
  const p = Math.max(0, Math.min(100, Number(progress) || 0));
  const bar = h("span", { class: "progress" + (status === "success" ? " done" : ""), title: `${p}%` },
    h("span", { style: `width:${p}%` }));
  return h("span", { class: "progress-cell" }, bar, ` ${p}%`);
}

export function jsonBlock(value) {
  return h("pre", { class: "json" }, JSON.stringify(value, null, 2));
}

// a table from column specs: {title, get(row) -> node|text, class}
export function table(columns, rows, rowAttrs) {
  return h("table", {},
    h("thead", {}, h("tr", {}, columns.map((c) => h("th", { class: c.class || null }, c.title)))),
    h("tbody", {}, rows.map((row, i) => h("tr", rowAttrs ? rowAttrs(row, i) : {},
      columns.map((c) => h("td", { class: c.class || null }, c.get(row, i)))))));
}

// key/value pairs as a definition list
export function kv(pairs) {
  return h("dl", { class: "kv" }, pairs.filter(Boolean).map(([k, v]) => [h("dt", {}, k), h("dd", {}, v)]));
}

export function flash(text, good) {
  return h("div", { class: "flash " + (good ? "good" : "bad"), role: "status" }, text);
}

// a modal box; resolves with the value of the pressed button (or null when dismissed)
export function modal(title, body, buttons = [["Close", null]]) {
  const host = document.getElementById("modal");
  return new Promise((resolve) => {
    const close = (value) => { host.hidden = true; clear(host); resolve(value); };
    const box = h("div", { class: "box", role: "dialog", "aria-label": title },
      h("h2", {}, title), body,
      h("div", { class: "actions" }, buttons.map(([label, value, cls]) =>
        h("button", { class: cls || null, "data-action": label, onclick: () => close(value) }, label))));
    replace(host, box);
    host.hidden = false;
    host.onclick = (event) => { if (event.target === host) close(null); };
  });
}

// runs fn now and then every `ms` after each run ends, while the page is shown; stop() ends it
export function every(ms, fn) {
  let timer = null;
  let stopped = false;
  const run = async () => {
    timer = null;
    if (stopped) return;
    if (!document.hidden) {
      try { await fn(); } catch (e) { console.warn(e); }
    }
    if (!stopped) timer = setTimeout(run, ms);
  };
  run();
  return { stop() { stopped = true; if (timer) clearTimeout(timer); } };
}
