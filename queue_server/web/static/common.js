/* Shared helpers for the citizens' pages: page data, JSON calls, a reconnecting socket. */
"use strict";
const PAGE = JSON.parse(document.getElementById("page-data").textContent);
const T = PAGE.text;

function fmt(text, values) {
  return text.replace(/\{(\w+)\}/g, (_, k) => (k in values ? values[k] : ""));
}

async function getJSON(url) {
  return postJSON(url, undefined);
}

/* POST `body` as JSON (GET when there is none); {ok, data} or {ok: false, error}, and a
   Vietnamese sentence, not "Failed to fetch", when the server cannot be reached. */
async function postJSON(url, body) {
  let res;
  try {
    res = await fetch(url, body === undefined ? {cache: "no-store"}
      : {method: "POST", headers: {"Content-Type": "application/json"}, body: JSON.stringify(body)});
  } catch (err) {
    return {ok: false, error: {code: "unavailable",
      message: PAGE.lang === "vi" ? "Không kết nối được máy chủ. Vui lòng thử lại."
                                  : "Cannot reach the server. Please try again."}};
  }
  const data = await res.json().catch(() => ({}));
  return res.ok ? {ok: true, data} : {ok: false, error: data.error || {code: "internal"}};
}

function errorText(error) {
  return (PAGE.lang === "en" ? error.message_en : error.message) || error.message || "Lỗi";
}

/* A WebSocket that says hello, reconnects with back-off and again when the phone wakes. */
function liveSocket(hello, onOpen, onMessage, onState) {
  let ws = null, delay = 500, timer = null;
  function connect() {
    clearTimeout(timer);
    if (ws && (ws.readyState === 0 || ws.readyState === 1)) return;
    const url = (location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/ws";
    ws = new WebSocket(url);
    onState("connecting");
    ws.onopen = () => { ws.send(JSON.stringify(hello)); };
    ws.onmessage = (ev) => {
      const msg = JSON.parse(ev.data);
      if (msg.type === "welcome") { delay = 500; onState("live"); onOpen(ws, msg); }
      else onMessage(msg);
    };
    ws.onclose = () => { onState("offline"); timer = setTimeout(connect, delay);
                         delay = Math.min(delay * 2, 15000); };
    ws.onerror = () => { try { ws.close(); } catch (e) { /* already closed */ } };
  }
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible") {
      // A phone that slept may hold a dead socket: drop it, say hello again, get a fresh view.
      if (ws) { ws.onclose = ws.onerror = ws.onmessage = null;
                try { ws.close(); } catch (e) { /* already closed */ } ws = null; }
      delay = 500; connect();
    }
  });
  window.addEventListener("online", () => { delay = 500; connect(); });
  connect();
}

// The staff pages' sign-in form (#login with #username, #password): the session token
// is kept for this tab under `key`, then `onSignedIn()` runs; a refusal goes to
// `showError`. `beforeSubmit` runs inside the click (a browser allows sound only then).
function staffSignIn(key, showError, onSignedIn, beforeSubmit) {
  document.getElementById("login").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    showError("");
    if (beforeSubmit) beforeSubmit();
    const password = document.getElementById("password");
    const answer = await postJSON("/api/login", {
      username: document.getElementById("username").value, password: password.value});
    if (!answer.ok) { showError(errorText(answer.error)); return; }
    sessionStorage.setItem(key, answer.data.token);
    password.value = "";
    onSignedIn();
  });
}
