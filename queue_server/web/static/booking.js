/* Booking page: the server's service search, live free places, submit, show code. */
"use strict";
(function () {
  const $ = (id) => document.getElementById(id);
  const form = $("booking");
  const search = document.getElementById("search");
  const slotsList = document.getElementById("slots");
  const slotsNote = document.getElementById("slots-note");
  const errorBox = document.getElementById("error");
  const submit = document.getElementById("submit");
  const cccdBox = document.getElementById("cccd-box");

  // The same search key as vntext.fold on the server (data-search): no marks, đ as d,
  // lower case, punctuation as spaces.
  function fold(text) {
    return text.replace(/đ/g, "d").replace(/Đ/g, "D").normalize("NFD")
      .replace(/[\u0300-\u036f]/g, "").toLowerCase().replace(/[^\p{L}\p{N}_]+/gu, " ");
  }

  // The server's one search (GET /api/search: Telex, VNI, i/y, one typo, everyday
  // words, the services' procedures) decides; meanwhile, and when the server cannot be
  // reached, the page filters by the words itself ("no match" only once it knows).
  function showServices(hit, final) {
    let shown = 0;
    document.querySelectorAll("#services .sector").forEach((sector) => {
      let any = false;
      sector.querySelectorAll("li[data-search]").forEach((li) => {
        const on = hit(li);
        li.hidden = !on;
        if (on) { any = true; shown += 1; }
      });
      sector.hidden = !any;
    });
    document.getElementById("search-count").textContent = shown || !final ? "" : T.no_match;
  }

  function typedWords() {
    return fold(search.value).split(/\s+/).filter(Boolean);
  }

  function localHit(words) {
    return (li) => words.every((w) => li.dataset.search.includes(w));
  }

  let searchAsked = 0, searchTimer = null;
  async function searchServices() {
    const query = search.value, mine = ++searchAsked, words = typedWords();
    if (!words.length) return;
    const res = await getJSON(`/api/search?limit=50&q=${encodeURIComponent(query)}`);
    if (mine !== searchAsked) return;  // a later keystroke has asked meanwhile
    if (!res.ok) { showServices(localHit(words), true); return; }
    const rank = new Map(res.data.services.map((s, i) => [s.id, i]));
    const at = (li) => rank.get(li.querySelector("input").value) ?? Infinity;
    showServices((li) => rank.has(li.querySelector("input").value), true);
    rankServices(at);
  }

  // Best first: the services within each sector, and the sectors by their best service.
  // Only the found ones move; a new search starts from the page's own order.
  const home = [...document.querySelectorAll("#services .sector")].map((sector) =>
    [sector, [...sector.querySelectorAll("li[data-search]")]]);
  function rankServices(at) {
    const list = document.getElementById("services");
    const best = new Map();
    for (const [sector, items] of home) {
      const ul = sector.querySelector("ul");
      [...items].sort((a, b) => at(a) - at(b) || items.indexOf(a) - items.indexOf(b))
        .forEach((li) => ul.append(li));
      best.set(sector, Math.min(...items.map(at)));
    }
    [...home].sort((a, b) => best.get(a[0]) - best.get(b[0]) || home.indexOf(a) - home.indexOf(b))
      .forEach(([sector]) => list.append(sector));
  }
  function unrank() {
    const list = document.getElementById("services");
    for (const [sector, items] of home) {
      const ul = sector.querySelector("ul");
      items.forEach((li) => ul.append(li));
      list.append(sector);
    }
  }
  search.addEventListener("input", () => {
    const words = typedWords();
    searchAsked += 1;  // an answer still on its way is for older words
    if (!words.length) unrank();
    showServices(words.length ? localHit(words) : () => true, !words.length);
    clearTimeout(searchTimer);
    if (words.length) searchTimer = setTimeout(searchServices, 120);
  });

  function selected(name) {
    const el = form.querySelector(`input[name="${name}"]:checked`);
    return el ? el.value : "";
  }

  let slotRequest = 0;
  async function loadSlots() {
    const service = selected("service"), day = selected("day");
    const svc = form.querySelector('input[name="service"]:checked');
    cccdBox.hidden = !(svc && svc.dataset.cccd === "1");
    slotsList.textContent = "";
    if (!service || !day) { slotsNote.textContent = T.pick_service_first; return; }
    slotsNote.textContent = T.loading;
    const mine = ++slotRequest;
    // getJSON: a server that cannot be reached is a Vietnamese sentence, never the
    // browser's "Failed to fetch"
    const answer = await getJSON(`/api/booking/slots?service=${encodeURIComponent(service)}` +
                                 `&day=${encodeURIComponent(day)}`);
    if (mine !== slotRequest) return;  // the citizen chose again meanwhile
    if (!answer.ok) { slotsNote.textContent = errorText(answer.error); return; }
    const data = answer.data;
    const free = data.slots.filter((s) => s.remaining > 0).length;
    slotsNote.textContent = free ? "" : T.no_slots;
    for (const slot of data.slots) {
      const id = "slot-" + slot.time.replace(":", "");
      const li = document.createElement("li");
      const input = Object.assign(document.createElement("input"),
        {type: "radio", name: "time", id, value: slot.time, disabled: slot.remaining <= 0});
      const label = document.createElement("label");
      label.htmlFor = id;
      label.append(slot.time);
      const small = document.createElement("small");
      small.textContent = slot.remaining > 0 ? fmt(T.places_left, {n: slot.remaining}) : T.full;
      label.append(small);
      li.append(input, label);
      slotsList.append(li);
    }
  }
  // From a procedure's guide (/tra-cuu): ?service=… comes chosen.
  const wanted = form.querySelector(
    `input[name="service"][value="${CSS.escape(new URLSearchParams(location.search).get("service") || "")}"]`);
  if (wanted) { wanted.checked = true; loadSlots(); }

  form.addEventListener("change", (ev) => {
    if (ev.target.name === "service" || ev.target.name === "day") loadSlots();
  });

  function showError(error, field) {
    errorBox.textContent = errorText(error);
    errorBox.hidden = false;
    const el = field && document.getElementById(field);
    if (el) { el.setAttribute("aria-invalid", "true"); el.focus(); } else errorBox.focus();
  }
  const FIELD = {bad_phone: "phone", bad_cccd: "cccd", bad_name: "name",
                 consent_required: "consent"};
  const E = PAGE.field_errors;

  // One field's message under it ("" clears it).
  function fieldError(field, message) {
    const box = $(field + "-error"), input = $(field);
    box.textContent = message;
    box.hidden = !message;
    if (input) {
      if (message) input.setAttribute("aria-invalid", "true");
      else input.removeAttribute("aria-invalid");
    }
  }

  // The phone as vntext/booking.normalize_phone reads it: separators and +84 dropped.
  function phoneDigits(text) {
    let digits = text.replace(/[\s.\-()]/g, "");
    if (digits.startsWith("+84")) digits = "0" + digits.slice(3);
    else if (digits.startsWith("84") && digits.length === 11) digits = "0" + digits.slice(2);
    return digits;
  }
  // While typing: wrong as soon as it cannot become a mobile number; when done
  // (`complete`), wrong unless it is one.
  function phoneProblem(text, complete) {
    const digits = phoneDigits(text);
    if (!digits) return complete ? E.bad_phone : "";
    if (/^0[35789]\d{8}$/.test(digits)) return "";
    const possible = /^\d*$/.test(digits) && digits.length < 10 &&
      /^(0([35789]\d*)?)$/.test(digits);
    return complete || !possible ? E.bad_phone : "";
  }
  $("phone").addEventListener("input", () => fieldError("phone", phoneProblem($("phone").value, false)));
  $("phone").addEventListener("change", () => fieldError("phone", phoneProblem($("phone").value, true)));

  // Every problem of the form at once, each under its field; the first gets the focus.
  function check(body) {
    const problems = [];
    const legend = (step) => document.querySelector(`#step-${step} legend`).textContent;
    for (const step of ["service", "day", "time"]) {
      if (!body[step]) problems.push([step, fmt(PAGE.lang === "vi" ? "Vui lòng chọn: {x}"
                                                 : "Please choose: {x}", {x: legend(step)})]);
    }
    const name = body.name.trim().replace(/\s+/g, " ");
    if (name.length < 2 || name.length > 80 || !/\p{L}/u.test(name)) problems.push(["name", E.bad_name]);
    const phone = phoneProblem(body.phone, true);
    if (phone) problems.push(["phone", phone]);
    if (!cccdBox.hidden && !/^\d{12}$/.test(body.cccd.replace(/\s/g, ""))) {
      problems.push(["cccd", E.bad_cccd]);
    }
    if (!body.consent) problems.push(["consent", E.consent_required]);
    return problems;
  }
  function showProblems(problems) {
    for (const field of ["service", "day", "time", "name", "phone", "cccd", "consent"]) {
      fieldError(field, "");
    }
    for (const [field, message] of problems) fieldError(field, message);
    errorBox.textContent = PAGE.lang === "vi"
      ? `Vui lòng sửa ${problems.length} mục được đánh dấu bên trên.`
      : `Please correct the ${problems.length} marked item(s) above.`;
    errorBox.hidden = false;
    ($(problems[0][0]) || errorBox).focus();
  }

  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    errorBox.hidden = true;
    const body = {service: selected("service"), day: selected("day"), time: selected("time"),
                  name: $("name").value, phone: $("phone").value, cccd: $("cccd").value,
                  consent: $("consent").checked, notice_version: PAGE.notice_version};
    const problems = check(body);
    if (problems.length) { showProblems(problems); return; }
    submit.disabled = true;
    submit.textContent = T.sending;
    const answer = await postJSON("/api/bookings", body);
    submit.disabled = false;
    submit.textContent = T.submit;
    if (!answer.ok && answer.error.fields) {  // the server's list of every bad field
      showProblems(answer.error.fields.map((f) => [f.field, errorText(f)]));
      return;
    }
    if (!answer.ok) {
      showError(answer.error, FIELD[answer.error.code]);
      if (answer.error.code === "slot_full") loadSlots();
      return;
    }
    showDone(answer.data);
  });

  function showDone(data) {
    const b = data.booking;
    form.hidden = true;
    document.querySelector("main > h1").hidden = true;
    document.querySelector("main > .intro").hidden = true;
    document.getElementById("done-code").textContent = b.code_display;
    document.getElementById("done-qr").innerHTML = data.qr_svg;  // SVG made by our server
    const en = PAGE.lang === "en";
    document.getElementById("done-service").textContent = en ? b.service_name_en : b.service_name;
    document.getElementById("done-when").textContent =
      `${en ? b.weekday_en : b.weekday}, ${b.date} – ${b.time}`;
    document.getElementById("done-window").textContent =
      fmt(T.checkin_window, {from: b.checkin_from, until: b.checkin_until});
    document.getElementById("done-ics").href = `/api/bookings/${b.code}.ics`;
    document.getElementById("done-cancel").href =
      `${PAGE.paths.cancel}/${b.code}#k=${encodeURIComponent(data.cancel_key)}`;
    const done = document.getElementById("done");
    done.hidden = false;
    document.getElementById("done-title").focus();
  }
})();
