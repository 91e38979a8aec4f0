// Admin → dead letters: messages that failed for good, a page at a time, dated, named by their
// channel (or address), with the reason; retry or discard each.
import { del, get, post } from "./api.js";
import { h, when } from "./dom.js";
import { lang, t } from "./i18n.js";
import { act, dangerButton, empty, number, table } from "./staff.js";

const M = "/api/comms";
const PER_PAGE = 20;

export async function deadLettersTab(ctx) {
  const page = Number(ctx.deadPage || 1);
  const data = await get(`${M}/dead-letters?page=${page}&per_page=${PER_PAGE}`);
  if (!data.total) return empty(t("a_no_dead"));
  const pages = Math.max(1, Math.ceil(data.total / data.per_page));
  const rows = data.deliveries.map((d) => [when(d.updated_at || d.created_at, lang),
    h("span", {}, d.kind === "channel" ? h("strong", { text: d.channel_name || d.target }) : h("span", { text: d.target }),
      h("div", { class: "meta" }, t(d.kind === "channel" ? "a_dl_channel" : "a_dl_email"))),
    h("span", {}, h("span", { text: d.subject || "" }), h("div", { class: "meta" }, t(`ev_${d.event_type}`))),
    h("span", { class: "error-text", text: d.last_error || "" }), number(d.attempts),
    h("span", { class: "crow" },
      h("button", { type: "button", class: "btn small primary", onclick: (event) => act(ctx.note, event.currentTarget,
        () => post(`${M}/dead-letters/${d.id}/retry`), t("a_dl_retried").replace("{name}", d.channel_name || d.target), ctx.refresh) }, t("a_dl_retry")),
      dangerButton(ctx, t("a_dl_discard"), t("a_dl_discard_confirm").replace("{name}", d.channel_name || d.target),
        () => del(`${M}/dead-letters/${d.id}`), t("a_dl_discarded")))]);
  const go = (to) => () => { ctx.deadPage = to; ctx.refresh(); };
  return h("div", {}, h("h2", {}, `${t("a_dead")} (${number(data.total)})`),
    table(t("a_dead"), [t("a_dl_when"), t("a_dl_to"), t("a_dl_what"), t("a_dl_error"), t("a_dl_attempts"), ""], rows),
    h("nav", { class: "pager", "aria-label": t("a_pages") },
      h("button", { type: "button", class: "btn", disabled: page <= 1, onclick: go(page - 1) }, t("newer")),
      h("span", { class: "meta" }, `${t("a_page")} ${page} / ${pages}`),
      h("button", { type: "button", class: "btn", disabled: page >= pages, onclick: go(page + 1) }, t("older"))));
}
