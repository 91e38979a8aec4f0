// Email updates: subscribing without an account (confirmed by an emailed link), the box on a
// component page, and the pages the links of every mail open (unsubscribe, acknowledge).
import { call, del, get, post, put, session } from "./api.js";
import { h, replace } from "./dom.js";
import { busy, explain, feedback, field, tokenFromLink } from "./forms.js";
import { lang, t } from "./i18n.js";

function back() {
  return h("p", {}, h("a", { href: "/" }, `← ${t("back")}`));
}

export async function subscribePage(main) {
  const catalog = await get("/api/incidents/components");
  const email = field(t("email"), { type: "email", name: "email", required: true, autocomplete: "email", id: "subscribe-email" });
  const whole = h("input", { type: "radio", name: "scope", value: "all", id: "scope-all", checked: true });
  const some = h("input", { type: "radio", name: "scope", value: "some", id: "scope-some" });
  const boxes = (catalog.components || []).map((c) => h("input", { type: "checkbox", name: "component", value: c.id, id: `pick-${c.id}` }));
  const list = h("div", { class: "picks" }, (catalog.components || []).map((c, i) =>
    h("label", { class: "check-label", for: `pick-${c.id}` }, boxes[i], c.name)));
  const say = feedback();
  const submit = h("button", { class: "btn primary", type: "submit" }, t("subscribe_updates"));
  const me = session();
  const form = h("form", { class: "card stack", "aria-labelledby": "subscribe-title" },
    h("h1", { id: "subscribe-title", text: t("subscribe_title") }), h("p", { text: t("subscribe_intro") }),
    me ? h("p", { class: "meta" }, h("a", { href: "/account#subscriptions" }, t("manage_in_account"))) : null,
    email.node,
    h("fieldset", {}, h("legend", { text: t("what_to_follow") }),
      h("label", { class: "check-label", for: "scope-all" }, whole, t("whole_page")),
      h("label", { class: "check-label", for: "scope-some" }, some, t("some_components")), list),
    submit, say.node);
  // Ticking a component means "only these"; choosing every component clears the ticks.
  whole.addEventListener("change", () => { for (const box of boxes) box.checked = false; });
  for (const box of boxes) box.addEventListener("change", () => { if (box.checked) some.checked = true; });
  const preset = new URLSearchParams(location.search).get("component");
  const presetBox = boxes.find((box) => box.value === preset);
  if (presetBox) { presetBox.checked = true; some.checked = true; }
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    say.clear();
    const components = some.checked ? boxes.filter((box) => box.checked).map((box) => box.value) : [];
    if (some.checked && !components.length) { say.fail(t("pick_component")); return; }
    try {
      await busy(submit, () => post("/api/comms/subscribers", { email: email.input.value, components, lang }));
      replace(main, h("section", { class: "card stack", role: "status" }, h("h1", { text: t("check_mail") }),
        h("p", { text: t("sent_link_subscribe", { email: email.input.value }) }), back()));
    } catch (error) { say.fail(explain(error)); }
  });
  replace(main, form);
}

export async function subscribeConfirmPage(main) {
  const token = tokenFromLink();
  if (!token) { replace(main, h("p", { class: "error", role: "alert", text: t("no_token") })); return; }
  replace(main, h("p", { class: "loading", role: "status", text: t("confirming") }));
  try {
    const [subscriber, catalog] = await Promise.all([post("/api/comms/subscribers/confirm", { token }),
      get("/api/incidents/components").catch(() => ({ components: [] }))]);
    const names = Object.fromEntries(catalog.components.map((c) => [c.id, c.name]));
    const what = subscriber.components.length ? subscriber.components.map((id) => names[id] || id).join(", ") : t("everything");
    replace(main, h("section", { class: "card stack", role: "status" }, h("h1", { text: t("subscribe_title") }),
      h("p", { class: "ok", text: t("subscribe_confirmed", { what }) }), back()));
  } catch (error) {
    replace(main, h("section", { class: "card stack" }, h("h1", { text: t("subscribe_title") }),
      h("p", { class: "error", role: "alert", text: explain(error) }), h("p", {}, h("a", { href: "/subscribe" }, t("subscribe_title")))));
  }
}

// The box under a component (its <div id="subscribe">): a signed-in person's subscription, read
// back so a reload shows it, with its unsubscribe; or the email-only form for a visitor.
export async function subscribeBox(box, component) {
  const card = h("section", { class: "card stack subscribe-box", "aria-labelledby": "subscribe-box-title" },
    h("h2", { id: "subscribe-box-title", text: t("subscribe_email", { name: component.name }) }));
  const say = feedback();
  const url = `/api/users/users/me/subscriptions/${encodeURIComponent(component.id)}`;
  if (session()) {
    let subscribed = (await get("/api/users/users/me/subscriptions")).components.includes(component.id);
    const row = h("p", { class: "crow" });
    const draw = () => replace(row, subscribed ? h("span", { class: "ok", text: `✓ ${t("subscribed")}` }) : null,
      h("button", { class: subscribed ? "btn" : "btn primary", type: "button", id: "subscribe-toggle", onclick: async (event) => {
        try {
          await busy(event.currentTarget, () => (subscribed ? del(url) : put(url)));
          subscribed = !subscribed;
          draw();
          say.ok(t(subscribed ? "subscribed_to" : "unsubscribed_from", { name: component.name }));
        } catch (error) { say.fail(explain(error)); }
      } }, subscribed ? t("unsubscribe") : t("subscribe")));
    draw();
    card.append(row, say.node);
  } else {
    const email = field(t("email"), { type: "email", required: true, autocomplete: "email", id: "component-subscribe-email" });
    const submit = h("button", { class: "btn primary", type: "submit" }, t("subscribe_updates"));
    const form = h("form", { class: "inline-form" }, email.node, submit);
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      try {
        await busy(submit, () => post("/api/comms/subscribers", { email: email.input.value, components: [component.id], lang }));
        replace(form, h("p", { class: "ok", text: t("sent_link_subscribe", { email: email.input.value }) }));
      } catch (error) { say.fail(explain(error)); }
    });
    card.append(form, say.node,
      h("p", { class: "meta" }, h("a", { href: `/login?next=${encodeURIComponent(location.pathname)}` }, t("or_signin"))));
  }
  replace(box, card);
}

function signedLinkPage(main, { title, intro, button, act, done }) {
  const say = feedback();
  const action = h("button", { class: "btn primary", type: "button", id: "confirm-action" }, button);
  action.addEventListener("click", async () => {
    say.clear();
    try {
      await busy(action, act);
      replace(main, h("section", { class: "card stack", role: "status" }, h("h1", { text: title }),
        h("p", { class: "ok", text: done }), back()));
    } catch (error) { say.fail(error.status === 403 ? t("bad_link") : explain(error)); }
  });
  replace(main, h("section", { class: "card stack", "aria-labelledby": "link-title" }, h("h1", { id: "link-title", text: title }),
    h("p", { text: intro }), h("p", {}, action), say.node, back()));
}

export function unsubscribePage(main) {
  const query = new URLSearchParams(location.search);
  const kind = query.get("k");
  if (!["follows", "subscriptions", "email"].includes(kind) || !query.get("s")) {
    replace(main, h("p", { class: "error", role: "alert", text: t("bad_link") }), back());
    return;
  }
  signedLinkPage(main, { title: t("unsubscribe_title"), intro: t(`unsubscribe_what_${kind}`), button: t("unsubscribe"),
    act: () => call("POST", `/api/comms/unsubscribe?${query.toString()}`), done: t("unsubscribe_done") });
}

export function ackPage(main) {
  const query = new URLSearchParams(location.search);
  const alert = query.get("alert");
  if (!alert || !query.get("s")) { replace(main, h("p", { class: "error", role: "alert", text: t("bad_link") }), back()); return; }
  signedLinkPage(main, { title: t("ack_title"), intro: t("ack_intro"), button: t("ack_button"),
    act: () => call("POST", `/api/comms/alerts/${encodeURIComponent(alert)}/ack/link?s=${encodeURIComponent(query.get("s"))}`),
    done: t("ack_done") });
}
