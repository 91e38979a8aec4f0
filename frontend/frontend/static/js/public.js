// What the public pages' script adds to the server-rendered HTML: times in the visitor's own
// time zone (Intl), "I have a problem" without leaving the page, dismissible banners, and a
// refresh that swaps in the server's newer HTML (one renderer: the server's templates).
import { post, get } from "./api.js";
import { h, replace } from "./dom.js";
import { formatNumber, localizeTimes, t } from "./i18n.js";

const dismissed = new Set(JSON.parse(localStorage.getItem("dismissed") || "[]"));
let quietUntil = 0;

function reportForms(root) {
  for (const form of root.querySelectorAll("form.report-form")) {
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const componentId = form.elements.namedItem("component_id").value;
      const type = event.submitter ? event.submitter.value : "other";
      const box = form.closest("details") || form;
      const status = h("p", { class: "notice", role: "status" }, t("sending"));
      for (const button of form.querySelectorAll("button")) button.disabled = true;
      box.after(status);
      quietUntil = Date.now() + 15_000; // the thanks stays on screen before any refresh
      try {
        await post("/api/incidents/reports", { component_id: componentId, problem_type: type });
        status.className = "notice ok";
        status.textContent = t("thanks");
        box.remove();
        const fresh = await get(`/api/incidents/components/${encodeURIComponent(componentId)}/reports`).catch(() => null);
        if (fresh) {
          for (const count of document.querySelectorAll(`[data-reports-count="${CSS.escape(componentId)}"]`)) {
            count.textContent = t(fresh.last_15_min === 1 ? "report15" : "reports15", { count: formatNumber(fresh.last_15_min) });
          }
        }
      } catch (error) {
        status.className = "notice error";
        status.textContent = error.status === 429 ? t("report_limited") : t("report_failed");
        for (const button of form.querySelectorAll("button")) button.disabled = false;
      }
    });
  }
}

function banners(root) {
  for (const banner of root.querySelectorAll("[data-banner]")) {
    if (dismissed.has(banner.dataset.banner)) { banner.remove(); continue; }
    if (!banner.hasAttribute("data-dismissible")) continue;
    banner.append(h("button", { type: "button", class: "dismiss", "aria-label": t("dismiss"), onclick: () => {
      dismissed.add(banner.dataset.banner);
      localStorage.setItem("dismissed", JSON.stringify([...dismissed]));
      banner.remove();
    } }, "×"));
  }
}

// The copy of the page a visitor got may be one the edge kept while everything behind it was
// down: past its outdated_after, the page says so. Its age is measured against the server's
// clock (the Date of an answer), not the visitor's, which may be wrong.
function outdated(root, serverNow) {
  for (const notice of root.querySelectorAll("[data-outdated-notice]")) {
    const age = (serverNow - Date.parse(notice.dataset.generatedAt)) / 1000;
    notice.hidden = !(age > Number(notice.dataset.outdatedAfter));
  }
}

async function serverNow() {
  try {
    const response = await fetch(location.href, { method: "HEAD", cache: "no-store" });
    const date = Date.parse(response.headers.get("Date") || "");
    return Number.isNaN(date) ? Date.now() : date;
  } catch {
    return Date.now(); // nothing answers at all: the visitor's clock is all there is
  }
}

export function enhance(root) {
  localizeTimes(root);
  reportForms(root);
  banners(root);
  if (root.querySelector("[data-outdated-notice]")) serverNow().then((now) => outdated(root, now));
}

// Every `seconds`, while the tab is visible and the visitor is not in the middle of something
// (focus in the page, a "What is the problem?" box open), the page's HTML is fetched again and
// <main> swapped: the same markup as a reload, without losing the scroll position.
export function refreshEvery(main, seconds) {
  setInterval(async () => {
    if (document.hidden || Date.now() < quietUntil || main.contains(document.activeElement) && document.activeElement !== main
        || main.querySelector("details[open]")) return;
    try {
      const response = await fetch(location.href, { headers: { Accept: "text/html" } });
      if (!response.ok) return;
      const fresh = new DOMParser().parseFromString(await response.text(), "text/html").getElementById("main");
      if (!fresh) return;
      replace(main, [...fresh.childNodes].map((node) => document.importNode(node, true)));
      localizeTimes(main);
      reportForms(main);
      banners(main);
      outdated(main, Date.parse(response.headers.get("Date") || "") || Date.now());
    } catch { /* offline for a moment: the next round tries again */ }
  }, seconds * 1000);
}
