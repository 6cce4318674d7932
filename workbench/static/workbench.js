// The replay slider names the moment it stands for while it moves (without reloading: a keyboard
// user steps through it with the arrow keys), and the form's "Show" button reloads the case file
// as of that moment. Without script the button alone does the same. Nothing else needs script.
document.addEventListener("DOMContentLoaded", function () {
  var slider = document.getElementById("step");
  var output = document.getElementById("moment");
  if (!slider || !output) return;
  var moments = (slider.getAttribute("data-moments") || "").split("|");
  slider.addEventListener("input", function () {
    var label = moments[Number(slider.value)] || "";
    output.textContent = label;
    slider.setAttribute("aria-valuetext", label);
  });
});
