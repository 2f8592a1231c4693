// Hash routes, as FATE-Board spells them: #/dashboard?job_id=&role=&party_id=, #/details?...&component_name=,
// plus #/jobs, #/overview, #/compare?jobs=<job_id>:<role>:<party_id>,... and #/login.
import { clear } from "./dom.js";
import { jobsPage } from "./pages/jobs.js";
import { overviewPage } from "./pages/overview.js";
import { jobPage } from "./pages/job.js";
import { comparePage } from "./pages/compare.js";
import { loginPage, startSession } from "./pages/login.js";

const ROUTES = { jobs: jobsPage, overview: overviewPage, dashboard: jobPage, details: jobPage, compare: comparePage,
  login: loginPage };
const NAV = { dashboard: "jobs", details: "jobs" };

let current = null; // {key, update(params, name), dispose()}

export function parseHash(hash) {
  const text = (hash || "").replace(/^#\/?/, "");
  const [name, query] = text.split("?", 2);
  return { name: ROUTES[name] ? name : "jobs", params: new URLSearchParams(query || "") };
}

async function render() {
  const { name, params } = parseHash(location.hash);
  for (const link of document.querySelectorAll("[data-nav]")) {
    link.classList.toggle("active", link.dataset.nav === (NAV[name] || name));
  }
  const page = ROUTES[name];
  const key = page.key ? page.key(params) : null;
  if (current && key && current.key === key && current.update) {
    current.update(params, name);
    return;
  }
  if (current && current.dispose) current.dispose();
  const root = clear(document.getElementById("page"));
  document.body.dataset.page = name;
  current = (await page(root, params, name)) || null;
  if (current) current.key = key;
}

window.addEventListener("hashchange", render);
startSession().then(render);
