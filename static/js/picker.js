// The student picker of the audience chooser (notices.forms.StudentPicker): a filter that hides the
// rows not matching what is typed (name or class), the count of the chosen, and a word when a chosen
// student's class is ticked as well (the whole class would get it). Without this script the list of
// checkboxes works as it is; the server refuses a student whose class is ticked too.
(function () {
  document.querySelectorAll("[data-picker]").forEach(function (picker) {
    var filter = picker.querySelector("[data-picker-filter]");
    var count = picker.querySelector("[data-picker-count]");
    var none = picker.querySelector("[data-picker-none]");
    var both = picker.querySelector("[data-picker-both]");
    var rows = Array.prototype.slice.call(picker.querySelectorAll(".picker-list li"));
    var form = picker.closest("form");
    var boxes = picker.querySelectorAll("input[type=checkbox]");

    function chosenClassIds() {
      var ids = {};
      if (!form) return ids;
      form.querySelectorAll("input[name=classes]:checked").forEach(function (box) { ids[box.value] = true; });
      return ids;
    }

    function update() {
      var chosen = picker.querySelectorAll("input[type=checkbox]:checked");
      count.textContent = String(chosen.length);
      var classes = chosenClassIds();
      both.hidden = !Array.prototype.some.call(chosen, function (box) { return classes[box.dataset.class]; });
    }

    function applyFilter() {
      var words = filter.value.trim().toLowerCase();
      var shown = 0;
      rows.forEach(function (row) {
        var match = !words || row.textContent.toLowerCase().indexOf(words) !== -1;
        row.hidden = !match;
        if (match) shown += 1;
      });
      none.hidden = shown > 0;
    }

    filter.hidden = false;
    filter.addEventListener("input", applyFilter);
    // Enter in the filter must not send the form half-filled.
    filter.addEventListener("keydown", function (event) {
      if (event.key === "Enter") event.preventDefault();
    });
    boxes.forEach(function (box) { box.addEventListener("change", update); });
    if (form) {
      form.querySelectorAll("input[name=classes]").forEach(function (box) { box.addEventListener("change", update); });
    }
    update();
  });
})();
