// Alert toasts on every page: SLA warnings and breaches (and other floor alerts) pushed over /ws/alerts/.
(() => {
  const box = document.getElementById("alerts");
  if (!box) return;
  const STAY_MS = { sla_warning: 20000 };  // breaches and the rest stay until dismissed

  function show(alert) {
    const toast = document.createElement("div");
    toast.className = "toast " + (alert.kind === "sla_warning" ? "warning" : "error");
    toast.setAttribute("role", "alert");
    toast.dataset.testid = "alert";
    toast.dataset.kind = alert.kind || "";
    // Only this site's own pages are linked ("/…", not "//host" or "javascript:").
    const url = typeof alert.url === "string" && /^\/(?!\/)/.test(alert.url) ? alert.url : "";
    const title = document.createElement(url ? "a" : "strong");
    if (url) title.href = url;
    title.textContent = alert.title || "";
    const text = document.createElement("p");
    text.textContent = alert.message || "";
    const close = document.createElement("button");
    close.type = "button";
    close.className = "linklike toast-close";
    close.setAttribute("aria-label", box.dataset.dismiss || "Dismiss");
    close.textContent = "×";
    close.addEventListener("click", () => toast.remove());
    toast.append(close, title, text);
    box.prepend(toast);
    while (box.children.length > 5) box.lastElementChild.remove();
    const stay = STAY_MS[alert.kind];
    if (stay) setTimeout(() => toast.remove(), stay);
  }

  let delay = 1000;
  function connect() {
    const scheme = location.protocol === "https:" ? "wss://" : "ws://";
    const socket = new WebSocket(scheme + location.host + "/ws/alerts/");
    socket.onopen = () => { delay = 1000; box.dataset.connected = "true"; };
    socket.onmessage = (message) => {
      const data = JSON.parse(message.data);
      if (data.type === "alert") show(data);
    };
    socket.onclose = (event) => {
      box.dataset.connected = "false";
      if (event.code === 4401 || event.code === 4403) return;  // logged out or not allowed: stop
      setTimeout(connect, delay);
      delay = Math.min(delay * 2, 15000);
    };
  }
  connect();
})();
