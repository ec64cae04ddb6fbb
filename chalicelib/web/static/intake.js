// Uploads photos straight to S3 with presigned POSTs, then asks the server to check each one: on the
// report form, and on the tracking page's form for adding to a ticket. Either works without this
// script, just without photos.
(function () {
  const form = document.getElementById("intake") || document.getElementById("add-information");
  if (!form) return;
  const d = form.dataset;
  const input = document.getElementById("photo-input");
  const list = document.getElementById("photo-list");
  const errorBox = document.getElementById("photos-error");
  const submit = document.getElementById("submit");
  const maxPhotos = parseInt(d.maxPhotos, 10);
  const maxBytes = parseInt(d.maxBytes, 10);
  const accepted = ["image/jpeg", "image/png", "image/webp", "image/heic", "image/heif", "image/gif"];
  let pending = 0;

  function showError(text) { errorBox.textContent = text; errorBox.hidden = !text; }
  function fill(template, name) { return template.replace("{name}", name); }
  function count() { return list.querySelectorAll("li").length; }

  async function postJSON(url, body) {
    const response = await fetch(url + "?lang=" + encodeURIComponent(d.lang), {
      method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body),
    });
    let data = {};
    try { data = await response.json(); } catch (e) { /* not JSON */ }
    if (!response.ok) throw new Error(data.message || fill(d.msgFailed, body.filename || ""));
    return data;
  }

  function addItem(file) {
    const li = document.createElement("li");
    const name = document.createElement("span");
    name.textContent = file.name + " · " + d.msgUploading;
    li.appendChild(name);
    list.appendChild(li);
    return { li, name };
  }

  async function upload(file) {
    const item = addItem(file);
    pending += 1;
    submit.disabled = true;
    try {
      // Made phone-sized first (photos.js): a 12 MB camera photo is then well under the limit.
      const photo = await window.servicePhotos.downscale(file);
      if (photo.size > maxBytes) throw new Error(fill(d.msgTooLarge, file.name));
      const ticket = await postJSON(d.uploadUrl, { filename: photo.name, content_type: photo.type });
      await window.servicePhotos.send(ticket.url, ticket.fields, photo, (percent) => {
        item.name.textContent = file.name + " · " + window.servicePhotos.percent(d.msgProgress, percent);
      }).catch(() => { throw new Error(fill(d.msgFailed, file.name)); });
      await postJSON(d.checkUrl, { key: ticket.key, filename: photo.name });
      item.name.textContent = file.name + " · " + d.msgUploaded;
      const hidden = document.createElement("input");
      hidden.type = "hidden"; hidden.name = "photos"; hidden.value = ticket.key;
      const remove = document.createElement("button");
      remove.type = "button"; remove.textContent = d.msgRemove;
      remove.addEventListener("click", () => item.li.remove());
      item.li.dataset.key = ticket.key;
      item.li.append(hidden, remove);
    } catch (error) {
      item.li.remove();
      showError(error.message);
    } finally {
      pending -= 1;
      if (pending === 0) submit.disabled = false;
    }
  }

  input.addEventListener("change", () => {
    showError("");
    for (const file of Array.from(input.files)) {
      if (count() >= maxPhotos) { showError(d.msgTooMany); break; }
      if (file.type && accepted.indexOf(file.type) < 0) { showError(fill(d.msgNotImage, file.name)); continue; }
      upload(file);
    }
    input.value = "";
  });

  form.addEventListener("submit", (event) => {
    if (pending > 0 || form.dataset.sent === "1") { event.preventDefault(); return; }
    form.dataset.sent = "1";
    submit.disabled = true;
    submit.textContent = d.msgSubmitting;
  });
})();

// How much of a long text is left, as the customer types (the limit is the textarea's maxlength).
(function () {
  document.querySelectorAll("textarea[data-counter]").forEach(function (area) {
    const counter = document.getElementById(area.dataset.counter);
    if (!counter) return;
    const max = parseInt(area.getAttribute("maxlength"), 10);
    function update() { counter.textContent = counter.dataset.template.replace("{left}", String(max - area.value.length)); }
    area.addEventListener("input", update);
    update();
  });
})();
