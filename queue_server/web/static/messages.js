/* The supervisors' outbox: sign in like the report, read the messages by state, send a
   failed one again. Recipients are shown masked: a supervisor needs to tell messages
   apart, not to read a citizen's number. */
"use strict";
(function () {
  const $ = (id) => document.getElementById(id);
  const KEY = "xephang-outbox-token";  // its own: a leader signed in for the report may not read it
  const pad = (n) => String(n).padStart(2, "0");
  function when(seconds) {  // "03/12 08:24:20", in the supervisor's (the centre's) clock
    const d = new Date(seconds * 1000);
    return `${pad(d.getDate())}/${pad(d.getMonth() + 1)} ${pad(d.getHours())}:` +
      `${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
  }

  function showError(text) {
    $("error").textContent = text;
    $("error").hidden = !text;
    if (text) $("error").focus();
  }

  function signedIn(yes) {
    $("login").hidden = yes;
    $("outbox").hidden = !yes;
  }

  /* The server sends the recipient masked ("8491***678", "ng***@example.vn"); shown the
     way a Vietnamese reads a number: "09xx xxx 678". */
  function masked(to) {
    if (!to) return "–";
    const phone = /^84(\d)\d*\*+(\d{3})$/.exec(to);
    return phone ? `0${phone[1]}xx xxx ${phone[2]}` : to;
  }

  function showCounts(counts) {  // "Không gửi được (2)" in the filter
    for (const option of $("state").options) {
      const label = option.value ? T[`outbox_state_${option.value}`] : T.outbox_all;
      // "sending" is a part of "queued" (the ones in a provider's hands now)
      const n = option.value ? counts[option.value] || 0
        : Object.values(counts).reduce((a, b) => a + b, 0) - (counts.sending || 0);
      option.textContent = `${label} (${n})`;
    }
  }

  async function call(method, path) {
    const token = sessionStorage.getItem(KEY);
    let res;
    try {
      res = await fetch(path, {method, headers: {Authorization: `Bearer ${token}`}});
    } catch (err) {
      return {ok: false, error: {message: PAGE.lang === "vi"
        ? "Không kết nối được máy chủ. Vui lòng thử lại." : "Cannot reach the server."}};
    }
    if (res.status === 401 || res.status === 403) {  // expired, or not a supervisor
      sessionStorage.removeItem(KEY);
      signedIn(false);
    }
    const data = await res.json().catch(() => ({}));
    return res.ok ? {ok: true, data} : {ok: false, error: data.error || {code: "internal"}};
  }

  function cell(tr, text, className) {
    const td = tr.insertCell();
    td.textContent = text;
    if (className) td.className = className;
    return td;
  }

  function render(messages) {
    const table = $("messages");
    table.textContent = "";
    const head = table.createTHead().insertRow();
    for (const h of [T.outbox_col_time, T.outbox_col_kind, T.outbox_col_channel, T.outbox_col_to,
                     T.outbox_state, T.outbox_col_reason, T.outbox_col_attempts,
                     T.outbox_col_action]) {
      const th = document.createElement("th");
      th.scope = "col";
      th.textContent = h;
      head.append(th);
    }
    const body = table.createTBody();
    for (const m of messages) {
      const tr = body.insertRow();
      tr.dataset.id = m.id;
      tr.className = `state-${m.state}`;
      cell(tr, m.created_at ? when(m.created_at) : "–", "when");
      cell(tr, T[`kind_${m.kind}`] || m.kind);
      cell(tr, m.channel || "–");
      cell(tr, masked(m.to), "to");
      cell(tr, T[`outbox_state_${m.state}`] || m.state, "state");
      cell(tr, m.reason || "", "reason");
      cell(tr, String(m.attempts ?? 0));
      const action = tr.insertCell();
      if (m.state === "failed") {
        const button = document.createElement("button");
        button.type = "button";
        button.className = "secondary resend";
        button.textContent = T.outbox_resend;
        button.addEventListener("click", () => resend(m.id, button));
        action.append(button);
      }
    }
    $("status").textContent = messages.length
      ? fmt(T.outbox_count, {n: messages.length}) : T.outbox_empty;
  }

  async function load() {
    showError("");
    $("status").textContent = T.loading;
    const state = $("state").value;
    const answer = await call("GET", `/api/outbox?limit=200${state ? `&state=${state}` : ""}`);
    if (!answer.ok) { $("status").textContent = ""; showError(errorText(answer.error)); return; }
    render(answer.data.messages || []);
    showCounts(answer.data.counts || {});
  }

  async function resend(id, button) {
    button.disabled = true;
    const answer = await call("POST", `/api/outbox/${encodeURIComponent(id)}/resend`);
    if (!answer.ok) { button.disabled = false; showError(errorText(answer.error)); return; }
    await load();
    $("status").textContent = fmt(T.outbox_resent, {id});
  }

  staffSignIn(KEY, showError, () => { signedIn(true); load(); });
  $("filter").addEventListener("submit", (ev) => { ev.preventDefault(); load(); });
  $("state").addEventListener("change", load);
  $("sign-out").addEventListener("click", () => {
    sessionStorage.removeItem(KEY);
    signedIn(false);
  });

  // The outbox moves by itself (sent, delivered, retried): keep it current while watched.
  setInterval(() => { if (!$("outbox").hidden && !document.hidden) load(); }, 15000);

  const signed = Boolean(sessionStorage.getItem(KEY));
  signedIn(signed);
  if (signed) load();
})();
