// The agent desktop: one websocket for state and screen pops; htmx swaps the server-rendered panels.
(function () {
  "use strict";
  const desk = document.getElementById("desk");
  if (!desk) return;
  const badge = desk.querySelector("[data-testid=agent-state]");
  const reasonText = desk.querySelector("[data-testid=agent-reason]");
  const stateTimer = desk.querySelector("[data-testid=state-timer]");
  const socketStatus = desk.querySelector("[data-testid=socket-status]");
  const controls = document.getElementById("call-controls");
  const labels = JSON.parse(document.getElementById("state-labels").textContent);
  const csrf = JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || "";
  let current = { state: desk.dataset.state, since: desk.dataset.since, call_id: desk.dataset.callId, queue: "" };
  let held = false;
  let loadedCall = "";

  function clock(since) {
    if (!since) return "";
    const seconds = Math.max(0, Math.floor((Date.now() - Date.parse(since)) / 1000));
    const h = Math.floor(seconds / 3600), m = Math.floor((seconds % 3600) / 60), s = seconds % 60;
    return (h ? h + ":" + String(m).padStart(2, "0") : m) + ":" + String(s).padStart(2, "0");
  }

  function show(button, visible) { if (button) button.hidden = !visible; }

  function render() {
    const state = current.state || "logged_out";
    badge.textContent = labels[state] || state;
    badge.dataset.state = state;
    desk.dataset.state = state;
    reasonText.textContent = current.reason || (current.pending_state ? "→ " + (labels[current.pending_state] || current.pending_state) : "");
    const busy = ["ringing", "on_call", "wrap_up"].includes(state) && current.call_id;
    controls.hidden = !busy;
    if (state !== "on_call") held = false;
    show(controls.querySelector("[data-action=answer]"), state === "ringing");
    show(controls.querySelector("[data-action=hold]"), state === "on_call" && !held);
    show(controls.querySelector("[data-action=unhold]"), state === "on_call" && held);
    show(controls.querySelector(".transfer"), state === "on_call");
    show(controls.querySelector("[data-action=hangup]"), state === "on_call");
    show(controls.querySelector("[data-action=wrapup_end]"), state === "wrap_up");
    if (busy) {
      controls.querySelector("[data-testid=call-queue]").textContent = current.queue || "";
      loadCall(current.call_id);
    }
  }

  function loadCall(callId) {
    if (!callId || callId === loadedCall) return;
    loadedCall = callId;
    desk.dataset.callId = callId;
    htmx.ajax("GET", desk.dataset.callUrl.replace("CALL", encodeURIComponent(callId)), { target: "#call-panel" });
  }

  function tick() {
    stateTimer.textContent = clock(current.since);
  }

  async function act(action) {
    const callId = current.call_id;
    if (!callId) return;
    const body = new URLSearchParams({ action: action });
    if (action === "transfer") body.set("to_queue", document.getElementById("transfer-queue").value);
    const response = await fetch(desk.dataset.actionUrl.replace("CALL", encodeURIComponent(callId)), {
      method: "POST", body: body, headers: { "X-CSRFToken": csrf, "HX-Request": "true" }, credentials: "same-origin",
    });
    // Only the notice fragment is shown, parsed inertly (no scripts run); any other answer — a
    // login or error page — becomes a plain message rather than markup in the desk.
    const notice = document.getElementById("desk-notice");
    const parsed = new DOMParser().parseFromString(await response.text(), "text/html");
    const fragment = parsed.querySelector("[data-testid=desk-notice]");
    if (fragment) notice.replaceChildren(document.importNode(fragment, true));
    else if (!response.ok) notice.textContent = desk.dataset.actionFailed || "The action failed.";
    else notice.replaceChildren();
    if (response.ok && action === "hold") { held = true; render(); }
    if (response.ok && action === "unhold") { held = false; render(); }
  }

  controls.addEventListener("click", (event) => {
    const button = event.target.closest("button[data-action]");
    if (button) act(button.dataset.action);
  });

  function submitState(selector) {
    const form = desk.querySelector(selector);
    if (form) htmx.trigger(form, "submit");
  }

  document.addEventListener("keydown", (event) => {
    if (!event.altKey || event.ctrlKey || event.metaKey) return;
    const key = event.key.toLowerCase();
    const keys = {
      a: () => current.state === "ringing" && act("answer"),
      h: () => current.state === "on_call" && act(held ? "unhold" : "hold"),
      e: () => current.state === "on_call" && act("hangup"),
      t: () => current.state === "on_call" && act("transfer"),
      r: () => submitState("form:has(input[value=available])"),
      n: () => submitState("#not-ready-form"),
      b: () => submitState("form:has(input[value=break])"),
      s: () => { const f = document.getElementById("wrapup-form"); if (f) htmx.trigger(f, "submit"); },
    };
    if (keys[key]) { event.preventDefault(); keys[key](); }
  });

  let delay = 1000;
  function connect() {
    const scheme = location.protocol === "https:" ? "wss://" : "ws://";
    const socket = new WebSocket(scheme + location.host + "/ws/desktop/");
    socket.onopen = () => { delay = 1000; socketStatus.textContent = socketStatus.dataset.online || "live"; socketStatus.dataset.connected = "true"; };
    socket.onmessage = (message) => {
      const data = JSON.parse(message.data);
      if (data.type === "agent_state") {
        current = data;
        render();
      } else if (data.type === "screen_pop") {
        controls.querySelector("[data-testid=call-number]").textContent = data.caller || "";
        controls.querySelector("[data-testid=call-queue]").textContent = data.queue || "";
        if (data.event === "ringing" || data.event === "call.ringing") {
          current = Object.assign({}, current, { call_id: data.call_id, queue: data.queue });
        }
        loadCall(data.call_id);
      } else if (data.type === "callbacks_changed") {
        htmx.trigger(document.body, "callbacks-changed");
      }
    };
    socket.onclose = () => {
      socketStatus.textContent = socketStatus.dataset.offline || "reconnecting…";
      socketStatus.dataset.connected = "false";
      setTimeout(connect, delay);
      delay = Math.min(delay * 2, 15000);
    };
  }

  render();
  setInterval(tick, 1000);
  tick();
  connect();
})();
