// The public page: overall state, banners, incidents, components with 90-day bars and the
// "I have a problem" button, third-party providers, our checks. Refreshes without reloading.
import { get, post } from "./api.js";
import { h, replace, when } from "./dom.js";
import { lang, t } from "./i18n.js";

let etag = null;
let last = null;
const dismissed = new Set(JSON.parse(localStorage.getItem("dismissed") || "[]"));

export async function loadPage() {
  const response = await fetch("/api/page.json", { headers: etag ? { "If-None-Match": etag } : {} });
  if (response.status === 304 && last) return last;
  etag = response.headers.get("ETag");
  last = await response.json();
  return last;
}

export function renderBanners(data) {
  const box = document.getElementById("banners");
  replace(box, (data.banners || []).filter((b) => !dismissed.has(b.id)).map((banner) => h("div",
    { class: `banner ${banner.severity}`, role: banner.severity === "critical" ? "alert" : "status" },
    h("span", { text: banner.message }),
    banner.link ? h("a", { href: banner.link, rel: "noopener" }, "→") : null,
    banner.dismissible ? h("button", { type: "button", "aria-label": "Dismiss", onclick: () => {
      dismissed.add(banner.id); localStorage.setItem("dismissed", JSON.stringify([...dismissed])); renderBanners(data);
    } }, "×") : null)));
}

function pill(status) {
  return h("span", { class: `pill s-${status}` }, t(status));
}

function tooltip(text, target) {
  const tip = h("div", { class: "tip", role: "tooltip" }, text);
  const box = target.getBoundingClientRect();
  document.body.append(tip);
  tip.style.left = `${Math.min(window.innerWidth - tip.offsetWidth - 8, Math.max(8, box.left - tip.offsetWidth / 2))}px`;
  tip.style.top = `${box.bottom + 8}px`;
  const remove = () => tip.remove();
  target.addEventListener("mouseleave", remove, { once: true });
  target.addEventListener("blur", remove, { once: true });
}

export function uptimeBars(days) {
  const cells = [];
  const padded = Array.from({ length: Math.max(0, 90 - days.length) }, () => null).concat(days);
  for (const day of padded) {
    if (!day) { cells.push(h("span", { class: "bar none", "aria-hidden": "true" })); continue; }
    const label = `${day.date}: ${day.uptime_pct}% ${t("uptime")}` +
      (day.incidents.length ? ` — ${t("incidents_that_day")}: ${day.incidents.map((i) => i.name).join(", ")}` : "");
    const worst = day.uptime_pct < 100 || day.worst_status !== "operational" ? day.worst_status : "operational";
    const cell = h("button", { type: "button", class: `bar ${worst}`, "aria-label": label });
    cell.addEventListener("mouseenter", () => tooltip(label, cell));
    cell.addEventListener("focus", () => tooltip(label, cell));
    cells.push(cell);
  }
  return [h("div", { class: "bars", role: "group", "aria-label": `90 ${t("uptime")}` }, cells),
          h("div", { class: "bars-legend" }, h("span", { text: t("daysago") }),
            h("span", { text: days.length ? `${(days.reduce((s, d) => s + d.uptime_pct, 0) / days.length).toFixed(2)} % ${t("uptime")}` : t("nouptime") }),
            h("span", { text: t("today") }))];
}

export function problemButton(component, onDone) {
  const area = h("div", { class: "problem" });
  const start = h("button", { type: "button", class: "btn small", "data-problem": component.id }, t("problem"));
  start.addEventListener("click", () => {
    replace(area, h("span", { text: t("whatproblem") }), h("div", { class: "choices" },
      (component.problem_types || []).map((type) => h("button", { type: "button", class: "btn small",
        "data-problem-type": type, onclick: async () => {
          await post("/api/incidents/reports", { component_id: component.id, problem_type: type });
          replace(area, h("span", { class: "thanks", role: "status" }, t("thanks")));
          if (onDone) onDone();
        } }, type))));
    area.querySelector("button")?.focus();
  });
  area.append(start);
  return area;
}

function componentRow(component, flags, refresh) {
  const reports = component.reports;
  return h("div", { class: "component", "data-component": component.id },
    h("div", { class: "crow" },
      h("span", { class: "cname" }, h("a", { href: `/components/${encodeURIComponent(component.id)}` }, component.name)),
      reports && reports.state !== "no_problems" ? h("span", { class: `pill s-${reports.state}` }, t(reports.state)) : null,
      pill(component.status)),
    component.description ? h("div", { class: "meta", text: component.description }) : null,
    uptimeBars(component.uptime || []),
    flags["reports-button"] === false ? null : h("div", { class: "crow" },
      reports ? h("span", { class: "meta", "data-reports-count": component.id }, `${reports.last_15_min} ${t(reports.last_15_min === 1 ? "report15" : "reports15")}`) : null,
      problemButton(component, refresh)));
}

export function incidentCard(incident) {
  const update = (incident.incident_updates || [])[0] || {};
  return h("article", { class: `card incident ${incident.impact}` },
    h("h3", {}, h("a", { href: `/incidents/${encodeURIComponent(incident.id)}` }, incident.name)),
    h("div", {}, h("strong", { text: `${t(update.status) !== update.status ? t(update.status) : (update.status || "")} ` }), update.body || ""),
    h("div", { class: "meta" }, `${t("updated")} ${when(incident.updated_at, lang)}` +
      ((incident.components || []).length ? ` · ${t("affected")}: ${incident.components.map((c) => c.name).join(", ")}` : "")));
}

export function render(main, data, refresh) {
  const status = data.status || { indicator: "unknown", description: t("unknown") };
  const flags = data.flags || {};
  const sections = [];
  const title = status.indicator === "none" ? t("all_ok") : status.description;
  sections.push(h("h1", { class: "visually-hidden" }, data.page ? data.page.name : "PolyStatus"));
  sections.push(h("div", { class: `overall ${status.indicator}`, role: "status" }, h("span", { text: title }),
    h("span", { class: "sub" }, `${t("updated")} ${when(new Date().toISOString(), lang)}`)));
  if ((data.missing || []).length) sections.push(h("p", { class: "missing", role: "note" }, `${t("missing")} ${data.missing.join(", ")}`));
  if ((data.incidents || []).length) {
    sections.push(h("h2", { text: t("active") }), data.incidents.map(incidentCard));
  }
  const upcoming = (data.maintenances || []).filter((m) => m.status === "scheduled" || m.status === "in_progress");
  if (upcoming.length) sections.push(h("h2", { text: t("upcoming") }), upcoming.map((m) => h("article", { class: "card incident maintenance" },
    h("h3", {}, m.name), h("div", { class: "meta" }, `${when(m.scheduled_for, lang)} → ${when(m.scheduled_until, lang)}`))));
  sections.push(h("h2", { text: t("components") }));
  const groups = [...(data.groups || []), { id: null, name: "" }];
  sections.push(h("section", { class: "card", "aria-label": t("components") }, groups.map((group) => {
    const members = (data.components || []).filter((c) => (c.group_id || null) === group.id &&
      (!c.only_show_if_degraded || c.status !== "operational"));
    if (!members.length) return null;
    return h("div", { class: "group" }, group.name ? h("h3", { text: group.name }) : null,
      members.map((c) => componentRow(c, flags, refresh)));
  })));
  if (flags["csp-section"] !== false && (data.providers || []).length) {
    sections.push(h("h2", { text: t("providers") }), h("div", { class: "providers" }, data.providers.map((p) =>
      h("div", { class: "card provider" }, h("div", { class: "crow" }, h("strong", { text: p.name }), pill(p.state)),
        (p.incidents || []).slice(0, 2).map((i) => h("div", { class: "meta", text: i.name }))))));
  }
  if ((data.checks || []).length) {
    sections.push(h("h2", { text: t("checks") }), h("section", { class: "card" }, data.checks.map((c) =>
      // Name and regions share the left (the regions wrap under the name on a phone); the state stays right.
      h("div", { class: "component check" }, h("div", { class: "crow" },
        h("div", { class: "cmain" }, h("span", { class: "cname", text: c.name }),
          h("span", { class: "regions" }, Object.entries(c.regions || {}).map(([region, r]) =>
            h("span", { class: `pill region s-${r.ok ? "up" : "down"}`, title: r.reason }, region)))),
        pill(c.state))))));
  }
  replace(main, sections);
}
