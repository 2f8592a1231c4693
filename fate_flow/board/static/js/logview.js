// A log followed from a byte offset (/v1/job/log/lines): the job's schedule log, or a component's log on one
// party with a level filter, the task version (retries) and the worker's std output selectable.
import { call, PATHS } from "./api.js";
import { h, replace, clear } from "./dom.js";

const KEEP_LINES = 5000;
const LEVEL = /^\[(DEBUG|INFO|WARNING|ERROR|CRITICAL)\]/;

export function logView(target) {
  let offset = null;
  let versionsShown = "";
  let busy = false;
  let pending = false;
  const pre = h("pre", { class: "log", "data-log": target.component || "job", tabindex: 0 });
  const status = h("span", { class: "muted log-status" });
  const level = h("select", { "aria-label": "lowest level shown", class: "log-level" },
    ["DEBUG", "INFO", "WARNING", "ERROR"].map((l) => h("option", { value: l, selected: l === "INFO" }, l)));
  const version = h("select", { "aria-label": "task version", class: "log-version", hidden: !target.component },
    h("option", { value: "" }, "every version"));
  const source = h("select", { "aria-label": "which log", class: "log-source", hidden: !target.component },
    h("option", { value: "log" }, "task log"), h("option", { value: "std" }, "worker output (std.log)"));
  const follow = h("input", { type: "checkbox", checked: true, "aria-label": "follow the end" });
  const reset = () => { offset = null; clear(pre); refresh(); };
  for (const control of [level, version, source]) control.addEventListener("change", reset);
  const el = h("div", {},
    h("div", { class: "toolbar" }, target.label ? h("strong", {}, target.label) : null,
      h("label", {}, "level ", level), version, source, h("label", {}, follow, " follow"), status),
    pre);

  const append = (lines) => {
    if (!lines.length) return;
    const fragment = document.createDocumentFragment();
    for (const line of lines) {
      const match = LEVEL.exec(line);
      fragment.appendChild(h("span", { class: match ? `l-${match[1]}` : null }, line + "\n"));
    }
    pre.appendChild(fragment);
    while (pre.childNodes.length > KEEP_LINES) pre.removeChild(pre.firstChild);
    if (follow.checked) pre.scrollTop = pre.scrollHeight;
  };

  const showVersions = (versions) => {
    const text = JSON.stringify(versions.map((v) => [v.version, v.status]));
    if (!target.component || text === versionsShown) return;
    versionsShown = text;
    const chosen = version.value;
    replace(version, h("option", { value: "" }, "every version"), versions.map((v) =>
      h("option", { value: String(v.version), selected: String(v.version) === chosen }, `version ${v.version} (${v.status})`)));
  };

  async function refresh() {
    if (busy) { pending = true; return; }
    busy = true;
    try {
      const body = { job_id: target.jobId, level: level.value, offset: offset ?? undefined };
      if (target.role) { body.role = target.role; body.party_id = target.partyId; }
      if (target.component) {
        body.component_name = target.component;
        body.source = source.value;
        if (version.value !== "") body.task_version = Number(version.value);
      }
      const data = await call(PATHS.logLines, body);
      if (offset === null) clear(pre);
      offset = data.offset;
      append(data.lines);
      showVersions(data.versions || []);
      status.textContent = data.size ? `${(data.size / 1024).toFixed(1)} KiB` : "no log yet";
      pre.dataset.lines = String(pre.childNodes.length);
    } catch (e) {
      status.textContent = `cannot read the log: ${e.message}`;
    } finally {
      busy = false;
      if (pending) { pending = false; refresh(); }
    }
  }

  return {
    el, refresh,
    setTarget(next) { Object.assign(target, next); versionsShown = ""; reset(); },
    dispose() {},
  };
}
