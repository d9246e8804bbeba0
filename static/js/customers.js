// Customer forms: "+ Add a number/address" copies the last row with the next index (phone_3,
// phone_label_3, …). Without JavaScript the form always has an empty row to fill in instead.
document.addEventListener("DOMContentLoaded", () => {
  document.addEventListener("click", (event) => {
    const button = event.target.closest("[data-add-row]");
    if (!button) return;
    const fieldset = button.closest("fieldset");
    const rows = fieldset.querySelectorAll("[data-row]");
    const last = rows[rows.length - 1];
    const index = rows.length;
    const copy = last.cloneNode(true);
    copy.querySelectorAll(".row-errors").forEach((node) => node.remove());
    copy.querySelectorAll("input, label").forEach((node) => {
      for (const name of ["name", "id", "for"]) {
        const value = node.getAttribute(name);
        if (value) node.setAttribute(name, value.replace(/_(\d+)$/, `_${index}`));
      }
      if (node.tagName === "INPUT") { node.value = ""; node.removeAttribute("aria-invalid"); }
      if (node.tagName === "LABEL") node.textContent = node.textContent.replace(/\d+$/, String(index + 1));
    });
    last.after(copy);
    copy.querySelector("input").focus();
  });
  const show = () => document.querySelectorAll("[data-add-row]").forEach((button) => { button.hidden = false; });
  show();
  document.body.addEventListener("htmx:afterSettle", show);
});
