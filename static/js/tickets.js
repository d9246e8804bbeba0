// Ticket list: "select all" for the bulk bar, and "/" jumps to the search box (as in most trackers).
document.addEventListener("DOMContentLoaded", () => {
  const all = document.getElementById("select-all");
  if (all) {
    all.addEventListener("change", () => {
      document.querySelectorAll('input[name="ids"]').forEach((box) => { box.checked = all.checked; });
    });
  }
  document.addEventListener("keydown", (event) => {
    const target = event.target;
    const typing = target instanceof HTMLElement && target.closest("input, textarea, select, [contenteditable]");
    if (typing || event.ctrlKey || event.metaKey || event.altKey) return;
    const field = document.querySelector(`[data-shortcut="${event.key}"]`);
    if (field) { event.preventDefault(); field.focus(); }
  });
});
