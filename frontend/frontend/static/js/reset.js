// A forgotten password: ask for a link by email; the link's page sets the new password.
import { adoptSession, post } from "./api.js";
import { h, replace } from "./dom.js";
import { busy, explain, feedback, field, tokenFromLink } from "./forms.js";
import { lang, t } from "./i18n.js";
import { authLinks } from "./signup.js";

function askForLink(main) {
  const email = field(t("email"), { type: "email", name: "email", required: true, autocomplete: "email", id: "reset-email" });
  const say = feedback();
  const submit = h("button", { class: "btn primary", type: "submit" }, t("send_link"));
  const form = h("form", { class: "card stack", "aria-labelledby": "reset-title" },
    h("h1", { id: "reset-title", text: t("reset_title") }), h("p", { text: t("reset_intro") }), email.node, submit, say.node,
    authLinks("signin", "signup"));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    say.clear();
    try {
      await busy(submit, () => post("/api/users/auth/reset", { email: email.input.value, lang }));
      replace(main, h("section", { class: "card stack", role: "status" }, h("h1", { text: t("check_mail") }),
        h("p", { text: t("sent_link", { email: email.input.value }) })));
    } catch (error) {
      say.fail(explain(error));
    }
  });
  replace(main, form);
}

function chooseNew(main, token) {
  const password = field(t("new_password"), { type: "password", required: true, minlength: 10, autocomplete: "new-password",
    id: "reset-password" }, t("password_hint"));
  const again = field(t("confirm_password"), { type: "password", required: true, autocomplete: "new-password", id: "reset-again" });
  const say = feedback();
  const submit = h("button", { class: "btn primary", type: "submit" }, t("set_password"));
  const form = h("form", { class: "card stack", "aria-labelledby": "reset-title" },
    h("h1", { id: "reset-title", text: t("choose_password") }), password.node, again.node, submit, say.node);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    say.clear();
    if (password.input.value !== again.input.value) { say.fail(t("passwords_differ")); return; }
    try {
      const answer = await busy(submit, () => post("/api/users/auth/reset/confirm",
        { token, password: password.input.value, session: "cookie" }));
      adoptSession(answer, answer.user);
      document.dispatchEvent(new CustomEvent("session-changed"));
      replace(main, h("section", { class: "card stack", role: "status" }, h("h1", { text: t("choose_password") }),
        h("p", { class: "ok", text: t("reset_done") }),
        h("p", {}, h("a", { href: "/" }, t("go_status")), " · ", h("a", { href: "/account" }, t("go_account")))));
    } catch (error) {
      say.fail(explain(error));
      if (error.code === "link_expired" || error.code === "link_invalid") form.append(authLinks("reset"));
    }
  });
  replace(main, form);
}

export function resetPage(main) {
  const token = tokenFromLink();
  if (token) chooseNew(main, token); else askForLink(main);
}
