// The staff console: incidents (open from a template, update, correct, resolve, postmortem,
// delete), incident templates, maintenances (schedule, edit, cancel), banners (post, edit,
// expire, remove). Every action says how it went and the list is drawn again from the API.
import { del, get, patch, post, put } from "./api.js";
import { h, replace, when } from "./dom.js";
import { lang, t } from "./i18n.js";
import {
  act, button, checkbox, confirmDialog, disclosure, empty, feedback, field, fromLocalInput, input, onSubmit, pill, select,
  tabbedPage, textarea, toLocalInput, uid,
} from "./staff.js";

const STATUSES = ["operational", "degraded_performance", "partial_outage", "major_outage", "under_maintenance"];
const OPEN = ["investigating", "identified", "monitoring"];
const IMPACTS = ["none", "minor", "major", "critical"];
const I = "/api/incidents";

const statusOptions = (list) => list.map((s) => [s, t(s)]);
const impactOptions = () => [["", t("c_impact_auto")], ...IMPACTS.map((i) => [i, t(`impact_${i}`)])];

// One select per component: "not affected" or the status it takes.
function componentPicker(components, chosen = {}, legend = t("components")) {
  if (!components.length) return h("p", { class: "meta" }, t("c_no_components"));
  return h("fieldset", { class: "picker" }, h("legend", {}, legend),
    components.map((c) => {
      const id = uid("pick");
      return h("div", { class: "pick" }, h("label", { for: id, text: c.name }),
        select("", [["", t("c_not_affected")], ...statusOptions(STATUSES)], chosen[c.id] || "", { id, "data-component": c.id }));
    }));
}

function picked(form) {
  const chosen = {};
  for (const node of form.querySelectorAll("select[data-component]")) if (node.value) chosen[node.dataset.component] = node.value;
  return chosen;
}

function form(className, ...children) {
  return h("form", { class: `stack ${className}`.trim(), novalidate: false }, ...children);
}

// ---- incidents -------------------------------------------------------------------------------

function newIncidentForm(ctx) {
  const { components, templates, note } = ctx;
  const name = input("name", "", { required: true, maxlength: 200, id: "incident-name", autocomplete: "off" });
  const message = textarea("message", "", { required: true, id: "incident-message", maxlength: 10000 });
  const status = select("status", statusOptions(OPEN), "investigating", { id: "incident-status" });
  const impact = select("impact", impactOptions(), "", { id: "incident-impact" });
  const pickers = h("div", {}, componentPicker(components));
  const template = templates.length ? select("template", [["", t("c_no_template")], ...templates.map((x) => [x.id, x.name])], "", { id: "incident-template" }) : null;
  if (template) template.addEventListener("change", () => {
    const chosen = templates.find((x) => x.id === template.value);
    if (!chosen) return;
    name.value = chosen.title; message.value = chosen.body; status.value = chosen.update_status; impact.value = chosen.impact || "";
    replace(pickers, componentPicker(components, chosen.components));
    ctx.note.say(t("c_template_used").replace("{name}", chosen.name), "ok");
  });
  const submit = h("button", { class: "btn primary", type: "submit" }, t("c_open_incident"));
  const node = form("card", h("h2", {}, t("c_open_title")),
    template ? field(t("c_template"), template, t("c_template_hint")) : null,
    field(t("c_title"), name), field(t("c_status"), status), field(t("c_impact"), impact, t("c_impact_hint")),
    field(t("c_message"), message, t("c_markdown_hint")), pickers, submit);
  node.id = "new-incident";
  return onSubmit(node, () => act(note, submit, () => post(`${I}/incidents`, {
    name: name.value, status: status.value, message: message.value, components: picked(node), ...(impact.value ? { impact: impact.value } : {}),
  }), (incident) => t("c_opened").replace("{name}", incident.name), ctx.refresh));
}

function updateForm(incident, ctx) {
  const message = textarea("message", "", { required: true, maxlength: 10000 });
  const status = select("status", statusOptions([...OPEN, "resolved"]), incident.status);
  const current = Object.fromEntries(incident.components.map((c) => [c.id, c.status]));
  const submit = h("button", { class: "btn primary", type: "submit" }, t("c_post_update"));
  const preview = markdownPreview(message);
  const node = form("", field(t("c_status"), status), field(t("c_message"), message, t("c_markdown_hint")),
    componentPicker(ctx.components.filter((c) => c.id in current), current), h("div", { class: "crow" }, preview.button, submit),
    preview.node);
  return onSubmit(node, () => act(ctx.note, submit, () => post(`${I}/incidents/${incident.id}/updates`, {
    status: status.value, message: message.value, components: picked(node),
  }), t("c_update_posted"), ctx.refresh));
}

function editLog(incident) {
  const box = h("div", { class: "edit-log" }, h("p", { class: "loading" }, t("loading")));
  const load = async () => {
    try {
      const { edits } = await get(`${I}/incidents/${incident.id}/edits`);
      const show = (v) => (v === null || v === undefined ? "—" : typeof v === "object"
        ? Object.entries(v).map(([k, s]) => `${k}: ${t(s)}`).join(", ") || "—" : t(`impact_${v}`) !== `impact_${v}` ? t(`impact_${v}`) : String(v));
      replace(box, edits.length ? h("ol", { class: "log" }, edits.slice().reverse().map((e) => h("li", {},
        h("span", { class: "meta" }, `${when(e.at, lang)} · ${e.by} · ${t(`c_field_${e.field}`)}`),
        h("div", {}, h("del", { text: show(e.before) }), " → ", h("ins", { text: show(e.after) })))))
        : h("p", { class: "meta" }, t("c_no_edits")));
    } catch (error) { replace(box, h("p", { class: "error" }, error.message)); }
  };
  return { box, load };
}

function timelineEditor(incident, ctx) {
  return h("ol", { class: "timeline edit-timeline" }, incident.incident_updates.map((u) => {
    const text = h("div", { class: "update-body", text: u.body });
    const row = h("li", { "data-update": u.id }, h("div", { class: "meta" }, `${t(u.status)} · ${when(u.created_at, lang)}`), text);
    const edit = button(t("c_edit_text"), () => {
      const area = textarea("body", u.body, { required: true, maxlength: 10000, "aria-label": t("c_update_text") });
      const save = h("button", { type: "submit", class: "btn primary small" }, t("st_save"));
      const editor = onSubmit(form("inline", area, h("div", { class: "crow" }, save,
        button(t("st_cancel"), () => { editor.replaceWith(text); edit.hidden = false; edit.focus(); }, { class: "btn small" }))),
      () => act(ctx.note, save, () => patch(`${I}/incidents/${incident.id}/updates/${u.id}`, { body: area.value }),
        t("c_text_corrected"), ctx.refresh));
      text.replaceWith(editor); edit.hidden = true; area.focus();
    }, { class: "btn small", "aria-label": `${t("c_edit_text")}: ${when(u.created_at, lang)}` });
    row.append(edit);
    return row;
  }));
}

function correctForm(incident, ctx) {
  const name = input("name", incident.name, { required: true, maxlength: 200 });
  const impact = select("impact", impactOptions(), incident.impact_override ? incident.impact : "", {});
  const current = Object.fromEntries(incident.components.map((c) => [c.id, c.status]));
  const submit = h("button", { class: "btn primary", type: "submit" }, t("c_save_correction"));
  const node = form("", field(t("c_title"), name), field(t("c_impact"), impact, t("c_impact_hint")),
    componentPicker(ctx.components, current), submit);
  onSubmit(node, () => act(ctx.note, submit, () => patch(`${I}/incidents/${incident.id}`, {
    name: name.value, impact: impact.value || null, components: picked(node),
  }), t("c_corrected"), ctx.refresh));
  const log = editLog(incident);
  return { node: h("div", { class: "stack-sm" }, node, h("h4", {}, t("c_timeline_text")), timelineEditor(incident, ctx),
    h("h4", {}, t("c_edit_log")), log.box), load: log.load };
}

// "Preview": the text as visitors will read it, rendered by the server through the public
// pages' own Markdown renderer and sanitiser (page/richtext.py), so the two never differ.
function markdownPreview(area) {
  const out = h("div", { class: "card pad md preview", hidden: true });
  const note = feedback();
  const show = button(t("c_preview"), async (event) => {
    const result = await act(note, event.currentTarget, () => post("/preview/markdown", { text: area.value }), t("c_preview_shown"));
    if (!result) return;
    const doc = new DOMParser().parseFromString(result.html, "text/html");
    replace(out, h("p", { class: "meta preview-label" }, t("c_preview_heading")), [...doc.body.childNodes]);
    out.hidden = false;
  }, { class: "btn" });
  area.addEventListener("input", () => { out.hidden = true; note.clear(); });
  return { button: show, node: h("div", {}, note, out) };
}

function postmortemEditor(incident, ctx) {
  const box = h("div", {}, h("p", { class: "loading" }, t("loading")));
  const load = async () => {
    let pm;
    try { pm = await get(`${I}/incidents/${incident.id}/postmortem`); } catch (error) { replace(box, h("p", { class: "error" }, error.message)); return; }
    const area = textarea("body", pm.body_draft || pm.body || "", { maxlength: 50000, rows: 10, id: uid("pm") });
    const save = h("button", { type: "submit", class: "btn" }, t("c_pm_save"));
    const publish = button(t("c_pm_publish"), async (event) => {
      if (!(await confirmDialog(t("c_pm_publish_confirm").replace("{name}", incident.name)))) return;
      await act(ctx.note, event.target, async () => {
        await put(`${I}/incidents/${incident.id}/postmortem`, { body: area.value });
        return put(`${I}/incidents/${incident.id}/postmortem/publish`);
      }, t("c_pm_published"), ctx.refresh);
    }, { class: "btn primary" });
    const revert = pm.status === "postmortem" ? button(t("c_pm_revert"), async (event) => {
      if (!(await confirmDialog(t("c_pm_revert_confirm")))) return;
      await act(ctx.note, event.target, () => put(`${I}/incidents/${incident.id}/postmortem/revert`), t("c_pm_reverted"), ctx.refresh);
    }, { class: "btn" }) : null;
    const state = pm.published_at ? t("c_pm_state_published").replace("{when}", when(pm.published_at, lang))
      : pm.last_updated_at ? t("c_pm_state_draft").replace("{when}", when(pm.last_updated_at, lang)) : t("c_pm_state_none");
    const preview = markdownPreview(area);
    replace(box, onSubmit(form("", h("p", { class: "meta" }, state), field(t("c_pm_body"), area, t("c_markdown_hint")),
      h("div", { class: "crow" }, preview.button, save, publish, revert), preview.node),
    // the draft's state line ("Draft saved at …") is read again, so it says what was just done
    () => act(ctx.note, save, () => put(`${I}/incidents/${incident.id}/postmortem`, { body: area.value }), t("c_pm_saved"), load)));
  };
  return { box, load };
}

function incidentCard(incident, ctx) {
  const open = OPEN.includes(incident.status);
  const correct = correctForm(incident, ctx);
  const pieces = [];
  if (open) pieces.push(disclosure(t("c_post_update"), updateForm(incident, ctx), { key: `inc-${incident.id}-update` }));
  pieces.push(disclosure(t("c_correct"), correct.node, { key: `inc-${incident.id}-correct`, onOpen: correct.load }));
  if (!open) {
    const pm = postmortemEditor(incident, ctx);
    pieces.push(disclosure(t("c_postmortem"), pm.box, { key: `inc-${incident.id}-postmortem`, onOpen: pm.load }));
  }
  const actions = h("div", { class: "crow actions" },
    open ? button(t("c_resolve"), async (event) => {
      if (!(await confirmDialog(t("c_resolve_confirm").replace("{name}", incident.name)))) return;
      await act(ctx.note, event.target, () => post(`${I}/incidents/${incident.id}/updates`, { status: "resolved", message: t("c_resolved_message") }),
        t("c_resolved").replace("{name}", incident.name), ctx.refresh);
    }, { class: "btn" }) : null,
    open && incident.automated && !incident.taken_over ? button(t("c_take_over"), (event) =>
      act(ctx.note, event.target, () => post(`${I}/incidents/${incident.id}/takeover`), t("c_taken_over"), ctx.refresh), { class: "btn" }) : null,
    ctx.me.role === "admin" ? button(t("st_delete"), async (event) => {
      if (!(await confirmDialog(t("c_delete_confirm").replace("{name}", incident.name), { yes: t("st_delete"), danger: true }))) return;
      await act(ctx.note, event.target, () => del(`${I}/incidents/${incident.id}`), t("c_deleted").replace("{name}", incident.name), ctx.refresh);
    }, { class: "btn danger" }) : null);
  const latest = incident.incident_updates[0] || {};
  return h("article", { class: `card incident ${incident.impact}`, "data-incident": incident.id },
    h("h3", {}, h("a", { href: `/incidents/${encodeURIComponent(incident.id)}` }, incident.name)),
    h("div", { class: "meta" }, [t(incident.status), t(`impact_${incident.impact}`), `${t("updated")} ${when(incident.updated_at, lang)}`,
      incident.automated ? t("c_automated") : null].filter(Boolean).join(" · ")),
    incident.components.length ? h("div", { class: "tags" }, incident.components.map((c) => h("span", { class: "tag" }, c.name))) : null,
    latest.body ? h("p", { class: "latest", text: latest.body }) : null, actions, pieces);
}

async function incidentsTab(ctx) {
  const [open, recent] = await Promise.all([get(`${I}/incidents?status=open&per_page=50`), get(`${I}/incidents?per_page=10`)]);
  const closed = recent.incidents.filter((i) => !OPEN.includes(i.status));
  return h("div", { class: "console" },
    h("div", {}, h("h2", {}, t("c_open_incidents")),
      open.incidents.length ? open.incidents.map((i) => incidentCard(i, ctx)) : empty(t("c_no_open"), null),
      h("h2", {}, t("c_recent")), closed.length ? closed.map((i) => incidentCard(i, ctx)) : h("p", { class: "meta" }, t("c_no_recent"))),
    h("div", {}, newIncidentForm(ctx)));
}

// ---- templates -------------------------------------------------------------------------------

function templateForm(ctx, template = null) {
  const x = template || { name: "", title: "", body: "", update_status: "investigating", impact: null, components: {} };
  const name = input("name", x.name, { required: true, maxlength: 120 });
  const title = input("title", x.title, { required: true, maxlength: 200 });
  const body = textarea("body", x.body, { required: true, maxlength: 10000 });
  const status = select("update_status", statusOptions(OPEN), x.update_status);
  const impact = select("impact", impactOptions(), x.impact || "");
  const submit = h("button", { class: "btn primary", type: "submit" }, template ? t("st_save") : t("c_tpl_create"));
  const node = form(template ? "" : "card", template ? null : h("h2", {}, t("c_tpl_new")),
    field(t("c_tpl_name"), name, t("c_tpl_name_hint")), field(t("c_title"), title), field(t("c_status"), status),
    field(t("c_impact"), impact), field(t("c_message"), body), componentPicker(ctx.components, x.components), submit);
  return onSubmit(node, () => {
    const data = { name: name.value, title: title.value, body: body.value, update_status: status.value, impact: impact.value || null, components: picked(node) };
    return act(ctx.note, submit, () => (template ? patch(`${I}/incident-templates/${template.id}`, data) : post(`${I}/incident-templates`, data)),
      (saved) => t(template ? "c_tpl_saved" : "c_tpl_created").replace("{name}", saved.name), ctx.refresh);
  });
}

async function templatesTab(ctx) {
  const list = ctx.templates.map((x) => h("article", { class: "card item", "data-template": x.id },
    h("h3", { text: x.name }), h("p", { class: "meta" }, `${x.title} · ${t(x.update_status)}`),
    h("div", { class: "crow actions" }, button(t("st_delete"), async (event) => {
      if (!(await confirmDialog(t("c_tpl_delete_confirm").replace("{name}", x.name), { yes: t("st_delete"), danger: true }))) return;
      await act(ctx.note, event.target, () => del(`${I}/incident-templates/${x.id}`), t("c_tpl_deleted").replace("{name}", x.name), ctx.refresh);
    }, { class: "btn danger" })),
    disclosure(t("st_edit"), templateForm(ctx, x), { key: `tpl-${x.id}` })));
  return h("div", { class: "console" }, h("div", {}, h("h2", {}, t("c_templates")), list.length ? list : empty(t("c_no_templates"))),
    h("div", {}, templateForm(ctx)));
}

// ---- maintenances ----------------------------------------------------------------------------

function maintenanceForm(ctx, m = null) {
  const name = input("name", m ? m.name : "", { required: true, maxlength: 200 });
  const message = textarea("message", m ? (m.incident_updates[m.incident_updates.length - 1] || {}).body : "", { maxlength: 10000 });
  const from = input("from", toLocalInput(m && m.scheduled_for), { type: "datetime-local", required: true, disabled: m && m.status !== "scheduled" });
  const until = input("until", toLocalInput(m && m.scheduled_until), { type: "datetime-local", required: true });
  const chosen = new Set(m ? m.components.map((c) => c.id) : []);
  const boxes = h("fieldset", { class: "picker" }, h("legend", {}, t("components")),
    ctx.components.length ? ctx.components.map((c) => checkbox("component", chosen.has(c.id), c.name, { value: c.id, "data-mcomponent": "1" }))
      : h("p", { class: "meta" }, t("c_no_components")));
  const submit = h("button", { class: "btn primary", type: "submit" }, m ? t("st_save") : t("c_schedule"));
  const node = form(m ? "" : "card", m ? null : h("h2", {}, t("c_schedule_title")), field(t("c_title"), name),
    field(t("c_message"), message), field(t("c_from"), from, t("c_local_time")), field(t("c_until"), until, t("c_local_time")), boxes, submit);
  if (!m) node.id = "new-maintenance";
  return onSubmit(node, () => {
    const data = { name: name.value, components: [...node.querySelectorAll("[data-mcomponent]:checked")].map((n) => n.value),
      scheduled_until: fromLocalInput(until.value) };
    if (!from.disabled) data.scheduled_for = fromLocalInput(from.value);
    if (message.value) data.message = message.value;
    return act(ctx.note, submit, () => (m ? patch(`${I}/maintenances/${m.id}`, data) : post(`${I}/maintenances`, data)),
      (saved) => t(m ? "c_m_saved" : "c_m_scheduled").replace("{name}", saved.name), ctx.refresh);
  });
}

async function maintenancesTab(ctx) {
  const all = await get(`${I}/maintenances`);
  const current = all.filter((m) => m.status !== "completed");
  const list = current.map((m) => h("article", { class: "card incident maintenance", "data-maintenance": m.id },
    h("h3", { text: m.name }), h("div", { class: "crow" }, pill(m.status === "scheduled" ? "maintenance" : "under_maintenance", t(`m_${m.status}`)),
      h("span", { class: "meta" }, `${when(m.scheduled_for, lang)} → ${when(m.scheduled_until, lang)}`)),
    m.components.length ? h("div", { class: "tags" }, m.components.map((c) => h("span", { class: "tag" }, c.name))) : null,
    h("div", { class: "crow actions" }, button(t("c_m_cancel"), async (event) => {
      if (!(await confirmDialog(t("c_m_cancel_confirm").replace("{name}", m.name), { yes: t("c_m_cancel"), danger: true }))) return;
      await act(ctx.note, event.target, () => del(`${I}/maintenances/${m.id}`), t("c_m_cancelled").replace("{name}", m.name), ctx.refresh);
    }, { class: "btn danger" })),
    disclosure(t("st_edit"), maintenanceForm(ctx, m), { key: `m-${m.id}` })));
  return h("div", { class: "console" }, h("div", {}, h("h2", {}, t("c_maintenances")), list.length ? list : empty(t("c_no_maintenances"))),
    h("div", {}, maintenanceForm(ctx)));
}

// ---- banners ---------------------------------------------------------------------------------

function bannerState(b) {
  const now = Date.now();
  if (b.ends_at && new Date(b.ends_at).getTime() <= now) return "expired";
  if (b.starts_at && new Date(b.starts_at).getTime() > now) return "scheduled";
  return "active";
}

function bannerForm(ctx, b = null) {
  const message = textarea("message", b ? b.message : "", { required: true, maxlength: 500, rows: 2 });
  const severity = select("severity", ["info", "warning", "critical"].map((s) => [s, t(`sev_${s}`)]), b ? b.severity : "info");
  const link = input("link", b ? b.link : "", { type: "url", maxlength: 500, placeholder: "https://" });
  const starts = input("starts", toLocalInput(b && b.starts_at), { type: "datetime-local" });
  const ends = input("ends", toLocalInput(b && b.ends_at), { type: "datetime-local" });
  const dismissible = checkbox("dismissible", b ? b.dismissible : true, t("c_b_dismissible"));
  const submit = h("button", { class: "btn primary", type: "submit" }, b ? t("st_save") : t("c_b_post"));
  const node = form(b ? "" : "card", b ? null : h("h2", {}, t("c_b_new")), field(t("c_message"), message),
    field(t("c_b_severity"), severity), field(t("c_b_link"), link, t("st_optional")),
    field(t("c_b_starts"), starts, t("c_b_starts_hint")), field(t("c_b_ends"), ends, t("c_b_ends_hint")), dismissible, submit);
  if (!b) node.id = "new-banner";
  return onSubmit(node, () => {
    const data = { message: message.value, severity: severity.value, link: link.value || null,
      starts_at: fromLocalInput(starts.value), ends_at: fromLocalInput(ends.value), dismissible: node.querySelector("[name=dismissible]").checked };
    return act(ctx.note, submit, () => (b ? patch(`/api/comms/banners/${b.id}`, data) : post("/api/comms/banners", data)),
      t(b ? "c_b_saved" : "c_b_posted"), ctx.refresh);
  });
}

async function bannersTab(ctx) {
  const { banners } = await get("/api/comms/banners");
  const list = banners.map((b) => {
    const state = bannerState(b);
    return h("article", { class: `card item banner-item ${b.severity}`, "data-banner": b.id },
      h("p", { class: "banner-text", text: b.message }),
      h("div", { class: "crow" }, pill(state === "active" ? "operational" : state === "scheduled" ? "maintenance" : "unknown", t(`c_b_${state}`)),
        h("span", { class: "meta" }, [t(`sev_${b.severity}`), b.starts_at ? `${t("c_b_from")} ${when(b.starts_at, lang)}` : null,
          b.ends_at ? `${t(state === "expired" ? "c_b_expired_at" : "c_b_expires")} ${when(b.ends_at, lang)}` : t("c_b_no_end")].filter(Boolean).join(" · "))),
      h("div", { class: "crow actions" },
        state !== "expired" ? button(t("c_b_expire_now"), (event) => act(ctx.note, event.target,
          () => patch(`/api/comms/banners/${b.id}`, { ends_at: new Date().toISOString(), ...(b.starts_at && new Date(b.starts_at) > new Date() ? { starts_at: null } : {}) }),
          t("c_b_expired_now"), ctx.refresh), { class: "btn" }) : null,
        button(t("c_b_remove"), async (event) => {
          if (!(await confirmDialog(t("c_b_remove_confirm"), { yes: t("c_b_remove"), danger: true, detail: b.message.slice(0, 200) }))) return;
          await act(ctx.note, event.target, () => del(`/api/comms/banners/${b.id}`), t("c_b_removed"), ctx.refresh);
        }, { class: "btn danger" })),
      disclosure(t("st_edit"), bannerForm(ctx, b), { key: `b-${b.id}` }));
  });
  return h("div", { class: "console" }, h("div", {}, h("h2", {}, t("c_banners")), list.length ? list : empty(t("c_no_banners"))),
    h("div", {}, bannerForm(ctx)));
}

// ---- the page --------------------------------------------------------------------------------

const TABS = { incidents: incidentsTab, maintenances: maintenancesTab, banners: bannersTab, templates: templatesTab };

export function consolePage(main) {
  return tabbedPage(main, { role: "staff", heading: t("c_heading"), label: t("c_sections"), prefix: "c_tab_", drawers: TABS,
    load: async (ctx) => {
      const [listing, templates] = await Promise.all([get(`${I}/components`), get(`${I}/incident-templates`).catch(() => ({ templates: [] }))]);
      ctx.components = listing.components; ctx.templates = templates.templates;
    } });
}
