// Admin pages: users and roles, checks (per region) and agents, heartbeats, providers, channels, flags, dead letters.
import { del, get, patch, post } from "./api.js";
import { h, replace, when } from "./dom.js";
import { lang } from "./i18n.js";

function table(headers, rows) {
  return h("table", {}, h("thead", {}, h("tr", {}, headers.map((x) => h("th", { scope: "col" }, x)))),
    h("tbody", {}, rows.map((cells) => h("tr", {}, cells.map((c) => h("td", {}, c))))));
}

const TABS = {
  Users: async () => {
    const data = await get("/api/users/users?per_page=200");
    return table(["Email", "Name", "Role", ""], data.users.map((u) => {
      const role = h("select", { "aria-label": `Role of ${u.email}` }, ["user", "staff", "admin"].map((r) => h("option", { value: r, selected: r === u.role }, r)));
      const note = h("span", { role: "status" });
      role.addEventListener("change", () => patch(`/api/users/users/${u.id}`, { role: role.value })
        .then(() => { note.textContent = "✓"; }).catch((e) => { note.textContent = e.message; note.className = "error"; }));
      return [u.email, u.display_name, role, note];
    }));
  },
  Checks: async () => {
    const data = await get("/api/csp-status/checks");
    return table(["Name", "Kind", "State", "Regions", "Last result"], data.checks.map((c) => [c.name, c.kind,
      h("span", { class: `pill s-${c.state}` }, c.state),
      h("span", {}, Object.entries(c.regions || {}).map(([region, r]) => h("span", { class: `pill region s-${r.ok ? "up" : "down"}`, title: r.reason }, region))),
      c.last_result ? `${c.last_result.ok ? "OK" : "NOK"} — ${c.last_result.reason}` : "—"]));
  },
  Agents: async () => {
    const data = await get("/api/csp-status/agents");
    const created = h("div", { role: "status" });
    const form = h("form", { class: "stack" }, h("label", {}, "Region ", h("input", { name: "region", required: true, pattern: "[a-z0-9][a-z0-9_-]{0,39}", placeholder: "paris-ovh" })),
      h("button", { class: "btn", type: "submit" }, "Register an agent"), created);
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      post("/api/csp-status/agents", { region: form.elements.namedItem("region").value }).then((agent) => {
        // The token is shown once: the server keeps only its hash.
        replace(created, h("p", {}, "Token for ", h("strong", { text: agent.region }), " (shown once): ", h("code", { text: agent.token }), " ",
          h("button", { class: "btn small", type: "button", onclick: () => navigator.clipboard.writeText(agent.token) }, "Copy")));
      }).catch((e) => { replace(created, h("p", { class: "error", text: e.message })); });
    });
    const rows = data.agents.map((a) => {
      const contact = a.last_contact || {};
      return [h("strong", { text: a.region }), a.name || "", contact.at ? when(contact.at, lang) : "never", String(contact.buffered ?? "—"),
        h("button", { class: "btn small", type: "button", onclick: (e) => del(`/api/csp-status/agents/${a.id}`).then(() => { e.target.textContent = "revoked"; }) }, "Revoke")];
    });
    return h("div", { class: "stack" }, table(["Region", "Name", "Last contact", "Buffered results", ""], rows), form);
  },
  Heartbeats: async () => {
    const data = await get("/api/csp-status/heartbeats");
    return table(["Name", "State", "Ping URL", "Last ping"], data.heartbeats.map((b) => [b.name,
      h("span", { class: `pill s-${b.state}` }, b.state), h("span", {}, h("code", { text: b.ping_url }), " ",
        h("button", { class: "btn small", type: "button", onclick: () => navigator.clipboard.writeText(b.ping_url) }, "Copy")),
      b.last_ping ? when(b.last_ping, lang) : "—"]));
  },
  Providers: async () => {
    const data = await get("/api/csp-status/providers");
    return table(["Provider", "State", "Last poll", ""], data.providers.map((p) => {
      const note = h("span", { role: "status" });
      return [p.name, h("span", { class: `pill s-${p.state}` }, p.state), p.last_polled_at ? when(p.last_polled_at, lang) : "—",
        h("span", {}, h("button", { class: "btn small", type: "button", onclick: () => post(`/api/csp-status/providers/${p.id}/poll`)
          .then((r) => { note.textContent = r.state; }).catch((e) => { note.textContent = e.message; }) }, "Poll now"), note)];
    }));
  },
  Channels: async () => {
    const data = await get("/api/comms/channels");
    return table(["Name", "URL (masked)", "Events", "Mode"], data.channels.map((c) => [c.name, h("code", { text: c.url }),
      c.events.join(", "), c.log_only ? "log only" : "send"]));
  },
  Flags: async () => {
    const data = await get("/api/feature-flags/flags");
    return table(["Flag", "Enabled", "Default", "Audit"], data.flags.map((f) => {
      const toggle = h("input", { type: "checkbox", checked: f.enabled, "aria-label": `Enable ${f.key}` });
      toggle.addEventListener("change", () => patch(`/api/feature-flags/flags/${f.key}`, { enabled: toggle.checked }));
      const audit = h("div", {});
      return [h("span", {}, h("strong", { text: f.key }), h("div", { class: "meta", text: f.description })), toggle, f.default_variant,
        h("span", {}, h("button", { class: "btn small", type: "button", onclick: async () => {
          const entries = (await get(`/api/feature-flags/flags/${f.key}/audit`)).entries;
          replace(audit, entries.slice(0, 5).map((e) => h("div", { class: "meta", text: `${when(e.at, lang)} ${e.actor} ${e.action}` })));
        } }, "Audit log"), audit)];
    }));
  },
  "Dead letters": async () => {
    const data = await get("/api/comms/dead-letters");
    if (!data.deliveries.length) return h("p", { class: "meta" }, "No dead letters.");
    return table(["Event", "To", "Error", ""], data.deliveries.map((d) => [d.event_type, d.target, d.last_error || "",
      h("button", { class: "btn small", type: "button", onclick: (e) => post(`/api/comms/dead-letters/${d.id}/retry`).then(() => { e.target.textContent = "queued"; }) }, "Retry")]));
  },
};

export async function adminPage(main, active = "Users") {
  const body = h("section", { class: "card", style: "padding:8px;overflow-x:auto" }, h("p", { class: "loading" }, "…"));
  replace(main, h("h1", {}, "Administration"), h("div", { class: "tabs", role: "tablist" }, Object.keys(TABS).map((name) =>
    h("button", { class: "btn", type: "button", role: "tab", "aria-selected": String(name === active), onclick: () => adminPage(main, name) }, name))), body);
  try {
    replace(body, await TABS[active]());
  } catch (error) {
    replace(body, h("p", { class: "error", text: error.message }));
  }
  void del;
}
