/* The leaders' report: sign in, choose a period, read the figures, download the tickets.
   The token lives in this tab only (sessionStorage); every figure comes from /api/reports. */
"use strict";
(function () {
  const $ = (id) => document.getElementById(id);
  const KEY = "xephang-report-token";
  const NUM = new Intl.NumberFormat(PAGE.lang === "vi" ? "vi-VN" : "en-GB",
                                    {maximumFractionDigits: 1});
  const MIN = PAGE.lang === "vi" ? "phút" : "min";
  const name = (item) => (PAGE.lang === "en" ? item.name_en : item.name) || item.name;

  function showError(text) {
    $("error").textContent = text;
    $("error").hidden = !text;
    if (text) $("error").focus();
  }

  function minutes(seconds) {
    return seconds === null || seconds === undefined ? "–" : `${NUM.format(seconds / 60)} ${MIN}`;
  }
  function duration(seconds) {  // a shift: "3 giờ 05 phút"
    if (!seconds) return "–";
    const h = Math.floor(seconds / 3600), m = Math.round((seconds % 3600) / 60);
    return h ? `${h} ${PAGE.lang === "vi" ? "giờ" : "h"} ${String(m).padStart(2, "0")} ${MIN}`
             : `${m} ${MIN}`;
  }
  const share = (s) => (s === null || s === undefined ? "–" : `${NUM.format(100 * s)} %`);

  function signedIn(yes) {
    $("login").hidden = yes;
    $("report").hidden = !yes;
  }

  async function get(path) {
    const token = sessionStorage.getItem(KEY);
    let res;
    try {
      res = await fetch(path, {headers: {Authorization: `Bearer ${token}`}});
    } catch (err) {
      return {ok: false, error: {message: PAGE.lang === "vi"
        ? "Không kết nối được máy chủ. Vui lòng thử lại." : "Cannot reach the server."}};
    }
    if (res.status === 401 || res.status === 403) {  // expired, or not a leader's account
      sessionStorage.removeItem(KEY);
      signedIn(false);
    }
    if (!res.ok) {
      const data = await res.json().catch(() => ({}));
      return {ok: false, error: data.error || {code: "internal"}};
    }
    return {ok: true, res};
  }

  function period() {
    return `from=${encodeURIComponent($("from").value)}&to=${encodeURIComponent($("to").value)}`;
  }

  function tile(value, label, note) {
    const div = document.createElement("div");
    div.className = "tile";
    div.innerHTML = '<div class="value"></div><div class="name"></div>';
    div.querySelector(".value").textContent = value;
    div.querySelector(".name").textContent = note ? `${label} (${note})` : label;
    return div;
  }

  function table(el, head, rows) {
    el.textContent = "";
    const thead = el.createTHead().insertRow();
    for (const h of head) {
      const th = document.createElement("th");
      th.scope = "col";
      th.textContent = h;
      thead.append(th);
    }
    const body = el.createTBody();
    for (const row of rows) {
      const tr = body.insertRow();
      row.forEach((cell) => { tr.insertCell().textContent = cell; });
    }
  }

  const FIGURES = [  // the columns every table shares
    [T.fig_issued, (f) => f.issued], [T.fig_served, (f) => f.served],
    [T.fig_no_show, (f) => f.no_show], [T.fig_transferred, (f) => f.transferred],
    [T.fig_wait_p50, (f) => minutes(f.wait.p50)], [T.fig_wait_p90, (f) => minutes(f.wait.p90)],
    [T.fig_service_p50, (f) => minutes(f.service.p50)],
    [T.fig_satisfied, (f) => (f.rated ? `${share(f.satisfied)} / ${f.rated}` : "–")],
  ];
  const STAFF = [  // a counter or an officer: what they did, not how long others waited
    [T.fig_served, (f) => f.served], [T.fig_no_show, (f) => f.no_show],
    [T.fig_transferred, (f) => f.transferred],
    [T.fig_service_p50, (f) => minutes(f.service.p50)],
    [T.fig_service_p90, (f) => minutes(f.service.p90)],
    [T.fig_satisfied, (f) => (f.rated ? `${share(f.satisfied)} / ${f.rated}` : "–")],
    [T.fig_open, (f) => duration(f.open_seconds)], [T.fig_paused, (f) => duration(f.paused_seconds)],
    [T.fig_busy, (f) => share(f.busy)],
  ];

  function rows(items, first, columns) {
    return items.map((item) => [first(item), ...columns.map(([, value]) => value(item))]);
  }

  function render(r) {
    const t = r.totals;
    $("tiles").textContent = "";
    $("tiles").append(
      tile(NUM.format(t.issued), T.fig_issued), tile(NUM.format(t.served), T.fig_served),
      tile(NUM.format(t.no_show), T.fig_no_show), tile(NUM.format(t.waiting_now), T.fig_waiting_now),
      tile(minutes(t.wait.p50), T.fig_wait_p50), tile(minutes(t.wait.p90), T.fig_wait_p90),
      tile(minutes(t.service.p50), T.fig_service_p50),
      tile(share(t.satisfied), T.fig_satisfied, `${NUM.format(t.rated)} ${T.fig_rated}`));
    if (t.longest_wait_now !== null) $("tiles").append(tile(minutes(t.longest_wait_now), T.fig_longest));
    if (t.voided) $("tiles").append(tile(NUM.format(t.voided), T.fig_voided));
    const b = r.bookings;
    if (b.made) {
      $("tiles").append(tile(NUM.format(b.made), fmt(T.fig_bookings, b)));
    }

    const hours = $("hours");
    hours.textContent = "";
    const most = Math.max(1, ...r.hours.map((h) => h.issued));
    for (const h of r.hours) {
      const label = document.createElement("span");
      label.textContent = `${String(h.hour).padStart(2, "0")}:00`;
      const bar = document.createElement("div");
      bar.className = "bar";
      bar.style.width = `${(100 * h.issued) / most}%`;
      bar.title = `${h.issued}`;
      const n = document.createElement("span");
      n.className = "n";
      n.textContent = fmt(T.hour_line, {n: NUM.format(h.issued), wait: minutes(h.wait.p50)});
      hours.append(label, bar, n);
    }
    table($("services"), [T.col_service, ...FIGURES.map(([l]) => l), T.fig_waiting_now,
                          T.fig_longest],
          r.services.map((s) => [...rows([s], name, FIGURES)[0], s.waiting_now,
                                 minutes(s.longest_wait_now)]));
    table($("counters"), [T.col_counter, ...STAFF.map(([l]) => l)],
          rows(r.counters, (c) => c.name, STAFF));
    table($("officers"), [T.col_officer, ...STAFF.map(([l]) => l)],
          rows(r.officers, (o) => (o.name ? `${o.name} (${o.username})` : o.username), STAFF));
    // issue 16: the procedures whose dossiers were received at a counter, longest first
    const procedures = [...(r.procedures || [])].sort(
      (a, b) => (b.service.p50 ?? 0) - (a.service.p50 ?? 0));
    $("procedures-block").hidden = !procedures.length;
    const byProcedure = STAFF.filter(
      ([l]) => [T.fig_served, T.fig_service_p50, T.fig_service_p90].includes(l));
    table($("procedures"), [T.col_procedure, ...byProcedure.map(([l]) => l)],
          rows(procedures, (p) => `${name(p)} (${p.code})`, byProcedure));
    $("days-block").hidden = r.days.length < 2;
    table($("days"), [T.col_day, ...FIGURES.map(([l]) => l)], rows(r.days, (d) => d.day, FIGURES));
    renderNow(r.counters_now);
    $("status").textContent = t.issued ? "" : T.report_empty;
  }

  function renderNow(counters) {  // only when the period includes today
    $("now-block").hidden = !counters;
    if (!counters) return;
    const count = (s) => counters.filter((c) => c.status === s).length;
    $("now-summary").textContent = fmt(T.now_summary, {open: count("open"),
      paused: count("paused"), closed: count("closed")});
    const staffed = counters.filter((c) => c.status !== "closed");
    table($("now"), [T.col_counter, T.col_status, T.col_officer, T.col_serving],
          staffed.map((c) => [
            c.name,
            c.status === "paused" && c.pause_reason_name
              ? `${T.status_paused} – ${c.pause_reason_name}` : T[`status_${c.status}`],
            c.officer_name || "–", c.ticket || "–"]));
  }

  async function load() {
    showError("");
    $("status").textContent = T.loading;
    const answer = await get(`/api/reports?${period()}`);
    if (!answer.ok) { $("status").textContent = ""; showError(errorText(answer.error)); return; }
    render(await answer.res.json());
  }

  staffSignIn(KEY, showError, () => { signedIn(true); load(); });
  $("period").addEventListener("submit", (ev) => { ev.preventDefault(); load(); });
  $("csv").addEventListener("click", async () => {
    const answer = await get(`/api/reports/tickets.csv?${period()}`);
    if (!answer.ok) { showError(errorText(answer.error)); return; }
    const link = document.createElement("a");
    link.href = URL.createObjectURL(await answer.res.blob());
    link.download = `xep-hang-${$("from").value}-${$("to").value}.csv`;
    link.click();
    setTimeout(() => URL.revokeObjectURL(link.href), 1000);
  });
  $("sign-out").addEventListener("click", () => {
    sessionStorage.removeItem(KEY);
    signedIn(false);
  });

  // A period that includes today stays current by itself (supervisors watch the floor).
  setInterval(() => {
    if (!$("report").hidden && !document.hidden && $("to").value >= PAGE.today) load();
  }, 30000);

  const signed = Boolean(sessionStorage.getItem(KEY));
  signedIn(signed);
  if (signed) load();
})();
