// Admin → components and groups: create, edit, delete, and their order on the public page.
import { del, patch, post } from "./api.js";
import { h } from "./dom.js";
import { t } from "./i18n.js";
import {
  act, button, checkbox, dangerButton, disclosure, empty, field, input, onSubmit, pill, select, textarea,
} from "./staff.js";

const I = "/api/incidents";
const ID_PATTERN = "[a-z0-9][a-z0-9_\\-]{0,63}";

// Swap an item with its neighbour and number the list again (10, 20, ...): only the positions
// that changed are sent.
function move(ctx, list, index, step, path, label) {
  return async (event) => {
    const order = list.slice();
    const [item] = order.splice(index, 1);
    order.splice(index + step, 0, item);
    await act(ctx.note, event.currentTarget, () => Promise.all(order.map((x, i) => ((i + 1) * 10 !== x.position
      ? patch(`${path}/${encodeURIComponent(x.id)}`, { position: (i + 1) * 10 }) : null))),
    t("a_moved").replace("{name}", label), ctx.refresh);
  };
}

function orderButtons(ctx, list, index, path) {
  const item = list[index];
  return h("span", { class: "crow" },
    button("↑", move(ctx, list, index, -1, path, item.name), { class: "btn small", disabled: index === 0, "aria-label": t("a_move_up").replace("{name}", item.name) }),
    button("↓", move(ctx, list, index, 1, path, item.name), { class: "btn small", disabled: index === list.length - 1, "aria-label": t("a_move_down").replace("{name}", item.name) }));
}

function groupForm(ctx, group = null) {
  const name = input("name", group ? group.name : "", { required: true, maxlength: 120 });
  const description = input("description", group ? group.description : "", { maxlength: 1000 });
  const submit = h("button", { type: "submit", class: "btn primary" }, group ? t("st_save") : t("a_group_add"));
  const form = h("form", { class: `stack ${group ? "" : "card"}`, id: group ? null : "new-group" },
    group ? null : h("h3", {}, t("a_group_new")), field(t("a_name"), name), field(t("a_description"), description, t("st_optional")), submit);
  return onSubmit(form, () => {
    const data = { name: name.value, description: description.value };
    if (!group) data.position = (ctx.groups.length + 1) * 10;
    return act(ctx.note, submit, () => (group ? patch(`${I}/component-groups/${group.id}`, data) : post(`${I}/component-groups`, data)),
      (saved) => t(group ? "a_saved" : "a_created").replace("{name}", saved.name), ctx.refresh);
  });
}

function componentForm(ctx, component = null) {
  const c = component || { name: "", description: "", group_id: null, only_show_if_degraded: false, problem_types: [] };
  const name = input("name", c.name, { required: true, maxlength: 120 });
  const id = component ? null : input("id", "", { pattern: ID_PATTERN, maxlength: 64, placeholder: "api" });
  const description = textarea("description", c.description, { maxlength: 1000, rows: 2 });
  const group = select("group_id", [["", t("a_no_group")], ...ctx.groups.map((g) => [g.id, g.name])], c.group_id || "");
  const problems = input("problem_types", (c.problem_types || []).join(", "), { maxlength: 700, placeholder: "errors, slow, login" });
  const hidden = checkbox("only_show_if_degraded", c.only_show_if_degraded, t("a_only_degraded"));
  const submit = h("button", { type: "submit", class: "btn primary" }, component ? t("st_save") : t("a_component_add"));
  const form = h("form", { class: `stack ${component ? "" : "card"}`, id: component ? null : "new-component" },
    component ? null : h("h3", {}, t("a_component_new")), field(t("a_name"), name),
    id ? field(t("a_id"), id, t("a_id_hint")) : null, field(t("a_description"), description, t("st_optional")),
    field(t("a_group"), group), field(t("a_problem_types"), problems, t("a_problem_types_hint")), hidden, submit);
  return onSubmit(form, () => {
    const data = { name: name.value, description: description.value, group_id: group.value || null,
      only_show_if_degraded: form.querySelector("[name=only_show_if_degraded]").checked };
    const types = problems.value.split(",").map((s) => s.trim()).filter(Boolean);
    if (types.length) data.problem_types = types;
    if (id && id.value) data.id = id.value;
    if (!component) data.position = (ctx.components.length + 1) * 10;
    return act(ctx.note, submit, () => (component ? patch(`${I}/components/${component.id}`, data) : post(`${I}/components`, data)),
      (saved) => t(component ? "a_saved" : "a_created").replace("{name}", saved.name), ctx.refresh);
  });
}

export async function componentsTab(ctx) {
  const groups = ctx.groups.slice().sort((a, b) => a.position - b.position);
  const groupCards = groups.map((g, i) => h("article", { class: "card item", "data-group": g.id },
    h("div", { class: "crow" }, h("h3", { text: g.name }), orderButtons(ctx, groups, i, `${I}/component-groups`)),
    g.description ? h("p", { class: "meta", text: g.description }) : null,
    h("div", { class: "crow actions" }, dangerButton(ctx, t("st_delete"), t("a_group_delete_confirm").replace("{name}", g.name),
      () => del(`${I}/component-groups/${g.id}`), t("a_deleted").replace("{name}", g.name))),
    disclosure(t("st_edit"), groupForm(ctx, g), { key: `group-${g.id}` })));
  const sections = [...groups, { id: null, name: t("a_ungrouped") }].map((g) => {
    const members = ctx.components.filter((c) => (c.group_id || null) === g.id).sort((a, b) => a.position - b.position);
    if (!members.length) return null;
    return h("div", {}, h("h3", { class: "group-title", text: g.name }), members.map((c, i) => h("article", { class: "card item", "data-component": c.id },
      h("div", { class: "crow" }, h("h3", { text: c.name }), pill(c.status), orderButtons(ctx, members, i, `${I}/components`)),
      h("p", { class: "meta" }, `${t("a_id")}: ${c.id}${c.only_show_if_degraded ? ` · ${t("a_only_degraded")}` : ""}`),
      h("div", { class: "crow actions" }, dangerButton(ctx, t("st_delete"), t("a_component_delete_confirm").replace("{name}", c.name),
        () => del(`${I}/components/${c.id}`), t("a_deleted").replace("{name}", c.name))),
      disclosure(t("st_edit"), componentForm(ctx, c), { key: `component-${c.id}` }))));
  });
  return h("div", { class: "console" },
    h("div", {}, h("h2", {}, t("a_components")),
      ctx.components.length ? sections : empty(t("a_no_components")),
      h("h2", {}, t("a_groups")), groupCards.length ? groupCards : empty(t("a_no_groups"))),
    h("div", {}, componentForm(ctx), groupForm(ctx)));
}
