// Admin → heartbeats: the ping URL to paste into a cron job (copied with feedback), a form for
// a period or a cron schedule with a preview of the next expected pings, pause and delete.
import { del, get, patch, post } from "./api.js";
import { h, replace, when } from "./dom.js";
import { lang, t } from "./i18n.js";
import {
  act, button, checkedValues, componentChecks, dangerButton, disclosure, empty, feedback, field, formatIn, input,
  onSubmit, pill, select,
} from "./staff.js";

const C = "/api/csp-status";

async function copy(text, note) {
  try {
    await navigator.clipboard.writeText(text);
    note.say(t("a_copied"), "ok");
  } catch {
    note.say(t("a_copy_failed"), "error");
  }
}

function heartbeatForm(ctx, beat = null) {
  const b = beat || { name: "", timeout: 86400, schedule: null, tz: Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC", grace: 900, component_ids: [] };
  const mode = select("mode", [["timeout", t("a_hb_every")], ["schedule", t("a_hb_cron")]], b.schedule ? "schedule" : "timeout");
  const name = input("name", b.name, { required: true, maxlength: 80 });
  const timeout = input("timeout", b.timeout || 86400, { type: "number", min: 10 });
  const schedule = input("schedule", b.schedule || "0 3 * * *", { maxlength: 100, class: "mono" });
  const tz = input("tz", b.tz, { maxlength: 64 });
  const grace = input("grace", b.grace, { type: "number", min: 0, required: true });
  const preview = h("div", { class: "preview-box", "aria-live": "polite" });
  const timeoutField = field(t("a_hb_period"), timeout, t("a_seconds"));
  const scheduleFields = h("div", { class: "stack-sm" }, field(t("a_hb_schedule"), schedule, t("a_hb_schedule_hint")), field(t("a_hb_tz"), tz, t("a_hb_tz_hint")));
  let timer = null;
  const refreshPreview = () => {
    clearTimeout(timer);
    timer = setTimeout(async () => {
      const query = new URLSearchParams({ grace: grace.value || "0", count: "3" });
      if (mode.value === "schedule") { query.set("schedule", schedule.value); query.set("tz", tz.value || "UTC"); } else query.set("timeout", timeout.value);
      try {
        const answer = await get(`${C}/heartbeats/preview?${query}`);
        const zone = mode.value === "schedule" ? tz.value || "UTC" : undefined;
        replace(preview, h("p", { class: "hint" }, t("a_hb_preview")), h("ol", { class: "preview" }, answer.expected.map((at, i) =>
          h("li", {}, `${zone ? formatIn(at, zone) : when(at, lang)} — ${t("a_hb_down_after")} ${zone ? formatIn(answer.down_after[i], zone) : when(answer.down_after[i], lang)}`))));
      } catch (error) {
        replace(preview, h("p", { class: "error" }, error.message));
      }
    }, 300);
  };
  const show = (withPreview = true) => {
    timeoutField.hidden = mode.value !== "timeout"; scheduleFields.hidden = mode.value !== "schedule";
    if (withPreview) refreshPreview();
  };
  for (const node of [mode, timeout, schedule, tz, grace]) node.addEventListener("input", () => show());
  show(!beat);  // an edit form previews once it is changed
  const submit = h("button", { type: "submit", class: "btn primary" }, beat ? t("st_save") : t("a_hb_add"));
  const form = h("form", { class: `stack ${beat ? "" : "card"}`, id: beat ? null : "new-heartbeat" }, beat ? null : h("h3", {}, t("a_hb_new")),
    field(t("a_name"), name, t("a_check_name_hint")), field(t("a_hb_mode"), mode), timeoutField, scheduleFields,
    field(t("a_hb_grace"), grace, t("a_hb_grace_hint")), preview,
    componentChecks(ctx.components, b.component_ids, t("a_shown_on"), "hb-component"), submit);
  return onSubmit(form, () => {
    const data = { name: name.value, grace: Number(grace.value), component_ids: checkedValues(form, "hb-component") };
    if (mode.value === "schedule") Object.assign(data, { schedule: schedule.value, tz: tz.value || "UTC" });
    else Object.assign(data, { timeout: Number(timeout.value), ...(beat ? { schedule: null } : {}) });
    return act(ctx.note, submit, () => (beat ? patch(`${C}/heartbeats/${beat.id}`, data) : post(`${C}/heartbeats`, data)),
      (saved) => t(beat ? "a_saved" : "a_hb_created").replace("{name}", saved.name), ctx.refresh);
  });
}

export async function heartbeatsTab(ctx) {
  const { heartbeats } = await get(`${C}/heartbeats`);
  const cards = heartbeats.map((b) => {
    const note = feedback();
    return h("article", { class: "card item", "data-heartbeat": b.id },
      h("div", { class: "crow" }, h("h3", { text: b.name }), pill(b.state)),
      h("p", { class: "meta" }, [b.schedule ? `${b.schedule} (${b.tz})` : `${t("a_every")} ${b.timeout} s`, `${t("a_hb_grace")} ${b.grace} s`,
        `${t("a_hb_last_ping")}: ${b.last_ping ? when(b.last_ping, lang) : t("st_never")}`].join(" · ")),
      h("div", { class: "crow ping" }, h("code", { text: b.ping_url }),
        button(t("a_copy"), () => copy(b.ping_url, note), { class: "btn small", "aria-label": `${t("a_copy")}: ${t("a_hb_ping_url")} ${b.name}` })),
      note,
      h("div", { class: "crow actions" },
        button(b.paused ? t("a_resume") : t("a_pause"), (event) => act(ctx.note, event.currentTarget,
          () => patch(`${C}/heartbeats/${b.id}`, { paused: !b.paused }), t(b.paused ? "a_resumed" : "a_paused").replace("{name}", b.name), ctx.refresh), { class: "btn" }),
        dangerButton(ctx, t("st_delete"), t("a_hb_delete_confirm").replace("{name}", b.name), () => del(`${C}/heartbeats/${b.id}`),
          t("a_deleted").replace("{name}", b.name))),
      disclosure(t("st_edit"), heartbeatForm(ctx, b), { key: `hb-${b.id}` }));
  });
  return h("div", { class: "console" }, h("div", {}, h("h2", {}, t("a_heartbeats")), cards.length ? cards : empty(t("a_no_heartbeats"))),
    h("div", {}, heartbeatForm(ctx)));
}
