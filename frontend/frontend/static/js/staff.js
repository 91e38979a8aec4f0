// Building blocks shared by the staff console and the admin pages: labelled fields, a feedback
// line that says how every action went, a confirmation dialog, tables, empty states, tabs kept
// in the URL, and the gate that sends visitors to sign in.
import { session } from "./api.js";
import { h, replace } from "./dom.js";
import { formatNumber, locale, t } from "./i18n.js";

let counter = 0;
export const uid = (prefix) => `${prefix}-${++counter}`;

const RANK = { user: 1, staff: 2, admin: 3 };

// Who may be here: visitors are sent to sign in (and come back), people without the role are
// told so. Returns the signed-in person, or null when the page must not be drawn.
export function gate(main, role) {
  const current = session();
  if (!current || !current.me) {
    location.replace(`/login?next=${encodeURIComponent(location.pathname + location.hash)}`);
    replace(main, h("p", { class: "loading" }, t("st_redirecting")));
    return null;
  }
  if ((RANK[current.me.role] || 0) < RANK[role]) {
    replace(main, h("h1", {}, t(role === "admin" ? "admin" : "console")),
      h("p", { class: "error", role: "alert" }, t(role === "admin" ? "st_need_admin" : "st_need_staff")),
      h("p", {}, h("a", { href: "/" }, t("back"))));
    return null;
  }
  return current.me;
}

// An API error as a person reads it: the message, then which fields were wrong and why.
export function describe(error) {
  const details = error && error.data && error.data.error && error.data.error.details;
  const parts = [];
  const walk = (value, path) => {
    if (Array.isArray(value) && value.every((v) => typeof v !== "object")) parts.push(`${path}: ${value.join(" ")}`);
    else if (value && typeof value === "object") for (const [k, v] of Object.entries(value)) walk(v, path ? `${path}.${k}` : k);
    else if (value !== undefined && value !== null && path !== "role") parts.push(`${path}: ${value}`);
  };
  if (details && typeof details === "object") walk(details, "");
  const base = error.status === 0 || !error.message ? t("st_network") : error.message;
  return parts.length ? `${base} (${parts.join("; ")})` : base;
}

// The feedback line of a panel: it survives the panel being redrawn, so "Saved." stays on
// screen after the list refreshes; errors are alerts, read at once by screen readers.
export function feedback() {
  const node = h("p", { class: "feedback", role: "status", tabindex: "-1" });
  node.say = (text, kind = "ok") => {
    node.className = `feedback ${kind}`;
    node.setAttribute("role", kind === "error" ? "alert" : "status");
    node.textContent = text;
  };
  node.clear = () => { node.className = "feedback"; node.textContent = ""; };
  return node;
}

// Run one action: the button is disabled and says it is working, the answer goes to `note`
// (an error leaves the form as it was, so nothing typed is lost), then `after` runs.
export async function act(note, button, promise, success, after) {
  const label = button ? button.textContent : null;
  if (button) { button.disabled = true; button.setAttribute("aria-busy", "true"); button.textContent = t("st_working"); }
  note.say(t("st_working"), "pending");
  try {
    const value = await promise();
    const text = typeof success === "function" ? success(value) : success;
    if (after) await after(value);  // the list is drawn again first, so what is said is what is shown
    note.say(text, "ok");
    return value;
  } catch (error) {
    note.say(describe(error), "error");
    return undefined;
  } finally {
    if (button && button.isConnected) { button.disabled = false; button.removeAttribute("aria-busy"); button.textContent = label; }
  }
}

export function field(label, input, hint) {
  const id = input.id || uid("f");
  input.id = id;
  const help = hint ? h("span", { class: "hint", id: `${id}-hint` }, hint) : null;
  if (help) input.setAttribute("aria-describedby", help.id);
  return h("div", { class: "field" }, h("label", { for: id }, label), input, help);
}

export function input(name, value, attrs = {}) {
  return h("input", { name, value: value ?? "", ...attrs });
}

export function textarea(name, value, attrs = {}) {
  const node = h("textarea", { name, ...attrs });
  node.value = value ?? "";
  return node;
}

// options: [[value, label], ...]
export function select(name, options, value, attrs = {}) {
  return h("select", { name, ...attrs }, options.map(([v, label]) => h("option", { value: v, selected: String(v) === String(value ?? "") }, label)));
}

export function checkbox(name, checked, label, attrs = {}) {
  const id = attrs.id || uid("c");
  return h("div", { class: "check-field" }, h("input", { type: "checkbox", name, id, checked: Boolean(checked), ...attrs }),
    h("label", { for: id }, label));
}

export function button(label, onclick, attrs = {}) {
  return h("button", { type: "button", class: `btn ${attrs.kind || ""}`.trim(), onclick, ...attrs, kind: undefined }, label);
}

export function table(caption, headers, rows) {
  return h("div", { class: "table-wrap" }, h("table", {},
    h("caption", { class: "visually-hidden" }, caption),
    h("thead", {}, h("tr", {}, headers.map((x) => h("th", { scope: "col" }, x)))),
    h("tbody", {}, rows.map((cells) => h("tr", {}, cells.map((c, i) => h("td", { "data-label": headers[i] || null }, c)))))));
}

// An empty list says what to do about it, with the action at hand.
export function empty(text, action) {
  return h("div", { class: "empty card" }, h("p", {}, text), action || null);
}

// A native modal dialog: focus is trapped and Escape cancels, in every browser we support.
export function confirmDialog(message, { yes = t("st_confirm"), danger = false, detail = null } = {}) {
  return new Promise((resolve) => {
    const ok = h("button", { type: "button", class: `btn ${danger ? "danger" : "primary"}`, value: "yes" }, yes);
    const no = h("button", { type: "button", class: "btn", value: "no" }, t("st_cancel"));
    const titleId = uid("dlg");
    const dialog = h("dialog", { class: "confirm card", "aria-labelledby": titleId },
      h("p", { id: titleId, class: "confirm-text" }, message), detail ? h("p", { class: "meta" }, detail) : null,
      h("div", { class: "crow" }, ok, no));
    const finish = (answer) => { dialog.close(); dialog.remove(); resolve(answer); };
    ok.addEventListener("click", () => finish(true));
    no.addEventListener("click", () => finish(false));
    dialog.addEventListener("cancel", (event) => { event.preventDefault(); finish(false); });
    document.body.append(dialog);
    dialog.showModal();
    no.focus();
  });
}

// Tabs whose choice lives in the URL (#name): reload and Back keep the place. The tab list is
// one Tab stop (the chosen tab); the arrow keys, Home and End choose another (WAI-ARIA tabs),
// so the keyboard does not cross every tab to reach the panel.
export function tabs(label, names, active, onPick) {
  const keys = names.map(([key]) => key);
  const pick = (key) => { history.replaceState(null, "", `#${key}`); onPick(key); };
  const onkeydown = (event) => {
    const at = keys.indexOf(active);
    const to = { ArrowRight: at + 1, ArrowDown: at + 1, ArrowLeft: at - 1, ArrowUp: at - 1, Home: 0, End: keys.length - 1 }[event.key];
    if (to === undefined) return;
    event.preventDefault();
    const key = keys[(to + keys.length) % keys.length];
    pick(key);
    document.getElementById(`tab-${key}`)?.focus();
  };
  return h("div", { class: "tabs", role: "tablist", "aria-label": label, onkeydown }, names.map(([key, text]) =>
    h("button", { type: "button", class: "btn", role: "tab", id: `tab-${key}`, "aria-selected": String(key === active),
      tabindex: key === active ? "0" : "-1", "aria-controls": "panel",
      onclick: () => { pick(key); document.getElementById(`tab-${key}`)?.focus(); } }, text)));
}

// A panel whose creation form comes after a long list starts with a link that takes the
// keyboard straight to the form's first field.
function formShortcut(panel) {
  const target = panel.querySelector('form[id^="new-"]');
  const title = target && target.querySelector("h2, h3");
  if (!target || !title) return;
  // A link (it goes somewhere on the page), whose click keeps the tab's #name in the address.
  const go = h("a", { href: `#${target.id}`, class: "to-form", onclick: (event) => {
    event.preventDefault();
    const first = target.querySelector("input:not([type=hidden]), select, textarea");
    target.scrollIntoView({ block: "start" });
    if (first) first.focus();
  } }, t("st_to_form").replace("{name}", title.textContent));
  panel.prepend(h("p", { class: "to-form-row" }, go));
}

export function activeTab(keys, fallback) {
  const wanted = decodeURIComponent(location.hash.slice(1));
  return keys.includes(wanted) ? wanted : fallback;
}

// <input type=datetime-local> speaks local wall time without a zone; the API speaks ISO 8601.
export function toLocalInput(iso) {
  if (!iso) return "";
  const d = new Date(iso);
  const pad = (n) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

export function fromLocalInput(value) {
  return value ? new Date(value).toISOString() : null;
}

export function formatIn(iso, timeZone) {
  return new Intl.DateTimeFormat(locale, { dateStyle: "full", timeStyle: "short", timeZone }).format(new Date(iso));
}

export function number(value) {
  return formatNumber(value);
}

export function pill(state, text) {
  return h("span", { class: `pill s-${state}` }, text || t(state));
}

export function values(form) {
  return Object.fromEntries(new FormData(form).entries());
}

// A fold-out part of a card (an edit form); `key` keeps it open across a redraw.
export function disclosure(summary, body, { key = null, open = false, onOpen = null } = {}) {
  const node = h("details", { class: "more", open, "data-key": key }, h("summary", {}, summary), body);
  if (onOpen) node.addEventListener("toggle", () => { if (node.open) onOpen(); });
  return node;
}

export function onSubmit(node, handler) {
  node.addEventListener("submit", (event) => { event.preventDefault(); handler(event.submitter); });
  return node;
}

// A button that asks first, then runs `run` through act().
export function dangerButton(ctx, label, question, run, success, { danger = true, yes = null, detail = null } = {}) {
  return h("button", { type: "button", class: `btn ${danger ? "danger" : ""}`.trim(), onclick: async (event) => {
    const target = event.currentTarget;
    if (!(await confirmDialog(question, { yes: yes || label, danger, detail }))) return;
    await act(ctx.note, target, run, success, ctx.refresh);
  } }, label);
}

export function componentChecks(components, chosen, legend, name = "component") {
  const set = new Set(chosen || []);
  return h("fieldset", { class: "picker" }, h("legend", {}, legend),
    components.length ? components.map((c) => checkbox(name, set.has(c.id), c.name, { value: c.id }))
      : h("p", { class: "meta" }, t("c_no_components")));
}

export function checkedValues(form, name) {
  return [...form.querySelectorAll(`input[name="${name}"]:checked`)].map((n) => n.value);
}

// The frame of the console and the admin: a heading, tabs kept in the URL, the page's feedback
// line, and a panel drawn again after every action that keeps open what the person had open.
// `load(ctx)` reads what every tab needs (the components) before a tab is drawn.
export async function tabbedPage(main, { role, heading, label, prefix, drawers, load }) {
  const me = gate(main, role);
  if (!me) return;
  const note = feedback();
  note.id = "feedback";  // the page's own line; cards have theirs
  const panel = h("section", { id: "panel", role: "tabpanel", class: "panel" }, h("p", { class: "loading" }, t("loading")));
  const ctx = { me, note };
  const keys = Object.keys(drawers);
  let active = activeTab(keys, keys[0]);
  const header = h("div", {});
  const pick = (key) => { active = key; note.clear(); drawTabs(); ctx.refresh(); };
  const drawTabs = () => replace(header, tabs(label, keys.map((k) => [k, t(`${prefix}${k}`)]), active, (key) => pick(key)));
  // Refreshes may overlap (two searches in quick succession, an action and a tab change): only
  // the newest one draws, so an older, slower answer never replaces a newer one.
  let latest = 0;
  ctx.refresh = async () => {
    const mine = ++latest;
    try {
      await load(ctx);
      const drawn = await drawers[active](ctx);
      if (mine !== latest) return;
      const opened = [...panel.querySelectorAll("details[open][data-key]")].map((d) => d.dataset.key);
      replace(panel, drawn);
      formShortcut(panel);
      panel.setAttribute("aria-labelledby", `tab-${active}`);
      for (const key of opened) {
        const details = panel.querySelector(`details[data-key="${CSS.escape(key)}"]`);
        if (details) details.open = true;
      }
    } catch (error) {
      if (mine === latest) replace(panel, h("p", { class: "error", role: "alert" }, error.message));
    }
  };
  // A link to another tab of the page (#banners) changes the tab without a reload.
  window.addEventListener("hashchange", () => { const wanted = activeTab(keys, active); if (wanted !== active) pick(wanted); });
  drawTabs();
  replace(main, h("h1", {}, heading), header, note, panel);
  await ctx.refresh();
}
