// The supervisor wallboard: paints each pushed snapshot; clocks tick here between snapshots.
// Never polls: the server pushes (about twice a second at most) and sends a full snapshot on connect.
(function () {
  "use strict";
  const board = document.getElementById("wallboard");
  if (!board) return;
  const L = JSON.parse(document.getElementById("wallboard-labels").textContent);
  const status = board.querySelector("[data-testid=wallboard-status]");
  const updated = board.querySelector("[data-testid=updated-ago]");
  const overallBox = board.querySelector("[data-testid=wb-overall]");
  const tilesBox = board.querySelector("[data-testid=wb-queue-tiles]");
  const agentRows = board.querySelector("[data-testid=agent-grid] tbody");
  const alertList = board.querySelector("[data-testid=alerts]");
  let offsetMs = 0; // browser clock minus server clock, from the last snapshot
  let receivedAt = Date.now();

  function el(tag, attrs, children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      node.setAttribute(key, value === true ? "" : value);
    }
    for (const child of [].concat(children || [])) {
      if (child === null || child === undefined) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  function duration(seconds) {
    if (seconds === null || seconds === undefined) return "—";
    const total = Math.max(0, Math.round(seconds));
    const h = Math.floor(total / 3600), m = Math.floor((total % 3600) / 60), s = total % 60;
    if (h) return h + "h " + String(m).padStart(2, "0") + "m";
    if (m) return m + "m " + String(s).padStart(2, "0") + "s";
    return s + "s";
  }

  function percent(value) {
    return value === null || value === undefined ? "—" : value.toFixed(1) + " %";
  }

  function count(value) {
    return value === null || value === undefined ? "—" : value.toLocaleString();
  }

  function secondsSince(iso) {
    return (Date.now() - offsetMs - Date.parse(iso)) / 1000;
  }

  function figure(key, label, text, colour, extra) {
    return el("div", Object.assign({ class: "wb-figure", "data-figure": key, "data-colour": colour || "" }, extra || {}), [
      el("dt", {}, label),
      el("dd", { "data-testid": "figure-" + key }, text),
    ]);
  }

  function tile(t, title, isOverall) {
    const c = t.colours || {};
    const today = t.today || {};
    const waitAttrs = t.oldest_queued_at
      ? { "data-since": t.oldest_queued_at, "data-amber": (t.thresholds || {}).wait_amber_s, "data-red": (t.thresholds || {}).wait_red_s }
      : {};
    const slNote = t.sl_threshold_s !== null && t.sl_threshold_s !== undefined
      ? el("small", { class: "muted" }, L.within.replace("%(s)s", t.sl_threshold_s))
      : null;
    const figures = el("dl", { class: "wb-figures" }, [
      figure("waiting", L.waiting, count(t.waiting), c.waiting),
      figure("longest_wait", L.longest_wait, t.oldest_queued_at ? duration(secondsSince(t.oldest_queued_at)) : "—", c.longest_wait_s, waitAttrs),
      figure("service_level", L.service_level, percent(today.service_level), c.service_level),
      figure("abandon_rate", L.abandon_rate, percent(today.abandon_rate), c.abandon_rate),
      figure("asa_s", L.asa_s, duration(today.asa_s), c.asa_s),
      figure("aht_s", L.aht_s, duration(today.aht_s), ""),
      figure("offered", L.offered, count(today.offered), ""),
      figure("answered", L.answered, count(today.answered), ""),
      figure("abandoned", L.abandoned, count(today.abandoned), ""),
    ]);
    const a = t.agents || {};
    const chips = el("ul", { class: "wb-agent-counts plain" }, ["available", "ringing", "on_call", "wrap_up", "not_ready"].map(
      (state) => el("li", { "data-state": state, "data-testid": "agents-" + state }, [el("strong", {}, count(a[state] || 0)), " ", L[state]])
    ));
    const reasons = (t.not_ready_reasons || []).length
      ? el("p", { class: "wb-reasons muted", "data-testid": "not-ready-reasons" }, t.not_ready_reasons.map((r) => r.reason + " " + r.count).join(" · "))
      : null;
    return el("article", { class: "wb-tile card" + (isOverall ? " wb-tile-overall" : ""), "data-queue": t.queue || "", "data-testid": isOverall ? "tile-overall" : "tile-" + t.queue }, [
      el("h2", {}, [title, " ", slNote]),
      figures,
      chips,
      reasons,
    ]);
  }

  function render(snapshot) {
    offsetMs = Date.now() - Date.parse(snapshot.at);
    receivedAt = Date.now();
    const overall = snapshot.overall;
    overallBox.replaceChildren(overall ? tile(overall, board.dataset.queue ? overall.name : L.all_queues + " · " + L.today, true) : "");
    const tiles = board.dataset.queue ? [] : (snapshot.queues || []).map((t) => tile(t, t.name, false));
    tilesBox.replaceChildren(...(tiles.length || board.dataset.queue ? tiles : [el("p", { class: "muted" }, L.no_queues)]));
    // Agents come as rows of values, named by snapshot.agent_fields (a grid of hundreds, twice a second).
    const fields = snapshot.agent_fields || [];
    // An agent's clock started in_state_ms before the snapshot's instant; a name of "" is the code.
    const at = Date.parse(snapshot.at);
    const agents = (snapshot.agents || []).map((row) => {
      const agent = Object.fromEntries(fields.map((name, i) => [name, row[i]]));
      agent.name = agent.name || agent.code;
      agent.since = new Date(at - agent.in_state_ms).toISOString();
      return agent;
    });
    agentRows.replaceChildren(...(agents.length ? agents.map((agent) => el("tr", { "data-agent": agent.code }, [
      el("td", {}, agent.name),
      el("td", {}, el("span", { class: "state-badge", "data-state": agent.state }, L.states[agent.state] || agent.state)),
      el("td", {}, agent.reason || ""),
      el("td", { class: "wb-clock", "data-since": agent.since }, duration(secondsSince(agent.since))),
      el("td", {}, agent.queue || ""),
      el("td", {}, count(agent.answered_today || 0)),
    ])) : [el("tr", {}, el("td", { colspan: 6, class: "muted" }, L.no_agents))]));
    if (!alertList.children.length) alertList.replaceChildren(el("li", { class: "muted wb-no-alerts" }, L.no_alerts));
    board.dataset.seq = snapshot.seq;
    tick();
  }

  function alert(message) {
    const empty = alertList.querySelector(".wb-no-alerts");
    if (empty) empty.remove();
    const when = new Date(Date.parse(message.at || new Date().toISOString()));
    const title = message.url ? el("a", { href: message.url }, message.title) : el("strong", {}, message.title);
    alertList.prepend(el("li", { class: "wb-alert", "data-kind": message.kind, "data-testid": "alert" }, [
      el("time", { datetime: message.at }, when.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" })),
      " ", title, " ", el("span", {}, message.message || ""),
    ]));
    while (alertList.children.length > 30) alertList.lastElementChild.remove();
  }

  function colourFor(seconds, amber, red) {
    if (red && seconds >= Number(red)) return "red";
    if (amber && seconds >= Number(amber)) return "amber";
    return "green";
  }

  function tick() {
    for (const node of board.querySelectorAll("[data-since]")) {
      const seconds = secondsSince(node.dataset.since);
      const target = node.matches(".wb-figure") ? node.querySelector("dd") : node;
      target.textContent = duration(seconds);
      if (node.dataset.amber || node.dataset.red) node.dataset.colour = colourFor(seconds, node.dataset.amber, node.dataset.red);
    }
    const age = Math.round((Date.now() - receivedAt) / 1000);
    updated.textContent = L.seconds_ago.replace("%(n)s", age);
    board.dataset.stale = age > 15 ? "true" : "false";
  }

  let delay = 1000;
  function connect() {
    const scheme = location.protocol === "https:" ? "wss://" : "ws://";
    const socket = new WebSocket(scheme + location.host + board.dataset.socket);
    socket.onopen = () => { delay = 1000; status.textContent = L.live; status.dataset.connected = "true"; };
    socket.onmessage = (event) => {
      const data = JSON.parse(event.data);
      if (data.type === "wallboard.snapshot") {
        render(data);
      } else if (data.type === "alert") {
        alert(data);
      }
    };
    socket.onclose = () => {
      status.textContent = L.reconnecting;
      status.dataset.connected = "false";
      setTimeout(connect, delay);
      delay = Math.min(delay * 2, 15000);
    };
  }

  const fullscreen = board.querySelector("[data-action=fullscreen]");
  if (fullscreen) {
    fullscreen.addEventListener("click", () => {
      if (document.fullscreenElement) document.exitFullscreen();
      else document.documentElement.requestFullscreen().catch(() => {});
    });
  }

  render(JSON.parse(document.getElementById("wallboard-snapshot").textContent));
  setInterval(tick, 1000);
  connect();
})();
