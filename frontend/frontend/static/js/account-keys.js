// /account → API keys (issue 20): keys for scripts and integrations. A key's secret is in the
// answer to its creation only; it is shown once here, with a copy button, and never again.
import { del, get, post } from "./api.js";
import { h, replace, when } from "./dom.js";
import { busy, explain, feedback, field } from "./forms.js";
import { t } from "./i18n.js";
import { expirySelect, pickedScopes, scopePicker, shownOnce } from "./keys.js";

// A native modal: focus stays in it, Escape cancels.
function confirmRevoke(name) {
  return new Promise((resolve) => {
    const yes = h("button", { type: "button", class: "btn danger", id: "revoke-yes" }, t("key_revoke"));
    const no = h("button", { type: "button", class: "btn" }, t("cancel"));
    const dialog = h("dialog", { class: "confirm card", "aria-labelledby": "revoke-question" },
      h("p", { id: "revoke-question", text: t("key_revoke_confirm", { name }) }), h("p", { class: "crow" }, yes, no));
    const finish = (answer) => { dialog.close(); dialog.remove(); resolve(answer); };
    yes.addEventListener("click", () => finish(true));
    no.addEventListener("click", () => finish(false));
    dialog.addEventListener("cancel", (event) => { event.preventDefault(); finish(false); });
    document.body.append(dialog);
    dialog.showModal();
    no.focus();
  });
}

export async function apiKeys(me) {
  const say = feedback();
  const list = h("ul", { class: "plain-list", id: "api-keys-list" });
  const once = h("div", {});
  const draw = async () => {
    const keys = (await get("/api/users/api-keys")).keys;
    replace(list, keys.length ? keys.map((key) => h("li", { "data-key": key.name },
      h("span", { class: "key-line" }, h("strong", { text: key.name }), " ", h("code", { text: `${key.prefix}…` })),
      h("span", { class: "meta", text: key.scopes.join(", ") }),
      h("span", { class: "meta", text: [t("key_created", { when: when(key.created_at) }),
        key.last_used_at ? t("key_last_used", { when: when(key.last_used_at) }) : t("key_never_used"),
        key.expires_at ? t("key_expires", { when: when(key.expires_at) }) : t("key_no_expiry")].join(" · ") }),
      h("button", { class: "btn small danger", type: "button", "aria-label": t("key_revoke_named", { name: key.name }),
        onclick: async (event) => {
          const button = event.currentTarget;
          if (!(await confirmRevoke(key.name))) return;
          try {
            await busy(button, () => del(`/api/users/api-keys/${encodeURIComponent(key.id)}`));
            replace(once);
            // The key is gone at once; the redraw that follows only refreshes the others,
            // so the message never stands beside the key it says was revoked.
            button.closest("li").remove();
            say.ok(t("key_revoked", { name: key.name }));
            await draw();
          } catch (error) { say.fail(explain(error)); }
        } }, t("key_revoke")))) : h("li", { class: "meta", text: t("key_none") }));
  };
  const name = field(t("key_name"), { type: "text", required: true, maxlength: 100, id: "api-key-name", autocomplete: "off" });
  const expiry = expirySelect("api-key-expiry");
  const submit = h("button", { class: "btn primary", type: "submit" }, t("key_create"));
  const form = h("form", { class: "stack-form", id: "api-key-form" }, name.node, scopePicker(me.role),
    h("label", { for: "api-key-expiry" }, t("key_expiry"), expiry), submit);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    say.clear();
    const scopes = pickedScopes(form);
    if (!scopes.length) { say.fail(t("key_pick_scope")); return; }
    try {
      const created = await busy(submit, () => post("/api/users/api-keys", {
        name: name.input.value, scopes, expires_in_days: expiry.value ? Number(expiry.value) : null }));
      form.reset();
      replace(once, shownOnce(created.secret));
      say.ok(t("key_made", { name: created.name }));
      await draw();
      once.querySelector("input").focus();
    } catch (error) { say.fail(explain(error)); }
  });
  await draw();
  return h("section", { class: "card stack account-section", id: "api-keys", "aria-labelledby": "api-keys-title" },
    h("h2", { id: "api-keys-title", text: t("api_keys") }), h("p", { text: t("keys_intro") }), once, list, form, say.node);
}
