// IVR builder: edits a flow graph (telephony/ivr/graph.py) in the browser. The tree on the left is the
// flow as a caller meets it; the form on the right edits the selected node; "Save draft" stores it
// (PUT …/draft with the revision it started from) and shows what the server's checks say; "Publish"
// saves and publishes. No framework: plain DOM, one state object, re-rendered on each change.
(() => {
  "use strict";
  const root = document.getElementById("ivr-builder");
  if (!root) return;
  const data = JSON.parse(document.getElementById("ivr-data").textContent);
  const T = data.strings;
  const draftUrl = root.dataset.draftUrl;
  const publishUrl = root.dataset.publishUrl;
  const csrf = root.dataset.csrf;
  const DIGITS = "123456789*0#".split("");
  const DAYS = T.days; // Mon … Sun
  const state = {
    graph: data.graph,
    revision: data.revision,
    selected: data.graph.start,
    issues: data.issues,
    dirty: false,
    busy: false,
  };
  const NEW = [
    ["new:menu", T.new_menu],
    ["new:queue", T.new_queue],
    ["new:message", T.new_message],
    ["new:voicemail", T.new_voicemail],
    ["new:callback", T.new_callback],
    ["new:hangup", T.new_hangup],
  ];

  // --- small DOM helpers ----------------------------------------------------------------------------
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === undefined || value === null || value === false) continue;
      if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
      else if (key === "text") node.textContent = value;
      else if (key === "value") node.value = value;
      else if (key === "checked") node.checked = Boolean(value);
      else node.setAttribute(key, value === true ? "" : value);
    }
    for (const child of children.flat()) {
      if (child !== null && child !== undefined && child !== false) {
        node.append(child instanceof Node ? child : document.createTextNode(String(child)));
      }
    }
    return node;
  }

  let uid = 0;
  function field(label, control, help) {
    const id = control.id || `ivr-f${++uid}`;
    control.id = id;
    return el("div", { class: "ivr-field" }, el("label", { for: id, text: label }), control, help ? el("small", { class: "helptext", text: help }) : null);
  }

  function nodeName(id) {
    const node = state.graph.nodes[id];
    if (!node) return `${id} (${T.missing})`;
    return `${node.label || id} · ${T.types[node.type] || node.type}`;
  }

  // --- the graph ------------------------------------------------------------------------------------
  function exits(node) {
    const out = [];
    if (node.type === "menu") {
      const keys = Object.keys(node.options || {}).sort((a, b) => DIGITS.indexOf(a) - DIGITS.indexOf(b));
      for (const key of keys) out.push([`${T.key} ${key}`, node.options[key]]);
      if (node.on_invalid) out.push([T.after_wrong_keys, node.on_invalid]);
      if (node.on_timeout) out.push([T.after_silence, node.on_timeout]);
    } else if (node.type === "message") {
      if (node.next) out.push([T.then, node.next]);
    } else if (node.type === "schedule") {
      for (const branch of ["open", "closed", "holiday"]) if (node[branch]) out.push([T[branch], node[branch]]);
    }
    return out;
  }

  function defaults(type) {
    const queue = data.queues[0] || "";
    switch (type) {
      case "menu": return { type, prompt: "", options: {}, timeout_s: 5, retries: 2 };
      case "message": return { type, prompt: "", next: "" };
      case "schedule": return { type, timezone: data.timezone, hours: [{ days: [0, 1, 2, 3, 4], from: "09:00", to: "17:00" }], holidays: [], open: "", closed: "" };
      case "queue": return { type, queue };
      case "voicemail": return { type, mailbox: "100", prompt: "" };
      case "callback": return { type, queue, prompt: "" };
      default: return { type: "hangup", prompt: "" };
    }
  }

  function newNode(base, type) {
    const clean = base.toLowerCase().replace(/[^a-z0-9_-]+/g, "-").replace(/^-+/, "").slice(0, 36) || "node";
    let id = clean;
    for (let n = 2; state.graph.nodes[id]; n++) id = `${clean}-${n}`;
    state.graph.nodes[id] = defaults(type);
    return id;
  }

  // A target choice: an existing node, "new:<type>" (creates one), or "" (nothing yet / default).
  function resolveTarget(value, base) {
    if (value.startsWith("new:")) return newNode(base, value.slice(4));
    return value;
  }

  function targetSelect(label, current, onPick, { emptyLabel } = {}) {
    const select = el("select", { "aria-label": label });
    select.append(el("option", { value: "", text: emptyLabel || T.choose }));
    const group = el("optgroup", { label: T.existing });
    for (const id of Object.keys(state.graph.nodes).sort()) group.append(el("option", { value: id, text: nodeName(id) }));
    select.append(group);
    const fresh = el("optgroup", { label: T.create });
    for (const [value, text] of NEW) fresh.append(el("option", { value, text }));
    select.append(fresh);
    select.value = current && state.graph.nodes[current] ? current : "";
    select.addEventListener("change", () => onPick(select.value));
    return select;
  }

  function changed({ structure = false } = {}) {
    state.dirty = true;
    status(T.unsaved);
    renderTree();
    if (structure) renderNode();
  }

  // --- tree -----------------------------------------------------------------------------------------
  function errorNodes() {
    return new Set(state.issues.errors.map((issue) => issue.node));
  }

  function renderTree() {
    const tree = document.getElementById("ivr-tree");
    const bad = errorNodes();
    const seen = new Set();
    function item(id, edgeLabel) {
      const node = state.graph.nodes[id];
      const li = el("li", { role: "treeitem" });
      if (edgeLabel) li.append(el("span", { class: "ivr-edge", text: `${edgeLabel} → ` }));
      if (!node) {
        li.append(el("span", { class: "ivr-missing", text: `${id} (${T.missing})` }));
        return li;
      }
      const button = el(
        "button",
        {
          type: "button",
          class: `ivr-node-button ivr-type-${node.type}${id === state.selected ? " selected" : ""}${bad.has(id) ? " has-error" : ""}`,
          "data-node": id,
          "aria-current": id === state.selected ? "true" : null,
          onclick: () => select(id),
        },
        el("strong", { text: node.label || id }),
        " ",
        el("span", { class: "tag", text: T.types[node.type] || node.type }),
        node.type === "queue" || node.type === "callback" ? el("span", { class: "muted", text: ` ${node.queue || ""}` }) : null,
        node.label && node.label !== id ? el("span", { class: "muted ivr-id", text: ` ${id}` }) : null,
      );
      if (seen.has(id)) {
        li.append(el("span", { class: "ivr-loop", text: `↩ ${node.label || id}` }));
        return li;
      }
      seen.add(id);
      li.append(button);
      const children = exits(node);
      if (children.length) {
        const ul = el("ul", { role: "group" });
        for (const [label, target] of children) ul.append(item(target, label));
        li.append(ul);
      }
      return li;
    }
    const top = el("ul", { class: "ivr-tree-root" });
    if (state.graph.nodes[state.graph.start]) top.append(item(state.graph.start, T.start));
    const rest = Object.keys(state.graph.nodes).filter((id) => !seen.has(id)).sort();
    tree.replaceChildren(top);
    if (rest.length) {
      tree.append(el("h3", { text: T.unreachable }));
      const ul = el("ul", { class: "ivr-tree-root" });
      for (const id of rest) if (!seen.has(id)) ul.append(item(id, null));
      tree.append(ul);
    }
  }

  function select(id) {
    state.selected = id;
    renderTree();
    renderNode();
  }

  // --- the node form --------------------------------------------------------------------------------
  function textInput(label, value, onInput, { multiline = false, help } = {}) {
    const control = multiline ? el("textarea", { rows: 3 }) : el("input", { type: "text" });
    control.value = value || "";
    control.addEventListener("input", () => onInput(control.value));
    return field(label, control, help);
  }

  function numberInput(label, value, min, max, onInput) {
    const control = el("input", { type: "number", min, max, step: 1, value: value });
    control.addEventListener("input", () => onInput(control.value === "" ? "" : Number(control.value)));
    return field(label, control);
  }

  function queueSelect(label, value, onPick) {
    const control = el("select", {});
    if (!data.queues.length) control.append(el("option", { value: "", text: T.no_queues }));
    for (const name of data.queues) control.append(el("option", { value: name, text: name }));
    control.value = value || "";
    control.addEventListener("change", () => onPick(control.value));
    return field(label, control);
  }

  function menuOptions(id, node) {
    const box = el("fieldset", { class: "ivr-options" }, el("legend", { text: T.keys }));
    const keys = Object.keys(node.options).sort((a, b) => DIGITS.indexOf(a) - DIGITS.indexOf(b));
    const table = el("table", { class: "ivr-option-table" });
    for (const key of keys) {
      const digit = el("select", { "aria-label": `${T.key} ${key}` });
      for (const d of DIGITS) if (d === key || !(d in node.options)) digit.append(el("option", { value: d, text: d }));
      digit.value = key;
      digit.addEventListener("change", () => {
        const target = node.options[key];
        delete node.options[key];
        node.options[digit.value] = target;
        changed({ structure: true });
      });
      const target = targetSelect(`${T.key} ${key} ${T.goes_to}`, node.options[key], (value) => {
        node.options[key] = resolveTarget(value, `${id}-${key}`);
        changed({ structure: true });
      });
      const open = state.graph.nodes[node.options[key]]
        ? el("button", { type: "button", class: "linklike link", onclick: () => select(node.options[key]), text: T.edit })
        : null;
      const remove = el("button", {
        type: "button",
        class: "linklike link",
        "aria-label": `${T.remove_key} ${key}`,
        text: "✕",
        onclick: () => { delete node.options[key]; changed({ structure: true }); },
      });
      table.append(el("tr", {}, el("td", {}, digit), el("td", {}, target), el("td", {}, open, " ", remove)));
    }
    box.append(table);
    const free = DIGITS.find((d) => !(d in node.options));
    if (free) {
      box.append(el("button", {
        type: "button",
        text: T.add_key,
        onclick: () => { node.options[free] = ""; changed({ structure: true }); },
      }));
    }
    return box;
  }

  function fallback(label, id, node, name, base) {
    const select = targetSelect(label, node[name], (value) => {
      if (value) node[name] = resolveTarget(value, base);
      else delete node[name];
      changed({ structure: true });
    }, { emptyLabel: T.polite_hangup });
    return field(label, select);
  }

  function scheduleFields(id, node) {
    const parts = [textInput(T.timezone, node.timezone, (v) => { node.timezone = v.trim(); changed(); }, { help: T.timezone_help })];
    const hours = el("fieldset", { class: "ivr-hours" }, el("legend", { text: T.opening_hours }));
    (node.hours || []).forEach((span, index) => {
      const row = el("div", { class: "ivr-hours-row" });
      DAYS.forEach((dayName, day) => {
        const box = el("input", { type: "checkbox", checked: span.days.includes(day), "aria-label": `${dayName} (${index + 1})` });
        box.addEventListener("change", () => {
          span.days = box.checked ? [...new Set([...span.days, day])].sort() : span.days.filter((d) => d !== day);
          changed();
        });
        row.append(el("label", { class: "checkbox-line" }, box, dayName));
      });
      const from = el("input", { type: "text", value: span.from, size: 5, "aria-label": `${T.from} (${index + 1})`, placeholder: "09:00" });
      from.addEventListener("input", () => { span.from = from.value; changed(); });
      const to = el("input", { type: "text", value: span.to, size: 5, "aria-label": `${T.to} (${index + 1})`, placeholder: "18:00" });
      to.addEventListener("input", () => { span.to = to.value; changed(); });
      row.append(from, " – ", to, el("button", {
        type: "button", class: "linklike link", text: "✕", "aria-label": `${T.remove} (${index + 1})`,
        onclick: () => { node.hours.splice(index, 1); changed({ structure: true }); },
      }));
      hours.append(row);
    });
    hours.append(el("button", {
      type: "button", text: T.add_hours,
      onclick: () => { node.hours = [...(node.hours || []), { days: [0, 1, 2, 3, 4], from: "09:00", to: "17:00" }]; changed({ structure: true }); },
    }));
    parts.push(hours);
    parts.push(textInput(T.holidays, (node.holidays || []).join("\n"), (v) => {
      node.holidays = v.split(/\s+/).filter(Boolean);
      changed();
    }, { multiline: true, help: T.holidays_help }));
    for (const branch of ["open", "closed", "holiday"]) {
      const select = targetSelect(T[branch], node[branch], (value) => {
        if (value) node[branch] = resolveTarget(value, `${id}-${branch}`);
        else delete node[branch];
        changed({ structure: true });
      }, { emptyLabel: branch === "holiday" ? T.same_as_closed : T.choose });
      parts.push(field(T[branch], select));
    }
    return parts;
  }

  function renderNode() {
    const box = document.getElementById("ivr-node");
    const id = state.selected;
    const node = state.graph.nodes[id];
    if (!node) {
      box.replaceChildren(el("p", { class: "muted", text: T.pick_a_node }));
      return;
    }
    const parts = [el("h3", {}, node.label || id, node.label ? el("span", { class: "muted", text: ` (${id})` }) : null)];
    const issues = state.issues.errors.filter((issue) => issue.node === id);
    if (issues.length) {
      parts.push(el("ul", { class: "errorlist" }, issues.map((issue) => el("li", { text: issue.field ? `${issue.field}: ${issue.message}` : issue.message }))));
    }
    const type = el("select", {});
    for (const [value, text] of Object.entries(T.types)) type.append(el("option", { value, text }));
    type.value = node.type;
    type.addEventListener("change", () => {
      const fresh = defaults(type.value);
      fresh.label = node.label;
      if (node.prompt && "prompt" in fresh) fresh.prompt = node.prompt;
      state.graph.nodes[id] = fresh;
      changed({ structure: true });
    });
    parts.push(field(T.type, type));
    parts.push(textInput(T.label, node.label, (v) => { node.label = v; changed(); }));
    if (node.type !== "schedule") {
      parts.push(textInput(T.prompt, node.prompt, (v) => { node.prompt = v; changed(); }, {
        multiline: true,
        help: node.type === "menu" || node.type === "message" ? T.prompt_help : T.prompt_optional,
      }));
    }
    switch (node.type) {
      case "menu":
        parts.push(menuOptions(id, node));
        parts.push(numberInput(T.timeout, node.timeout_s ?? 5, 1, 30, (v) => { node.timeout_s = v; changed(); }));
        parts.push(numberInput(T.retries, node.retries ?? 2, 0, 5, (v) => { node.retries = v; changed(); }));
        parts.push(textInput(T.invalid_prompt, node.invalid_prompt, (v) => { if (v) node.invalid_prompt = v; else delete node.invalid_prompt; changed(); }));
        parts.push(fallback(T.after_wrong_keys, id, node, "on_invalid", `${id}-invalid`));
        parts.push(fallback(T.after_silence, id, node, "on_timeout", `${id}-timeout`));
        break;
      case "message":
        parts.push(field(T.then, targetSelect(T.then, node.next, (value) => { node.next = resolveTarget(value, `${id}-next`); changed({ structure: true }); })));
        break;
      case "schedule":
        parts.push(...scheduleFields(id, node));
        break;
      case "queue":
      case "callback":
        parts.push(queueSelect(T.queue, node.queue, (v) => { node.queue = v; changed(); }));
        break;
      case "voicemail":
        parts.push(textInput(T.mailbox, node.mailbox, (v) => { node.mailbox = v.trim(); changed(); }));
        break;
      default:
        break;
    }
    const actions = el("div", { class: "actions" });
    if (id !== state.graph.start) {
      actions.append(el("button", { type: "button", text: T.make_start, onclick: () => { state.graph.start = id; changed({ structure: true }); } }));
      actions.append(el("button", {
        type: "button", class: "danger", text: T.delete_node,
        onclick: () => {
          if (!window.confirm(T.delete_confirm)) return;
          delete state.graph.nodes[id];
          state.selected = state.graph.start;
          changed({ structure: true });
        },
      }));
    }
    parts.push(actions);
    box.replaceChildren(...parts);
  }

  // --- checks, saving and publishing ----------------------------------------------------------------
  function status(text, kind) {
    const line = document.getElementById("ivr-status");
    line.textContent = text;
    line.dataset.kind = kind || "";
  }

  function renderIssues() {
    const box = document.getElementById("ivr-issues");
    const { errors, warnings } = state.issues;
    const parts = [el("p", { class: errors.length ? "ivr-bad" : "ivr-good", "data-testid": "ivr-verdict", text: errors.length ? T.problems.replace("%(n)s", errors.length) : T.ready })];
    const list = (items, cls) => el("ul", { class: `ivr-issue-list ${cls}` }, items.map((issue) =>
      el("li", {}, el("button", { type: "button", class: "linklike link", onclick: () => issue.node && select(issue.node), text: issue.node || T.flow }), `: ${issue.message}`)));
    if (errors.length) parts.push(list(errors, "errors"));
    if (warnings.length) parts.push(el("h3", { text: T.warnings }), list(warnings, "warnings"));
    box.replaceChildren(...parts);
    renderTree();
  }

  async function call(method, url, body) {
    const response = await fetch(url, {
      method,
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf, Accept: "application/json" },
      credentials: "same-origin",
      body: JSON.stringify(body),
    });
    let payload = {};
    try { payload = await response.json(); } catch (_error) { payload = {}; }
    return { response, payload };
  }

  async function save() {
    const { response, payload } = await call("PUT", draftUrl, { revision: state.revision, graph: state.graph });
    if (response.ok) {
      state.revision = payload.revision;
      state.issues = payload.validation;
      state.dirty = false;
      renderIssues();
      renderNode();
      status(T.saved.replace("%(n)s", state.revision), "ok");
      return true;
    }
    status(payload.error ? payload.error.message : T.save_failed, "error");
    return false;
  }

  async function publish() {
    if (!(await save())) return;
    if (state.issues.errors.length) {
      status(T.fix_first, "error");
      return;
    }
    const note = document.getElementById("ivr-note").value;
    const { response, payload } = await call("POST", publishUrl, { revision: state.revision, note });
    if (response.ok) {
      status(T.published.replace("%(n)s", payload.number), "ok");
      window.setTimeout(() => window.location.reload(), 600);
      return;
    }
    if (payload.error && payload.error.fields && payload.error.fields.issues) {
      state.issues = { errors: payload.error.fields.issues, warnings: state.issues.warnings };
      renderIssues();
    }
    status(payload.error ? payload.error.message : T.publish_failed, "error");
  }

  function guard(action) {
    return async () => {
      if (state.busy) return;
      state.busy = true;
      root.setAttribute("aria-busy", "true");
      try { await action(); } catch (error) { status(`${T.network}: ${error}`, "error"); }
      finally { state.busy = false; root.removeAttribute("aria-busy"); }
    };
  }

  document.getElementById("ivr-save").addEventListener("click", guard(save));
  document.getElementById("ivr-publish").addEventListener("click", guard(publish));
  window.addEventListener("beforeunload", (event) => {
    if (state.dirty) { event.preventDefault(); event.returnValue = ""; }
  });
  renderIssues();
  renderNode();
  status(T.loaded.replace("%(n)s", state.revision));
  root.dataset.ready = "true";
})();
