// The replay slider reloads the case file as of the chosen step when it is released (the form's
// "Show" button does the same without script). Nothing else in the workbench needs script.
document.addEventListener("DOMContentLoaded", function () {
  var form = document.getElementById("replay-form");
  if (!form) return;
  form.addEventListener("change", function () { form.requestSubmit(); });
});
