// The technician's job page: location at check-in, progress photos and the signed form straight to
// S3 (presigned POSTs, then the server checks what landed), and the customer's signature on a canvas.
// Every form still posts without this script, just without location, files or a drawn signature.
(function () {
  function fill(template, name) { return template.replace("{name}", name); }

  async function postJSON(url, body) {
    const response = await fetch(url, {
      method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body),
      credentials: "same-origin",
    });
    let data = {};
    try { data = await response.json(); } catch (e) { /* not JSON */ }
    if (!response.ok) throw new Error(data.message || "");
    return data;
  }

  // Presigned POST to S3 (photos.js, with its percentage shown in `status`), then ask the app to check
  // the bytes; resolves to the stored key.
  async function uploadFile(file, uploadUrl, checkUrl, status, template) {
    const ticket = await postJSON(uploadUrl, { filename: file.name, content_type: file.type });
    await window.servicePhotos.send(ticket.url, ticket.fields, file, (percent) => {
      status.textContent = file.name + " · " + window.servicePhotos.percent(template, percent);
    });
    await postJSON(checkUrl, { key: ticket.key, filename: file.name });
    return ticket.key;
  }

  // Without a network a chosen photo is handed to the outbox (tech-outbox-sw.js), which keeps it on the
  // phone and sends it with the report that names it; resolves to its id there, or null without one.
  function keepOffline(photo) {
    const worker = navigator.serviceWorker && navigator.serviceWorker.controller;
    if (!worker) return Promise.resolve(null);
    return new Promise((resolve) => {
      const channel = new MessageChannel();
      channel.port1.onmessage = (event) => resolve(event.data.id);
      worker.postMessage({ type: "keep-photo", file: photo }, [channel.port2]);
    });
  }

  // Check-in: add the phone's position when the browser gives it quickly; never block on it.
  const checkIn = document.getElementById("check-in-form");
  if (checkIn) {
    checkIn.addEventListener("submit", (event) => {
      if (checkIn.dataset.located === "1" || !navigator.geolocation) return;
      event.preventDefault();
      let sent = false;
      const send = () => { if (!sent) { sent = true; checkIn.dataset.located = "1"; checkIn.submit(); } };
      setTimeout(send, 6000);
      navigator.geolocation.getCurrentPosition((position) => {
        document.getElementById("lat").value = position.coords.latitude;
        document.getElementById("lon").value = position.coords.longitude;
        document.getElementById("accuracy").value = position.coords.accuracy;
        send();
      }, send, { timeout: 5000, maximumAge: 60000 });
    });
  }

  // Progress photos (the customers' photo upload endpoints: same checks, same private bucket).
  const progress = document.getElementById("progress-form");
  if (progress) {
    const d = progress.dataset;
    const input = document.getElementById("progress-photo-input");
    const list = document.getElementById("progress-photos");
    const errorBox = document.getElementById("photos-error");
    const submit = document.getElementById("progress-submit");
    let pending = 0;
    input.addEventListener("change", async () => {
      errorBox.hidden = true;
      for (const file of Array.from(input.files)) {
        if (list.children.length >= parseInt(d.max, 10)) break;
        const li = document.createElement("li");
        li.textContent = file.name + " · " + d.msgUploading;
        list.appendChild(li);
        pending += 1; submit.disabled = true;
        let photo = file;
        try {
          const q = "?lang=" + encodeURIComponent(d.lang);
          photo = await window.servicePhotos.downscale(file);
          const key = await uploadFile(photo, d.uploadUrl + q, d.checkUrl + q, li, d.msgProgress);
          li.textContent = photo.name + " · " + d.msgUploaded;
          const hidden = document.createElement("input");
          hidden.type = "hidden"; hidden.name = "photos"; hidden.value = key;
          li.appendChild(hidden);
        } catch (error) {
          const offline = error instanceof TypeError || !navigator.onLine;
          const kept = offline ? await keepOffline(photo) : null;
          if (kept !== null) {
            li.textContent = photo.name + " · " + d.msgKept;
            const hidden = document.createElement("input");
            hidden.type = "hidden"; hidden.name = "offline_photo"; hidden.value = kept;
            li.appendChild(hidden);
          } else {
            li.remove();
            errorBox.textContent = error.message || fill(d.msgFailed, file.name);
            errorBox.hidden = false;
          }
        } finally {
          pending -= 1; if (pending === 0) submit.disabled = false;
        }
      }
      input.value = "";
    });
  }

  // Closure: the signed form as a file, or the customer's signature drawn on the canvas.
  const closure = document.getElementById("closure-form");
  if (closure) {
    const d = closure.dataset;
    const input = document.getElementById("form-input");
    const keyField = document.getElementById("form_key");
    const status = document.getElementById("form-status");
    const errorBox = document.getElementById("form_key-error");
    const submit = document.getElementById("file-acceptance");
    const accepted = ["image/jpeg", "image/png", "image/heic", "image/heif", "application/pdf"];
    const showError = (text) => { errorBox.textContent = text; errorBox.hidden = !text; };

    input.addEventListener("change", async () => {
      const file = input.files[0];
      if (!file) return;
      showError("");
      if (file.size > parseInt(d.maxBytes, 10)) { showError(d.msgTooLarge); return; }
      if (file.type && accepted.indexOf(file.type) < 0) { showError(d.msgWrongType); return; }
      status.textContent = file.name + " · " + d.msgUploading;
      submit.disabled = true;
      try {
        // The signed form goes as it is: its small print must stay readable.
        keyField.value = await uploadFile(file, d.uploadUrl, d.checkUrl, status, d.msgProgress);
        status.textContent = file.name + " · " + d.msgUploaded;
      } catch (error) {
        keyField.value = "";
        status.textContent = "";
        showError(error.message || fill(d.msgFailed, file.name));
      } finally {
        submit.disabled = false;
        input.value = "";
      }
    });

    const pad = document.getElementById("signature-pad");
    const ctx = pad.getContext("2d");
    let drawing = false, drawn = false;
    ctx.lineWidth = 3; ctx.lineCap = "round"; ctx.lineJoin = "round"; ctx.strokeStyle = "#111";
    const point = (event) => {
      const box = pad.getBoundingClientRect();
      return [(event.clientX - box.left) * pad.width / box.width, (event.clientY - box.top) * pad.height / box.height];
    };
    pad.addEventListener("pointerdown", (event) => {
      drawing = true; pad.setPointerCapture(event.pointerId);
      const [x, y] = point(event); ctx.beginPath(); ctx.moveTo(x, y);
    });
    pad.addEventListener("pointermove", (event) => {
      if (!drawing) return;
      const [x, y] = point(event); ctx.lineTo(x, y); ctx.stroke(); drawn = true;
    });
    const stop = () => { drawing = false; signerRequired(); };
    pad.addEventListener("pointerup", stop);
    pad.addEventListener("pointercancel", stop);
    document.getElementById("signature-clear").addEventListener("click", () => {
      ctx.clearRect(0, 0, pad.width, pad.height); drawn = false; signerRequired();
    });
    // The signer's name is required with a drawn signature only.
    const signer = document.getElementById("signer");
    function signerRequired() { signer.required = drawn; }
    // A page sent back for a correction carries the signature drawn before: put it back on the pad, so
    // the customer does not have to sign again.
    const kept = document.getElementById("signature").value;
    if (kept.indexOf("data:image/png;base64,") === 0) {
      const image = new Image();
      image.onload = () => { ctx.drawImage(image, 0, 0); drawn = true; signerRequired(); pad.dataset.restored = "1"; };
      image.src = kept;
    }
    signerRequired();

    closure.addEventListener("submit", () => {
      document.getElementById("signature").value = drawn && !keyField.value ? pad.toDataURL("image/png") : "";
      submit.disabled = true;
    });
  }
})();

// A step that is recorded for good asks first: a tap in a pocket must not start or end a repair.
(function () {
  document.querySelectorAll("button[data-confirm]").forEach(function (button) {
    const form = button.form;
    if (!form) return;
    form.addEventListener("submit", function (event) {
      if (!window.confirm(button.dataset.confirm)) event.preventDefault();
    });
  });
})();
