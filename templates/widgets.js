/* examgen's answer widgets: one small script shared by exam.html and the practice app.
   Each answer kind's widget is an element with data-q, data-p, data-s (question, part, step) and
   data-kind; the kind's own script (examgen/kinds/<kind>.py) registers how to read and fill it in
   examgen.widgets; a kind that registers nothing is one text field. collect() gives the answers
   in the format `examgen grade` reads: question -> part -> step -> raw answer (null: none). */
var examgen = window.examgen || {};
window.examgen = examgen;
examgen.widgets = {};
examgen.text = {
  get: el => (el.value.trim() === "" ? null : el.value.trim()),
  set: (el, value) => { el.value = value == null ? "" : String(value); },
};
examgen.radio = {
  get: el => { const c = el.querySelector("input:checked"); return c ? c.value : null; },
  set: (el, value) => { el.querySelectorAll("input").forEach(c => { c.checked = value != null && c.value === String(value); }); },
};
examgen.widget = el => examgen.widgets[el.dataset.kind] || examgen.text;
examgen.fields = root => [...(root || document).querySelectorAll("[data-kind][data-q]")];
examgen.collect = function (root) {
  const answers = {};
  for (const el of examgen.fields(root)) {
    const q = el.dataset.q, p = el.dataset.p;
    answers[q] = answers[q] || {};
    answers[q][p] = answers[q][p] || {};
    answers[q][p][el.dataset.s] = examgen.widget(el).get(el);
  }
  return answers;
};
examgen.restore = function (answers, root) {
  for (const el of examgen.fields(root)) {
    const value = ((answers || {})[el.dataset.q] || {})[el.dataset.p];
    if (value && value[el.dataset.s] != null) {
      examgen.widget(el).set(el, value[el.dataset.s]);
      const working = el.closest("details");
      if (working) working.open = true;  /* show the working a student has typed */
    }
  }
};
examgen.init = function (root) {
  for (const el of examgen.fields(root)) { const w = examgen.widget(el); if (w.init) w.init(el); }
};
/* Printing shows the working too. */
window.addEventListener("beforeprint", () => document.querySelectorAll("details.working").forEach(d => { d.open = true; }));
