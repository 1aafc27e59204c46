/* The administrator's screen (/quan-tri): the configuration as forms, users, sessions,
   devices, versions. The server validates (the same validator as at start-up); its
   refusal names a field (`services[2].prefix`) and the message is shown beside it. */
"use strict";

const el = (tag, attrs = {}, ...children) => {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "text") node.textContent = v;
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else if (v !== false && v !== undefined && v !== null) node.setAttribute(k, v === true ? "" : v);
  }
  for (const child of children) if (child) node.append(child);
  return node;
};

let csrf = "";
let current = null;  // {version, document}
let tab = "services";

async function call(method, url, body, raw) {
  let res;
  try {
    res = await fetch(url, {
      method, cache: "no-store", credentials: "same-origin",
      headers: raw !== undefined ? {"Content-Type": "application/toml", "X-CSRF-Token": csrf}
        : {"Content-Type": "application/json", "X-CSRF-Token": csrf},
      body: raw !== undefined ? raw : body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (err) {
    return {ok: false, error: {code: "unavailable", message: T.admin_fix_fields}};
  }
  const data = await res.json().catch(() => ({}));
  const detail = (data.error && data.error.detail) || "";
  // the session is over: sign in again (not when only the confirming password was wrong)
  if (res.status === 401 && !url.endsWith("/session") && !detail.startsWith("password:")) {
    showLogin();
  }
  return res.ok ? {ok: true, data} : {ok: false, error: data.error || {code: "internal"}};
}

function say(id, text) {
  const node = document.getElementById(id);
  node.textContent = text || "";
  node.hidden = !text;
  if (text && id === "error") node.focus();
}

function showLogin() {
  document.getElementById("console").hidden = true;
  document.getElementById("login").hidden = false;
}

async function start(me) {
  csrf = me.csrf;
  document.getElementById("login").hidden = true;
  document.getElementById("console").hidden = false;
  document.getElementById("who").textContent = fmt(T.admin_signed_in, {user: me.username});
  await loadConfig();
}

async function loadConfig() {
  const answer = await call("GET", "/api/admin/config");
  if (!answer.ok) { say("error", errorText(answer.error)); return; }
  current = answer.data;
  document.getElementById("version").textContent =
    fmt(T.admin_version, {version: current.version});
  render(false);  // what was said (saved, refused) stays
}

/* ---- the configuration's sections --------------------------------------------- */

// A column: [key, label, kind]; kinds: text, int, bool, list (comma separated), hours.
const TABLES = {
  sectors: ["sectors", T.admin_sectors,
    [["id", T.admin_col_id], ["name", T.admin_col_name], ["name_en", T.admin_col_name_en]]],
  services: ["services", T.admin_services, [
    ["id", T.admin_col_id], ["name", T.admin_col_name], ["name_en", T.admin_col_name_en],
    ["sector", T.admin_col_sector], ["prefix", T.admin_col_prefix], ["base", T.admin_col_base, "int"],
    ["width", T.admin_col_width, "int"], ["daily_cap", T.admin_col_daily_cap, "int"],
    ["hours", T.admin_col_hours, "hours"], ["closed", T.admin_col_closed, "bool"]]],
  counters: ["counters", T.admin_counters, [
    ["number", T.admin_col_number, "int"], ["name", T.admin_col_name],
    ["services", T.admin_col_services, "list"],
    ["secondary_services", T.admin_col_secondary, "list"],
    ["zone", T.admin_col_zone], ["zone_en", T.admin_col_zone_en]]],
  groups: ["priority.groups", T.admin_priority_groups, [
    ["id", T.admin_col_id], ["name", T.admin_col_name], ["name_en", T.admin_col_name_en],
    ["rank", T.admin_col_rank, "int"]]],
  pause_reasons: ["pause_reasons", T.admin_pause_reasons,
    [["id", T.admin_col_id], ["name", T.admin_col_name], ["name_en", T.admin_col_name_en]]],
  outcomes: ["outcomes", T.admin_outcomes,
    [["id", T.admin_col_id], ["name", T.admin_col_name], ["name_en", T.admin_col_name_en]]],
  rating_scale: ["rating_scale", T.admin_rating_scale,
    [["id", T.admin_col_id], ["name", T.admin_col_name], ["name_en", T.admin_col_name_en]]],
  capacity: ["booking.capacity", T.admin_capacity, [
    ["service", T.admin_col_service_any], ["from", T.admin_col_from], ["to", T.admin_col_to],
    ["places", T.admin_col_places, "int"]]],
};
// A single field: [path, label, kind]
const FIELDS = {
  max_consecutive: ["priority.max_consecutive", T.admin_max_consecutive, "int"],
  open_days: ["site.open_days", T.admin_open_days, "list"],
  site_hours: ["site.hours", T.admin_site_hours, "hours"],
  daily_reset: ["site.daily_reset", T.admin_daily_reset],
  site_name: ["site.name", T.admin_site_name],
  site_name_en: ["site.name_en", T.admin_site_name_en],
  address: ["site.address", T.admin_site_address],
  public_url: ["messaging.public_url", T.admin_public_url],
  route_phone: ["messaging.route.phone", T.admin_route_phone, "channel"],
  notice: ["hall.notice", T.admin_hall_notice, "long"],
  notice_en: ["hall.notice_en", T.admin_hall_notice_en, "long"],
  voice: ["hall.voice", T.admin_hall_voice, "voice"],
  pause_minutes: ["alerts.pause_minutes", T.admin_pause_minutes, "pairs"],
  default_capacity: ["booking.default_capacity", T.admin_booking_default, "int"],
  slot_minutes: ["booking.slot_minutes", T.admin_booking_slot, "int"],
  horizon_days: ["booking.horizon_days", T.admin_booking_horizon, "int"],
  cccd: ["booking.cccd_services", T.admin_booking_cccd, "list"],
};
const CONFIG_TABS = {
  services: [TABLES.sectors, TABLES.services, "synonyms"],
  counters: [TABLES.counters],
  priority: [TABLES.groups, FIELDS.max_consecutive],
  hours: [FIELDS.open_days, FIELDS.site_hours, FIELDS.daily_reset, "holidays"],
  booking: [FIELDS.default_capacity, FIELDS.slot_minutes, FIELDS.horizon_days, FIELDS.cccd,
    TABLES.capacity],
  lists: [TABLES.pause_reasons, FIELDS.pause_minutes, TABLES.outcomes, TABLES.rating_scale],
  site: [FIELDS.site_name, FIELDS.site_name_en, FIELDS.address, FIELDS.public_url,
    FIELDS.route_phone],
  hall: [FIELDS.notice, FIELDS.notice_en, FIELDS.voice],
};
const OTHER_TABS = {users: renderUsers, devices: renderDevices, versions: renderVersions};

function getPath(doc, path) {
  return path.split(".").reduce((node, key) => (node == null ? undefined : node[key]), doc);
}

function setPath(doc, path, value) {
  const keys = path.split(".");
  if (value === undefined && getPath(doc, path) === undefined) return;  // no empty tables
  let node = doc;
  for (const key of keys.slice(0, -1)) node = node[key] = node[key] || {};
  if (value === undefined) delete node[keys[keys.length - 1]];
  else node[keys[keys.length - 1]] = value;
}

function show(value, kind) {
  if (value === undefined || value === null) return "";
  if (kind === "list") return value.join(", ");
  if (kind === "hours") return value.map((span) => span.join("-")).join(", ");
  if (kind === "pairs") return Object.entries(value).map(([k, v]) => `${k}=${v}`).join(", ");
  return String(value);
}

function read(text, kind) {  // "" → undefined: the key is left out (its default)
  text = text.trim();
  if (text === "") return kind === "list" ? [] : undefined;
  const items = () => text.split(",").map((s) => s.trim()).filter(Boolean);
  if (kind === "int") return /^-?\d+$/.test(text) ? Number(text) : text;
  if (kind === "list") return items();
  if (kind === "hours") return items().map((span) => span.split("-").map((s) => s.trim()));
  if (kind === "pairs") {
    return Object.fromEntries(items().map((pair) => {
      const [k, v] = pair.split("=").map((s) => s.trim());
      return [k, /^\d+(\.\d+)?$/.test(v || "") ? Number(v) : v];
    }));
  }
  return text;
}

// The choices of a select: the voice styles, or the channels the site has configured.
function choices(kind) {
  if (kind === "voice") return [["bac", T.admin_voice_bac], ["nam", T.admin_voice_nam]];
  const channels = Object.keys(getPath(current.document, "messaging.channels") || {});
  return [["", T.admin_route_none], ...channels.map((name) => [name, name])];
}

function input(path, value, kind, label) {
  const attrs = {"data-path": path, "data-kind": kind || "text", "aria-label": label};
  if (kind === "bool") {
    return el("input", {...attrs, type: "checkbox", checked: Boolean(value)});
  }
  if (kind === "voice" || kind === "channel") {
    const chosen = value || (kind === "voice" ? "bac" : "");
    return el("select", attrs, ...choices(kind).map(([v, text]) =>
      el("option", {value: v, text, selected: v === chosen})));
  }
  if (kind === "long") {  // a line for the hall's ticker: at most 300 characters
    return el("textarea", {...attrs, rows: 2, maxlength: 300, text: show(value, kind)});
  }
  return el("input", {...attrs, value: show(value, kind),
    inputmode: kind === "int" ? "numeric" : undefined});
}

function fieldBlock(spec) {
  const [path, label, kind] = spec;
  const id = "f-" + path.replace(/\W/g, "-");
  const box = input(path, getPath(current.document, path), kind, label);
  box.id = id;
  return el("div", {class: "field"}, el("label", {for: id, text: label}), box,
    el("p", {class: "field-error", "data-error-for": path, hidden: true}));
}

function tableBlock(spec) {
  const [path, title, columns] = spec;
  const rows = (getPath(current.document, path) || []).map((row) => ({...row}));
  const table = el("table", {class: "grid", "data-table": path});
  table.append(el("thead", {}, el("tr", {},
    ...columns.map(([, label]) => el("th", {scope: "col", text: label})), el("th"))));
  const body = el("tbody");
  const addRow = (row, i) => {
    const tr = el("tr", {"data-row": i});
    tr.rowData = row;
    for (const [key, label, kind] of columns) {
      const cell = `${path}[${i}].${key}`;
      tr.append(el("td", {}, input(cell, row[key], kind, label),
        el("p", {class: "field-error", "data-error-for": cell, hidden: true})));
    }
    tr.append(el("td", {}, el("button", {type: "button", class: "link", text: T.admin_remove_row,
      onclick: () => { tr.remove(); renumber(body, path); }})));
    body.append(tr);
  };
  rows.forEach(addRow);
  table.append(body);
  return el("section", {class: "block"}, el("h2", {text: title}),
    el("div", {class: "scroll"}, table),
    el("p", {class: "field-error", "data-error-for": path, hidden: true}),
    el("button", {type: "button", class: "secondary small", text: T.admin_add_row,
      onclick: () => { addRow({}, body.children.length); }}));
}

function renumber(body, path) {  // the paths follow the rows' order, as the validator's keys
  [...body.children].forEach((tr, i) => {
    tr.dataset.row = i;
    for (const node of tr.querySelectorAll("[data-path]")) {
      node.dataset.path = node.dataset.path.replace(/\[\d+\]/, `[${i}]`);
    }
    for (const node of tr.querySelectorAll("[data-error-for]")) {
      node.dataset.errorFor = node.dataset.errorFor.replace(/\[\d+\]/, `[${i}]`);
    }
  });
}

let holidays = new Set();

function holidayBlock() {
  holidays = new Set((getPath(current.document, "site.holidays") || []).map(String));
  const listed = el("ul", {class: "days"});
  const drawn = () => {
    listed.replaceChildren(...[...holidays].sort().map((day) => el("li", {},
      el("span", {text: day + " "}),
      el("button", {type: "button", class: "link", text: T.admin_remove_row,
        onclick: () => { holidays.delete(day); drawn(); offer(); }}))));
  };
  const offered = el("div", {class: "offered"});
  const offer = async () => {
    const answer = await call("GET", `/api/admin/holidays/${PAGE.year}`);
    if (!answer.ok) return;
    offered.replaceChildren(el("h3", {text: fmt(T.admin_holidays_offered, {year: PAGE.year})}),
      ...answer.data.holidays.map((h) => el("label", {class: "check"},
        el("input", {type: "checkbox", checked: holidays.has(h.day), "data-holiday": h.day,
          onchange: (ev) => {
            if (ev.target.checked) holidays.add(h.day); else holidays.delete(h.day);
            drawn();
          }}),
        el("span", {text: `${h.day} — ${PAGE.lang === "vi" ? h.name : h.name_en}`}))));
  };
  const day = el("input", {type: "date", id: "holiday-day", "aria-label": T.admin_holiday_add});
  drawn();
  offer();
  return el("section", {class: "block"}, el("h2", {text: T.admin_holidays}), listed,
    el("div", {class: "inline"}, day, el("button", {type: "button", class: "secondary small",
      text: T.admin_holiday_add,
      onclick: () => { if (day.value) { holidays.add(day.value); drawn(); offer(); } }})),
    el("p", {class: "field-error", "data-error-for": "site.holidays", hidden: true}),
    offered);
}

/* `[search] synonyms`: everyday words → official words (several: comma separated). */
function synonymBlock() {
  const table = el("table", {class: "grid", "data-table": "search.synonyms"});
  table.append(el("thead", {}, el("tr", {},
    el("th", {scope: "col", text: T.admin_col_everyday}),
    el("th", {scope: "col", text: T.admin_col_official}), el("th"))));
  const body = el("tbody");
  const addRow = (phrase, targets) => {
    const words = el("input", {"data-synonym": "phrase", value: phrase,
      "aria-label": T.admin_col_everyday});
    const official = el("input", {"data-synonym": "targets", value: targets.join(", "),
      "aria-label": T.admin_col_official});
    const error = el("p", {class: "field-error", "data-error-for": `search.synonyms.${phrase}`,
      hidden: true});
    words.addEventListener("input", () => {
      error.dataset.errorFor = `search.synonyms.${words.value.trim()}`;
      official.dataset.path = `search.synonyms.${words.value.trim()}`;
    });
    official.dataset.path = `search.synonyms.${phrase}`;
    const tr = el("tr", {}, el("td", {}, words), el("td", {}, official, error),
      el("td", {}, el("button", {type: "button", class: "link", text: T.admin_remove_row,
        onclick: () => tr.remove()})));
    body.append(tr);
  };
  const table_ = getPath(current.document, "search.synonyms") || {};
  for (const [phrase, value] of Object.entries(table_)) {
    addRow(phrase, Array.isArray(value) ? value : [value]);
  }
  table.append(body);
  return el("section", {class: "block"}, el("h2", {text: T.admin_synonyms}),
    el("p", {class: "hint", text: T.admin_synonyms_hint}),
    el("div", {class: "scroll"}, table),
    el("p", {class: "field-error", "data-error-for": "search.synonyms", hidden: true}),
    el("button", {type: "button", class: "secondary small", text: T.admin_add_row,
      "data-add": "synonym", onclick: () => addRow("", [])}));
}

function collectSynonyms(form) {
  const out = {};
  for (const tr of form.querySelectorAll('table[data-table="search.synonyms"] tbody tr')) {
    const phrase = tr.querySelector("[data-synonym=phrase]").value.trim();
    const targets = tr.querySelector("[data-synonym=targets]").value.split(",")
      .map((s) => s.trim()).filter(Boolean);
    if (!phrase && !targets.length) continue;  // an empty row added and left
    out[phrase] = targets.length === 1 ? targets[0] : targets;
  }
  return out;
}

function renderConfigTab(parts) {
  const pane = el("form", {id: "config-form", novalidate: true});
  for (const part of parts) {
    if (part === "synonyms") pane.append(synonymBlock());
    else if (part === "holidays") pane.append(holidayBlock());
    else if (Array.isArray(part[2])) pane.append(tableBlock(part));
    else pane.append(fieldBlock(part));
  }
  const note = el("input", {id: "note", "aria-label": T.admin_note});
  pane.append(el("div", {class: "field"}, el("label", {for: "note", text: T.admin_note}), note),
    el("button", {type: "submit", class: "primary", text: T.admin_save}));
  pane.addEventListener("submit", (ev) => { ev.preventDefault(); save(pane, parts); });
  return pane;
}

function collect(form, parts) {
  const doc = structuredClone(current.document);
  for (const part of parts) {
    if (part === "holidays") { setPath(doc, "site.holidays", [...holidays].sort()); continue; }
    if (part === "synonyms") { setPath(doc, "search.synonyms", collectSynonyms(form)); continue; }
    if (Array.isArray(part[2])) {
      const [path, , columns] = part;
      const rows = [...form.querySelectorAll(`table[data-table="${path}"] tbody tr`)];
      setPath(doc, path, rows.map((tr) => {
        const row = {...tr.rowData};
        for (const [key, , kind] of columns) {
          const box = tr.querySelector(`[data-path$="].${key}"]`);
          const value = kind === "bool" ? (box.checked || undefined) : read(box.value, kind);
          if (value === undefined || (kind === "list" && key !== "services" && !value.length)) {
            delete row[key];
          } else row[key] = value;
        }
        return row;
      }));
      continue;
    }
    const [path, , kind] = part;
    const box = form.querySelector(`[data-path="${path}"]`);
    setPath(doc, path, read(box.value, kind));
  }
  return doc;
}

function clearErrors() {
  for (const node of document.querySelectorAll(".field-error")) { node.hidden = true; }
  for (const node of document.querySelectorAll("[aria-invalid]")) node.removeAttribute("aria-invalid");
}

/* The field a validator key names: the longest data-path it starts with; a key by id
   (`services.thue.prefix`) is found through the row holding that id. */
function showFieldError(key, problem) {
  let target = key;
  const byId = /^([a-z_.]+)\.([a-z0-9_-]+)\.(\w+)$/.exec(key);
  if (byId && !document.querySelector(`[data-error-for="${CSS.escape(key)}"]`)) {
    const box = [...document.querySelectorAll(`[data-path^="${byId[1]}["][data-path$="].id"]`)]
      .find((node) => node.value.trim() === byId[2]);
    if (box) target = box.dataset.path.replace(/\.id$/, "." + byId[3]);
  }
  let node = null;
  for (let k = target; k; k = k.replace(/(\[\d+\]|\.[^.[\]]+)$/, "")) {
    node = document.querySelector(`[data-error-for="${CSS.escape(k)}"]`);
    if (node || !/(\[\d+\]|\.[^.[\]]+)$/.test(k)) break;
  }
  if (!node) return false;
  node.textContent = problem;
  node.hidden = false;
  const box = document.querySelector(`[data-path="${CSS.escape(node.dataset.errorFor)}"]`);
  if (box) { box.setAttribute("aria-invalid", "true"); box.focus(); }
  return fieldName(box, node);
}

/* The field as the admin sees it: its label, and the row of a table ("Quầy, dòng 2,
   Khu vực"); the section's title for a whole table. */
function fieldName(box, node) {
  const section = node.closest("section.block");
  const title = section ? section.querySelector("h2").textContent : "";
  if (!box) return title || node.dataset.errorFor;
  const tr = box.closest("tbody tr");
  if (!tr) return box.getAttribute("aria-label");
  const row = [...tr.parentNode.children].indexOf(tr) + 1;
  return `${title}, ${fmt(T.admin_row, {row})}, ${box.getAttribute("aria-label")}`;
}

async function save(form, parts) {
  clearErrors();
  say("error", ""); say("notice", "");
  const document_ = collect(form, parts);
  const answer = await call("POST", "/api/admin/config",
    {document: document_, base_version: current.version, note: form.querySelector("#note").value});
  report(answer);
}

function report(answer) {
  if (!answer.ok) {
    const e = answer.error;
    say("error", errorText(e) + " " + (e.detail || ""));
    // shown beside its field, which then has the focus; the line on top points to it
    const problem = PAGE.lang === "vi" ? (e.problem_vi || e.problem) : e.problem;
    const shown = e.field && showFieldError(e.field, problem);
    if (shown) {  // "<the field as the form names it>: <what is wrong>", then the hint
      document.getElementById("error").textContent =
        `${errorText(e)} ${shown}: ${problem}. ${T.admin_fix_fields}`;
    } else if (e.field) {
      document.getElementById("error").textContent = `${errorText(e)} ${e.field}: ${problem}`;
    }
    return false;
  }
  const d = answer.data;
  let text = d.unchanged ? T.admin_unchanged : fmt(T.admin_saved, {version: d.version});
  if (d.above_capacity) text += " " + fmt(T.admin_above_capacity, {count: d.above_capacity});
  say("notice", text);
  loadConfig();
  return true;
}

/* ---- users, sessions, devices, versions ----------------------------------------- */

function passwordBox() {
  return el("div", {class: "field"},
    el("label", {for: "confirm", text: T.admin_confirm_password}),
    el("input", {id: "confirm", type: "password", autocomplete: "current-password"}));
}

const confirmPassword = () => document.getElementById("confirm").value;
const when = (t) => (t ? new Date(t * 1000).toLocaleString(PAGE.lang === "vi" ? "vi-VN" : "en-GB") : "");

async function userAction(body) {
  say("error", ""); say("notice", "");
  const answer = await call("POST", "/api/admin/users", {...body, password: confirmPassword()});
  if (!answer.ok) { say("error", errorText(answer.error) + " " + (answer.error.detail || "")); return; }
  say("notice", answer.data.password
    ? fmt(T.admin_new_password, {user: body.username, password: answer.data.password})
    : T.admin_done);
  render(false);
}

async function renderUsers(pane) {
  const answer = await call("GET", "/api/admin/users");
  if (!answer.ok) { say("error", errorText(answer.error)); return; }
  const {roles, users, sessions} = answer.data;
  const roleSelect = (value, label) => el("select", {"aria-label": label},
    ...roles.map((r) => el("option", {value: r, selected: r === value, text: r})));
  const table = el("table", {class: "grid"}, el("thead", {}, el("tr", {},
    ...[T.admin_col_username, T.admin_col_full_name, T.admin_col_role, T.admin_col_state, ""]
      .map((h) => el("th", {scope: "col", text: h})))));
  const body = el("tbody");
  for (const u of users) {
    const name = el("input", {value: u.full_name, "aria-label": T.admin_col_full_name});
    const role = roleSelect(u.role, T.admin_col_role);
    body.append(el("tr", {"data-user": u.username},
      el("td", {text: u.username}), el("td", {}, name), el("td", {}, role),
      el("td", {text: u.disabled ? T.admin_disabled : T.admin_active}),
      el("td", {class: "actions"},
        el("button", {type: "button", class: "link", text: T.admin_update, onclick: () =>
          userAction({action: "update", username: u.username, role: role.value, full_name: name.value})}),
        el("button", {type: "button", class: "link", text: T.admin_reset_password, onclick: () =>
          userAction({action: "reset", username: u.username})}),
        u.disabled ? null : el("button", {type: "button", class: "link", text: T.admin_disable,
          onclick: () => userAction({action: "disable", username: u.username})}))));
  }
  table.append(body);
  const newName = el("input", {id: "new-username", "aria-label": T.admin_col_username,
    placeholder: T.admin_col_username});
  const newFull = el("input", {id: "new-full-name", "aria-label": T.admin_col_full_name,
    placeholder: T.admin_col_full_name});
  const newRole = roleSelect("officer", T.admin_col_role);
  newRole.id = "new-role";
  const sessionRows = sessions.map((s) => el("tr", {},
    el("td", {text: s.username}), el("td", {text: when(s.created_at)}),
    el("td", {text: when(s.expires_at)}),
    el("td", {}, el("button", {type: "button", class: "link", text: T.admin_end_session,
      onclick: async () => {
        const res = await call("POST", `/api/admin/sessions/${s.id}/end`, {});
        if (!res.ok) say("error", errorText(res.error)); else render(false);
      }}))));
  pane.append(passwordBox(), el("h2", {text: T.admin_tab_users}),
    el("div", {class: "scroll"}, table),
    el("h3", {text: T.admin_add_user}),
    el("div", {class: "inline"}, newName, newFull, newRole,
      el("button", {type: "button", class: "secondary small", id: "add-user", text: T.admin_add_user,
        onclick: () => userAction({action: "add", username: newName.value, full_name: newFull.value,
          role: newRole.value})})),
    el("h2", {text: T.admin_sessions}),
    el("div", {class: "scroll"}, el("table", {class: "grid"}, el("thead", {}, el("tr", {},
      ...[T.admin_col_username, T.admin_col_since, T.admin_col_until, ""]
        .map((h) => el("th", {scope: "col", text: h})))), el("tbody", {}, ...sessionRows))));
}

async function renderDevices(pane) {
  const answer = await call("GET", "/api/admin/devices");
  if (!answer.ok) { say("error", errorText(answer.error)); return; }
  const rows = answer.data.devices.map((d) => el("tr", {"data-device": d.id},
    el("td", {text: d.id}), el("td", {text: d.role}),
    el("td", {text: d.revoked_at ? `${T.admin_revoked} ${when(d.revoked_at)}`
      : d.sample ? `${T.admin_active} (${T.admin_sample})` : T.admin_active}),
    el("td", {text: when(d.created_at)}), el("td", {text: d.created_by}),
    el("td", {}, d.revoked_at ? null : el("button", {type: "button", class: "link",
      text: T.admin_revoke, onclick: async () => {
        say("error", ""); say("notice", "");
        const res = await call("POST", `/api/admin/devices/${d.id}/revoke`,
          {password: confirmPassword()});
        if (!res.ok) { say("error", errorText(res.error) + " " + (res.error.detail || "")); return; }
        say("notice", fmt(T.admin_device_revoked, {count: res.data.connections_ended}));
        render(false);
      }}))));
  const id = el("input", {id: "device-id", "aria-label": T.admin_col_id,
    placeholder: T.admin_col_id});
  const role = el("select", {id: "device-role", "aria-label": T.admin_col_role},
    ...["kiosk", "display", "rating"].map((r) => el("option", {value: r, text: r})));
  pane.append(passwordBox(), el("h2", {text: T.admin_tab_devices}),
    el("div", {class: "scroll"}, el("table", {class: "grid"}, el("thead", {}, el("tr", {},
      ...[T.admin_col_id, T.admin_col_role, T.admin_col_state, T.admin_col_since, T.admin_col_author, ""]
        .map((h) => el("th", {scope: "col", text: h})))), el("tbody", {}, ...rows))),
    el("h3", {text: T.admin_register_device}),
    el("div", {class: "inline"}, id, role, el("button", {type: "button", id: "register-device",
      class: "secondary small", text: T.admin_register_device, onclick: async () => {
        say("error", ""); say("notice", "");
        const res = await call("POST", "/api/admin/devices",
          {id: id.value.trim(), role: role.value, password: confirmPassword()});
        if (!res.ok) { say("error", errorText(res.error) + " " + (res.error.detail || "")); return; }
        render(false);
        say("notice", fmt(T.admin_new_token, {id: res.data.id, token: res.data.token}));
      }})));
}

async function renderVersions(pane) {
  const answer = await call("GET", "/api/admin/versions");
  if (!answer.ok) { say("error", errorText(answer.error)); return; }
  const shown = el("pre", {class: "diff", hidden: true});
  const rows = answer.data.versions.map((v) => el("tr", {"data-version": v.version},
    el("td", {text: String(v.version)}), el("td", {text: when(v.at)}),
    el("td", {text: v.author}), el("td", {text: v.note}),
    el("td", {class: "actions"},
      el("button", {type: "button", class: "link", text: T.admin_show_diff, onclick: async () => {
        const res = await call("GET", `/api/admin/versions/${v.version}`);
        if (res.ok) { shown.textContent = res.data.diff || res.data.toml; shown.hidden = false; }
      }}),
      v.version === answer.data.current ? null : el("button", {type: "button", class: "link",
        text: T.admin_restore, onclick: async () => {
          say("error", ""); say("notice", "");
          report(await call("POST", `/api/admin/versions/${v.version}/restore`, {}));
        }}))));
  const file = el("input", {type: "file", id: "import-file", accept: ".toml,text/plain",
    "aria-label": T.admin_import});
  pane.append(el("h2", {text: T.admin_versions}),
    el("div", {class: "scroll"}, el("table", {class: "grid"}, el("thead", {}, el("tr", {},
      ...["#", T.admin_col_at, T.admin_col_author, T.admin_col_note, ""]
        .map((h) => el("th", {scope: "col", text: h})))), el("tbody", {}, ...rows))),
    shown,
    el("p", {}, el("a", {href: "/api/admin/config.toml", download: "", text: T.admin_export})),
    el("h3", {text: T.admin_import}),
    el("div", {class: "inline"}, file, el("button", {type: "button", class: "secondary small",
      text: T.admin_import_button, onclick: async () => {
        if (!file.files.length) return;
        say("error", ""); say("notice", "");
        report(await call("POST", "/api/admin/config.toml", undefined, await file.files[0].text()));
      }})));
}

/* ---- tabs ------------------------------------------------------------------------ */

const TAB_NAMES = ["services", "counters", "priority", "hours", "booking", "lists", "site",
  "hall", "users", "devices", "versions"];

async function render(clear = true) {
  if (clear) { say("error", ""); say("notice", ""); }
  const nav = document.getElementById("tabs");
  nav.replaceChildren(...TAB_NAMES.map((name) => el("button", {type: "button",
    class: "tab" + (name === tab ? " current" : ""), "aria-current": name === tab ? "page" : false,
    "data-tab": name, text: T["admin_tab_" + name],
    onclick: () => { tab = name; render(); }})));
  const pane = document.getElementById("pane");
  pane.replaceChildren();
  if (CONFIG_TABS[tab]) pane.append(renderConfigTab(CONFIG_TABS[tab]));
  else await OTHER_TABS[tab](pane);
}

document.getElementById("login").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  say("error", "");
  const password = document.getElementById("password");
  const answer = await call("POST", "/api/admin/session",
    {username: document.getElementById("username").value, password: password.value});
  password.value = "";
  if (!answer.ok) { say("error", errorText(answer.error)); return; }
  start(answer.data);
});

document.getElementById("sign-out").addEventListener("click", async () => {
  await call("DELETE", "/api/admin/session");
  showLogin();
});

(async () => {
  const me = await call("GET", "/api/admin/me");
  if (me.ok) start(me.data); else { say("error", ""); showLogin(); }
})();
