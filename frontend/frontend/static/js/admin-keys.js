// Admin → API keys: every key, personal and service, with its owner; revoked after a confirmation.
// An admin also creates service keys (a script's or an integration's, owned by no person, acting
// with the role chosen): the same scope picker, expiry and secret shown once as /account
// (keys.js), the list drawn again below the secret.
import { del, get, post } from "./api.js";
import { h, replace, when } from "./dom.js";
import { t } from "./i18n.js";
import { expirySelect, pickedScopes, scopePicker, shownOnce } from "./keys.js";
import { act, dangerButton, empty, field, input, number, onSubmit, select, table } from "./staff.js";

const ROLES = ["user", "staff", "admin"];

function keysList(ctx, keys) {
  if (!keys.length) return empty(t("a_no_keys"));
  const rows = keys.map((key) => [
    h("span", { text: key.name }), h("code", { text: `${key.prefix}…` }),
    h("span", { text: key.kind === "service" ? t("a_key_service", { role: key.role }) : (key.owner_email || key.owner_id || "") }),
    h("span", { text: key.scopes.join(", ") }), when(key.created_at),
    key.last_used_at ? when(key.last_used_at) : h("span", { class: "meta", text: t("a_key_never_used") }),
    key.expires_at ? when(key.expires_at) : h("span", { class: "meta", text: t("a_key_no_expiry") }),
    dangerButton(ctx, t("a_key_revoke"), t("a_key_revoke_confirm").replace("{name}", key.name),
      () => del(`/api/users/api-keys/${encodeURIComponent(key.id)}`), t("a_key_revoked").replace("{name}", key.name)),
  ]);
  return table(t("a_keys"), [t("a_name"), t("a_key_prefix"), t("a_key_owner"), t("a_key_scopes"), t("a_key_created"),
    t("a_key_last_used"), t("a_key_expires"), ""], rows);
}

function serviceKeyForm(ctx, drawList) {
  const name = input("name", "", { required: true, maxlength: 100, autocomplete: "off", placeholder: "CI deploys" });
  const role = select("role", ROLES.map((r) => [r, t(`role_${r}`)]), "staff", { id: "service-key-role" });
  const scopes = h("div", {}, scopePicker(role.value));
  // A role holds fewer write scopes than the one above it: the picker offers only what it may hold.
  role.addEventListener("change", () => replace(scopes, scopePicker(role.value)));
  const expiry = expirySelect("service-key-expiry");
  const once = h("div", { id: "service-key-once" });
  const submit = h("button", { type: "submit", class: "btn primary" }, t("a_key_create"));
  const form = h("form", { class: "stack card", id: "new-service-key" }, h("h3", {}, t("a_key_new")),
    h("p", { class: "hint" }, t("a_key_new_hint")), field(t("key_name"), name), field(t("a_key_role"), role, t("a_key_role_hint")),
    scopes, field(t("key_expiry"), expiry), submit, once);
  return onSubmit(form, () => {
    const picked = pickedScopes(form);
    if (!picked.length) { ctx.note.say(t("a_key_pick_scope"), "error"); return undefined; }
    return act(ctx.note, submit, () => post("/api/users/api-keys", { kind: "service", role: role.value, name: name.value,
      scopes: picked, expires_in_days: expiry.value ? Number(expiry.value) : null }),
    (created) => t("a_key_made").replace("{name}", created.name), async (created) => {
      name.value = "";
      replace(scopes, scopePicker(role.value));
      replace(once, shownOnce(created.secret, { id: "service-key", label: t("a_key_secret") }));
      await drawList();
      once.querySelector("input").focus();
    });
  });
}

export async function keysTab(ctx) {
  const heading = h("h2", {});
  const list = h("div", {});
  const drawList = async () => {
    const keys = (await get("/api/users/api-keys/all")).keys;
    heading.textContent = `${t("a_keys")} (${number(keys.length)})`;
    replace(list, keysList(ctx, keys));
  };
  await drawList();
  return h("div", { class: "console" }, h("div", {}, heading, list), h("div", {}, serviceKeyForm(ctx, drawList)));
}
