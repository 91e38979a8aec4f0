// Admin → checks of every kind: a form that shows the fields of the chosen kind, a condition
// editor, and "Run now", which shows each condition's verdict as the API returns it.
import { del, get, patch, post } from "./api.js";
import { h, replace, when } from "./dom.js";
import { lang, t } from "./i18n.js";
import {
  act, button, checkbox, checkedValues, componentChecks, dangerButton, disclosure, empty, feedback, field, input,
  onSubmit, pill, select, textarea,
} from "./staff.js";

const C = "/api/csp-status";
const KINDS = ["assertions", "freshness", "task", "tcp", "dns", "sql", "redis", "icmp"];
// Which fields each kind uses (the API refuses a check without them).
const HTTP = ["headers", "insecure", "bearer_token", "expiry_warning_days", "watch_domain"];
const FIELDS = {
  assertions: ["url", "method", "body", "conditions", ...HTTP],
  freshness: ["url", "field", "max_age", ...HTTP],
  task: ["url", ...HTTP], tcp: ["host", "port", "conditions", "watch_domain"],
  dns: ["host", "expect", "server", "query_type", "conditions"], sql: ["dsn", "password_env", "query", "conditions"],
  redis: ["dsn", "password_env", "command", "conditions"], icmp: ["host", "packets", "conditions", "watch_domain"],
};
// The first condition a new check of each kind suggests.
const EXAMPLE = { assertions: "[STATUS] == 200", sql: "[ROW_COUNT] >= 1", redis: "[RESULT] == PONG", icmp: "[PACKET_LOSS] < 50" };
const METHODS = ["GET", "POST", "HEAD", "PUT", "PATCH", "DELETE", "OPTIONS"];
const QUERY_TYPES = ["A", "AAAA", "CNAME", "MX", "NS", "PTR", "SRV", "TXT"];
const DSN_EXAMPLE = { sql: "postgresql://monitor@db.example.com:5432/shop", redis: "redis://cache.example.com:6379/0" };

function conditionsEditor(conditions, example) {
  const rows = h("div", { class: "rows", role: "group", "aria-label": t("a_conditions") });
  const add = (value = "") => {
    const text = input("condition", value, { maxlength: 500, placeholder: "[STATUS] == 200", "aria-label": t("a_condition_n").replace("{n}", rows.children.length + 1), class: "mono" });
    const row = h("div", { class: "row" }, text, button(t("st_remove"), () => { row.remove(); }, { class: "btn small", "aria-label": `${t("st_remove")}: ${value || t("a_condition")}` }));
    rows.append(row);
    return text;
  };
  for (const c of conditions.length ? conditions : [example]) add(c);
  const node = h("fieldset", { class: "picker", "data-kind-field": "conditions" }, h("legend", {}, t("a_conditions")),
    h("p", { class: "hint" }, t("a_conditions_hint")), rows,
    button(t("a_condition_add"), () => add().focus(), { class: "btn small" }));
  node.values = () => [...rows.querySelectorAll("input")].map((n) => n.value.trim()).filter(Boolean);
  // Another kind chosen while only the previous kind's example is there: that kind's example instead.
  node.suggest = (before, after) => {
    const current = node.values();
    if (current.length <= 1 && (current[0] || "") === (EXAMPLE[before] || "")) { rows.replaceChildren(); add(EXAMPLE[after] || ""); }
  };
  return node;
}

// Request headers: their values are secrets the API never answers, so an existing check shows
// only the names. The headers are sent only when the person changed them, and then in full:
// the API replaces them all, so every value must be typed again (an empty one is refused here).
function headersEditor(names) {
  const rows = h("div", { class: "rows", role: "group", "aria-label": t("a_headers") });
  let touched = false;
  const add = (name = "") => {
    const n = input("header-name", name, { maxlength: 100, placeholder: "X-Api-Key", class: "mono", "aria-label": t("a_header_name_n").replace("{n}", rows.children.length + 1) });
    const v = input("header-value", "", { maxlength: 2000, class: "mono", autocomplete: "off", type: "password",
      placeholder: name ? t("a_secret_kept") : "", "aria-label": t("a_header_value_n").replace("{n}", rows.children.length + 1) });
    const row = h("div", { class: "row", "data-header-row": "1" }, n, v,
      button(t("st_remove"), () => { touched = true; row.remove(); }, { class: "btn small", "aria-label": `${t("st_remove")}: ${name || t("a_header")}` }));
    rows.append(row);
    return n;
  };
  for (const name of names) add(name);
  const node = h("fieldset", { class: "picker" }, h("legend", {}, t("a_headers")),
    h("p", { class: "hint" }, names.length ? t("a_headers_kept_hint") : t("a_headers_hint")), rows,
    button(t("a_header_add"), () => { touched = true; add().focus(); }, { class: "btn small" }));
  rows.addEventListener("input", () => { touched = true; });
  node.changed = () => touched;
  // {name: value}, or a message saying which header lacks its value
  node.values = () => {
    const out = {};
    for (const row of rows.querySelectorAll("[data-header-row]")) {
      const [n, v] = row.querySelectorAll("input");
      if (!n.value.trim()) continue;
      if (!v.value) return { problem: t("a_header_value_missing").replace("{name}", n.value.trim()) };
      out[n.value.trim()] = v.value;
    }
    return { headers: out };
  };
  return node;
}

function checkForm(ctx, check = null) {
  const c = check || { kind: "assertions", interval: 60, timeout: 10, fail_threshold: 2, success_threshold: 1, conditions: [], component_ids: [], run_in: [], method: "GET" };
  const kind = select("kind", KINDS.map((k) => [k, t(`a_kind_${k}`)]), c.kind);
  const wraps = {};
  const wrap = (key, node) => { wraps[key] = node; node.dataset.kindField = key; return node; };
  const inputs = {
    url: input("url", c.url, { type: "url", maxlength: 2000, placeholder: "https://shop.example.com/health" }),
    method: select("method", METHODS.map((m) => [m, m]), c.method || "GET"),
    body: textarea("body", c.body, { maxlength: 10000, rows: 3, class: "mono", placeholder: '{"ping": true}' }),
    server: input("server", c.server, { maxlength: 300, placeholder: "1.1.1.1" }),
    query_type: select("query_type", QUERY_TYPES.map((q) => [q, q]), c.query_type || "A"),
    bearer_token: input("bearer_token", "", { type: "password", maxlength: 2000, autocomplete: "off", placeholder: check && check.has_bearer_token ? t("a_secret_kept") : "" }),
    field: input("field", c.field || "computed_time", { maxlength: 200 }),
    max_age: input("max_age", c.max_age || 900, { type: "number", min: 1 }),
    host: input("host", c.host, { maxlength: 255, placeholder: "db.example.com" }),
    port: input("port", c.port, { type: "number", min: 1, max: 65535 }),
    expect: input("expect", c.expect, { maxlength: 100, placeholder: "192.0.2.10" }),
    // the DSN comes back with its password masked (****): sent back unchanged, the password is kept
    dsn: input("dsn", c.dsn, { maxlength: 2000, class: "mono", autocomplete: "off", placeholder: DSN_EXAMPLE[c.kind] || DSN_EXAMPLE.sql }),
    password_env: input("password_env", c.password_env, { maxlength: 80, class: "mono", placeholder: "CHECK_SECRET_ORDERS_DB", pattern: "CHECK_SECRET_[A-Z0-9_]+" }),
    query: textarea("query", c.query, { maxlength: 10000, rows: 3, class: "mono", placeholder: "SELECT status FROM service_health WHERE name = 'orders'" }),
    command: input("command", c.command, { maxlength: 500, class: "mono", placeholder: "PING" }),
    packets: input("packets", c.packets ?? 3, { type: "number", min: 1, max: 20 }),
    expiry_warning_days: input("expiry_warning_days", (c.expiry_warning_days ?? [14, 7, 1]).join(", "), { maxlength: 60, placeholder: "14, 7, 1" }),
  };
  const watchDomain = checkbox("watch_domain", c.watch_domain, t("a_watch_domain"));
  // A stored token is never shown; it is kept unless a new one is typed or this is ticked.
  const dropToken = checkbox("drop_bearer_token", false, t("a_bearer_drop"));
  dropToken.hidden = !(check && check.has_bearer_token);
  const insecure = checkbox("insecure", c.insecure, t("a_insecure"));
  const headers = headersEditor(check ? c.headers || [] : []);
  const conditions = conditionsEditor(c.conditions || [], EXAMPLE[c.kind] || "");
  const name = input("name", c.name, { required: true, maxlength: 80, pattern: "[A-Za-z0-9][A-Za-z0-9 ._:/\\-]{0,79}" });
  const interval = input("interval", c.interval, { type: "number", min: 5, max: 86400, required: true });
  const timeout = input("timeout", c.timeout ?? 10, { type: "number", min: 0.1, max: 60, step: "0.1" });
  const fails = input("fail_threshold", c.fail_threshold ?? 2, { type: "number", min: 1, max: 100 });
  const regions = input("run_in", (c.run_in || []).join(", "), { maxlength: 400, placeholder: "local, agent-1" });
  const parts = [
    wrap("url", field(t("a_url"), inputs.url)), wrap("method", field(t("a_method"), inputs.method)),
    wrap("body", field(t("a_body"), inputs.body, t("a_body_hint"))), wrap("headers", headers), conditions,
    wrap("field", field(t("a_field"), inputs.field, t("a_field_hint"))), wrap("max_age", field(t("a_max_age"), inputs.max_age, t("a_seconds"))),
    wrap("host", field(t("a_host"), inputs.host)), wrap("port", field(t("a_port"), inputs.port)),
    wrap("expect", field(t("a_expect"), inputs.expect, t("a_expect_hint"))),
    wrap("server", field(t("a_dns_server"), inputs.server, t("a_dns_server_hint"))),
    wrap("query_type", field(t("a_query_type"), inputs.query_type)),
    wrap("bearer_token", h("div", {}, field(t("a_bearer"), inputs.bearer_token, check && check.has_bearer_token ? t("a_secret_kept_hint") : t("st_optional")), dropToken)),
    wrap("dsn", field(t("a_dsn"), inputs.dsn, t("a_dsn_hint"))),
    wrap("password_env", field(t("a_password_env"), inputs.password_env, t("a_password_env_hint"))),
    wrap("query", field(t("a_query"), inputs.query, t("a_query_hint"))),
    wrap("command", field(t("a_command"), inputs.command, t("a_command_hint"))),
    wrap("packets", field(t("a_packets"), inputs.packets)),
    wrap("expiry_warning_days", field(t("a_expiry_days"), inputs.expiry_warning_days, t("a_expiry_days_hint"))),
    wrap("watch_domain", watchDomain), wrap("insecure", h("div", {}, insecure, h("p", { class: "hint" }, t("a_insecure_hint")))),
  ];
  wraps.conditions = conditions;
  const show = () => { for (const [key, node] of Object.entries(wraps)) node.hidden = !FIELDS[kind.value].includes(key); };
  let shown = kind.value;
  kind.addEventListener("change", () => {
    conditions.suggest(shown, kind.value);
    if (DSN_EXAMPLE[kind.value]) inputs.dsn.placeholder = DSN_EXAMPLE[kind.value];
    shown = kind.value;
  });
  kind.addEventListener("change", show);
  show();
  const submit = h("button", { type: "submit", class: "btn primary" }, check ? t("st_save") : t("a_check_add"));
  const form = h("form", { class: `stack ${check ? "" : "card"}`, id: check ? null : "new-check" }, check ? null : h("h3", {}, t("a_check_new")),
    field(t("a_name"), name, t("a_check_name_hint")), field(t("a_kind"), kind, t("a_kind_hint")), parts,
    field(t("a_interval"), interval, t("a_seconds")), field(t("a_timeout"), timeout, t("a_seconds")),
    field(t("a_fail_threshold"), fails, t("a_fail_threshold_hint")),
    componentChecks(ctx.components, c.component_ids, t("a_shown_on"), "check-component"),
    field(t("a_regions"), regions, t("a_regions_hint")), submit);
  return onSubmit(form, () => {
    const data = { name: name.value, kind: kind.value, interval: Number(interval.value), timeout: Number(timeout.value),
      fail_threshold: Number(fails.value), component_ids: checkedValues(form, "check-component"),
      run_in: regions.value.split(",").map((s) => s.trim()).filter(Boolean) };
    for (const key of FIELDS[kind.value]) {
      if (key === "conditions") data.conditions = conditions.values();
      else if (key === "headers") {
        if (!headers.changed()) continue;
        const { headers: sent, problem } = headers.values();
        if (problem) { ctx.note.say(problem, "error"); return undefined; }
        data.headers = sent;
      } else if (key === "insecure") data.insecure = insecure.querySelector("input").checked;
      else if (key === "bearer_token") {
        if (inputs.bearer_token.value) data.bearer_token = inputs.bearer_token.value;
        else if (dropToken.querySelector("input").checked) data.bearer_token = null;
      } else if (["max_age", "port", "packets"].includes(key)) { if (inputs[key].value) data[key] = Number(inputs[key].value); else if (check) data[key] = null; }
      else if (key === "watch_domain") data.watch_domain = watchDomain.querySelector("input").checked;
      else if (key === "expiry_warning_days") data.expiry_warning_days = inputs[key].value.split(",").map((d) => d.trim()).filter(Boolean).map(Number);
      // An edited field left empty is sent as null, which clears it (the API keeps what is not sent).
      else if (inputs[key].value) data[key] = inputs[key].value;
      else if (check) data[key] = null;
    }
    // Another kind chosen for an existing check: the settings only the old kind had are cleared.
    if (check) for (const key of FIELDS[c.kind]) if (!FIELDS[kind.value].includes(key) && !(key in data)) data[key] = null;
    return act(ctx.note, submit, () => (check ? patch(`${C}/checks/${check.id}`, data) : post(`${C}/checks`, data)),
      (saved) => t(check ? "a_saved" : "a_created").replace("{name}", saved.name), ctx.refresh);
  });
}

// The edit form needs every setting, which only admins may read: fetched when it is opened.
function editor(ctx, c) {
  const body = h("div", {}, h("p", { class: "loading" }, t("loading")));
  let loaded = false;
  return disclosure(t("st_edit"), body, { key: `check-${c.id}`, onOpen: async () => {
    if (loaded) return;
    loaded = true;
    try { replace(body, checkForm(ctx, await get(`${C}/checks/${c.id}/config`))); } catch (error) { replace(body, h("p", { class: "error" }, error.message)); }
  } });
}

// The answer of "Run now": the verdict, then each condition's own (whatever the API returns).
function verdict(result) {
  return h("div", { class: "run-result" },
    h("p", {}, pill(result.ok ? "up" : "down", result.ok ? "OK" : "NOK"), " ", h("span", { text: result.reason || "" }),
      result.response_time_ms != null ? h("span", { class: "meta" }, ` · ${Math.round(result.response_time_ms)} ms`) : null),
    (result.conditions || []).length ? h("ul", { class: "verdicts", "aria-label": t("a_verdicts") }, result.conditions.map((v) =>
      h("li", { class: v.ok ? "holds" : "fails" }, h("span", { class: "mark", "aria-hidden": "true" }, v.ok ? "✓" : "✗"),
        h("span", { class: "visually-hidden" }, v.ok ? t("a_holds") : t("a_fails")), h("code", { text: v.condition }),
        v.ok ? null : h("span", { class: "meta", text: v.reason || "" })))) : null);
}

export async function checksTab(ctx) {
  const { checks } = await get(`${C}/checks`);
  const cards = checks.map((c) => {
    const out = h("div", { "aria-live": "polite" });
    const note = feedback();
    const run = button(t("a_run_now"), async (event) => {
      const result = await act(note, event.currentTarget, () => post(`${C}/checks/${c.id}/run`), t("a_ran"));
      if (result) replace(out, verdict(result)); else replace(out);
    }, { class: "btn primary" });
    return h("article", { class: "card item", "data-check": c.id },
      h("div", { class: "crow" }, h("h3", { text: c.name }), pill(c.state)),
      h("p", { class: "meta" }, [t(`a_kind_${c.kind}`), c.url || c.host, `${t("a_every")} ${c.interval} s`,
        c.last_result ? `${t("a_last")}: ${c.last_result.ok ? "OK" : "NOK"} ${when(c.last_result.at, lang)}` : null].filter(Boolean).join(" · ")),
      Object.keys(c.regions || {}).length ? h("div", { class: "tags" }, Object.entries(c.regions).map(([region, r]) =>
        h("span", { class: "tag", title: r.reason }, `${region}: ${r.ok ? "OK" : "NOK"}`))) : null,
      h("div", { class: "crow actions" }, run, dangerButton(ctx, t("st_delete"), t("a_check_delete_confirm").replace("{name}", c.name),
        () => del(`${C}/checks/${c.id}`), t("a_deleted").replace("{name}", c.name))), note, out,
      editor(ctx, c));
  });
  return h("div", { class: "console" }, h("div", {}, h("h2", {}, t("a_checks")), cards.length ? cards : empty(t("a_no_checks"))),
    h("div", {}, checkForm(ctx)));
}

