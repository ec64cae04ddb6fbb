// The technician's outbox (a service worker over /staff/jobs/): a step posted while the phone has no
// network is kept in IndexedDB and sent when the network is back, so nothing typed on site is lost.
// Each form carries its idempotency key, so a post sent twice (the first answer lost on the way) is
// recorded once. Only form posts of the job pages are handled; everything else goes to the network.
"use strict";

const DB_NAME = "tech-outbox";
const WAITING = "waiting"; // posts not yet answered by the server
const REFUSED = "refused"; // posts the server answered with a problem: kept to show what was typed

function openDb() {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(DB_NAME, 1);
    request.onupgradeneeded = () => {
      request.result.createObjectStore(WAITING, { keyPath: "id", autoIncrement: true });
      request.result.createObjectStore(REFUSED, { keyPath: "id", autoIncrement: true });
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

async function tell(type, extra) {
  const [waiting, refused] = await Promise.all([all(WAITING), all(REFUSED)]);
  const message = Object.assign({ type: type, waiting: waiting, refused: refused }, extra || {});
  for (const client of await self.clients.matchAll({ includeUncontrolled: true })) client.postMessage(message);
}

function language(url) {
  return new URL(url).searchParams.get("lang") === "en" ? "en" : "zh-CN";
}

const WORDS = {
  "zh-CN": {
    title: "已保存在手机上",
    text: "现在没有网络。您填写的内容已保存在这部手机上，网络恢复后会自动发送，不必重新填写。",
    back: "返回工单",
  },
  en: {
    title: "Saved on this phone",
    text: "There is no network now. What you entered is saved on this phone and will be sent by itself when the network is back; there is no need to enter it again.",
    back: "Back to the job",
  },
};

function savedPage(url) {
  const lang = language(url);
  const words = WORDS[lang];
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

async function keep(request) {
  await add(WAITING, {
    url: request.url,
    body: await request.text(),
    type: request.headers.get("Content-Type") || "application/x-www-form-urlencoded",
    at: new Date().toISOString(),
  });
  if (self.registration.sync) {
    try { await self.registration.sync.register("tech-outbox"); } catch (e) { /* sent on the next page load */ }
  }
  await tell("kept");
}

async function posted(event) {
  const copy = event.request.clone();
  try {
    return await fetch(event.request);
  } catch (error) {
    // No answer at all (no network, the connection dropped): the step waits on this phone.
    await keep(copy);
    return savedPage(copy.url);
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
      response = await fetch(item.url, {
        method: "POST", body: item.body, headers: { "Content-Type": item.type },
        credentials: "same-origin", redirect: "follow",
      });
    } catch (error) {
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
  await tell("sent", { sent: sent });
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
});
