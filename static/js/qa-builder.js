// The scorecard builder: add, remove and reorder sections and questions, show the scale size only
// for scale questions. Field names carry positions (sections-0-criteria-1-label); they are
// renumbered in page order before the form is sent, so the saved order is the one on screen.
(function () {
  "use strict";
  const form = document.getElementById("scorecard-builder");
  if (!form) return;
  const sections = form.querySelector("[data-sections]");
  const sectionTemplate = form.querySelector("template[data-section-template]");
  const criterionTemplate = form.querySelector("template[data-criterion-template]");

  // Without this script, blank "spare" rows let people add one more of each; here buttons do it.
  form.querySelectorAll("[data-spare]").forEach((spare) => spare.remove());

  function fromTemplate(template) {
    return template.content.firstElementChild.cloneNode(true);
  }

  function addCriterion(section) {
    const row = fromTemplate(criterionTemplate);
    section.querySelector("[data-criteria]").appendChild(row);
    row.querySelector("input[type=text]").focus();
  }

  function renumber() {
    sections.querySelectorAll(":scope > [data-section]").forEach((section, s) => {
      section.querySelectorAll("[name]").forEach((field) => {
        field.name = field.name.replace(/^sections-[^-]+-/, "sections-" + s + "-");
      });
      section.querySelectorAll("[data-criterion]").forEach((criterion, c) => {
        criterion.querySelectorAll("[name]").forEach((field) => {
          field.name = field.name.replace(/-criteria-[^-]+-/, "-criteria-" + c + "-");
        });
      });
    });
  }

  form.addEventListener("click", (event) => {
    const button = event.target.closest("button");
    if (!button || !form.contains(button)) return;
    if (button.matches("[data-add-section]")) {
      const section = fromTemplate(sectionTemplate);
      sections.appendChild(section);
      addCriterion(section);
      section.querySelector("input[type=text]").focus();
    } else if (button.matches("[data-add-criterion]")) {
      addCriterion(button.closest("[data-section]"));
    } else if (button.matches("[data-remove]")) {
      button.closest("[data-criterion], [data-section]").remove();
    } else if (button.matches("[data-move]")) {
      const item = button.closest("[data-criterion], [data-section]");
      const sibling = button.dataset.move === "-1" ? item.previousElementSibling : item.nextElementSibling;
      if (!sibling || !sibling.matches("[data-criterion], [data-section]")) return;
      if (button.dataset.move === "-1") sibling.before(item);
      else sibling.after(item);
    }
  });

  form.addEventListener("change", (event) => {
    if (event.target.matches("[data-kind]")) {
      const row = event.target.closest("[data-criterion]");
      row.querySelector("[data-scale-max]").hidden = event.target.value !== "scale";
    }
  });

  form.addEventListener("submit", renumber);
}());
