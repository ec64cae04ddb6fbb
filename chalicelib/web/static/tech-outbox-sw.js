// The technician's outbox (a service worker over /staff/jobs/): a step posted while the phone has no
// network is kept in IndexedDB and sent when the network is back, so nothing typed on site is lost.
// Each form carries its idempotency key, so a post sent twice (the first answer lost on the way) is
// recorded once. A progress photo chosen without a network is kept here too (tech.js hands it over) and
// goes to storage just before the post that names it (``offline_photo``). Only form posts of the job
// pages are handled; everything else goes to the network.
"use strict";

const DB_NAME = "tech-outbox";
const WAITING = "waiting"; // posts not yet answered by the server
const REFUSED = "refused"; // posts the server answered with a problem: kept to show what was typed
const PHOTOS = "photos"; // photos chosen offline, until the post that names them is recorded

function openDb() {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(DB_NAME, 2);
    request.onupgradeneeded = () => {
      for (const name of [WAITING, REFUSED, PHOTOS]) {
        if (!request.result.objectStoreNames.contains(name)) {
          request.result.createObjectStore(name, { keyPath: "id", autoIncrement: true });
        }
      }
    };
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

async function inStore(name, mode, work) {
  const db = await openDb();
  return new Promise((resolve, reject) => {
    const tx = db.transaction(name, mode);
    const result = work(tx.objectStore(name));
    tx.oncomplete = () => resolve(result && "result" in result ? result.result : undefined);
    tx.onerror = () => reject(tx.error);
  });
}

const all = (name) => inStore(name, "readonly", (store) => store.getAll());
const add = (name, item) => inStore(name, "readwrite", (store) => store.add(item));
const remove = (name, id) => inStore(name, "readwrite", (store) => store.delete(id));
const get = (name, id) => inStore(name, "readonly", (store) => store.get(id));

// The server would not take it (a refused photo, a field, the job's state): retrying cannot help.
class Refused extends Error {
  constructor(status) { super(String(status)); this.status = status; }
}
// The session has ended: sent once the technician has signed in again.
class SignIn extends Error {}

function rootOf(url) {
  return new URL(url).pathname.replace(/\/staff\/jobs(\/.*)?$/, "");
}

async function postJson(url, body) {
  const response = await fetch(url, {
    method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body),
    credentials: "same-origin",
  });
  if (response.status === 401) throw new SignIn();
  if (!response.ok) throw new Refused(response.status);
  return response.json();
}

// The photo to storage as the page would have sent it (presigned POST, then the app checks its bytes).
async function upload(pageUrl, photo) {
  const api = new URL(rootOf(pageUrl) + "/api/uploads/photos", pageUrl).href;
  const ticket = await postJson(api, { filename: photo.name, content_type: photo.type });
  const form = new FormData();
  Object.entries(ticket.fields).forEach(([name, value]) => form.append(name, value));
  form.append("file", photo.blob, photo.name);
  const stored = await fetch(ticket.url, { method: "POST", body: form });
  if (!stored.ok) throw new Refused(stored.status);
  await postJson(api + "/check", { key: ticket.key, filename: photo.name });
  return ticket.key;
}

// Posts a kept step, its offline photos first. A network failure throws TypeError (still offline).
async function deliver(item, redirect) {
  const fields = new URLSearchParams(item.body);
  const kept = fields.getAll("offline_photo").map(Number);
  fields.delete("offline_photo");
  for (const id of kept) {
    const photo = await get(PHOTOS, id);
    if (photo) fields.append("photos", await upload(item.url, photo));
  }
  const response = await fetch(item.url, {
    method: "POST", body: fields.toString(), headers: { "Content-Type": item.type },
    credentials: "same-origin", redirect: redirect,
  });
  if (response.type === "opaqueredirect" || response.ok) for (const id of kept) await remove(PHOTOS, id);
  return response;
}

// What the last send delivered, told to every page for a minute: the page that was open when the network
// came back is often the one being left, and the technician must still read that his steps went out.
const TOLD_FOR_MS = 60 * 1000;
let lastSent = { count: 0, at: 0 };

async function tell(type, extra) {
  const [waiting, refused] = await Promise.all([all(WAITING), all(REFUSED)]);
  const recent = Date.now() - lastSent.at < TOLD_FOR_MS ? lastSent.count : 0;
  const message = Object.assign({ type: type, waiting: waiting, refused: refused, sent: recent }, extra || {});
  for (const client of await self.clients.matchAll({ includeUncontrolled: true })) client.postMessage(message);
}

function language(url) {
  return new URL(url).searchParams.get("lang") === "en" ? "en" : "zh-CN";
}

const WORDS = {
  "zh-CN": {
    refusedTitle: "未被接受",
    refusedText: "这一步的照片或内容未被接受，已保存在手机上，并列在工单页面上。",
    title: "已保存在手机上",
    text: "现在没有网络。您填写的内容已保存在这部手机上，网络恢复后会自动发送，不必重新填写。",
    back: "返回工单",
  },
  en: {
    refusedTitle: "Not accepted",
    refusedText: "A photo or a field of this step was not accepted; it is kept on this phone and listed on the job's page.",
    title: "Saved on this phone",
    text: "There is no network now. What you entered is saved on this phone and will be sent by itself when the network is back; there is no need to enter it again.",
    back: "Back to the job",
  },
};

function savedPage(url, refused) {
  const lang = language(url);
  const words = Object.assign({}, WORDS[lang], refused ? { title: WORDS[lang].refusedTitle, text: WORDS[lang].refusedText } : {});
  const job = new URL(url);
  job.pathname = job.pathname.replace(/\/[^/]+$/, ""); // /staff/jobs/<number>/<step> -> the job's page
  const root = job.pathname.replace(/\/staff\/jobs\/.*$/, "");
  const html = `<!doctype html><html lang="${lang}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>${words.title}</title>
<link rel="stylesheet" href="${root}/static/site.css"></head><body><main>
<h1>${words.title}</h1><p class="confirm" role="status" id="saved-offline">${words.text}</p>
<p><a href="${job.href}" id="back-to-job">${words.back}</a></p></main></body></html>`;
  return new Response(html, { status: 200, headers: { "Content-Type": "text/html; charset=utf-8" } });
}

async function keep(item) {
  await add(WAITING, item);
  if (self.registration.sync) {
    try { await self.registration.sync.register("tech-outbox"); } catch (e) { /* sent on the next page load */ }
  }
  await tell("kept");
}

async function posted(event) {
  const copy = event.request.clone();
  const item = {
    url: copy.url, body: await copy.text(),
    type: copy.headers.get("Content-Type") || "application/x-www-form-urlencoded", at: new Date().toISOString(),
  };
  try {
    if (!new URLSearchParams(item.body).has("offline_photo")) return await fetch(event.request);
    return await deliver(item, "manual"); // a redirect the browser follows, as after a plain post
  } catch (error) {
    if (error instanceof Refused) {
      await add(REFUSED, Object.assign({}, item, { status: error.status }));
      await tell("status");
      return savedPage(item.url, true);
    }
    // No answer at all (no network, the connection dropped) or a session to renew: the step waits here.
    await keep(item);
    return savedPage(item.url);
  }
}

let sending = null;

// Sends what waits, oldest first. Stops at the first post that gets no answer (still no network) or
// whose session has ended (it is sent once the technician has signed in again).
async function send() {
  let sent = 0;
  for (const item of await all(WAITING)) {
    let response;
    try {
      response = await deliver(item, "follow");
    } catch (error) {
      if (error instanceof Refused) {
        await remove(WAITING, item.id);
        await add(REFUSED, Object.assign({}, item, { status: error.status }));
        continue;
      }
      if (error instanceof SignIn) await tell("sign-in");
      break;
    }
    if (response.status === 401 || new URL(response.url).pathname.endsWith("/staff/sign-in")) {
      await tell("sign-in");
      break;
    }
    if (response.status >= 500) break;
    await remove(WAITING, item.id);
    if (response.ok) {
      sent += 1;
    } else {
      // A problem with the step itself (a field, the job's state): kept so nothing typed is lost.
      await add(REFUSED, Object.assign({}, item, { status: response.status }));
    }
  }
  if (sent) lastSent = { count: sent, at: Date.now() };
  await tell("sent");
}

function sendOnce() {
  if (!sending) sending = send().finally(() => { sending = null; });
  return sending;
}

self.addEventListener("install", () => self.skipWaiting());
self.addEventListener("activate", (event) => event.waitUntil(self.clients.claim()));

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method === "POST" && request.mode === "navigate") event.respondWith(posted(event));
});

self.addEventListener("sync", (event) => {
  if (event.tag === "tech-outbox") event.waitUntil(sendOnce());
});

self.addEventListener("message", (event) => {
  const data = event.data || {};
  if (data.type === "send") event.waitUntil(sendOnce());
  if (data.type === "status") event.waitUntil(tell("status"));
  if (data.type === "forget-refused") event.waitUntil(remove(REFUSED, data.id).then(() => tell("status")));
  if (data.type === "keep-photo" && event.ports[0]) {
    const photo = { blob: data.file, name: data.file.name, type: data.file.type, at: new Date().toISOString() };
    event.waitUntil(add(PHOTOS, photo).then((id) => event.ports[0].postMessage({ id: id })));
  }
});
