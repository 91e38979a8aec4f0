// /account: one section per concern, drawn in order. Each section is a function of the signed-in
// person returning its card; later features (API keys, two-factor: issue 20) add theirs to
// SECTIONS without touching the others.
import { clearSession, del, get, patch, post, put, session, setMe, signOut } from "./api.js";
import { apiKeys } from "./account-keys.js";
import { passkeys } from "./account-passkeys.js";
import { twoFactor } from "./account-totp.js";
import { h, replace } from "./dom.js";
import { busy, explain, feedback, field } from "./forms.js";
import { formatDate, t } from "./i18n.js";

function section(id, title, ...children) {
  return h("section", { class: "card stack account-section", id, "aria-labelledby": `${id}-title` },
    h("h2", { id: `${id}-title`, text: title }), children);
}

function profile(me) {
  const name = field(t("display_name"), { type: "text", value: me.display_name || "", maxlength: 100, autocomplete: "name",
    id: "profile-name" });
  // The language of the mails this person receives (incident updates they follow).
  const mailLang = h("select", { id: "profile-lang", name: "lang" }, [["en", "English"], ["fr", "Français"]].map(([code, label]) =>
    h("option", { value: code, lang: code, selected: (me.lang || "en") === code }, label)));
  const langField = h("label", { for: "profile-lang" }, t("mail_language"), mailLang);
  const say = feedback();
  const save = h("button", { class: "btn primary", type: "submit" }, t("save"));
  const form = h("form", { class: "inline-form" }, name.node, langField, save);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      setMe(await busy(save, () => patch(`/api/users/users/${encodeURIComponent(me.id)}`, { display_name: name.input.value, lang: mailLang.value })));
      document.dispatchEvent(new CustomEvent("session-changed"));
      say.ok(t("saved"));
    } catch (error) { say.fail(explain(error)); }
  });
  return section("profile", t("profile"), h("p", { class: "meta", text: t("signed_in_as", { email: me.email }) }), form, say.node);
}

async function follows() {
  const ids = (await get("/api/users/users/me/follows")).incidents;
  const say = feedback();
  const list = h("ul", { class: "plain-list", id: "follows-list" });
  const incidents = await Promise.all(ids.map((id) => get(`/api/incidents/incidents/${encodeURIComponent(id)}`).catch(() => ({ id, name: id }))));
  const draw = () => replace(list, incidents.length ? incidents.map((incident) => h("li", { "data-follow": incident.id },
    h("a", { href: `/incidents/${encodeURIComponent(incident.id)}` }, incident.name),
    incident.status ? h("span", { class: "meta", text: ` · ${t(incident.status)}` }) : null,
    h("button", { class: "btn small", type: "button", onclick: async (event) => {
      try {
        await busy(event.currentTarget, () => del(`/api/users/users/me/follows/${encodeURIComponent(incident.id)}`));
        incidents.splice(incidents.indexOf(incident), 1);
        draw();
        say.ok(t("unfollowed"));
      } catch (error) { say.fail(explain(error)); }
    } }, t("unfollow")))) : h("li", { class: "meta", text: t("no_follows") }));
  draw();
  return section("follows", t("my_follows"), list, say.node);
}

async function subscriptions() {
  const [mine, catalog] = await Promise.all([get("/api/users/users/me/subscriptions"), get("/api/incidents/components")]);
  const names = Object.fromEntries((catalog.components || []).map((c) => [c.id, c.name]));
  const subscribed = new Set(mine.components);
  const say = feedback();
  const list = h("ul", { class: "plain-list", id: "subscriptions-list" });
  const choice = h("select", { id: "subscription-add", name: "component" });
  const add = h("button", { class: "btn", type: "submit" }, t("subscribe"));
  const form = h("form", { class: "inline-form" }, h("label", { for: "subscription-add" }, t("add_subscription"), choice), add);
  const draw = () => {
    replace(list, subscribed.size ? [...subscribed].sort().map((id) => h("li", { "data-subscription": id },
      h("a", { href: `/components/${encodeURIComponent(id)}` }, names[id] || id),
      h("button", { class: "btn small", type: "button", onclick: async (event) => {
        try {
          await busy(event.currentTarget, () => del(`/api/users/users/me/subscriptions/${encodeURIComponent(id)}`));
          subscribed.delete(id);
          draw();
          say.ok(t("unsubscribed_from", { name: names[id] || id }));
        } catch (error) { say.fail(explain(error)); }
      } }, t("unsubscribe")))) : h("li", { class: "meta", text: t("no_subscriptions") }));
    const left = (catalog.components || []).filter((c) => !subscribed.has(c.id));
    replace(choice, left.map((c) => h("option", { value: c.id }, c.name)));
    form.hidden = !left.length;
  };
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const id = choice.value;
    try {
      await busy(add, () => put(`/api/users/users/me/subscriptions/${encodeURIComponent(id)}`));
      subscribed.add(id);
      draw();
      say.ok(t("subscribed_to", { name: names[id] || id }));
    } catch (error) { say.fail(explain(error)); }
  });
  draw();
  return section("subscriptions", t("my_subscriptions"), list, form, say.node);
}

// How this account signs in (users' /auth/oidc/account); a users service that cannot say is
// taken to mean a password account, the page's shape before single sign-on.
const PASSWORD_ONLY = { sso: false, provider: null, linked_at: null, password: true, sso_only: false };

async function password(me) {
  const methods = await get("/api/users/auth/oidc/account").catch(() => PASSWORD_ONLY);
  const sso = methods.sso ? h("p", { id: "sso-state", class: "ok" }, t("sso_account", { name: methods.provider }),
    methods.linked_at ? h("span", { class: "meta", text: ` ${t("sso_since", { date: formatDate(methods.linked_at, { dateStyle: "medium" }) })}` }) : null) : null;
  if (methods.sso_only || !methods.password) {
    // No form that could only fail: a person without a password has no current one to give, and
    // a role that signs in with SSO only would never be let in by one.
    const why = methods.sso_only
      ? h("p", { id: "password-none", text: t("password_sso_only", { name: methods.provider || t("sso_provider") }) })
      : h("p", { id: "password-none" }, t("password_none", { name: methods.provider || t("sso_provider") }), " ",
        h("a", { href: "/reset" }, t("password_add")));
    return section("password", t("signing_in"), sso, why);
  }
  const current = field(t("current_password"), { type: "password", required: true, autocomplete: "current-password",
    id: "current-password" });
  const next = field(t("new_password"), { type: "password", required: true, minlength: 10, autocomplete: "new-password",
    id: "new-password" }, t("password_hint"));
  const say = feedback();
  const submit = h("button", { class: "btn primary", type: "submit" }, t("change_password"));
  const form = h("form", { class: "stack-form" }, current.node, next.node, submit, say.node);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    say.clear();
    try {
      await busy(submit, () => patch(`/api/users/users/${encodeURIComponent(me.id)}`,
        { current_password: current.input.value, password: next.input.value }));
      form.reset();
      say.ok(t("password_changed"));
    } catch (error) { say.fail(error.code === "wrong_password" ? t("wrong_current") : explain(error)); }
  });
  return section("password", methods.sso ? t("signing_in") : t("change_password"), sso, form);
}

function sessions(me, main) {
  const say = feedback();
  const here = h("button", { class: "btn", type: "button", id: "sign-out" }, t("sign_out_here"));
  const everywhere = h("button", { class: "btn danger", type: "button", id: "sign-out-everywhere" }, t("sign_out_everywhere"));
  here.addEventListener("click", async () => {
    // to the identity provider's sign-out first when SSO signed this session in; it sends the browser back
    location.href = (await busy(here, signOut)) || "/";
  });
  everywhere.addEventListener("click", async () => {
    try {
      await busy(everywhere, () => post("/api/users/auth/logout-everywhere"));
      clearSession();
      document.dispatchEvent(new CustomEvent("session-changed"));
      replace(main, h("section", { class: "card stack", role: "status" }, h("h1", { text: t("signed_out_everywhere") }),
        h("p", {}, h("a", { href: "/login" }, t("signin")))));
    } catch (error) { say.fail(explain(error)); }
  });
  return section("sessions", t("sessions"), h("p", { text: t("sessions_intro") }), h("p", { class: "crow" }, here, everywhere), say.node);
}

function deletion(me, main) {
  const confirm = field(t("type_email"), { type: "email", required: true, autocomplete: "off", id: "delete-email" });
  const say = feedback();
  const submit = h("button", { class: "btn danger", type: "submit" }, t("delete_confirm"));
  const form = h("form", { class: "stack-form" }, confirm.node, submit, say.node);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (confirm.input.value.trim().toLowerCase() !== me.email) { say.fail(t("type_email")); return; }
    try {
      await busy(submit, () => del(`/api/users/users/${encodeURIComponent(me.id)}`));
      await signOut();
      document.dispatchEvent(new CustomEvent("session-changed"));
      replace(main, h("section", { class: "card stack", role: "status" }, h("h1", { text: t("account_deleted") }),
        h("p", {}, h("a", { href: "/" }, t("go_status")))));
    } catch (error) { say.fail(explain(error)); }
  });
  return section("delete", t("delete_account"), h("p", { text: t("delete_intro") }), form);
}

export const SECTIONS = [profile, follows, subscriptions, password, sessions, twoFactor, passkeys, apiKeys, deletion];

export async function accountPage(main) {
  const current = session();
  if (!current) {
    replace(main, h("section", { class: "card stack" }, h("h1", { text: t("account") }), h("p", { text: t("signin_needed") }),
      h("p", {}, h("a", { href: "/login?next=/account" }, t("signin")), " · ", h("a", { href: "/signup" }, t("signup")))));
    return;
  }
  const me = current.me;
  const cards = await Promise.all(SECTIONS.map((draw) => draw(me, main)));
  replace(main, h("h1", { text: t("account") }), h("div", { class: "account-grid" }, cards));
}
