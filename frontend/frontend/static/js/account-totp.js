// /account → two-factor sign-in (issue 20): set up with an authenticator app (QR code or the
// secret typed in), turned on with a first code, recovery codes shown once; turned off with a code.
import { get, post } from "./api.js";
import { h, replace } from "./dom.js";
import { busy, explain, feedback, field } from "./forms.js";
import { t } from "./i18n.js";

// A recovery code has letters and dashes; an app's code is six digits.
const secondFactor = (value) => (/^\s*\d{6}\s*$/.test(value) ? { code: value.trim() } : { recovery_code: value.trim() });

function recoveryCodes(codes, done) {
  const say = feedback();
  const copy = h("button", { type: "button", class: "btn", id: "recovery-copy" }, t("totp_copy_codes"));
  copy.addEventListener("click", async () => {
    try { await navigator.clipboard.writeText(codes.join("\n")); say.ok(t("key_copied")); } catch { say.fail(t("totp_copy_by_hand")); }
  });
  const saved = h("button", { type: "button", class: "btn primary", id: "recovery-saved" }, t("totp_codes_saved"));
  saved.addEventListener("click", done);
  return h("div", { class: "key-once stack-form", role: "region", "aria-labelledby": "recovery-title" },
    h("h3", { id: "recovery-title", text: t("totp_codes_title") }), h("p", { text: t("totp_codes_intro") }),
    h("ul", { class: "recovery-codes", id: "recovery-codes" }, codes.map((code) => h("li", {}, h("code", { text: code })))),
    h("p", { class: "crow" }, copy, saved), say.node);
}

export async function twoFactor(me) {
  const say = feedback();
  const body = h("div", { class: "stack-form" });
  const draw = async () => {
    const state = await get("/api/users/auth/totp");
    if (state.enabled) {
      const off = field(t("totp_off_code"), { type: "text", required: true, autocomplete: "one-time-code", id: "totp-disable-code",
        maxlength: 40, spellcheck: "false" });
      const submit = h("button", { class: "btn danger", type: "submit" }, t("totp_turn_off"));
      const form = h("form", { class: "stack-form" }, off.node, submit);
      form.addEventListener("submit", async (event) => {
        event.preventDefault();
        try {
          await busy(submit, () => post("/api/users/auth/totp/disable", secondFactor(off.input.value)));
          say.ok(t("totp_is_off"));
          await draw();
        } catch (error) { say.fail(error.code === "wrong_code" ? t("totp_wrong") : explain(error)); }
      });
      replace(body, h("p", { id: "totp-state", class: "ok", text: t("totp_is_on") }),
        h("p", { class: "meta", text: t("totp_codes_left", { count: state.recovery_codes_left }) }), form);
      return;
    }
    const start = h("button", { type: "button", class: "btn primary", id: "totp-start" }, t("totp_set_up"));
    start.addEventListener("click", async () => {
      try {
        const setup = await busy(start, () => post("/api/users/auth/totp/setup"));
        const code = field(t("totp_first_code"), { type: "text", required: true, autocomplete: "one-time-code", inputmode: "numeric",
          id: "totp-enable-code", maxlength: 6, spellcheck: "false" });
        const submit = h("button", { class: "btn primary", type: "submit" }, t("totp_turn_on"));
        const form = h("form", { class: "stack-form" }, code.node, submit);
        form.addEventListener("submit", async (event) => {
          event.preventDefault();
          try {
            const answer = await busy(submit, () => post("/api/users/auth/totp/enable", { code: code.input.value.trim() }));
            say.ok(t("totp_is_on"));
            replace(body, recoveryCodes(answer.recovery_codes, () => { say.clear(); draw(); }));
            body.querySelector("#recovery-saved").focus();
          } catch (error) { say.fail(error.status === 422 ? t("totp_wrong") : explain(error)); }
        });
        replace(body, h("ol", { class: "stack-form totp-steps" },
          h("li", {}, t("totp_scan"), h("img", { src: setup.qr, alt: t("totp_qr_alt"), width: 180, height: 180, class: "qr" })),
          h("li", {}, t("totp_or_type"), " ", h("code", { id: "totp-secret", text: setup.secret })),
          h("li", {}, form)));
        code.input.focus();
      } catch (error) { say.fail(explain(error)); }
    });
    replace(body, h("p", { id: "totp-state", text: state.required ? t("totp_required") : t("totp_is_off") }), start);
  };
  await draw();
  return h("section", { class: "card stack account-section", id: "two-factor", "aria-labelledby": "two-factor-title" },
    h("h2", { id: "two-factor-title", text: t("two_factor") }), h("p", { text: t("totp_intro") }), body, say.node);
}
