// After signing in again, the step that was posted when the session had ended is posted again at once:
// the technician already tapped send. The button is there for a browser without this script.
(function () {
  const form = document.getElementById("replay");
  if (!form || form.dataset.replay !== "1") return;
  form.dataset.replay = "0";
  document.getElementById("replay-submit").disabled = true;
  form.submit();
})();
