/* /tra-cuu/ho-so: dossier code + the last 4 digits of the phone → where the dossier stands. */
"use strict";
(function () {
  const $ = (id) => document.getElementById(id);

  function show(d) {
    const en = PAGE.lang === "en";
    $("result-code").textContent = fmt(T.dossier_result_code, {code: d.code});
    $("result-procedure").textContent = d.procedure;
    $("result-status").textContent = en ? d.status_text_en : d.status_text;
    $("result-status").dataset.status = d.status;
    $("result-received").textContent = d.received_on;
    $("result-due").textContent = d.due_on;
    const pickup = d.result_service;
    $("result-pickup").hidden = !pickup;
    if (pickup) {
      $("result-book").href = `${PAGE.paths.booking}?service=${encodeURIComponent(pickup.id)}`;
      $("result-book").textContent = fmt(T.dossier_book_pickup,
        {service: en ? pickup.name_en : pickup.name});
    }
    $("result").hidden = false;
    $("result").focus();
  }

  function refuse(error) {
    $("result").hidden = true;
    $("error").textContent = errorText(error);
    $("error").hidden = false;
    $("error").focus();
  }

  $("form").addEventListener("submit", async (event) => {
    event.preventDefault();
    $("error").hidden = true;
    const code = $("code").value.trim();
    const phone4 = $("phone4").value.trim();
    const bad = [];
    $("code").setAttribute("aria-invalid", String(!code));
    $("phone4").setAttribute("aria-invalid", String(!/^[0-9]{4}$/.test(phone4)));
    if (!code) bad.push(T.dossier_need_code);
    if (!/^[0-9]{4}$/.test(phone4)) bad.push(T.dossier_need_phone4);
    if (bad.length) { refuse({message: bad.join(" "), message_en: bad.join(" ")}); return; }
    $("submit").disabled = true;
    const answer = await postJSON("/api/dossiers/lookup", {code, phone4});
    $("submit").disabled = false;
    if (answer.ok) show(answer.data); else refuse(answer.error);
  });

  if (PAGE.code) { $("code").value = PAGE.code; $("phone4").focus(); }
})();
