/* Tracking page: follows one ticket live; a call fills the screen, rings and vibrates. */
"use strict";
(function () {
  const $ = (id) => document.getElementById(id);
  const en = PAGE.lang === "en";
  let lastStatus = null;  // opened while already called: show the call at once
  let lastRecalls = 0;
  let lastAhead = null;  // to notice the moment the turn comes near
  let audio = null;
  const NEAR = 2;  // this many people ahead or fewer: "come back near the counters"

  function render(t) {
    if (!t || !t.number) {
      if (t && t.status) $("status").textContent = T["status_" + t.status] || t.status;
      return;
    }
    $("number").textContent = t.number;
    $("service").textContent = (en ? t.service_name_en : t.service_name) || t.service_name || "";
    $("status").textContent = T["status_" + t.status] || t.status;
    const waiting = t.status === "waiting";
    $("ahead").textContent = waiting ? (t.ahead ? String(t.ahead) : T.nobody) : "–";
    $("wait").textContent = waiting ? waitText(t) : "–";
    const note = waiting ? callingText(t.calling) : "";
    $("calling").textContent = note;
    $("calling").hidden = !note;
    $("serving").textContent = t.now_serving || "–";
    near(waiting ? t.ahead || 0 : null);
    $("notify").hidden = !PAGE.notify || !waiting || signedUp;
    const called = t.status === "called";
    if (called && (lastStatus !== "called" || (t.recalls || 0) > lastRecalls)) alert_(t);
    if (!called) $("called").hidden = true;
    lastStatus = t.status;
    lastRecalls = t.recalls || 0;
  }

  // The estimate: never "soon" while no counter is open (`calling` says why).
  function waitText(t) {
    if (t.estimated_wait == null) return T.no_estimate;
    if (t.estimated_wait < 60 && !t.calling) return T.soon;
    return `${T.about} ${Math.max(1, Math.round(t.estimated_wait / 60))} ${T.minutes}`;
  }

  function callingText(c) {
    if (!c) return "";
    if (c.kind === "closed") return T.calling_closed;
    const reason = ((en ? c.reason_name_en : c.reason_name) || "").toLowerCase();
    return c.back_time ? fmt(T.calling_paused_until, {reason, time: c.back_time})
      : fmt(T.calling_paused, {reason});
  }

  function near(ahead) {
    const close = ahead !== null && ahead <= NEAR;
    $("near").hidden = !close;
    if (close) $("near").textContent = ahead ? fmt(T.near, {n: ahead}) : T.next_up;
    if (close && lastAhead !== null && lastAhead > NEAR) {  // it just came near: a nudge
      if (navigator.vibrate) navigator.vibrate([200, 100, 200]);
      chime(1);
    }
    lastAhead = ahead;
  }

  function alert_(t) {
    const zone = en ? t.counter_zone_en : t.counter_zone;  // where it is, when the site says
    $("called-counter").textContent = zone ? `${t.counter}, ${zone}` : t.counter;
    $("called-number").textContent = `${T.your_number}: ${t.number}`;
    $("called").hidden = false;
    $("called-ok").focus();
    document.title = `${T.called} ${t.counter} – ${t.number}`;
    if (navigator.vibrate) navigator.vibrate([400, 150, 400, 150, 800]);
    chime(3);
  }

  function chime(notes) {  // three notes for the call, one for "near"
    if (!audio) return;
    const now = audio.currentTime;
    [0, 0.45, 0.9].slice(0, notes).forEach((offset, i) => {
      const osc = audio.createOscillator(), gain = audio.createGain();
      osc.frequency.value = i === 2 ? 988 : 784;
      gain.gain.setValueAtTime(0.0001, now + offset);
      gain.gain.exponentialRampToValueAtTime(0.5, now + offset + 0.03);
      gain.gain.exponentialRampToValueAtTime(0.0001, now + offset + 0.4);
      osc.connect(gain).connect(audio.destination);
      osc.start(now + offset);
      osc.stop(now + offset + 0.42);
    });
  }

  /* "Text me when my turn is near": the server checks the phone and the consent; its
     refusal is shown beside the field it is about. */
  let signedUp = false;
  function fieldError(id, text) {
    $(id + "-error").textContent = text || "";
    $(id + "-error").hidden = !text;
    $(id).setAttribute("aria-invalid", text ? "true" : "false");
  }
  $("notify-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    fieldError("notify-phone", "");
    fieldError("notify-consent", "");
    $("notify-error").hidden = true;
    const phone = $("notify-phone").value.trim();
    const consent = $("notify-consent").checked;
    if (!phone) fieldError("notify-phone", T.notify_need_phone);
    if (!consent) fieldError("notify-consent", T.notify_need_consent);
    if (!phone || !consent) {
      $(phone ? "notify-consent" : "notify-phone").focus();
      return;
    }
    const ahead = Number(document.querySelector("input[name=ahead]:checked").value);
    $("notify-submit").disabled = true;
    const answer = await postJSON(`/api/tickets/${encodeURIComponent(PAGE.public_id)}/notify`,
                                  {phone, ahead, lang: PAGE.lang, consent});
    $("notify-submit").disabled = false;
    if (answer.ok) {
      signedUp = true;
      $("notify-form").hidden = true;
      $("notify-done").textContent = fmt(T.notify_done, {phone, n: ahead});
      $("notify-done").hidden = false;
      $("notify-done").focus();
      return;
    }
    const code = answer.error.code;
    if (code === "bad_phone") {
      fieldError("notify-phone", errorText(answer.error));
      $("notify-phone").focus();
    } else if (code === "consent_required") {
      fieldError("notify-consent", errorText(answer.error));
    } else {
      $("notify-error").textContent = errorText(answer.error);
      $("notify-error").hidden = false;
    }
  });

  $("sound").addEventListener("click", () => {
    // Phones allow sound only after a tap: this tap unlocks it for the call later.
    const Ctx = window.AudioContext || window.webkitAudioContext;
    if (Ctx && !audio) audio = new Ctx();
    if (audio) { audio.resume(); chime(3); }
    if (navigator.vibrate) navigator.vibrate(100);
    $("sound").setAttribute("aria-pressed", "true");
    $("sound").textContent = T.sound_ready;
  });
  $("called-ok").addEventListener("click", () => { $("called").hidden = true; $("sound").focus(); });
  document.addEventListener("keydown", (ev) => {
    if (ev.key === "Escape" && !$("called").hidden) $("called-ok").click();
  });

  if (PAGE.ticket) render(PAGE.ticket);
  if (!PAGE.ticket || PAGE.ticket.old) {
    $("error").textContent = PAGE.ticket ? "" : T.unknown_ticket;
    $("error").hidden = !!PAGE.ticket;
    $("conn").hidden = true;
    return;  // not today's ticket: nothing live to follow
  }
  liveSocket({type: "hello", protocol: 1, role: "public"},
    (ws) => ws.send(JSON.stringify({type: "track", id: "track", ticket: PAGE.public_id})),
    (msg) => {
      if (msg.type === "result" && msg.id === "track") {
        if (msg.ok) render(msg.ticket);
        else { $("error").textContent = T.unknown_ticket; $("error").hidden = false; }
      } else if (msg.type === "ticket") render(msg.ticket);
    },
    (state) => { $("conn").textContent = T[state]; });
})();
