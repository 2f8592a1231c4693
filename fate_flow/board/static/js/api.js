// The /v1 API as the board calls it: JSON POSTs on this server, with the session's CSRF token when logged in.

export class ApiError extends Error {
  constructor(retcode, retmsg, status) {
    super(retmsg || `retcode ${retcode}`);
    this.retcode = retcode;
    this.status = status;
  }
}

const AUTHENTICATION_ERROR = 109;
let csrfToken = "";
let onUnauthenticated = () => {};

export function setSession(token, handler) {
  csrfToken = token || "";
  if (handler) onUnauthenticated = handler;
}

function headers() {
  const result = { "Content-Type": "application/json" };
  if (csrfToken) result["X-CSRF-Token"] = csrfToken;
  return result;
}

async function send(path, body) {
  return fetch(path, { method: "POST", headers: headers(), body: JSON.stringify(body || {}), credentials: "same-origin" });
}

// the whole envelope {retcode, retmsg, data, meta}
export async function envelope(path, body) {
  const response = await send(path, body);
  let answer;
  try {
    answer = await response.json();
  } catch (e) {
    throw new ApiError(-1, `${path}: HTTP ${response.status}, not a JSON answer`, response.status);
  }
  if (answer.retcode === AUTHENTICATION_ERROR) {
    onUnauthenticated();
    throw new ApiError(answer.retcode, answer.retmsg, response.status);
  }
  return answer;
}

// `data` of a successful answer; ApiError otherwise
export async function call(path, body) {
  const answer = await envelope(path, body);
  if (answer.retcode !== 0) throw new ApiError(answer.retcode, answer.retmsg, 200);
  return answer.data;
}

// a file answer saved by the browser (the server's filename); an error answer raises ApiError
export async function download(path, body) {
  const response = await send(path, body);
  const disposition = response.headers.get("Content-Disposition") || "";
  if (!response.ok || !disposition.includes("attachment")) {
    let retmsg = `HTTP ${response.status}`;
    try { retmsg = (await response.json()).retmsg || retmsg; } catch (e) { /* not JSON */ }
    throw new ApiError(-1, retmsg, response.status);
  }
  const match = /filename\*=UTF-8''([^;]+)/i.exec(disposition) || /filename="?([^";]+)"?/i.exec(disposition);
  const name = match ? decodeURIComponent(match[1]) : "download";
  const url = URL.createObjectURL(await response.blob());
  const link = document.createElement("a");
  link.href = url;
  link.download = name;
  document.body.appendChild(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
  return name;
}

export const PATHS = {
  jobQuery: "/v1/job/query",
  jobPage: "/v1/job/list/page",
  jobOverview: "/v1/job/overview",
  jobUpdate: "/v1/job/update",
  jobStop: "/v1/job/stop",
  jobRerun: "/v1/job/rerun",
  jobConfig: "/v1/job/config",
  jobLog: "/v1/job/log",
  logLines: "/v1/job/log/lines",
  taskQuery: "/v1/job/task/query",
  dag: "/v1/pipeline/dag/dependency",
  jobSummary: "/v1/tracking/job/summary",
  metricAll: "/v1/tracking/component/metric/all",
  parameters: "/v1/tracking/component/parameters",
  outputModel: "/v1/tracking/component/output/model",
  outputData: "/v1/tracking/component/output/data",
  outputDataDownload: "/v1/tracking/component/output/data/download",
  summary: "/v1/tracking/component/summary/download",
  parties: "/v1/version/parties",
};
