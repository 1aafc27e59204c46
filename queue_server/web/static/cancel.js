/* Cancel page: the key travels in the #fragment, so it never reaches a server log. */
"use strict";
(function () {
  const button = document.getElementById("cancel");
  const errorBox = document.getElementById("error");
  const key = new URLSearchParams(location.hash.slice(1)).get("k");
  if (!key) { errorBox.textContent = T.cancel_nokey; errorBox.hidden = false; button.hidden = true; }
  button.addEventListener("click", async () => {
    button.disabled = true;
    const answer = await postJSON(`/api/bookings/${PAGE.code}/cancel`, {key});
    if (answer.ok) {
      button.hidden = true;
      errorBox.hidden = true;
      const result = document.getElementById("result");
      result.textContent = T.cancel_done;
      result.hidden = false;
      history.replaceState(null, "", location.pathname);  // drop the key from the address bar
    } else {
      button.disabled = false;
      errorBox.textContent = errorText(answer.error);
      errorBox.hidden = false;
      errorBox.focus();
    }
  });
})();
