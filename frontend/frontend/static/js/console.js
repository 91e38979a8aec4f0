// The staff console: incidents (open, update, take over), maintenances, banners.
import { get, post } from "./api.js";
import { h, replace, when } from "./dom.js";
import { lang } from "./i18n.js";

const STATUSES = ["operational", "degraded_performance", "partial_outage", "major_outage", "under_maintenance"];

function field(label, input) {
  return h("label", {}, label, input);
}

function select(name, options, value) {
  return h("select", { name }, options.map((o) => h("option", { value: o, selected: o === value }, o)));
}

function result(node, promise, done) {
  node.className = ""; node.textContent = "…";
  promise.then((value) => { node.className = "ok"; node.textContent = "✓"; if (done) done(value); })
    .catch((error) => { node.className = "error"; node.textContent = error.message; });
}

function componentPicker(components) {
  return h("fieldset", { class: "card", style: "padding:10px" }, h("legend", {}, "Components"),
    components.map((c) => h("label", { class: "pick" }, h("span", { text: c.name }),
      h("select", { "data-component": c.id }, h("option", { value: "" }, "—"), STATUSES.map((s) => h("option", { value: s }, s))))));
}

function picked(form) {
  const chosen = {};
  for (const node of form.querySelectorAll("select[data-component]")) if (node.value) chosen[node.dataset.component] = node.value;
  return chosen;
}

export async function consolePage(main) {
  const [listing, open, banners] = await Promise.all([get("/api/incidents/components"),
    get("/api/incidents/incidents?status=open&per_page=50"), get("/api/comms/banners").catch(() => ({ banners: [] }))]);
  const components = listing.components;
  const status = h("p", { role: "status" });
  const name = h("input", { name: "name", required: true, id: "incident-name", maxlength: 200 });
  const message = h("textarea", { name: "message", required: true, id: "incident-message" });
  const form = h("form", { class: "card stack", id: "new-incident" }, h("h2", {}, "Open an incident"),
    field("Title", name), field("Status", select("status", ["investigating", "identified", "monitoring"], "investigating")),
    field("Message", message), componentPicker(components), h("button", { class: "btn primary", type: "submit" }, "Open incident"), status);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    result(status, post("/api/incidents/incidents", { name: name.value, status: form.status.value, message: message.value,
      components: picked(form) }), () => consolePage(main));
  });

  const openList = h("section", {}, h("h2", {}, "Open incidents"), open.incidents.length ? open.incidents.map((incident) => {
    const note = h("span", { role: "status" });
    const body = h("textarea", { required: true, "aria-label": "Update message" });
    const update = h("form", { class: "stack" }, field("Status", select("status", ["investigating", "identified", "monitoring", "resolved"], incident.status)),
      field("Message", body), componentPicker(components.filter((c) => incident.components.some((x) => x.id === c.id))),
      h("div", { class: "crow" }, h("button", { class: "btn primary", type: "submit" }, "Post update"),
        incident.automated && !incident.taken_over ? h("button", { class: "btn", type: "button", onclick: () =>
          result(note, post(`/api/incidents/incidents/${incident.id}/takeover`), () => consolePage(main)) }, "Take over") : null, note));
    update.addEventListener("submit", (event) => {
      event.preventDefault();
      result(note, post(`/api/incidents/incidents/${incident.id}/updates`, { status: update.status.value, message: body.value,
        components: picked(update) }), () => consolePage(main));
    });
    return h("article", { class: `card incident ${incident.impact}` }, h("h3", {}, h("a", { href: `/incidents/${incident.id}` }, incident.name)),
      h("div", { class: "meta" }, `${incident.status} · ${when(incident.updated_at, lang)}${incident.automated ? " · automated" : ""}`), update);
  }) : h("p", { class: "meta" }, "No open incident."));

  const mStatus = h("p", { role: "status" });
  const maintenance = h("form", { class: "card stack" }, h("h2", {}, "Schedule a maintenance"),
    field("Title", h("input", { name: "name", required: true })), field("Message", h("textarea", { name: "message" })),
    field("From", h("input", { name: "from", type: "datetime-local", required: true })),
    field("Until", h("input", { name: "until", type: "datetime-local", required: true })),
    h("fieldset", { class: "card", style: "padding:10px" }, h("legend", {}, "Components"),
      components.map((c) => h("label", { class: "crow" }, h("input", { type: "checkbox", value: c.id, "data-mcomponent": "1" }), c.name))),
    h("button", { class: "btn primary", type: "submit" }, "Schedule"), mStatus);
  maintenance.addEventListener("submit", (event) => {
    event.preventDefault();
    const ids = [...maintenance.querySelectorAll("[data-mcomponent]:checked")].map((n) => n.value);
    result(mStatus, post("/api/incidents/maintenances", { name: maintenance.elements.namedItem("name").value, message: maintenance.elements.namedItem("message").value || "Scheduled maintenance.",
      scheduled_for: new Date(maintenance.from.value).toISOString(), scheduled_until: new Date(maintenance.until.value).toISOString(), components: ids }));
  });

  const bStatus = h("p", { role: "status" });
  const banner = h("form", { class: "card stack" }, h("h2", {}, "Banners"),
    (banners.banners || []).map((b) => h("div", { class: "crow" }, h("span", { class: `pill region s-${b.severity === "critical" ? "critical" : "minor"}` }, b.severity),
      h("span", { text: b.message }))),
    field("Message", h("input", { name: "message", required: true, maxlength: 500 })),
    field("Severity", select("severity", ["info", "warning", "critical"], "info")),
    h("button", { class: "btn primary", type: "submit" }, "Post banner"), bStatus);
  banner.addEventListener("submit", (event) => {
    event.preventDefault();
    result(bStatus, post("/api/comms/banners", { message: banner.message.value, severity: banner.severity.value }), () => consolePage(main));
  });
  // Open incidents are what staff come for during an outage: they get the wide column.
  replace(main, h("h1", {}, "Staff console"),
    h("div", { class: "console" }, h("div", {}, openList), h("div", {}, form, maintenance, banner)));
}
