// What the account page and the admin pages share about API keys and other secrets shown once
// (issue 20): the scope picker, the expiry choice, and the box that shows a new secret once
// with a copy button. Their words are in i18n/keys.json, which both pages take.
import { h } from "./dom.js";
import { feedback } from "./forms.js";
import { t } from "./i18n.js";

export const SERVICES = ["incidents", "users", "comms", "csp-status", "feature-flags"];
// What a role may put in a key (users/users/apikeys/service.py CEILING, which decides): the
// boxes a role cannot hold are not offered, rather than refused after the fact.
const WRITES = { user: ["users"], staff: ["users", "incidents", "comms", "csp-status"], admin: SERVICES };
const EXPIRIES = [["", "key_never"], ["30", "key_days_30"], ["90", "key_days_90"], ["365", "key_days_365"]];

export function scopePicker(role) {
  const writable = new Set(WRITES[role] || []);
  const rows = SERVICES.map((service) => h("tr", {},
    h("th", { scope: "row", text: service }),
    ["read", "write"].map((access) => {
      const allowed = access === "read" || writable.has(service);
      const id = `scope-${service}-${access}`;
      return h("td", {}, allowed
        ? h("input", { type: "checkbox", id, name: "scope", value: `${service}:${access}`, "aria-label": `${service}:${access}` })
        : h("span", { class: "meta", text: "—" }));
    })));
  return h("fieldset", { class: "scope-picker" }, h("legend", {}, t("key_scopes")),
    h("div", { class: "table-wrap" }, h("table", {}, h("caption", { class: "visually-hidden" }, t("key_scopes")),
      h("thead", {}, h("tr", {}, h("th", { scope: "col" }, t("key_service")), h("th", { scope: "col" }, t("key_read")),
        h("th", { scope: "col" }, t("key_write")))), h("tbody", {}, rows))),
    h("p", { class: "hint", text: t("key_scopes_hint") }));
}

// The scopes ticked in `form`'s picker.
export function pickedScopes(form) {
  return [...form.querySelectorAll("input[name=scope]:checked")].map((box) => box.value);
}

// <select> of how long a key lasts; its value is days, or "" for until revoked.
export function expirySelect(id) {
  return h("select", { id, name: "expiry" }, EXPIRIES.map(([value, key]) => h("option", { value }, t(key))));
}

// A secret the API answers once: in a read-only box with a copy button, never shown again.
// `id` prefixes the elements' ids (`${id}-secret`, `${id}-copy`).
export function shownOnce(secret, { id = "api-key", label = t("key_new"), copy = t("key_copy") } = {}) {
  const say = feedback();
  const input = h("input", { type: "text", readonly: true, value: secret, id: `${id}-secret`, class: "secret",
    "aria-describedby": `${id}-secret-hint`, spellcheck: "false", autocomplete: "off" });
  const button = h("button", { type: "button", class: "btn", id: `${id}-copy` }, copy);
  button.addEventListener("click", async () => {
    input.select();
    try {
      await navigator.clipboard.writeText(secret);
      say.ok(t("key_copied"));
    } catch {
      say.fail(t("key_copy_by_hand")); // the text is selected: Ctrl+C works
    }
  });
  return h("div", { class: "key-once stack-form", role: "region", "aria-label": label },
    h("label", { for: `${id}-secret` }, label, input),
    h("p", { class: "hint", id: `${id}-secret-hint`, text: t("key_once") }),
    h("p", { class: "crow" }, button), say.node);
}
