/* Shared helpers for the citizens' pages: page data, JSON calls, a reconnecting socket. */
"use strict";
const PAGE = JSON.parse(document.getElementById("page-data").textContent);
const T = PAGE.text;

function fmt(text, values) {
  return text.replace(/\{(\w+)\}/g, (_, k) => (k in values ? values[k] : ""));
}

async function postJSON(url, body) {
  let res;
  try {
    res = await fetch(url, {method: "POST", headers: {"Content-Type": "application/json"},
                            body: JSON.stringify(body)});
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
