/* Hall display in a browser: latest calls, the newest highlighted, clock, notice, voice.
   Public and read-only: it says hello as "public" and only listens.
   Options in the address: ?calls=7&counters=1,2&services=a,b&voice=0&highlight=8&notice=… */
"use strict";
(function () {
  const $ = (id) => document.getElementById(id);
  const q = new URLSearchParams(location.search);
  const list = (key) => (q.get(key) || "").split(",").map((s) => s.trim()).filter(Boolean);
  const LIMIT = Math.max(2, parseInt(q.get("calls") || "7", 10));
  const COUNTERS = list("counters").map(Number), SERVICES = list("services");
  const VOICE = q.get("voice") !== "0";
  const HIGHLIGHT_MS = 1000 * parseFloat(q.get("highlight") || "8");
  const NOTICE = q.get("notice") || "Công dân vui lòng theo dõi số thứ tự trên màn hình và " +
    "loa thông báo, chuẩn bị sẵn hồ sơ khi được mời lên quầy.   •   Please watch the screen " +
    "and listen for your number; have your documents ready.";
  // A call made while the TV was cut off is read aloud when it is back, if at most this
  // old (as counter_display.display_model.missed_calls does for the Qt hall).
  const MISSED_S = 120;
  let calls = [], zone = "Asia/Ho_Chi_Minh", offset = 0, newestAt = 0;
  // the site's [hall] (notice line, voice style) and its counters' zones, from the
  // welcome and every `config` event (an administrator's change, live)
  let hall = {notice: "", notice_en: "", voice: "bac"};
  const zones = new Map();  // counter → [zone, zone_en] once a `config` event named them
  const placeOf = (c) => zones.get(c.counter) ||
    [c.zone || "", c.zone_en || c.zone || ""];
  const usualNotice = () => hall.notice
    ? (hall.notice_en ? `${hall.notice}   •   ${hall.notice_en}` : hall.notice) : NOTICE;
  let heardUntil = null;  // server time up to which calls were heard; null: never connected

  const wanted = (c) => (!COUNTERS.length || COUNTERS.includes(c.counter)) &&
                        (!SERVICES.length || SERVICES.includes(c.service));

  function missedCalls(welcome) {
    if (heardUntil === null) return [];  // the first connection: nothing is news
    const latest = new Map();
    for (const c of welcome.calls || []) {
      const at = c.at || 0;
      if (wanted(c) && at > heardUntil && at >= welcome.server_time - MISSED_S &&
          !(latest.has(c.number) && latest.get(c.number).at >= at)) latest.set(c.number, c);
    }
    return [...latest.values()].sort((a, b) => a.at - b.at);
  }

  function render() {
    const newest = calls[0];
    $("caption-vi").textContent = newest ? "Mời công dân có số" : "Xin mời công dân chờ gọi số";
    $("caption-en").textContent = newest ? "Now calling number" : "Please wait for your number";
    $("newest-number").textContent = newest ? newest.number : "";
    const [where, whereEn] = newest ? placeOf(newest) : ["", ""];
    $("to-vi").textContent = newest
      ? `đến ${newest.counter_name || "Quầy " + newest.counter}${where ? ", " + where : ""}` : "";
    $("to-en").textContent = newest
      ? `to counter ${newest.counter}${whereEn ? ", " + whereEn : ""}` : "";
    const body = $("recent");
    body.textContent = "";
    for (let i = 1; i < LIMIT; i++) {
      const call = calls[i], tr = document.createElement("tr");
      for (const text of [call ? call.number : "\u00a0", call ? call.counter : ""]) {
        const td = document.createElement("td");
        td.textContent = text;
        tr.append(td);
      }
      const [where] = call ? placeOf(call) : [""];
      if (where) {  // the zone under the counter's number, smaller: the list is a summary,
        // in Vietnamese (the newest call above says it in both languages, in full)
        const small = document.createElement("span");
        small.className = "zone";
        small.textContent = where;
        tr.lastChild.append(small);
      }
      body.append(tr);
    }
  }

  function tick() {
    const now = new Date(Date.now() + offset);
    const opts = {timeZone: zone};
    $("time").textContent = now.toLocaleTimeString("vi-VN", {...opts, hour12: false,
      hour: "2-digit", minute: "2-digit", second: "2-digit"});
    const weekday = now.toLocaleDateString("vi-VN", {...opts, weekday: "long"});
    const date = now.toLocaleDateString("en-GB", {...opts, day: "2-digit", month: "2-digit",
                                                  year: "numeric"});
    $("date").textContent = `${weekday.charAt(0).toUpperCase()}${weekday.slice(1)}, ${date}`;
    const lit = Date.now() - newestAt < HIGHLIGHT_MS && Math.floor(Date.now() / 500) % 2 === 0;
    $("newest").classList.toggle("lit", lit);
  }

  // ----- the voice: one announcement at a time, in order -----
  const queue = [];
  let playing = false;
  function announce(call) {
    if (!VOICE) return;
    queue.push(`/api/announcements/${encodeURIComponent(call.number)}/${call.counter}.wav` +
               `?voice=${encodeURIComponent(hall.voice || "bac")}`);
    playNext();
  }
  function playNext() {
    if (playing || !queue.length) return;
    playing = true;
    const audio = new Audio(queue[0]);
    const done = () => { queue.shift(); playing = false; playNext(); };
    audio.onended = done;
    audio.onerror = done;  // never let the sound hold the screen back
    audio.play().then(() => { $("sound").hidden = true; }).catch((err) => {
      playing = false;
      if (err && err.name === "NotAllowedError") $("sound").hidden = false;  // needs one click
      else done();
    });
  }
  $("sound").addEventListener("click", () => { $("sound").hidden = true; playNext(); });
  window.hallAudioQueue = queue;  // for tests and for a look in the console

  // ----- the connection -----
  let delay = 500;
  function connect() {
    const ws = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") +
                             location.host + "/ws");
    ws.onopen = () => ws.send(JSON.stringify({type: "hello", protocol: 1, role: "public"}));
    ws.onmessage = (ev) => {
      const msg = JSON.parse(ev.data);
      if (msg.type === "welcome") {
        delay = 500;
        $("banner").hidden = true;
        offset = msg.server_time * 1000 - Date.now();
        zone = (msg.site && msg.site.timezone) || zone;
        calls = [];
        for (const c of msg.calls || []) {
          if (wanted(c) && !calls.some((x) => x.number === c.number)) calls.push(c);
        }
        calls = calls.slice(0, LIMIT);
        takeConfig(msg);
        const missed = missedCalls(msg);
        heardUntil = Math.max(msg.server_time, heardUntil || 0);
        newestAt = missed.length ? Date.now() : 0;  // older calls are not news
        render();
        if (msg.notice) showNotice(msg.notice);
        missed.forEach(announce);
      } else if (msg.type === "ticket_called") {
        heardUntil = Math.max(msg.at || 0, heardUntil || 0);
        if (!wanted(msg)) return;
        calls = [msg, ...calls.filter((c) => c.number !== msg.number)].slice(0, LIMIT);
        newestAt = Date.now();
        render();
        announce(msg);
      } else if (msg.type === "day_started") {
        calls = [];
        render();
      } else if (msg.type === "notice") {
        showNotice(msg);
      } else if (msg.type === "config") {  // an administrator's change: redraw
        takeConfig(msg);
        render();
      }
    };
    ws.onclose = () => {
      $("banner").textContent = "Mất kết nối máy chủ – đang kết nối lại…  Reconnecting…";
      $("banner").hidden = false;
      setTimeout(connect, delay);
      delay = Math.min(delay * 2, 10000);
    };
  }

  function takeConfig(msg) {
    if (msg.hall) hall = msg.hall;
    if (msg.type === "welcome") zones.clear();  // its calls carry their zones as they are now
    if (msg.counters) {
      zones.clear();
      for (const c of msg.counters) zones.set(c.number, [c.zone || "", c.zone_en || c.zone || ""]);
    }
    if (!supervisorNotice) setNotice(usualNotice());
  }

  // The line scrolls at one calm speed whatever its length (a long notice is not rushed).
  function setNotice(text) {
    const line = $("notice");
    if (line.textContent === text) return;
    line.textContent = text;
    line.style.animationDuration = `${Math.max(40, Math.round(text.length * 0.25))}s`;
  }

  // A supervisor's notice (from the board) scrolls instead of the usual one until it
  // expires; `until: null` takes it down.
  let noticeTimer = null, supervisorNotice = false;
  function showNotice(msg) {
    clearTimeout(noticeTimer);
    const left = msg.until === null ? 0 : msg.until * 1000 - (Date.now() + offset);
    supervisorNotice = left > 0;
    setNotice(left > 0 ? msg.text : usualNotice());
    if (left > 0) {
      noticeTimer = setTimeout(() => { supervisorNotice = false; setNotice(usualNotice()); }, left);
    }
  }

  setNotice(NOTICE);
  render();
  tick();
  setInterval(tick, 250);
  connect();
})();
