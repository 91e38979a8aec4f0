// /account → passkeys (issue 20): add one with a name (the device asks for its PIN, fingerprint
// or face), see when each was added and last used, remove one. Signing in with a passkey is on
// /login (pages/login.js).
import { del, get } from "./api.js";
import { h, replace, when } from "./dom.js";
import { busy, explain, feedback, field } from "./forms.js";
import { t } from "./i18n.js";
import { addPasskey, passkeyProblem, supported, worksHere } from "./passkeys.js";

// A default name a person can keep: the kind of device, as far as the browser tells.
function deviceName() {
  const platform = (navigator.userAgentData && navigator.userAgentData.platform) || "";
  return platform ? t("passkey_default_name", { device: platform }) : "";
}

export async function passkeys() {
  const say = feedback();
  const card = (...children) => h("section", { class: "card stack account-section", id: "passkeys", "aria-labelledby": "passkeys-title" },
    h("h2", { id: "passkeys-title", text: t("passkeys") }), h("p", { text: t("passkeys_intro") }), children, say.node);
  let state;
  try { state = await get("/api/users/auth/passkeys"); } catch (error) { return card(h("p", { text: explain(error) })); }
  if (!state.enabled) return card(h("p", { id: "passkeys-off", text: t("passkeys_off") }));
  const list = h("ul", { class: "plain-list", id: "passkeys-list" });
  const draw = async (found) => {
    const items = found || (await get("/api/users/auth/passkeys")).passkeys;
    replace(list, items.length ? items.map((passkey) => h("li", { "data-passkey": passkey.id },
      h("strong", { text: passkey.name }),
      h("span", { class: "meta", text: [t("passkey_added_on", { when: when(passkey.created_at) }),
        passkey.last_used_at ? t("passkey_last_used", { when: when(passkey.last_used_at) }) : t("passkey_never_used")].join(" · ") }),
      h("button", { class: "btn small danger", type: "button", "aria-label": t("passkey_remove_named", { name: passkey.name }),
        onclick: async (event) => {
          try {
            await busy(event.currentTarget, () => del(`/api/users/auth/passkeys/${encodeURIComponent(passkey.id)}`));
            say.ok(t("passkey_removed", { name: passkey.name }));
            await draw();
          } catch (error) { say.fail(explain(error)); }
        } }, t("passkey_remove")))) : h("li", { class: "meta", id: "passkeys-none", text: t("passkeys_none") }));
  };
  await draw(state.passkeys);
  if (!supported()) return card(list, h("p", { text: t("passkeys_unsupported") }));
  if (!worksHere(state)) {
    const there = state.origins[0];
    return card(list, h("p", { id: "passkeys-elsewhere" }, t("passkeys_elsewhere"), " ",
      h("a", { href: `${there}/account` }, there)));
  }
  const name = field(t("passkey_name"), { type: "text", required: true, maxlength: 64, id: "passkey-name", autocomplete: "off",
    value: deviceName() }, t("passkey_name_hint"));
  const submit = h("button", { class: "btn primary", type: "submit", id: "passkey-add" }, t("passkey_add"));
  const form = h("form", { class: "stack-form", id: "passkey-form" }, name.node, submit);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    say.clear();
    try {
      const added = await busy(submit, () => addPasskey(name.input.value.trim()));
      say.ok(t("passkey_added", { name: added.name }));
      form.reset();
      await draw();
    } catch (error) { say.fail(passkeyProblem(error) || explain(error)); }
  });
  return card(list, form);
}
