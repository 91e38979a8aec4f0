// Sign up, then confirm from the emailed link (which creates the account and signs it in).
import { adoptSession, post } from "./api.js";
import { h, replace } from "./dom.js";
import { busy, explain, feedback, field, tokenFromLink } from "./forms.js";
import { lang, t } from "./i18n.js";

export function authLinks(...which) {
  const links = { signin: ["/login", "have_account"], signup: ["/signup", "no_account"], reset: ["/reset", "forgot"] };
  return h("p", { class: "auth-links" }, which.map((key) => h("a", { href: links[key][0] }, t(links[key][1]))));
}

export function signupPage(main) {
  const name = field(t("display_name"), { type: "text", name: "name", autocomplete: "name", maxlength: 100, id: "signup-name" });
  const email = field(t("email"), { type: "email", name: "email", required: true, autocomplete: "email", id: "signup-email" });
  const password = field(t("password"), { type: "password", name: "password", required: true, minlength: 10,
    autocomplete: "new-password", id: "signup-password" }, t("password_hint"));
  const say = feedback();
  const submit = h("button", { class: "btn primary", type: "submit" }, t("signup"));
  const form = h("form", { class: "card stack", "aria-labelledby": "signup-title" },
    h("h1", { id: "signup-title", text: t("signup_title") }), name.node, email.node, password.node, submit, say.node,
    authLinks("signin"));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    say.clear();
    try {
      await busy(submit, () => post("/api/users/auth/signup", { email: email.input.value, password: password.input.value,
        display_name: name.input.value, lang }));
      replace(main, h("section", { class: "card stack", role: "status" }, h("h1", { text: t("check_mail") }),
        h("p", { text: t("sent_link", { email: email.input.value }) })));
    } catch (error) {
      say.fail(explain(error));
    }
  });
  replace(main, form);
}

export async function signupConfirmPage(main) {
  const token = tokenFromLink();
  if (!token) { replace(main, h("p", { class: "error", role: "alert", text: t("no_token") }), authLinks("signup")); return; }
  replace(main, h("p", { class: "loading", role: "status", text: t("confirming") }));
  try {
    const answer = await post("/api/users/auth/signup/confirm", { token, session: "cookie" });
    adoptSession(answer, answer.user);
    document.dispatchEvent(new CustomEvent("session-changed"));
    replace(main, h("section", { class: "card stack", role: "status" },
      h("h1", { text: t("welcome", { name: answer.user.display_name || answer.user.email }) }),
      h("p", {}, h("a", { href: "/" }, t("go_status")), " · ", h("a", { href: "/account" }, t("go_account")))));
  } catch (error) {
    replace(main, h("section", { class: "card stack" }, h("h1", { text: t("signup_title") }),
      h("p", { class: "error", role: "alert", text: error.code === "email_taken" ? t("email_taken") : explain(error) }),
      authLinks("signin", "signup")));
  }
}
