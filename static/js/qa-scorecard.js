// The live score on the evaluation form. Mirrors qa/scoring.py: weighted percent of the answered,
// non-N/A questions; an auto-fail question answered "no" makes it 0. The server recomputes on save.
(function () {
  "use strict";
  const form = document.getElementById("qa-sheet");
  const source = document.getElementById("qa-questions");
  if (!form || !source) return;
  const questions = JSON.parse(source.textContent);
  const pass = parseFloat(form.dataset.pass || "0");
  const scoreBox = document.querySelector("[data-live-score]");
  const verdict = document.querySelector("[data-live-verdict]");
  const missingNote = form.querySelector("[data-missing]");
  const labels = {
    pass: form.dataset.labelPass,
    below: form.dataset.labelBelow,
    fail: form.dataset.labelFail,
    missing: form.dataset.labelMissing,
  };

  function percent(value) {
    return value === null ? "—" : value.toFixed(1) + " %";
  }

  function compute() {
    let earned = 0;
    let possible = 0;
    const sections = {};
    const failed = [];
    const missing = [];
    questions.forEach((q) => {
      const checked = form.querySelector('input[name="c' + q.id + '"]:checked');
      const value = checked ? checked.value : "";
      const totals = sections[q.section] || (sections[q.section] = [0, 0]);
      if (value === "") {
        if (q.required) missing.push(q.label);
        return;
      }
      if (value === "na") return;
      const points = (q.weight * Number(value)) / q.max;
      earned += points;
      possible += q.weight;
      totals[0] += points;
      totals[1] += q.weight;
      if (q.auto_fail && Number(value) === 0) failed.push(q.label);
    });
    const score = failed.length ? 0 : possible ? Math.round((10000 * earned) / possible) / 100 : null;
    if (scoreBox) scoreBox.textContent = percent(score);
    if (verdict) {
      verdict.textContent = "";
      if (failed.length) {
        const strong = document.createElement("strong");
        strong.className = "qa-fail";
        strong.textContent = labels.fail + " " + failed.join("; ");
        verdict.appendChild(strong);
      } else if (score !== null) {
        verdict.textContent = score >= pass ? labels.pass : labels.below;
      }
    }
    Object.keys(sections).forEach((id) => {
      const cell = form.querySelector('[data-section-score="' + id + '"]');
      const [got, of] = sections[id];
      if (cell) cell.textContent = of ? percent(Math.round((10000 * got) / of) / 100) : "";
    });
    questions.forEach((q) => {
      const row = form.querySelector('[data-question="' + q.id + '"]');
      if (row) row.classList.toggle("unanswered", !form.querySelector('input[name="c' + q.id + '"]:checked'));
    });
    if (missingNote) {
      missingNote.hidden = missing.length === 0;
      missingNote.textContent = missing.length ? labels.missing + " " + missing.join("; ") : "";
    }
  }

  form.addEventListener("change", compute);
  compute();
}());
