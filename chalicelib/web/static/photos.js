// Shared by the customer's form (intake.js) and the technician's phone (tech.js). A phone camera's photo
// is 3-12 MB; on a weak mobile connection that is minutes, so it is made phone-sized before it leaves
// the phone (a site photo needs no more), and sent with a percentage so a slow upload is told apart
// from a hung one.
(function () {
  const LONG_SIDE = 1600;
  const QUALITY = 0.8;
  // What a canvas can read everywhere; HEIC and GIF (animation) go as they are.
  const RESIZABLE = ["image/jpeg", "image/png", "image/webp"];

  // The photo as a JPEG at most LONG_SIDE pixels on its long side, or the file itself when that would
  // not be smaller or the browser cannot decode it. createImageBitmap, not <img>: the pages'
  // Content-Security-Policy allows no blob: images.
  async function downscale(file) {
    if (RESIZABLE.indexOf(file.type) < 0 || !window.createImageBitmap) return file;
    let bitmap;
    try {
      bitmap = await createImageBitmap(file, { imageOrientation: "from-image" });
    } catch (error) {
      return file;
    }
    const scale = Math.min(1, LONG_SIDE / Math.max(bitmap.width, bitmap.height));
    const canvas = document.createElement("canvas");
    canvas.width = Math.max(1, Math.round(bitmap.width * scale));
    canvas.height = Math.max(1, Math.round(bitmap.height * scale));
    const ctx = canvas.getContext("2d");
    ctx.fillStyle = "#fff"; // a PNG's transparent parts become white, not black
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    ctx.drawImage(bitmap, 0, 0, canvas.width, canvas.height);
    if (bitmap.close) bitmap.close();
    const blob = await new Promise((resolve) => canvas.toBlob(resolve, "image/jpeg", QUALITY));
    if (!blob || blob.size >= file.size) return file;
    const name = file.name.replace(/\.[^./]*$/, "") + ".jpg";
    return new File([blob], name, { type: "image/jpeg", lastModified: file.lastModified });
  }

  // A presigned POST with XMLHttpRequest, whose upload reports progress (fetch does not): calls
  // onProgress(percent) as the bytes leave; resolves when storage has them.
  function send(url, fields, file, onProgress) {
    return new Promise((resolve, reject) => {
      const body = new FormData();
      Object.entries(fields).forEach(([k, v]) => body.append(k, v));
      body.append("file", file);
      const request = new XMLHttpRequest();
      request.open("POST", url);
      request.upload.addEventListener("progress", (event) => {
        if (event.lengthComputable && event.total > 0) onProgress(Math.floor((100 * event.loaded) / event.total));
      });
      request.addEventListener("load", () => {
        if (request.status >= 200 && request.status < 300) resolve(); else reject(new Error(""));
      });
      request.addEventListener("error", () => reject(new Error("")));
      request.addEventListener("abort", () => reject(new Error("")));
      onProgress(0);
      request.send(body);
    });
  }

  function percent(template, value) { return template.replace("{percent}", String(value)); }

  window.servicePhotos = { downscale: downscale, send: send, percent: percent };
})();
