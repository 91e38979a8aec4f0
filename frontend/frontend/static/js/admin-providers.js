// Admin → providers: pick one from the catalog or give any status page's URL and format, poll
// it now, and map it (or some of its components) to our components.
import { del, get, patch, post, put } from "./api.js";
import { h, when } from "./dom.js";
import { lang, t } from "./i18n.js";
import {
  act, button, checkedValues, componentChecks, dangerButton, disclosure, empty, field, input, onSubmit, pill, select,
} from "./staff.js";

const C = "/api/csp-status";
const FORMATS = ["statuspage", "gcp", "aws-currentevents", "aws-rss", "azure-rss", "slack", "statusio", "heroku", "rss"];

function addForm(ctx, catalog) {
  const source = select("source", [["catalog", t("a_pr_from_catalog")], ["custom", t("a_pr_custom")]], catalog.length ? "catalog" : "custom");
  const entry = select("catalog_id", catalog.map((c) => [c.id, c.name]), catalog[0] && catalog[0].id);
  const name = input("name", "", { maxlength: 120 });
  const url = input("url", "", { type: "url", maxlength: 2000, placeholder: "https://www.githubstatus.com/api/v2/summary.json" });
  const format = select("format", FORMATS.map((f) => [f, f]), "statuspage");
  const interval = input("interval", 300, { type: "number", min: 30, max: 86400 });
  const fromCatalog = field(t("a_pr_catalog"), entry, t("a_pr_catalog_hint"));
  const custom = h("div", { class: "stack-sm" }, field(t("a_name"), name), field(t("a_url"), url), field(t("a_pr_format"), format, t("a_pr_format_hint")));
  const show = () => { fromCatalog.hidden = source.value !== "catalog"; custom.hidden = source.value !== "custom"; };
  source.addEventListener("change", show);
  show();
  const submit = h("button", { type: "submit", class: "btn primary" }, t("a_pr_add"));
  const form = h("form", { class: "stack card", id: "new-provider" }, h("h3", {}, t("a_pr_new")), field(t("a_pr_source"), source), fromCatalog, custom,
    field(t("a_interval"), interval, t("a_seconds")), submit);
  return onSubmit(form, () => {
    const data = source.value === "catalog" ? { catalog_id: entry.value } : { name: name.value, url: url.value, format: format.value };
    data.interval = Number(interval.value);
    return act(ctx.note, submit, () => post(`${C}/providers`, data), (p) => t("a_created").replace("{name}", p.name), ctx.refresh);
  });
}

function mappingForm(ctx, provider) {
  const mappings = provider.mappings || { provider: [], components: {} };
  const whole = componentChecks(ctx.components, mappings.provider, t("a_pr_whole"), "pr-whole");
  const options = [["", t("a_pr_unmapped")], ...ctx.components.map((c) => [c.id, c.name])];
  const rows = (provider.components || []).map((pc) => {
    const chosen = (mappings.components || {})[pc.name] || [];
    return field(pc.name, select("", options, chosen[0] || "", { "data-provider-component": pc.name }));
  });
  const submit = h("button", { type: "submit", class: "btn primary" }, t("a_pr_save_mapping"));
  const form = h("form", { class: "stack" }, h("p", { class: "hint" }, t("a_pr_mapping_hint")), whole,
    rows.length ? h("fieldset", { class: "picker" }, h("legend", {}, t("a_pr_per_component")), rows) : h("p", { class: "meta" }, t("a_pr_no_components")),
    submit);
  return onSubmit(form, () => {
    const components = {};
    for (const node of form.querySelectorAll("[data-provider-component]")) if (node.value) components[node.dataset.providerComponent] = [node.value];
    return act(ctx.note, submit, () => put(`${C}/providers/${provider.id}/mappings`, { provider: checkedValues(form, "pr-whole"), components }),
      t("a_pr_mapped").replace("{name}", provider.name), ctx.refresh);
  });
}

export async function providersTab(ctx) {
  const [{ providers }, catalog] = await Promise.all([get(`${C}/providers`), get(`${C}/providers/catalog`)]);
  const cards = providers.map((p) => h("article", { class: "card item", "data-provider": p.id },
    h("div", { class: "crow" }, h("h3", { text: p.name }), pill(p.enabled ? p.state : "paused", p.enabled ? t(p.state) : t("a_disabled"))),
    h("p", { class: "meta" }, [p.format, `${t("a_every")} ${p.interval} s`, `${t("a_pr_last_poll")}: ${p.last_polled_at ? when(p.last_polled_at, lang) : t("st_never")}`].join(" · ")),
    p.error ? h("p", { class: "error", text: p.error }) : null,
    h("div", { class: "crow actions" },
      button(t("a_pr_poll"), (event) => act(ctx.note, event.currentTarget, () => post(`${C}/providers/${p.id}/poll`),
        (r) => t("a_pr_polled").replace("{name}", r.name).replace("{state}", t(r.state)), ctx.refresh), { class: "btn primary" }),
      button(p.enabled ? t("a_disable") : t("a_enable"), (event) => act(ctx.note, event.currentTarget,
        () => patch(`${C}/providers/${p.id}`, { enabled: !p.enabled }), t("a_saved").replace("{name}", p.name), ctx.refresh), { class: "btn" }),
      dangerButton(ctx, t("st_delete"), t("a_pr_delete_confirm").replace("{name}", p.name), () => del(`${C}/providers/${p.id}`),
        t("a_deleted").replace("{name}", p.name))),
    disclosure(t("a_pr_mapping"), mappingForm(ctx, p), { key: `map-${p.id}` })));
  return h("div", { class: "console" }, h("div", {}, h("h2", {}, t("a_providers")), cards.length ? cards : empty(t("a_no_providers"))),
    h("div", {}, addForm(ctx, catalog)));
}
