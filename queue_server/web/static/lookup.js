/* /tra-cuu: results as the citizen types (the server's one search), no reload. */
"use strict";
(function () {
  const input = document.getElementById("q");
  const list = document.getElementById("results");
  const count = document.getElementById("lookup-count");
  if (!input) return;
  const paths = PAGE.lookup_paths;
  let asked = 0, timer = null;

  function daysText(days) {
    if (days <= 1) return days === 0 ? T.guide_same_day : T.guide_days_1;
    return fmt(T.guide_days_n, {n: days});
  }

  function show(procedures, query) {
    list.textContent = "";
    for (const p of procedures) {
      const li = document.createElement("li");
      const a = document.createElement("a");
      a.href = `${paths.guide}/${p.code}`;
      a.textContent = PAGE.lang === "en" ? p.name_en : p.name;
      const meta = document.createElement("span");
      meta.className = "meta";
      meta.textContent = `${PAGE.lang === "en" ? p.sector_en : p.sector} · ${daysText(p.processing_days)} · ${p.code}`;
      li.append(a, meta);
      list.append(li);
    }
    count.textContent = !query.trim() ? ""
      : procedures.length ? fmt(T.lookup_count, {n: procedures.length}) : T.lookup_none;
  }

  async function ask() {
    const query = input.value;
    const mine = ++asked;
    const url = new URL(location.href);
    if (query.trim()) url.searchParams.set("q", query); else url.searchParams.delete("q");
    history.replaceState(null, "", url);
    if (!query.trim()) { show([], query); return; }
    const res = await getJSON(`/api/search?limit=20&q=${encodeURIComponent(query)}`);
    if (mine !== asked) return;  // a later keystroke has asked meanwhile
    if (!res.ok) { count.textContent = errorText(res.error); return; }
    show(res.data.procedures, query);
  }

  input.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(ask, 120); });
  document.getElementById("lookup").addEventListener("submit", (ev) => {
    ev.preventDefault(); clearTimeout(timer); ask();
  });
})();
