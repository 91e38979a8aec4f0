// Sign in; with two-factor sign-in on, a second step asks for the app's code (or a recovery code).
// With single sign-on configured, a "Sign in with <provider>" link starts the provider's round
// trip (users' /auth/oidc/start), which comes back here: ?sso=done (the session cookie is set)
// or ?sso_error=<code>, put in words below. Where users offers passkeys and the browser has
// WebAuthn, "Sign in with a passkey" asks the device for one of this site's passkeys (no email
// first) and signs in with no code asked after it.
import { get, resumeSignIn, signIn, signInSecondStep, signInWith, ssoOffer } from "../api.js";
import { h, replace } from "../dom.js";
import { busy } from "../forms.js";
import { t } from "../i18n.js";
import { passkeyAssertion, passkeyProblem, supported as passkeysSupported, worksHere } from "../passkeys.js";
import { authLinks } from "../signup.js";

function landing(me) {
  const next = new URLSearchParams(location.search).get("next");
  location.href = next && next.startsWith("/") && !next.startsWith("//") ? next : (me.role === "user" ? "/" : "/console");
}

const SSO_ERRORS = ["sso_email_unverified", "sso_no_email", "sso_state", "sso_denied", "sso_no_account", "sso_unavailable",
  "rate_limited", "last_admin", "sso_email_taken", "sso_linked_elsewhere"];

function ssoError(code) {
  return t(SSO_ERRORS.includes(code) ? `sso_error_${code}` : "sso_error_sso_failed");
}

function ssoButton(offer) {
  // Where the round trip lands: the page that sent the person here, else (no next) their role's page.
  const next = new URLSearchParams(location.search).get("next");
  const link = h("a", { class: "btn sso", id: "sso-signin", href: next ? `${offer.start_url}?${new URLSearchParams({ next })}` : offer.start_url },
    t("sso_signin", { name: offer.name }));
  // A navigation to the provider: say it is under way (the provider may take a moment to answer).
  link.addEventListener("click", () => { link.setAttribute("aria-busy", "true"); link.textContent = t("sso_going", { name: offer.name }); });
  return link;
}

function passkeyButton(message, ssoName) {
  const button = h("button", { type: "button", class: "btn sso", id: "passkey-signin" }, t("passkey_signin"));
  button.addEventListener("click", async () => {
    message.className = "";
    message.textContent = "";
    try {
      landing(await busy(button, () => signInWith(passkeyAssertion())));
    } catch (error) {
      message.className = "error";
      if (error.code === "sso_required") {
        message.textContent = t("sso_required", { name: (error.data.error.details || {}).provider || ssoName() || "SSO" });
      } else message.textContent = passkeyProblem(error) || (error.status === 429 ? error.message : t("passkey_failed"));
    }
  });
  return button;
}

// Whether users offers passkeys here (a users service that cannot say: no button, the form stays).
async function passkeysOffered() {
  if (!passkeysSupported()) return false;
  try { return worksHere(await get("/api/users/auth/passkeys/info")); } catch { return false; }
}

async function resume(main) {
  const status = h("p", { role: "status", text: t("sso_signing_in") });
  replace(main, h("section", { class: "card stack", "aria-labelledby": "signin-title" },
    h("h1", { id: "signin-title", text: t("signin") }), status));
  try {
    landing(await resumeSignIn());
  } catch {
    const params = new URLSearchParams(location.search);
    params.delete("sso");
    params.set("sso_error", "sso_failed");
    history.replaceState(null, "", `/login?${params}`);
    loginPage(main);
  }
}

function secondStep(main, token) {
  const message = h("p", { role: "alert" });
  let recovery = false;
  const input = h("input", { type: "text", name: "code", required: true, autocomplete: "one-time-code", inputmode: "numeric",
    id: "totp-code", maxlength: 40, spellcheck: "false" });
  const label = h("label", { for: "totp-code" }, t("totp_code"), input);
  const hint = h("p", { class: "hint", id: "totp-hint", text: t("totp_code_hint") });
  input.setAttribute("aria-describedby", "totp-hint");
  const toggle = h("button", { type: "button", class: "btn small", id: "totp-use-recovery" }, t("totp_use_recovery"));
  toggle.addEventListener("click", () => {
    recovery = !recovery;
    label.firstChild.textContent = recovery ? t("totp_recovery_code") : t("totp_code");
    hint.textContent = recovery ? t("totp_recovery_hint") : t("totp_code_hint");
    toggle.textContent = recovery ? t("totp_use_code") : t("totp_use_recovery");
    input.setAttribute("inputmode", recovery ? "text" : "numeric");
    input.value = "";
    input.focus();
  });
  const form = h("form", { class: "card stack", "aria-labelledby": "totp-title" },
    h("h1", { id: "totp-title", text: t("totp_title") }), label, hint,
    h("button", { class: "btn primary", type: "submit" }, t("totp_verify")), toggle, message);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      const value = input.value.trim();
      landing(await signInSecondStep(token, recovery ? { recoveryCode: value } : { code: value }));
    } catch (error) {
      message.className = "error";
      if (error.code === "mfa_expired") {
        message.textContent = t("totp_expired");
        setTimeout(() => loginPage(main), 2500);
      } else message.textContent = error.status === 429 ? error.message : t("totp_wrong");
    }
  });
  replace(main, form);
  input.focus();
}

export default function loginPage(main) {
  const params = new URLSearchParams(location.search);
  if (params.get("sso") === "done") { resume(main); return; }
  const message = h("p", { role: "alert" });
  const email = h("input", { type: "email", name: "email", required: true, autocomplete: "username", id: "email" });
  const password = h("input", { type: "password", name: "password", required: true, autocomplete: "current-password", id: "password" });
  const form = h("form", { class: "card stack", "aria-labelledby": "signin-title" },
    h("h1", { id: "signin-title", text: t("signin") }),
    h("label", { for: "email" }, t("email"), email), h("label", { for: "password" }, t("password"), password),
    h("button", { class: "btn primary", type: "submit" }, t("signin")), message, authLinks("reset", "signup"));
  let offer = null;
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      const answer = await signIn(email.value, password.value);
      if (answer.mfa) secondStep(main, answer.mfa); else landing(answer);
    } catch (error) {
      message.className = "error";
      if (error.code === "sso_required") {
        message.textContent = t("sso_required", { name: (error.data.error.details || {}).provider || (offer && offer.name) || "SSO" });
      } else message.textContent = error.status === 429 ? error.message : t("wrong");
    }
  });
  if (params.get("sso_error")) {
    message.className = "error";
    message.textContent = ssoError(params.get("sso_error"));
  }
  // The other ways in, under one "or": single sign-on and passkeys, each when users offers it.
  const others = h("div", { class: "sso-choice stack", hidden: true }, h("p", { class: "or", text: t("sso_or") }));
  form.insertBefore(others, message);
  replace(main, form);
  email.focus();
  // The password form is usable at once; the other buttons join it when users says they are on.
  ssoOffer().then((found) => {
    offer = found;
    if (!found) return;
    others.insertBefore(ssoButton(found), others.querySelector("#passkey-signin"));
    others.hidden = false;
  });
  passkeysOffered().then((offered) => {
    if (!offered) return;
    others.append(passkeyButton(message, () => offer && offer.name));
    others.hidden = false;
  });
}
