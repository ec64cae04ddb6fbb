// Uploads the spreadsheet straight to S3 with a presigned POST, then submits the form with its key,
// so the app never carries the file (its request bodies stay small).
(function () {
  const form = document.getElementById("import-form");
  if (!form) return;
  const d = form.dataset;
  const input = document.getElementById("import-file");
  const keyField = document.getElementById("import-key");
  const errorBox = document.getElementById("import-error");
  const button = document.getElementById("import-button");
  const label = button.textContent;

  function fail(text) {
    errorBox.textContent = text; errorBox.hidden = false;
    button.disabled = false; button.textContent = label;
  }

  form.addEventListener("submit", async (event) => {
    if (keyField.value) return; // uploaded already: let the form go
    event.preventDefault();
    errorBox.hidden = true;
    const file = input.files[0];
    if (!file) { fail(d.msgFailed); return; }
    if (!/\.(csv|xlsx)$/i.test(file.name)) { fail(d.msgType); return; }
    if (file.size > parseInt(d.maxBytes, 10)) { fail(d.msgFailed); return; }
    button.disabled = true; button.textContent = d.msgUploading;
    try {
      const response = await fetch(d.uploadUrl, {
        method: "POST", headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ filename: file.name }),
      });
      const ticket = await response.json().catch(() => ({}));
      if (!response.ok) throw new Error(ticket.message || d.msgFailed);
      const body = new FormData();
      Object.entries(ticket.fields).forEach(([k, v]) => body.append(k, v));
      body.append("file", file);
      const stored = await fetch(ticket.url, { method: "POST", body: body });
      if (!stored.ok) throw new Error(d.msgFailed);
      keyField.value = ticket.key;
      button.textContent = d.msgChecking;
      form.submit();
    } catch (error) {
      fail(error.message || d.msgFailed);
    }
  });
})();
