// Admin → notification channels: a form that knows each kind of channel (what its URL looks
// like), which events and severities it hears, and "Send a test" that reports how it went.
import { del, get, patch, post } from "./api.js";
import { h } from "./dom.js";
import { t } from "./i18n.js";
import {
  act, button, checkbox, checkedValues, componentChecks, dangerButton, disclosure, empty, feedback, field, input,
  onSubmit, select,
} from "./staff.js";

const M = "/api/comms";
const KINDS = {
  slack: { scheme: "slack", example: "slack://T000/B000/XXXXXXXX" },
  msteams: { scheme: "msteams", example: "msteams://team/token-a/token-b/token-c" },
  rocket: { scheme: "rocket|rockets", example: "rockets://webhook-token@chat.example.com/status" },
  discord: { scheme: "discord", example: "discord://webhook-id/webhook-token" },
  email: { scheme: "mailto|mailtos", example: "mailtos://user:password@smtp.example.com?to=oncall@example.com" },
  webhook: { scheme: "webhook|webhooks", example: "webhooks://hooks.example.com/polystatus" },
  json: { scheme: "json|jsons", example: "jsons://hooks.example.com/notify" },
  sentry: { scheme: "sentry|sentry\\+https|sentry\\+http", example: "https://<key>@o1.ingest.sentry.io/42" },
  other: { scheme: "[a-z][a-z0-9+.-]*", example: "scheme://…" },
};
const EVENTS = ["incident.*", "incident.created", "incident.updated", "incident.resolved", "maintenance.*",
  "component.status_changed", "check.status_changed", "reports.spike", "announcement"];
const SEVERITIES = ["info", "minor", "major", "critical"];

const kindOf = (url) => Object.entries(KINDS).find(([, k]) => new RegExp(`^(${k.scheme})://`).test(url || ""))?.[0] || "other";

function channelForm(ctx, channel = null) {
  const c = channel || { name: "", url: "", events: ["incident.*"], components: [], severities: [], log_only: false, enabled: true, repeat_minutes: null };
  const kind = select("kind", Object.keys(KINDS).map((k) => [k, t(`a_ch_kind_${k}`)]), channel ? kindOf(c.url) : "slack");
  const name = input("name", c.name, { required: true, maxlength: 80 });
  const url = input("url", "", { required: !channel, maxlength: 2000, autocomplete: "off", class: "mono" });
  const hint = h("span", {});
  const urlField = field(t("a_url"), url, hint);
  // Sentry: the project's DSN and its settings, put together as sentry+<DSN>?environment=…
  const sentry = {
    dsn: input("dsn", "", { maxlength: 1500, autocomplete: "off", class: "mono", placeholder: channel ? c.url : KINDS.sentry.example }),
    environment: input("environment", "", { maxlength: 64, placeholder: "production" }),
    org: input("org", "", { maxlength: 100, placeholder: "acme" }),
    token: input("token", "", { type: "password", maxlength: 500, autocomplete: "off" }),
    api: input("api", "", { type: "url", maxlength: 500, placeholder: "https://sentry.example.com" }),
  };
  const sentryBox = h("fieldset", { class: "picker", "data-sentry": "1" }, h("legend", {}, t("a_ch_sentry")),
    h("p", { class: "hint" }, `${t("a_ch_hint_sentry")} ${channel ? t("a_ch_url_kept") : ""}`.trim()),
    field(t("a_ch_dsn"), sentry.dsn, t("a_ch_dsn_hint")), field(t("a_ch_environment"), sentry.environment, t("st_optional")),
    field(t("a_ch_org"), sentry.org, t("a_ch_org_hint")), field(t("a_ch_token"), sentry.token, t("a_ch_token_hint")),
    field(t("a_ch_api"), sentry.api, t("a_ch_api_hint")));
  const sentryUrl = () => {
    const dsn = sentry.dsn.value.trim();
    if (!dsn) return "";
    const query = ["environment", "org", "token", "api"].filter((k) => sentry[k].value.trim())
      .map((k) => `${k}=${encodeURIComponent(sentry[k].value.trim())}`).join("&");
    return `${/^sentry(\+https?)?:\/\//.test(dsn) ? "" : "sentry+"}${dsn}${query ? `?${query}` : ""}`;
  };
  const show = () => {
    const k = KINDS[kind.value];
    const isSentry = kind.value === "sentry";
    urlField.hidden = isSentry;
    sentryBox.hidden = !isSentry;
    url.required = !channel && !isSentry;
    sentry.dsn.required = !channel && isSentry;
    url.placeholder = channel ? c.url : k.example;
    url.pattern = `(${k.scheme})://.+`;
    hint.textContent = `${t(`a_ch_hint_${kind.value}`)} ${channel ? t("a_ch_url_kept") : ""}`.trim();
  };
  kind.addEventListener("change", show);
  show();
  const events = h("fieldset", { class: "picker" }, h("legend", {}, t("a_ch_events")),
    EVENTS.map((e) => checkbox("event", c.events.includes(e), t(`ev_${e}`), { value: e })));
  const severities = h("fieldset", { class: "picker" }, h("legend", {}, t("a_ch_severities")), h("p", { class: "hint" }, t("a_ch_severities_hint")),
    SEVERITIES.map((s) => checkbox("severity", c.severities.includes(s), t(`sev_${s}`), { value: s })));
  const repeat = input("repeat_minutes", c.repeat_minutes ?? "", { type: "number", min: 1, max: 1440 });
  const submit = h("button", { type: "submit", class: "btn primary" }, channel ? t("st_save") : t("a_ch_add"));
  const form = h("form", { class: `stack ${channel ? "" : "card"}`, id: channel ? null : "new-channel" }, channel ? null : h("h3", {}, t("a_ch_new")),
    field(t("a_name"), name), field(t("a_ch_kind"), kind), urlField, sentryBox, events, severities,
    componentChecks(ctx.components, c.components, t("a_ch_components"), "ch-component"),
    field(t("a_ch_repeat"), repeat, t("a_ch_repeat_hint")),
    checkbox("log_only", c.log_only, t("a_ch_log_only")), checkbox("enabled", c.enabled, t("a_ch_enabled")), submit);
  return onSubmit(form, () => {
    const data = { name: name.value, events: checkedValues(form, "event"), severities: checkedValues(form, "severity"),
      components: checkedValues(form, "ch-component"), repeat_minutes: repeat.value ? Number(repeat.value) : null,
      log_only: form.querySelector("[name=log_only]").checked, enabled: form.querySelector("[name=enabled]").checked };
    const typed = kind.value === "sentry" ? sentryUrl() : url.value;
    if (typed) data.url = typed;
    return act(ctx.note, submit, () => (channel ? patch(`${M}/channels/${channel.id}`, data) : post(`${M}/channels`, data)),
      (saved) => t(channel ? "a_saved" : "a_created").replace("{name}", saved.name), ctx.refresh);
  });
}

export async function channelsTab(ctx) {
  const { channels } = await get(`${M}/channels`);
  const cards = channels.map((c) => {
    const note = feedback();
    return h("article", { class: "card item", "data-channel": c.id },
      h("div", { class: "crow" }, h("h3", { text: c.name }), h("span", { class: "tag" }, c.enabled ? (c.log_only ? t("a_ch_logging") : t("a_ch_sending")) : t("a_disabled"))),
      h("p", {}, h("code", { text: c.url })),
      h("p", { class: "meta" }, c.events.map((e) => t(`ev_${e}`)).join(", ")),
      h("div", { class: "crow actions" },
        button(t("a_ch_test"), (event) => act(note, event.currentTarget, () => post(`${M}/channels/${c.id}/test`), (r) => {
          if (!r.ok) throw Object.assign(new Error(t("a_ch_test_failed").replace("{error}", r.error)), { status: 200 });
          return t(r.mode === "logged" ? "a_ch_test_logged" : "a_ch_test_sent");
        }), { class: "btn primary" }),
        dangerButton(ctx, t("st_delete"), t("a_ch_delete_confirm").replace("{name}", c.name), () => del(`${M}/channels/${c.id}`),
          t("a_deleted").replace("{name}", c.name))),
      note, disclosure(t("st_edit"), channelForm(ctx, c), { key: `ch-${c.id}` }));
  });
  return h("div", { class: "console" }, h("div", {}, h("h2", {}, t("a_channels")), cards.length ? cards : empty(t("a_no_channels"))),
    h("div", {}, channelForm(ctx)));
}
