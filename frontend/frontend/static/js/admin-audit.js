// Admin → audit: every write on every service, newest first (users' GET /audit), filtered by
// who, what, service and time, a page at a time; the same selection as JSON lines.
import { get } from "./api.js";
import { h, when } from "./dom.js";
import { has, t } from "./i18n.js";
import { button, empty, field, fromLocalInput, input, number, onSubmit, select, table, toLocalInput, values } from "./staff.js";

const U = "/api/users";
const PER_PAGE = 25;
const SERVICES = ["incidents", "users", "comms", "csp-status", "feature-flags"];

function query(filters, extra = {}) {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries({ ...filters, ...extra })) if (value) params.set(key, value);
  return params.toString();
}

function who(actor) {
  if (!actor || actor.kind === "anonymous") return h("span", { class: "meta", text: t("a_au_anonymous") });
  if (actor.kind === "service") return h("span", {}, h("strong", { text: actor.id || "" }), h("div", { class: "meta" }, t("a_au_service")));
  return h("span", {}, h("strong", { text: actor.email || actor.id || "" }), h("div", { class: "meta", text: actor.role || "" }));
}

function changes(entry) {
  const show = entry.before || entry.after;
  if (!show) return "";
  const text = JSON.stringify(entry.before ? { before: entry.before, after: entry.after } : entry.after, null, 1);
  return h("details", { class: "more" }, h("summary", {}, t(entry.before ? "a_au_before_after" : "a_au_sent")),
    h("pre", { class: "audit-json", text }));
}

async function download(filters) {
  const text = await get(`${U}/audit/export?${query(filters)}`);
  const blob = new Blob([typeof text === "string" ? text : JSON.stringify(text) + "\n"], { type: "application/x-ndjson" });
  const link = h("a", { href: URL.createObjectURL(blob), download: "polystatus-audit.jsonl" });
  document.body.append(link);
  link.click();
  link.remove();
}

export async function auditTab(ctx) {
  const filters = ctx.auditFilters || {};
  const page = Number(ctx.auditPage || 1);
  const data = await get(`${U}/audit?${query(filters, { page, per_page: PER_PAGE })}`);
  const form = onSubmit(h("form", { class: "card filters", "aria-label": t("a_au_filters") },
    field(t("a_au_actor"), input("actor", filters.actor, { placeholder: "carol@example.com" })),
    field(t("a_au_object"), input("object", filters.object, { placeholder: "incidents/INC-1" })),
    field(t("a_au_service_filter"), select("service", [["", t("a_au_all")], ...SERVICES.map((s) => [s, s])], filters.service)),
    field(t("a_au_since"), input("since", toLocalInput(filters.since), { type: "datetime-local" })),
    field(t("a_au_until"), input("until", toLocalInput(filters.until), { type: "datetime-local" })),
    h("div", { class: "crow" }, h("button", { type: "submit", class: "btn primary" }, t("a_au_apply")),
      button(t("a_au_export"), () => download(filters)))), () => {
    const picked = values(form);
    ctx.auditFilters = { ...picked, since: fromLocalInput(picked.since), until: fromLocalInput(picked.until) };
    ctx.auditPage = 1;
    ctx.refresh();
  });
  const heading = h("h2", {}, `${t("a_audit")} (${number(data.total)})`);
  if (!data.total) return h("div", {}, heading, form, empty(t("a_au_none")));
  const pages = Math.max(1, Math.ceil(data.total / data.per_page));
  const rows = data.entries.map((e) => [when(e.time), who(e.actor),
    h("span", {}, h("strong", { text: has(`a_au_action_${e.action}`) ? t(`a_au_action_${e.action}`) : e.action }),
      h("div", { class: "meta", text: `${e.object.type}${e.object.id ? ` / ${e.object.id}` : ""}` }),
      h("div", { class: "meta", text: `${e.method} ${e.path}` })),
    e.service, h("span", { text: e.address || "" }), changes(e)]);
  const go = (to) => () => { ctx.auditPage = to; ctx.refresh(); };
  return h("div", {}, heading, form,
    table(t("a_audit"), [t("a_au_when"), t("a_au_who"), t("a_au_what"), t("a_au_service_filter"), t("a_au_address"), t("a_au_changes")], rows),
    h("nav", { class: "pager", "aria-label": t("a_pages") },
      h("button", { type: "button", class: "btn", disabled: page <= 1, onclick: go(page - 1) }, t("newer")),
      h("span", { class: "meta" }, `${t("a_page")} ${page} / ${pages}`),
      h("button", { type: "button", class: "btn", disabled: page >= pages, onclick: go(page + 1) }, t("older"))));
}
