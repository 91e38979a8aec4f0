// Entry point: the page named by <body data-page> is drawn here.
import { clearSession, session } from "./api.js";
import { adminPage } from "./admin.js";
import { consolePage } from "./console.js";
import { h, replace } from "./dom.js";
import { applyStatic, t, toggle } from "./i18n.js";
import { componentPage, historyPage, incidentPage, loginPage } from "./pages.js";
import { loadPage, render, renderBanners } from "./status.js";

const main = document.getElementById("main");
const page = document.body.dataset.page;
const id = document.body.dataset.id;

function account() {
  const current = session();
  const link = document.getElementById("signin");
  document.body.classList.toggle("is-staff", Boolean(current && current.me && ["staff", "admin"].includes(current.me.role)));
  document.body.classList.toggle("is-admin", Boolean(current && current.me && current.me.role === "admin"));
  if (current && current.me) {
    link.textContent = `${t("signout")} (${current.me.display_name || current.me.email})`;
    link.onclick = (event) => { event.preventDefault(); clearSession(); location.href = "/"; };
  }
}

async function draw() {
  try {
    if (page === "status") {
      const data = await loadPage();
      if (data.page && data.page.name) document.getElementById("page-name").textContent = data.page.name;
      renderBanners(data);
      render(main, data, draw);
    } else if (page === "component") await componentPage(main, id);
    else if (page === "incident") await incidentPage(main, id);
    else if (page === "history") await historyPage(main);
    else if (page === "login") loginPage(main);
    else if (page === "console") await consolePage(main);
    else if (page === "admin") await adminPage(main);
  } catch (error) {
    replace(main, h("p", { class: "error", role: "alert" }, error.status === 401 || error.status === 403
      ? `${error.message} — ` : error.message), error.status === 401 ? h("a", { href: `/login?next=${location.pathname}` }, t("signin")) : null);
  }
}

document.getElementById("lang").addEventListener("click", () => { toggle(); account(); draw(); });
applyStatic();
account();
draw();
if (page === "status" || page === "component") {
  // Auto-refresh without reloading; the page keeps its size, so nothing jumps.
  setInterval(() => { if (!document.hidden) draw(); }, 30_000);
}
