/* The supervisor's board: sign in, then a websocket as "supervisor"; the server pushes
   the whole floor (a "board" message) on every change and every few seconds. A dropped
   connection shows "stale" at once and reconnects; the welcome carries the truth. */
"use strict";
(function () {
  const $ = (id) => document.getElementById(id);
  const KEY = "xephang-floor-token";
  const STALE_AFTER = 12000;  // ms without a board: the server refreshes every 5 s
  const name = (item) => (PAGE.lang === "en" ? item.name_en : item.name) || item.name;
  let board = null, offset = 0, lastBoard = 0, socket = null, heard = new Set(), audio = null;

  function showError(text) {
    $("error").textContent = text;
    $("error").hidden = !text;
  }
  function signedIn(yes) { $("login").hidden = yes; $("board").hidden = !yes; }
  const now = () => Date.now() / 1000 + offset;  // the server's clock
  function ago(at) {
    if (at === null || at === undefined) return "–";
    const s = Math.max(0, Math.round(now() - at));
    if (s < 60) return `${s} s`;
    const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60);
    return h ? `${h} h ${String(m).padStart(2, "0")}` : `${m} ${T.floor_min}`;
  }
  const clock = (at) => (at ? new Date(at * 1000).toLocaleTimeString(
    PAGE.lang === "vi" ? "vi-VN" : "en-GB", {hour: "2-digit", minute: "2-digit"}) : "–");

  function beep() {  // a short two-tone chime made here: nothing fetched from a network
    try {
      audio = audio || new AudioContext();
      [880, 660].forEach((hz, i) => {
        const osc = audio.createOscillator(), gain = audio.createGain();
        osc.frequency.value = hz;
        gain.gain.value = 0.15;
        osc.connect(gain).connect(audio.destination);
        osc.start(audio.currentTime + i * 0.22);
        osc.stop(audio.currentTime + i * 0.22 + 0.18);
      });
    } catch (err) { /* no sound device: the board still shows the alert */ }
  }

  function table(el, head, rows) {
    el.textContent = "";
    const tr = el.createTHead().insertRow();
    for (const [label, numeric] of head) {
      const th = document.createElement("th");
      th.scope = "col";
      th.textContent = label;
      if (numeric) th.className = "n";
      tr.append(th);
    }
    const body = el.createTBody();
    for (const {cells, cls, span} of rows) {
      const row = body.insertRow();
      if (cls) row.className = cls;
      if (span) {  // one line standing for the quiet rows folded away
        const td = row.insertCell();
        td.colSpan = head.length;
        td.textContent = span;
        continue;
      }
      cells.forEach((cell, i) => {
        const td = row.insertCell();
        td.textContent = cell;
        if (head[i][1]) td.className = "n";
      });
    }
  }

  function subjectName(alert) {
    if (["long_wait", "long_queue", "no_counter"].includes(alert.kind)) {
      const s = board.services.find((x) => x.id === alert.subject);
      return s ? name(s) : alert.subject;
    }
    if (alert.kind === "long_pause" || alert.kind === "complaint") {
      const c = board.counters.find((x) => String(x.number) === alert.subject);
      return c ? c.name : alert.subject;
    }
    return alert.subject;
  }
  function detailText(alert) {
    if (alert.kind === "printer") return T[`printer_${alert.detail}`] || alert.detail;
    if (alert.kind === "long_pause") {
      const [reason, minutes] = alert.detail.split(" ");
      const r = board.pause_reasons[reason];
      return `${r ? r[PAGE.lang === "en" ? 1 : 0] : reason}, ${minutes}`;
    }
    if (alert.kind === "complaint") {
      const s = board.services.find((x) => x.id === alert.detail);
      return s ? name(s) : alert.detail;
    }
    return alert.detail;
  }

  function renderAlerts() {
    const list = $("alerts");
    list.textContent = "";
    let fresh = false;
    for (const a of board.alerts) {
      const li = document.createElement("li");
      li.dataset.kind = a.kind;
      li.dataset.subject = a.subject;
      li.className = a.acknowledged_by ? "acked" : "open";
      const what = document.createElement("span");
      what.className = "what";
      what.textContent = fmt(T[`alert_${a.kind}`] || a.kind,
                             {subject: subjectName(a), detail: detailText(a)});
      const when = document.createElement("span");
      when.className = "when";
      when.textContent = `${clock(a.raised_at)} (${ago(a.raised_at)})`;
      li.append(what, when);
      if (a.acknowledged_by) {
        const who = document.createElement("span");
        who.className = "who";
        who.textContent = fmt(T.floor_acked_by, {who: a.acknowledged_by});
        li.append(who);
      } else {
        const ack = document.createElement("button");
        ack.type = "button";
        ack.className = "primary";
        ack.textContent = T.floor_ack;
        ack.addEventListener("click", () => send({type: "ack_alert", alert: a.id}));
        li.append(ack);
      }
      list.append(li);
      if (!a.acknowledged_by && !heard.has(a.id)) { heard.add(a.id); fresh = true; }
    }
    const open = board.alerts.filter((a) => !a.acknowledged_by).length;
    $("alert-count").textContent = board.alerts.length ? `(${open}/${board.alerts.length})` : "";
    $("no-alerts").hidden = board.alerts.length > 0;
    $("alerts").parentElement.classList.toggle("raised", open > 0);
    if (fresh) beep();
  }

  function renderLimits() {  // the thresholds in force, unless someone is editing them
    if ($("limits").contains(document.activeElement)) return;
    $("limit-wait").value = board.limits.longest_wait_minutes;
    $("limit-count").value = board.limits.waiting_count;
    $("limit-offline").value = board.limits.device_offline_seconds;
  }

  // Counter numbers as ranges: "1–8, 10, 12–32".
  function ranges(numbers) {
    const out = [];
    for (const n of numbers) {
      const last = out[out.length - 1];
      if (last && n === last[1] + 1) last[1] = n; else out.push([n, n]);
    }
    return out.map(([a, b]) => (a === b ? `${a}` : `${a}–${b}`)).join(", ");
  }

  // What a wall screen must show without scrolling: services someone waits for (or that
  // a counter serves, or that have bookings due) and counters that are not closed; the
  // quiet ones are folded into one line each.
  function render() {
    renderAlerts();
    renderLimits();
    const busy = (s) => s.waiting || s.open_counters || s.bookings_next_hour;
    const quiet = board.services.filter((s) => !busy(s)).length;
    table($("services"), [[T.col_service], [T.floor_col_waiting, 1], [T.floor_col_longest, 1],
                          [T.floor_col_estimate, 1], [T.floor_col_open_counters, 1],
                          [T.floor_col_bookings, 1]],
          board.services.filter(busy).map((s) => ({
            cls: s.waiting && !s.open_counters ? "bad" : (s.open ? "" : "muted"),
            cells: [name(s), s.waiting, s.waiting ? ago(s.oldest_at) : "–",
                    s.waiting && s.estimated_wait != null
                      ? `${Math.round(s.estimated_wait / 60)} ${T.floor_min}` : "–",
                    s.open_counters, s.bookings_next_hour]}))
            .concat(quiet ? [{cls: "muted folded", span: fmt(T.floor_quiet_services, {n: quiet})}]
                          : []));
    const closed = board.counters.filter((c) => c.status === "closed");
    table($("counters"), [[T.col_counter], [T.floor_col_state], [T.col_officer],
                          [T.floor_col_serving], [T.floor_col_served, 1]],
          board.counters.filter((c) => c.status !== "closed").map((c) => {
            const reason = c.pause_reason && board.pause_reasons[c.pause_reason];
            let state = T[`status_${c.status}`] || c.status;
            if (reason) state += ` – ${reason[PAGE.lang === "en" ? 1 : 0]}`;
            if (c.status !== "closed" && c.since) state += ` (${ago(c.since)})`;
            return {cls: c.status === "paused" ? "warn" : (c.status === "closed" ? "muted" : ""),
                    cells: [c.name, state, c.officer_name || c.officer || "–",
                            c.ticket ? `${c.ticket} (${ago(c.ticket_since)})` : "–", c.served]};
          }).concat(closed.length ? [{cls: "muted folded", span: fmt(T.floor_closed_counters,
            {n: closed.length, list: ranges(closed.map((c) => c.number))})}] : []));
    table($("devices"), [[T.floor_col_device], [T.floor_col_role], [T.floor_col_state],
                         [T.floor_col_printer], [T.floor_col_last_seen], [T.floor_col_version]],
          board.devices.map((d) => {
            const bad = d.last_seen !== null && !d.online;
            const paper = d.printer && d.printer !== "ok";
            return {cls: bad || paper ? "bad" : (d.last_seen === null ? "muted" : ""),
                    cells: [d.id, T[`role_${d.role}`] || d.role,
                            d.last_seen === null ? T.floor_never
                              : (d.online ? T.floor_online : T.floor_offline),
                            d.printer ? (T[`printer_${d.printer}`] || d.printer) : "–",
                            d.last_seen === null ? "–" : ago(d.last_seen), d.version || "–"]};
          }));
  }

  function connState(state) {
    const live = state === "live" && Date.now() - lastBoard < STALE_AFTER;
    $("conn").dataset.state = live ? "live" : "offline";
    $("conn").textContent = live ? T.floor_live : T.floor_stale;
    document.querySelector(".floor").classList.toggle("stale", !live);
  }

  let ids = 0, sockState = "offline";
  function send(msg) {
    if (socket && socket.readyState === 1) socket.send(JSON.stringify({id: ++ids, ...msg}));
  }
  function onBoard(b) {
    board = b;
    offset = b.server_time - Date.now() / 1000;
    lastBoard = Date.now();
    connState(sockState);
    render();
  }

  function start() {
    liveSocket({type: "hello", protocol: 1, role: "supervisor",
                token: sessionStorage.getItem(KEY)},
      (ws, welcome) => { socket = ws; onBoard({...welcome.board, server_time: welcome.server_time}); },
      (msg) => {
        if (msg.type === "board") onBoard(msg);
        else if (msg.type === "error") {  // the session ended, or not a supervisor's
          sessionStorage.removeItem(KEY);
          sessionStorage.setItem(`${KEY}-error`, errorText(msg.error));
          location.reload();
        } else if (msg.type === "result" && !msg.ok) showError(errorText(msg.error));
        else if (msg.type === "result" && msg.until !== undefined) {
          $("notice-status").textContent = T.floor_notice_sent;
        } else if (msg.type === "result" && msg.limits) {
          $("limits-status").textContent = T.floor_limits_saved;
        }
      },
      (state) => { sockState = state; connState(state); });
    // Times on the board grow by themselves; a board not refreshed in time is stale.
    setInterval(() => { connState(sockState); if (board) render(); }, 1000);
  }

  staffSignIn(KEY, showError, () => { signedIn(true); start(); },
              () => { audio = audio || new AudioContext(); });  // sound needs this click
  $("notice").addEventListener("submit", (ev) => {
    ev.preventDefault();
    send({type: "hall_notice", text: $("notice-text").value,
          minutes: Number($("notice-minutes").value)});
  });
  $("limits").addEventListener("submit", (ev) => {
    ev.preventDefault();
    send({type: "alert_limits", longest_wait_minutes: Number($("limit-wait").value),
          waiting_count: Number($("limit-count").value),
          device_offline_seconds: Number($("limit-offline").value)});
    document.activeElement.blur();
  });
  $("sign-out").addEventListener("click", () => { sessionStorage.removeItem(KEY); location.reload(); });

  showError(sessionStorage.getItem(`${KEY}-error`) || "");
  sessionStorage.removeItem(`${KEY}-error`);
  const signed = Boolean(sessionStorage.getItem(KEY));
  signedIn(signed);
  if (signed) start();
})();
