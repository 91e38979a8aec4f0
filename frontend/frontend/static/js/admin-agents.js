// Admin → check agents (vantage points): register a region (its token is shown once), revoke.
import { del, get, post } from "./api.js";
import { h, replace, when } from "./dom.js";
import { lang, t } from "./i18n.js";
import { act, button, dangerButton, empty, feedback, field, input, onSubmit, table } from "./staff.js";

const C = "/api/csp-status";

export async function agentsTab(ctx) {
  const { agents } = await get(`${C}/agents`);
  const created = h("div", { role: "status" });
  const region = input("region", "", { required: true, pattern: "[a-z0-9][a-z0-9_\\-]{0,39}", placeholder: "paris-ovh", maxlength: 40 });
  const name = input("name", "", { maxlength: 80 });
  const submit = h("button", { class: "btn primary", type: "submit" }, t("a_ag_add"));
  const note = feedback();
  const form = onSubmit(h("form", { class: "stack card", id: "new-agent" }, h("h3", {}, t("a_ag_new")),
    field(t("a_ag_region"), region, t("a_ag_region_hint")), field(t("a_name"), name, t("st_optional")), submit, note, created), () =>
    act(note, submit, () => post(`${C}/agents`, { region: region.value, ...(name.value ? { name: name.value } : {}) }), t("a_ag_created"), (agent) => {
      // The token is shown once: the server keeps only its hash.
      const copyNote = feedback();
      replace(created, h("p", {}, t("a_ag_token").replace("{region}", agent.region)), h("p", {}, h("code", { text: agent.token })),
        button(t("a_copy"), async () => {
          try { await navigator.clipboard.writeText(agent.token); copyNote.say(t("a_copied"), "ok"); } catch { copyNote.say(t("a_copy_failed"), "error"); }
        }, { class: "btn small" }), copyNote);
    }));
  const rows = agents.map((a) => {
    const contact = a.last_contact || {};
    return [h("strong", { text: a.region }), a.name || "", contact.at ? when(contact.at, lang) : t("st_never"), String(contact.buffered ?? "—"),
      dangerButton(ctx, t("a_ag_revoke"), t("a_ag_revoke_confirm").replace("{region}", a.region), () => del(`${C}/agents/${a.id}`),
        t("a_ag_revoked").replace("{region}", a.region))];
  });
  return h("div", { class: "console" }, h("div", {}, h("h2", {}, t("a_agents")),
    rows.length ? table(t("a_agents"), [t("a_ag_region"), t("a_name"), t("a_ag_contact"), t("a_ag_buffered"), ""], rows) : empty(t("a_no_agents"))),
  h("div", {}, form));
}
