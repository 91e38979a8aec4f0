// Admin → feature flags: variants, targeting rules, a percentage rollout, the kill switch, and
// the audit log of who changed what.
import { del, get, patch, post } from "./api.js";
import { h, replace, when } from "./dom.js";
import { lang, t } from "./i18n.js";
import {
  act, button, checkbox, confirmDialog, disclosure, empty, field, input, onSubmit, select, textarea,
} from "./staff.js";

const F = "/api/feature-flags";
const TYPES = ["boolean", "string", "integer", "float", "object"];
const OPS = ["equals", "not_equals", "in", "not_in", "starts_with", "ends_with", "contains", "regex", "<", "<=", ">", ">=",
  "semver_eq", "semver_lt", "semver_gt", "before", "after"];

const parse = (text) => { try { return JSON.parse(text); } catch { return text; } };
const show = (value) => (typeof value === "string" ? value : JSON.stringify(value));

function variantRows(variants) {
  const rows = h("div", { class: "rows" });
  const add = (name = "", value = "") => {
    const n = input("variant-name", name, { maxlength: 64, required: true, "aria-label": t("a_fl_variant_name") });
    const v = input("variant-value", show(value), { maxlength: 2000, required: true, "aria-label": t("a_fl_variant_value"), class: "mono" });
    const row = h("div", { class: "row", "data-variant-row": "1" }, n, v, button(t("st_remove"), () => row.remove(), { class: "btn small" }));
    rows.append(row);
    return n;
  };
  for (const [name, value] of Object.entries(variants)) add(name, value);
  const node = h("fieldset", { class: "picker" }, h("legend", {}, t("a_fl_variants")), h("p", { class: "hint" }, t("a_fl_variants_hint")), rows,
    button(t("a_fl_variant_add"), () => add().focus(), { class: "btn small" }));
  node.values = () => Object.fromEntries([...rows.querySelectorAll("[data-variant-row]")].map((row) => {
    const [n, v] = row.querySelectorAll("input");
    return [n.value.trim(), parse(v.value)];
  }).filter(([n]) => n));
  return node;
}

// One condition of a rule or a segment: attribute, operator, value (a list for in / not_in).
function conditionInputs(when) {
  const a = input("attribute", when.attribute, { maxlength: 64, required: true, placeholder: "plan", "aria-label": t("a_fl_attribute") });
  const o = select("op", OPS.map((x) => [x, x]), when.op, { "aria-label": t("a_fl_op") });
  const v = input("value", Array.isArray(when.value) ? when.value.join(", ") : show(when.value ?? ""), { maxlength: 500, "aria-label": t("a_fl_value") });
  const value = () => ({ attribute: a.value, op: o.value, value: ["in", "not_in"].includes(o.value) ? v.value.split(",").map((x) => parse(x.trim())) : parse(v.value) });
  return { nodes: [a, o, v], first: a, value };
}

function ruleRows(rules, variantNames, segments = []) {
  const rows = h("div", { class: "rows" });
  // Each row knows how to read itself back (rows keep their order: the first match decides).
  const serve = (variant) => select("variant", variantNames.map((x) => [x, x]), variant, { "aria-label": t("a_fl_serve") });
  const add = (rule = { when: { attribute: "", op: "equals", value: "" }, variant: variantNames[0] }) => {
    const when = conditionInputs(rule.when);
    const to = serve(rule.variant);
    const row = h("div", { class: "row", "data-rule-row": "1" }, when.nodes, h("span", { "aria-hidden": "true" }, "→"), to,
      button(t("st_remove"), () => row.remove(), { class: "btn small" }));
    row.rule = () => ({ when: when.value(), variant: to.value });
    rows.append(row);
    return when.first;
  };
  const addSegment = (rule = { when: { segment: segments[0]?.key }, variant: variantNames[0] }) => {
    const which = select("segment", segments.map((x) => [x.key, x.key]), rule.when.segment, { "aria-label": t("a_fl_segment") });
    const to = serve(rule.variant);
    const row = h("div", { class: "row", "data-rule-row": "1" }, h("span", {}, t("a_fl_in_segment")), which,
      h("span", { "aria-hidden": "true" }, "→"), to, button(t("st_remove"), () => row.remove(), { class: "btn small" }));
    row.rule = () => ({ when: { segment: which.value }, variant: to.value });
    rows.append(row);
    return which;
  };
  for (const rule of rules) (rule.when.segment ? addSegment : add)(rule);
  const node = h("fieldset", { class: "picker" }, h("legend", {}, t("a_fl_rules")), h("p", { class: "hint" }, t("a_fl_rules_hint")), rows,
    h("div", { class: "crow" }, button(t("a_fl_rule_add"), () => add().focus(), { class: "btn small" }),
      segments.length ? button(t("a_fl_segment_rule_add"), () => addSegment().focus(), { class: "btn small" }) : null));
  node.values = () => [...rows.querySelectorAll("[data-rule-row]")].map((row) => row.rule());
  return node;
}

// Rules are split into what the form edits (one condition → a variant; the final percentage
// split) and what it keeps as it is (segments, all/any groups).
function splitRules(rules) {
  const simple = [], kept = [];
  let rollout = null;
  rules.forEach((rule, index) => {
    if (rule.split && !rule.when && index === rules.length - 1) rollout = rule;
    else if (rule.when && (rule.when.attribute || (rule.when.segment && Object.keys(rule.when).length === 1)) && rule.variant && !rule.split) simple.push(rule);
    else kept.push(rule);
  });
  return { simple, kept, rollout };
}

function flagForm(ctx, flag = null) {
  const f = flag || { key: "", description: "", type: "boolean", variants: { on: true, off: false }, default_variant: "off", enabled: true, rules: [] };
  const { simple, kept, rollout } = splitRules(f.rules || []);
  const key = flag ? null : input("key", "", { required: true, maxlength: 64, pattern: "[a-z0-9][a-z0-9._\\-]{0,63}", placeholder: "new-checkout" });
  const description = textarea("description", f.description, { maxlength: 500, rows: 2 });
  const type = select("type", TYPES.map((x) => [x, x]), f.type, { disabled: Boolean(flag) });
  const variants = variantRows(f.variants);
  const names = Object.keys(f.variants);
  const defaultVariant = select("default_variant", names.map((x) => [x, x]), f.default_variant);
  const rules = ruleRows(simple, names, ctx.segments || []);
  const rolledVariant = rollout ? Object.keys(rollout.split).find((v) => v !== f.default_variant) || names[0] : names.find((v) => v !== f.default_variant) || names[0];
  const percent = input("rollout", rollout ? rollout.split[rolledVariant] ?? 0 : 0, { type: "range", min: 0, max: 100, step: 1, "aria-valuetext": "" });
  const percentOut = h("output", {}, "");
  const rolled = select("rollout_variant", names.map((x) => [x, x]), rolledVariant);
  const describeRollout = () => {
    const text = t("a_fl_rollout_text").replace("{p}", percent.value).replace("{variant}", rolled.value).replace("{default}", defaultVariant.value);
    percentOut.textContent = `${percent.value} %`;
    percent.setAttribute("aria-valuetext", text);
    rolloutText.textContent = text;
  };
  const rolloutText = h("p", { class: "hint" });
  for (const node of [percent, rolled, defaultVariant]) node.addEventListener("input", describeRollout);
  describeRollout();
  const rolloutBox = h("fieldset", { class: "picker split" }, h("legend", {}, t("a_fl_rollout")),
    field(t("a_fl_rollout_variant"), rolled), h("div", { class: "row" }, h("label", { for: percent.id || (percent.id = `p-${Math.random().toString(36).slice(2)}`) }, t("a_fl_rollout_share")), percent, percentOut),
    rolloutText);
  const enabled = checkbox("enabled", f.enabled, t("a_fl_enabled"));
  const submit = h("button", { type: "submit", class: "btn primary" }, flag ? t("st_save") : t("a_fl_add"));
  const form = h("form", { class: `stack ${flag ? "" : "card"}`, id: flag ? null : "new-flag" }, flag ? null : h("h3", {}, t("a_fl_new")),
    key ? field(t("a_fl_key"), key, t("a_fl_key_hint")) : null, field(t("a_description"), description, t("st_optional")),
    field(t("a_fl_type"), type), variants, field(t("a_fl_default"), defaultVariant, t("a_fl_default_hint")), rules,
    kept.length ? h("p", { class: "meta" }, t("a_fl_kept").replace("{n}", kept.length)) : null, rolloutBox, enabled, submit);
  return onSubmit(form, () => {
    const share = Number(percent.value);
    const split = share > 0 && rolled.value !== defaultVariant.value
      ? [{ split: share >= 100 ? { [rolled.value]: 100 } : { [rolled.value]: share, [defaultVariant.value]: 100 - share } }] : [];
    const data = { description: description.value, variants: variants.values(), default_variant: defaultVariant.value,
      rules: [...rules.values(), ...kept, ...split], enabled: form.querySelector("[name=enabled]").checked };
    if (!flag) Object.assign(data, { key: key.value, type: type.value });
    return act(ctx.note, submit, () => (flag ? patch(`${F}/flags/${flag.key}`, data) : post(`${F}/flags`, data)),
      (saved) => t(flag ? "a_saved" : "a_created").replace("{name}", saved.key), ctx.refresh);
  });
}

function auditLog(flag) {
  const box = h("div", {}, h("p", { class: "loading" }, t("loading")));
  const load = async () => {
    try {
      const { entries } = await get(`${F}/flags/${flag.key}/audit`);
      const changed = (e) => {
        if (!e.before || !e.after) return "";
        return Object.keys({ ...e.before, ...e.after }).filter((k) => !["updated_at", "version"].includes(k)
          && JSON.stringify(e.before[k]) !== JSON.stringify(e.after[k])).join(", ");
      };
      replace(box, h("ol", { class: "log" }, entries.slice(0, 20).map((e) => h("li", {},
        h("span", { class: "meta" }, `${when(e.at, lang)} · ${e.actor} · ${t(`a_fl_action_${e.action}`)}`),
        changed(e) ? h("div", {}, `${t("a_fl_changed")}: ${changed(e)}`) : null))));
    } catch (error) { replace(box, h("p", { class: "error" }, error.message)); }
  };
  return disclosure(t("a_fl_audit"), box, { key: `audit-${flag.key}`, onOpen: load });
}

// Segments: named groups of people (all or any of some conditions) that rules target by name.
// Saving a segment under an existing key replaces it.
function segmentForm(ctx) {
  const key = input("segment-key", "", { required: true, maxlength: 64, pattern: "[a-z0-9][a-z0-9._\\-]{0,63}", placeholder: "beta-testers" });
  const description = input("segment-description", "", { maxlength: 500 });
  const mode = select("match", [["all", t("a_fl_match_all")], ["any", t("a_fl_match_any")]], "all");
  const rows = h("div", { class: "rows" });
  const add = () => {
    const when = conditionInputs({ attribute: "", op: "equals", value: "" });
    const row = h("div", { class: "row", "data-condition-row": "1" }, when.nodes, button(t("st_remove"), () => row.remove(), { class: "btn small" }));
    row.condition = when.value;
    rows.append(row);
    return when.first;
  };
  add();
  const submit = h("button", { type: "submit", class: "btn primary" }, t("a_fl_segment_save"));
  const form = h("form", { class: "stack card", id: "new-segment" }, h("h3", {}, t("a_fl_segment_new")),
    field(t("a_fl_key"), key, t("a_fl_segment_key_hint")), field(t("a_description"), description, t("st_optional")),
    field(t("a_fl_match"), mode),
    h("fieldset", { class: "picker" }, h("legend", {}, t("a_fl_segment_conditions")), rows,
      button(t("a_condition_add"), () => add().focus(), { class: "btn small" })), submit);
  return onSubmit(form, () => {
    const conditions = [...rows.querySelectorAll("[data-condition-row]")].map((row) => row.condition()).filter((c) => c.attribute);
    const data = { key: key.value, description: description.value, when: { [mode.value]: conditions } };
    return act(ctx.note, submit, () => post(`${F}/segments`, data), (saved) => t("a_fl_segment_saved").replace("{key}", saved.key), ctx.refresh);
  });
}

function describeWhen(when) {
  const group = when.all ? "all" : when.any ? "any" : null;
  const parts = (group ? when[group] : [when]).map((c) => (c.segment ? `${t("a_fl_in_segment")} ${c.segment}`
    : `${c.attribute} ${c.op} ${Array.isArray(c.value) ? c.value.join(", ") : show(c.value)}`));
  return parts.join(group === "any" ? ` ${t("a_fl_or")} ` : ` ${t("a_fl_and")} `);
}

// Deleted after a confirmation; while a rule uses it the API refuses (409) and names the flags
// and segments whose rules do, which is what the feedback says.
function deleteSegment(ctx, seg) {
  return button(t("st_delete"), async (event) => {
    const target = event.currentTarget;
    if (!(await confirmDialog(t("a_fl_segment_delete_confirm").replace("{key}", seg.key), { yes: t("st_delete"), danger: true }))) return;
    await act(ctx.note, target, async () => {
      try {
        return await del(`${F}/segments/${encodeURIComponent(seg.key)}`);
      } catch (error) {
        const body = error.data && error.data.error;
        if (!body || body.code !== "segment_in_use") throw error;
        const users = [...body.details.flags.map((k) => `${t("a_fl_flag")} ${k}`), ...body.details.segments.map((k) => `${t("a_fl_segment")} ${k}`)];
        throw new Error(t("a_fl_segment_in_use").replace("{key}", seg.key).replace("{users}", users.join(", ")));
      }
    }, t("a_fl_segment_deleted").replace("{key}", seg.key), ctx.refresh);
  }, { class: "btn small danger", "aria-label": t("a_fl_segment_delete").replace("{key}", seg.key) });
}

function segmentsPart(ctx) {
  const list = (ctx.segments || []).map((seg) => h("li", { "data-segment": seg.key }, h("div", { class: "crow" }, h("strong", { text: seg.key }),
    seg.description ? h("span", { class: "meta", text: seg.description }) : null, deleteSegment(ctx, seg)),
  h("div", {}, h("code", { text: describeWhen(seg.when) }))));
  return h("section", { "aria-labelledby": "segments-heading" }, h("h2", { id: "segments-heading" }, t("a_fl_segments")),
    list.length ? h("ul", { class: "log" }, list) : empty(t("a_fl_no_segments")), segmentForm(ctx));
}

export async function flagsTab(ctx) {
  const [{ flags }, segments] = await Promise.all([get(`${F}/flags`), get(`${F}/segments`)]);
  ctx.segments = segments;
  const cards = flags.sort((a, b) => a.key.localeCompare(b.key)).map((f) => {
    const toggle = h("input", { type: "checkbox", role: "switch", checked: f.enabled, id: `kill-${f.key}`, "data-flag-switch": f.key });
    toggle.addEventListener("change", async () => {
      const on = toggle.checked;
      if (!on && !(await confirmDialog(t("a_fl_kill_confirm").replace("{key}", f.key), { yes: t("a_fl_kill"), danger: true }))) { toggle.checked = true; return; }
      await act(ctx.note, null, () => patch(`${F}/flags/${f.key}`, { enabled: on }), t(on ? "a_fl_on" : "a_fl_off").replace("{key}", f.key), ctx.refresh);
      toggle.checked = on;
    });
    const { rollout } = splitRules(f.rules || []);
    return h("article", { class: "card item", "data-flag": f.key },
      h("div", { class: "crow" }, h("h3", { text: f.key }), h("span", { class: "check-field" }, toggle, h("label", { for: toggle.id }, t("a_fl_enabled")))),
      f.description ? h("p", { class: "meta", text: f.description }) : null,
      h("p", { class: "meta" }, [`${f.type}`, `${t("a_fl_default")}: ${f.default_variant}`, `${(f.rules || []).length} ${t("a_fl_rules_count")}`,
        rollout ? `${t("a_fl_rollout")}: ${Object.entries(rollout.split).map(([v, p]) => `${v} ${p} %`).join(" / ")}` : null].filter(Boolean).join(" · ")),
      h("div", { class: "crow actions" }, button(t("st_delete"), async (event) => {
        const target = event.currentTarget;
        if (!(await confirmDialog(t("a_fl_delete_confirm").replace("{key}", f.key), { yes: t("st_delete"), danger: true }))) return;
        await act(ctx.note, target, () => del(`${F}/flags/${f.key}`), t("a_deleted").replace("{name}", f.key), ctx.refresh);
      }, { class: "btn danger" })),
      disclosure(t("st_edit"), flagForm(ctx, f), { key: `flag-${f.key}` }), auditLog(f));
  });
  return h("div", { class: "console" }, h("div", {}, h("h2", {}, t("a_flags")), cards.length ? cards : empty(t("a_no_flags"))),
    h("div", {}, flagForm(ctx), segmentsPart(ctx)));
}
