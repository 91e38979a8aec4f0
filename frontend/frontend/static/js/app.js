// Entry point. Each page has its own module, static/js/pages/<page>.js (the name in
// <body data-page>), whose default export draws or enhances <main>; its strings come from its
// own dictionary (frontend/i18n/<area>.json), embedded by the server. Adding a page needs no
// change here.
import { restoreSession, session } from "./api.js";
import { h, replace } from "./dom.js";
import { t } from "./i18n.js";

const main = document.getElementById("main");
const page = document.body.dataset.page;
const id = document.body.dataset.id;

function account() {
  const current = session();
  const link = document.getElementById("signin");
  document.body.classList.toggle("is-staff", Boolean(current && current.me && ["staff", "admin"].includes(current.me.role)));
  document.body.classList.toggle("is-admin", Boolean(current && current.me && current.me.role === "admin"));
  if (!link) return;
  // Signed in: the link leads to the account page (where one signs out); signed out: to sign-in.
  if (current && current.me) {
    link.textContent = current.me.display_name || current.me.email;
    link.setAttribute("href", "/account");
    link.setAttribute("aria-label", `${t("account")}: ${current.me.display_name || current.me.email}`);
  } else {
    link.textContent = t("signin");
    link.setAttribute("href", "/login");
    link.removeAttribute("aria-label");
  }
}

function draw() {
  return import(`./pages/${page}.js`).then((module) => module.default(main, { id })).catch(failed);
}

function failed(error) {
  replace(main, h("p", { class: "error", role: "alert" }, error.status === 401 || error.status === 403
    ? `${error.message} — ` : error.message), error.status === 401 ? h("a", { href: `/login?next=${location.pathname}` }, t("signin")) : null);
}

document.addEventListener("session-changed", account);
// An emailed link pasted into the tab that asked for it changes only the fragment: draw again.
window.addEventListener("hashchange", () => { if (page && location.hash.includes("token=")) draw(); });
// The session comes back from its cookie before anything is drawn (a new tab, an emailed link).
restoreSession().then(() => {
  account();
  if (page) draw();
});
