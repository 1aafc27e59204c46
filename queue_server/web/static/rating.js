/* The rating link from a text message: one tap on the scale, one rating per ticket. */
"use strict";
(function () {
  const $ = (id) => document.getElementById(id);
  const buttons = Array.from(document.querySelectorAll("#scale .scale-button"));

  function thanks(text) {
    $("scale").hidden = true;
    $("error").hidden = true;
    if (text) $("thanks-text").textContent = text;
    $("thanks").hidden = false;
    $("thanks").focus();
  }

  async function rate(button) {
    buttons.forEach((b) => { b.disabled = true; });
    $("error").hidden = true;
    const rating = button.dataset.rating;
    const answer = await postJSON(`/api/ratings/${encodeURIComponent(PAGE.token)}`, {rating});
    if (answer.ok) {
      thanks(`${fmt(T.rate_chosen, {rating: PAGE.names[rating] || rating})}. ${T.rate_thanks_text}`);
      return;
    }
    if (answer.error.code === "already_rated") { thanks(errorText(answer.error)); return; }
    buttons.forEach((b) => { b.disabled = false; });
    $("error").textContent = errorText(answer.error);
    $("error").hidden = false;
    $("error").focus();
  }

  function refuse(error) {
    $("scale").hidden = true;
    $("question").hidden = true;
    $("error").textContent = errorText(error);
    $("error").hidden = false;
  }

  buttons.forEach((b) => b.addEventListener("click", () => rate(b)));

  // Which ticket this is, and whether it was rated already (on the pad, or here before).
  getJSON(`/api/ratings/${encodeURIComponent(PAGE.token)}`).then((answer) => {
    if (!answer.ok) {
      if (answer.error.code !== "unavailable") refuse(answer.error);  // a try may still work
      return;
    }
    const t = answer.data;
    $("ticket").textContent = fmt(T.rate_ticket,
      {number: t.number, service: (PAGE.lang === "en" ? t.service_en : t.service) || t.service});
    $("ticket").hidden = false;
    if (t.rated) thanks(fmt(T.rate_already, {rating: PAGE.names[t.rated] || t.rated}));
  });
})();
