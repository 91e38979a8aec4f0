// Small pieces the account pages share: labelled fields, a live feedback line, and a button
// that shows progress while its action runs and says how it went.
import { h } from "./dom.js";
import { t } from "./i18n.js";

let counter = 0;

export function field(labelText, attrs, hint) {
  const id = attrs.id || `f${++counter}`;
  const hintId = hint ? `${id}-hint` : undefined;
  const input = h("input", { ...attrs, id, "aria-describedby": hintId });
  return { input, node: h("label", { for: id }, labelText, input, hint ? h("span", { class: "hint", id: hintId }, hint) : null) };
}

export function feedback() {
  const node = h("p", { class: "feedback", role: "status", "aria-live": "polite" });
  return {
    node,
    ok(text) { node.className = "feedback ok"; node.textContent = text; },
    fail(text) { node.className = "feedback error"; node.setAttribute("role", "alert"); node.textContent = text; },
    clear() { node.className = "feedback"; node.setAttribute("role", "status"); node.textContent = ""; },
  };
}

// The message a failed call shows: the service's own words for what the person can fix.
export function explain(error) {
  if (error.code === "link_expired") return t("link_expired");
  if (error.code === "link_invalid") return t("link_invalid");
  const details = error.data && error.data.error && error.data.error.details;
  if (details && details.password) return `${error.message} ${[].concat(details.password).join(" ")}`;
  if (error.status === 422 && details && details.json) return Object.values(details.json).flat().join(" ");
  return error.message || t("try_again");
}

export async function busy(button, action) {
  const label = button.textContent;
  button.disabled = true;
  button.setAttribute("aria-busy", "true");
  button.textContent = t("working");
  try {
    return await action();
  } finally {
    button.disabled = false;
    button.removeAttribute("aria-busy");
    button.textContent = label;
  }
}

export function tokenFromLink() {
  // Emailed links carry their token in the fragment (no server log or Referer ever holds it);
  // it is taken out of the address bar at once.
  const token = new URLSearchParams(location.hash.slice(1)).get("token");
  if (token) history.replaceState(null, "", location.pathname + location.search);
  return token;
}
