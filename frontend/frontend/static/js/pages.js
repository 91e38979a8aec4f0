// Component, incident, history and sign-in pages.
import { call, get, saveSession, session } from "./api.js";
import { h, replace, when } from "./dom.js";
import { lang, t } from "./i18n.js";
import { loadPage, problemButton, uptimeBars } from "./status.js";

function chart(buckets) {
  const width = 720, height = 200, pad = 24;
  const max = Math.max(4, ...buckets.map((b) => Math.max(b.count, b.baseline)));
  const step = (width - pad) / buckets.length;
  const y = (v) => height - pad - (v / max) * (height - pad * 2);
  const ns = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
  svg.setAttribute("class", "chart");
  svg.setAttribute("role", "img");
  const total = buckets.reduce((s, b) => s + b.count, 0);
  svg.setAttribute("aria-label", `${t("reports24")}: ${total}`);
  buckets.forEach((b, i) => {
    if (!b.count) return;
    const rect = document.createElementNS(ns, "rect");
    rect.setAttribute("x", pad + i * step); rect.setAttribute("width", Math.max(1, step - 0.5));
    rect.setAttribute("y", y(b.count)); rect.setAttribute("height", height - pad - y(b.count));
    rect.setAttribute("class", "count");
    svg.append(rect);
  });
  const line = document.createElementNS(ns, "polyline");
  line.setAttribute("points", buckets.map((b, i) => `${pad + i * step + step / 2},${y(b.baseline)}`).join(" "));
  line.setAttribute("class", "base");
  svg.append(line);
  for (const [index, label] of [[0, "-24h"], [Math.floor(buckets.length / 2), "-12h"], [buckets.length - 1, t("today")]]) {
    const text = document.createElementNS(ns, "text");
    text.setAttribute("x", pad + index * step); text.setAttribute("y", height - 6); text.textContent = label;
    svg.append(text);
  }
  return svg;
}

export async function componentPage(main, id) {
  const [data, reports] = await Promise.all([loadPage(), get(`/api/incidents/components/${encodeURIComponent(id)}/reports`)]);
  const component = (data.components || []).find((c) => c.id === id);
  if (!component) { replace(main, h("p", { class: "error", text: "Not found" })); return; }
  const me = session();
  replace(main,
    h("p", {}, h("a", { href: "/" }, `← ${t("back")}`)),
    h("h1", { text: component.name }),
    h("section", { class: "card state-box" }, h("span", { class: `pill s-${reports.state}` }, t(reports.state)),
      h("span", { "data-reports-count": id }, `${reports.last_15_min} ${t(reports.last_15_min === 1 ? "report15" : "reports15")}`), problemButton(component, () => componentPage(main, id))),
    h("h2", { text: t("reports24") }),
    h("section", { class: "card", style: "padding:12px" }, chart(reports.buckets),
      h("div", { class: "meta" }, `▮ ${t("reports24")} · ┄ ${t("baseline")}`)),
    h("h2", { text: t("top") }),
    h("section", { class: "card" }, reports.top_problems.length ? h("table", {}, h("tbody", {}, reports.top_problems.map((p) =>
      h("tr", {}, h("td", { text: p.type }), h("td", { text: `${Math.round(p.share * 100)} %` }))))) : h("p", { class: "component", text: t("noreports") })),
    h("h2", { text: "90 days" }), h("section", { class: "card component" }, uptimeBars(component.uptime || [])),
    me ? h("p", {}, h("button", { class: "btn", type: "button", onclick: async (e) => {
      await call("PUT", `/api/users/users/me/subscriptions/${encodeURIComponent(id)}`); e.target.textContent = t("subscribed"); } }, t("subscribe")))
      : h("p", {}, h("a", { href: "/login" }, t("signin_to_follow"))));
}

export async function incidentPage(main, id) {
  const incident = await get(`/api/incidents/incidents/${encodeURIComponent(id)}`);
  const me = session();
  let following = false;
  if (me) {
    try { following = (await get("/api/users/users/me/follows")).incidents.includes(id); } catch { following = false; }
  }
  const followBox = h("p", {});
  const drawFollow = () => replace(followBox, me
    ? h("button", { class: following ? "btn" : "btn primary", type: "button", id: "follow", onclick: async () => {
        await call(following ? "DELETE" : "PUT", `/api/users/users/me/follows/${encodeURIComponent(id)}`);
        following = !following; drawFollow(); } }, following ? t("unfollow") : t("follow"))
    : h("a", { href: `/login?next=/incidents/${encodeURIComponent(id)}` }, t("signin_to_follow")),
    following ? h("span", { class: "ok", role: "status" }, ` ${t("following")}`) : null);
  drawFollow();
  replace(main, h("p", {}, h("a", { href: "/" }, `← ${t("back")}`)), h("h1", { text: incident.name }),
    h("div", { class: "meta" }, `${t(incident.status) || incident.status} · ${incident.impact} · ${when(incident.created_at, lang)}`),
    followBox, h("h2", { text: t("timeline") }),
    h("ol", { class: "timeline card" }, incident.incident_updates.map((u) => h("li", {},
      h("strong", { text: u.status }), " — ", h("span", { text: u.body }), h("div", { class: "when", text: when(u.created_at, lang) })))));
}

export async function historyPage(main, page = 1) {
  const data = await get(`/api/incidents/incidents?page=${page}&per_page=10`);
  const pages = Math.max(1, Math.ceil(data.total / data.per_page));
  replace(main, h("h1", { text: t("history") }),
    data.incidents.length ? data.incidents.map((i) => h("article", { class: `card incident ${i.impact}` },
      h("h3", {}, h("a", { href: `/incidents/${encodeURIComponent(i.id)}` }, i.name)),
      h("div", { class: "meta" }, `${i.status} · ${when(i.created_at, lang)}`))) : h("p", { text: t("none_history") }),
    h("p", { class: "crow" },
      page > 1 ? h("button", { class: "btn", type: "button", onclick: () => historyPage(main, page - 1) }, t("newer")) : null,
      h("span", { class: "meta" }, `${page} / ${pages}`),
      page < pages ? h("button", { class: "btn", type: "button", onclick: () => historyPage(main, page + 1) }, t("older")) : null));
}

export function loginPage(main) {
  const message = h("p", { role: "alert" });
  const email = h("input", { type: "email", name: "email", required: true, autocomplete: "username", id: "email" });
  const password = h("input", { type: "password", name: "password", required: true, autocomplete: "current-password", id: "password" });
  const form = h("form", { class: "card stack", "aria-labelledby": "signin-title" },
    h("h1", { id: "signin-title", text: t("signin") }),
    h("label", { for: "email" }, t("email"), email), h("label", { for: "password" }, t("password"), password),
    h("button", { class: "btn primary", type: "submit" }, t("signin")), message);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      const tokens = await call("POST", "/api/users/auth/login", { email: email.value, password: password.value });
      sessionStorage.setItem("session", JSON.stringify(tokens));
      const me = await get("/api/users/auth/me");
      saveSession(tokens, me);
      const next = new URLSearchParams(location.search).get("next");
      location.href = next && next.startsWith("/") && !next.startsWith("//") ? next : (me.role === "user" ? "/" : "/console");
    } catch (error) {
      message.className = "error";
      message.textContent = error.status === 429 ? error.message : t("wrong");
    }
  });
  replace(main, form);
  email.focus();
}
