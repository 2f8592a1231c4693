// Who is looking: on the server's own machine the board opens directly; from elsewhere it asks for an app key
// and its secret (a client of http_auth.clients) and the server holds the session in an HttpOnly cookie. The
// CSRF token of the session goes with every call (header X-CSRF-Token).
import { setSession } from "../api.js";
import { h, replace, flash } from "../dom.js";

const SESSION = "/board/session";
const LOGIN = "/board/login";
const LOGOUT = "/board/logout";
let session = { local: true };

function toLogin() {
  if (!location.hash.startsWith("#/login")) {
    location.hash = "#/login?next=" + encodeURIComponent(location.hash || "#/jobs");
  }
}

function showWho() {
  const who = document.getElementById("who");
  if (!who) return;
  if (session.authenticated && !session.local) {
    replace(who, `app key ${session.app_key}`, h("button", { id: "logout", onclick: logout }, "Log out"));
  } else {
    replace(who, session.local ? "on this machine" : "");
  }
}

async function logout() {
  await fetch(LOGOUT, { method: "POST", headers: { "X-CSRF-Token": session.csrf_token || "" }, credentials: "same-origin" });
  session = { local: false, authenticated: false };
  setSession("");
  showWho();
  toLogin();
}

export async function startSession() {
  try {
    const response = await fetch(SESSION, { credentials: "same-origin" });
    if (response.ok) session = (await response.json()).data || session;
  } catch (e) {
    console.warn("session", e);
  }
  setSession(session.csrf_token || "", toLogin);
  showWho();
  if (!session.local && !session.authenticated) toLogin();
}

export function loginPage(root, params) {
  const next = params.get("next") || "#/jobs";
  const message = h("div");
  const key = h("input", { name: "app_key", autocomplete: "username", required: true, id: "app-key" });
  const secret = h("input", { name: "secret", type: "password", autocomplete: "current-password", required: true, id: "secret" });
  replace(root, h("div", { class: "card login" },
    h("h1", {}, "Log in"),
    h("p", { class: "muted" }, "This board is read from another machine: give an app key of this server's http_auth clients and its secret."),
    message,
    h("form", { onsubmit: async (event) => {
      event.preventDefault();
      const response = await fetch(LOGIN, { method: "POST", headers: { "Content-Type": "application/json" },
        credentials: "same-origin", body: JSON.stringify({ app_key: key.value, secret: secret.value }) });
      let answer = {};
      try { answer = await response.json(); } catch (e) { /* not JSON */ }
      secret.value = "";
      if (answer.retcode !== 0) {
        replace(message, flash(answer.retmsg || `HTTP ${response.status}`));
        return;
      }
      session = answer.data;
      setSession(session.csrf_token, toLogin);
      showWho();
      location.hash = next.startsWith("#/") && !next.startsWith("#/login") ? next : "#/jobs";
    } },
    h("label", { for: "app-key" }, "App key"), key,
    h("label", { for: "secret" }, "Secret"), secret,
    h("p", {}, h("button", { class: "primary", type: "submit", id: "login" }, "Log in")))));
  return { dispose() {} };
}
