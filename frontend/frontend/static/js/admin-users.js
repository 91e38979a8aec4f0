// Admin → users: roles changed only after a confirmation; after a refused change the list
// shows the role the account really has (read again from the server), not the one picked.
// Whether each person has two-factor sign-in on, and a reset (confirmed) for one who lost their
// device: they then sign in with their password alone and set it up again from /account.
import { del, get, patch } from "./api.js";
import { h, when } from "./dom.js";
import { lang, t } from "./i18n.js";
import { act, confirmDialog, dangerButton, describe, empty, field, input, number, onSubmit, select, table } from "./staff.js";

const U = "/api/users";
const ROLES = ["user", "staff", "admin"];

function roleSelect(ctx, user) {
  const node = select("role", ROLES.map((r) => [r, t(`role_${r}`)]), user.role, { "aria-label": t("a_us_role_of").replace("{email}", user.email), "data-user": user.email });
  let shown = user.role;
  node.addEventListener("change", async () => {
    const wanted = node.value;
    const question = t("a_us_role_confirm").replace("{email}", user.email).replace("{from}", t(`role_${shown}`)).replace("{to}", t(`role_${wanted}`));
    if (!(await confirmDialog(question, { yes: t("a_us_change_role") }))) { node.value = shown; node.focus(); return; }
    node.disabled = true;
    try {
      const saved = await patch(`${U}/users/${user.id}`, { role: wanted });
      shown = saved.role;
      ctx.note.say(t("a_us_role_changed").replace("{email}", user.email).replace("{role}", t(`role_${saved.role}`)), "ok");
    } catch (error) {
      // The server said no: show what is true now, which may differ from what was shown before.
      try { shown = (await get(`${U}/users/${user.id}`)).role; } catch { /* keep the last known role */ }
      ctx.note.say(`${describe(error)} ${t("a_us_role_is").replace("{email}", user.email).replace("{role}", t(`role_${shown}`))}`, "error");
    } finally {
      node.value = shown;
      node.disabled = false;
      node.focus();
    }
  });
  return node;
}

// The search: part of an email or a name, and a role; a new search starts at its first page.
function searchForm(ctx) {
  const q = input("q", ctx.usersQuery || "", { type: "search", maxlength: 254, placeholder: "carol@example.com" });
  const role = select("role-filter", [["", t("a_us_any_role")], ...ROLES.map((r) => [r, t(`role_${r}`)])], ctx.usersRole || "");
  const submit = h("button", { type: "submit", class: "btn" }, t("a_us_search"));
  const form = h("form", { role: "search", class: "crow search", "aria-label": t("a_us_search_label") },
    field(t("a_us_search_label"), q), field(t("a_us_role"), role), submit);
  role.addEventListener("change", () => form.requestSubmit());
  return onSubmit(form, () => { ctx.usersQuery = q.value.trim(); ctx.usersRole = role.value; ctx.usersPage = 1; return ctx.refresh(); });
}

function twoFactor(ctx, user, state) {
  if (!state || !state.enabled) return h("span", { class: "meta", "data-totp": "off" }, t("a_us_totp_off"));
  const on = h("span", { "data-totp": "on" }, t("a_us_totp_on"), " ", when(state.enabled_at, lang));
  if (user.id === ctx.me.id) return on;  // your own is turned off from /account, with a code
  return h("span", { class: "crow" }, on, dangerButton(ctx, t("a_us_totp_reset"),
    t("a_us_totp_reset_confirm").replace("{email}", user.email), () => del(`${U}/users/${user.id}/totp`),
    t("a_us_totp_was_reset").replace("{email}", user.email), { detail: t("a_us_totp_reset_detail") }));
}

export async function usersTab(ctx) {
  const page = Number(ctx.usersPage || 1);
  const params = new URLSearchParams({ per_page: "50", page: String(page) });
  if (ctx.usersQuery) params.set("q", ctx.usersQuery);
  if (ctx.usersRole) params.set("role", ctx.usersRole);
  const data = await get(`${U}/users?${params}`);
  const searching = Boolean(ctx.usersQuery || ctx.usersRole);
  if (!data.users.length) {
    return h("div", {}, h("h2", {}, t("a_users")), searchForm(ctx), empty(searching ? t("a_us_none_found") : t("a_no_users")));
  }
  const totp = new URLSearchParams(data.users.map((u) => ["user_id", u.id]));
  const states = Object.fromEntries((await get(`${U}/auth/totp/accounts?${totp}`)).accounts.map((a) => [a.user_id, a]));
  const pages = Math.max(1, Math.ceil(data.total / data.per_page));
  const rows = data.users.map((u) => [h("span", { text: u.email }), h("span", { text: u.display_name }), roleSelect(ctx, u),
    when(u.created_at, lang), twoFactor(ctx, u, states[u.id]),
    u.id === ctx.me.id ? h("span", { class: "meta" }, t("a_us_you")) : h("button", { type: "button", class: "btn small danger", onclick: async (event) => {
      const target = event.currentTarget;
      if (!(await confirmDialog(t("a_us_delete_confirm").replace("{email}", u.email), { yes: t("st_delete"), danger: true }))) return;
      await act(ctx.note, target, () => del(`${U}/users/${u.id}`), t("a_deleted").replace("{name}", u.email), ctx.refresh);
    } }, t("st_delete"))]);
  const go = (to) => () => { ctx.usersPage = to; ctx.refresh(); };
  return h("div", {}, h("h2", {}, `${t("a_users")} (${number(data.total)})`), searchForm(ctx),
    searching ? h("p", { class: "meta", role: "status" }, t("a_us_found").replace("{n}", number(data.total))) : null,
    table(t("a_users"), [t("a_email"), t("a_name"), t("a_us_role"), t("a_us_since"), t("a_us_totp"), ""], rows),
    pages > 1 ? h("nav", { class: "pager", "aria-label": t("a_pages") },
      h("button", { type: "button", class: "btn", disabled: page <= 1, onclick: go(page - 1) }, t("newer")),
      h("span", { class: "meta" }, `${page} / ${pages}`),
      h("button", { type: "button", class: "btn", disabled: page >= pages, onclick: go(page + 1) }, t("older"))) : null);
}
