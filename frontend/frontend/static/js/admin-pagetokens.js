// Admin → read tokens of a private page (PAGE_VISIBILITY): one per dashboard or feed reader,
// given as ?token= on the feeds, badges and API. Made (the token shown once, as API keys are:
// keys.js), listed and revoked after a confirmation.
import { del, get, post } from "./api.js";
import { h, replace, when } from "./dom.js";
import { t } from "./i18n.js";
import { shownOnce } from "./keys.js";
import { act, dangerButton, empty, field, input, number, onSubmit, table } from "./staff.js";

const U = "/api/users";

function tokensList(ctx, tokens) {
  if (!tokens.length) return empty(t("a_no_page_tokens"));
  const rows = tokens.map((token) => [h("span", { text: token.name }), when(token.created_at),
    dangerButton(ctx, t("a_pt_revoke"), t("a_pt_revoke_confirm").replace("{name}", token.name),
      () => del(`${U}/page-tokens/${encodeURIComponent(token.id)}`), t("a_pt_revoked").replace("{name}", token.name))]);
  return table(t("a_page_tokens"), [t("a_name"), t("a_key_created"), ""], rows);
}

export async function pageTokensTab(ctx) {
  const heading = h("h2", {});
  const list = h("div", {});
  const drawList = async () => {
    const { tokens } = await get(`${U}/page-tokens`);
    heading.textContent = `${t("a_page_tokens")} (${number(tokens.length)})`;
    replace(list, tokensList(ctx, tokens));
  };
  await drawList();
  const name = input("name", "", { required: true, maxlength: 100, autocomplete: "off", placeholder: t("a_pt_name_example") });
  const once = h("div", { id: "page-token-once" });
  const submit = h("button", { type: "submit", class: "btn primary" }, t("a_pt_create"));
  const form = onSubmit(h("form", { class: "stack card", id: "new-page-token" }, h("h3", {}, t("a_pt_new")),
    field(t("a_pt_name"), name, t("a_pt_name_hint")), submit, once), () =>
    act(ctx.note, submit, () => post(`${U}/page-tokens`, { name: name.value }),
      (made) => t("a_pt_made").replace("{name}", made.name), async (made) => {
        name.value = "";
        replace(once, shownOnce(made.token, { id: "page-token", label: t("a_pt_secret"), copy: t("a_pt_copy") }));
        await drawList();
        once.querySelector("input").focus();
      }));
  return h("div", { class: "console" }, h("div", {}, heading, h("p", { class: "hint" }, t("a_pt_intro")), list), h("div", {}, form));
}
