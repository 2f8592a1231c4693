// The job list: filters, sorting and paging done by the server (/v1/job/list/page), notes edited in place
// (/v1/job/update), refreshed every few seconds while the page is shown; pick jobs to compare.
import { call, PATHS } from "../api.js";
import { h, replace, badge, progressBar, shortTime, fmtDuration, flash, every, ENDED } from "../dom.js";

const STATUSES = ["waiting", "running", "success", "failed", "canceled", "timeout"];
const ROLES = ["guest", "host", "arbiter", "local"];
const SIZES = [10, 20, 50, 100];
const REFRESH_MS = 4000;

export const jobLink = (job) =>
  `#/dashboard?job_id=${encodeURIComponent(job.f_job_id)}&role=${encodeURIComponent(job.f_role)}&party_id=${encodeURIComponent(job.f_party_id)}`;

function stateFrom(params) {
  return {
    job_id: params.get("job_id") || "", status: (params.get("status") || "").split(",").filter(Boolean),
    role: params.get("role") || "", party_id: params.get("party_id") || "", notes: params.get("notes") || "",
    from: params.get("from") || "", to: params.get("to") || "", sort: params.get("sort") || "create_time",
    order: params.get("order") || "desc", page: Math.max(1, Number(params.get("page")) || 1),
    size: SIZES.includes(Number(params.get("size"))) ? Number(params.get("size")) : 20,
  };
}

function hashOf(state) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(state)) {
    const text = Array.isArray(v) ? v.join(",") : String(v);
    if (text && !(k === "page" && v === 1) && !(k === "size" && v === 20) && !(k === "sort" && v === "create_time")
        && !(k === "order" && v === "desc")) q.set(k, text);
  }
  const text = q.toString();
  return "#/jobs" + (text ? "?" + text : "");
}

const dayStart = (text) => (text ? new Date(`${text}T00:00:00`).getTime() : null);
const dayEnd = (text) => (text ? new Date(`${text}T23:59:59.999`).getTime() : null);

function requestOf(state) {
  const body = { page: state.page, page_size: state.size, sort: state.sort, order: state.order };
  if (state.job_id) body.job_id = state.job_id;
  if (state.status.length) body.status = state.status;
  if (state.role) body.role = state.role;
  if (state.party_id) body.party_id = state.party_id;
  if (state.notes) body.notes = state.notes;
  if (state.from || state.to) body.create_time = [dayStart(state.from), dayEnd(state.to)];
  return body;
}

const partners = (roles) => Object.entries(roles || {}).map(([role, ids]) => `${role} ${(ids || []).join(",")}`).join(" \u00b7 ");

export function jobsPage(root, params) {
  const state = stateFrom(params);
  const selected = new Map(); // "job:role:party" -> label
  let editing = false;
  const message = h("div");
  const body = h("div", { id: "job-table" });
  const compareButton = h("button", { id: "compare", disabled: true, onclick: () => {
    location.hash = "#/compare?jobs=" + [...selected.keys()].map(encodeURIComponent).join(",");
  } }, "Compare selected");

  const field = (name, attrs) => h("input", { name, value: state[name], ...attrs });
  const form = h("form", { class: "filters card", id: "filters", onsubmit: (event) => {
    event.preventDefault();
    const data = new FormData(form);
    location.hash = hashOf({ ...state, job_id: data.get("job_id").trim(), status: data.getAll("status"),
      role: data.get("role"), party_id: data.get("party_id").trim(), notes: data.get("notes").trim(),
      from: data.get("from"), to: data.get("to"), size: Number(data.get("size")), page: 1 });
  } },
    h("label", {}, "Job ID", field("job_id", { placeholder: "part of a job id", size: 24 })),
    h("label", {}, "Status", h("span", { class: "statuses" }, STATUSES.map((status) => h("label", { style: "display:inline;margin-right:8px;color:inherit" },
      h("input", { type: "checkbox", name: "status", value: status, checked: state.status.includes(status) }), " ", status)))),
    h("label", {}, "Role", h("select", { name: "role" }, h("option", { value: "" }, "any"),
      ROLES.map((r) => h("option", { value: r, selected: state.role === r }, r)))),
    h("label", {}, "Party ID", field("party_id", { size: 8, inputmode: "numeric" })),
    h("label", {}, "Notes", field("notes", { size: 14 })),
    h("label", {}, "Created from", field("from", { type: "date" })),
    h("label", {}, "to", field("to", { type: "date" })),
    h("label", {}, "Per page", h("select", { name: "size" }, SIZES.map((n) => h("option", { value: n, selected: state.size === n }, n)))),
    h("button", { class: "primary", type: "submit" }, "Search"),
    h("button", { type: "button", onclick: () => { location.hash = "#/jobs"; } }, "Reset"));

  replace(root, h("h1", {}, "Jobs"), form, message, h("div", { class: "toolbar" }, compareButton,
    h("span", { class: "muted", id: "selected-count" }, "")), body);

  const sortHeader = (title, key, cls) => {
    const sorted = state.sort === key;
    return h("th", { class: `sortable ${cls || ""} ${sorted ? "sorted-" + state.order : ""}`, "data-sort": key,
      onclick: () => {
        const order = sorted && state.order === "desc" ? "asc" : "desc";
        location.hash = hashOf({ ...state, sort: key, order, page: 1 });
      } }, title);
  };

  const notesCell = (job) => {
    const cell = h("td", { class: "notes" });
    const show = () => {
      replace(cell, h("span", { class: "text" }, job.f_description || ""),
        h("a", { href: "javascript:void 0", class: "edit", onclick: edit }, "edit"));
    };
    const edit = () => {
      editing = true;
      const input = h("input", { value: job.f_description || "", size: 18, "aria-label": "notes" });
      const save = async () => {
        try {
          await call(PATHS.jobUpdate, { job_id: job.f_job_id, role: job.f_role, party_id: job.f_party_id, notes: input.value });
          job.f_description = input.value;
          replace(message);
        } catch (e) {
          replace(message, flash(`notes not saved: ${e.message}`));
        }
        editing = false;
        show();
      };
      input.addEventListener("keydown", (event) => { if (event.key === "Enter") save(); if (event.key === "Escape") { editing = false; show(); } });
      replace(cell, input, " ", h("button", { onclick: save }, "Save"), " ",
        h("button", { onclick: () => { editing = false; show(); } }, "Cancel"));
      input.focus();
    };
    show();
    return cell;
  };

  const updateSelection = () => {
    compareButton.disabled = selected.size < 2;
    document.getElementById("selected-count").textContent = selected.size ? `${selected.size} selected` : "";
  };

  const render = (page) => {
    const pages = Math.max(1, Math.ceil(page.total / page.page_size));
    const now = Date.now();
    const rows = page.jobs.map((job) => {
      const key = `${job.f_job_id}:${job.f_role}:${job.f_party_id}`;
      const elapsed = job.f_elapsed ?? (job.f_start_time && !ENDED.has(job.f_status) ? now - job.f_start_time : null);
      return h("tr", { "data-job-id": job.f_job_id, "data-role": job.f_role, "data-party-id": job.f_party_id,
        "data-status": job.f_status },
        h("td", {}, h("input", { type: "checkbox", "aria-label": `select ${key}`, checked: selected.has(key), onchange: (event) => {
          if (event.target.checked) selected.set(key, key); else selected.delete(key);
          updateSelection();
        } })),
        h("td", { class: "mono" }, h("a", { href: jobLink(job) }, job.f_job_id)),
        h("td", {}, job.f_role), h("td", {}, job.f_party_id),
        h("td", {}, badge(job.f_status)), h("td", {}, progressBar(job.f_progress, job.f_status)),
        h("td", { class: "time" }, shortTime(job.f_create_time)), h("td", { class: "time" }, shortTime(job.f_start_time)),
        h("td", { class: "time" }, shortTime(job.f_end_time)), h("td", { class: "num" }, fmtDuration(elapsed)),
        notesCell(job),
        h("td", { class: "muted parties" }, partners(job.f_roles)));
    });
    replace(body, h("div", { class: "table-wrap" }, h("table", { class: "jobs" },
      h("thead", {}, h("tr", {}, h("th", {}, ""), sortHeader("Job ID", "job_id"), sortHeader("Role", "role"),
        sortHeader("Party", "party_id"), sortHeader("Status", "status"), sortHeader("Progress", "progress"),
        sortHeader("Created", "create_time"), sortHeader("Start", "start_time"), sortHeader("End", "end_time"),
        sortHeader("Duration", "elapsed", "num"), h("th", {}, "Notes"), h("th", {}, "Parties"))),
      h("tbody", {}, rows.length ? rows : h("tr", {}, h("td", { colspan: 12, class: "muted" }, "no job matches"))))),
    h("div", { class: "pager" },
      h("button", { disabled: state.page <= 1, onclick: () => { location.hash = hashOf({ ...state, page: state.page - 1 }); } }, "\u2039 Prev"),
      h("span", { id: "page-info" }, `page ${page.page} of ${pages} \u00b7 ${page.total} rows`),
      h("button", { disabled: state.page >= pages, onclick: () => { location.hash = hashOf({ ...state, page: state.page + 1 }); } }, "Next \u203a")));
    body.dataset.total = String(page.total);
  };

  const load = async () => {
    if (editing) return;
    try {
      render(await call(PATHS.jobPage, requestOf(state)));
      if (message.dataset.kind === "load") replace(message);
    } catch (e) {
      replace(message, flash(`cannot list jobs: ${e.message}`));
      message.dataset.kind = "load";
    }
  };
  const poller = every(REFRESH_MS, load);
  return { dispose() { poller.stop(); } };
}
