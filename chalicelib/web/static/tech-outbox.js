// The technician's pages: registers the outbox (tech-outbox-sw.js) and says what waits on this phone,
// what was sent when the network came back, and what the server refused (with what was typed).
(function () {
  const box = document.getElementById("outbox");
  if (!box || !("serviceWorker" in navigator)) return;
  const d = box.dataset;
  const status = document.getElementById("outbox-status");
  const refusedList = document.getElementById("outbox-refused");
  const TYPED = ["text", "situation", "reason", "work_done", "note", "planned_return"];

  function ask(type, extra) {
    navigator.serviceWorker.ready.then((registration) => {
      if (registration.active) registration.active.postMessage(Object.assign({ type: type }, extra || {}));
    });
  }

  function newKey() {
    const bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }

  // A page shown again (the back button) still holds the key of a post that waits: a second, different
  // step typed on it gets a key of its own, or it would be taken for a repeat of the first.
  function renewKeys(waiting) {
    const keys = new Set(waiting.map((item) => new URLSearchParams(item.body).get("idempotency_key")));
    document.querySelectorAll("input[name=idempotency_key]").forEach((input) => {
      if (keys.has(input.value)) input.value = newKey();
    });
  }

  function typed(item) {
    const fields = new URLSearchParams(item.body);
    return TYPED.map((name) => fields.get(name)).filter((value) => value).join(" · ");
  }

  // A send that stopped at a post with no answer (the network not quite back, a server busy) is tried
  // again while this phone is online and something waits, less and less often; a session to renew waits
  // for the technician to sign in.
  let retryMs = 2000;
  let retryTimer = null;
  let signInNeeded = false;
  function sendAgainLater() {
    if (retryTimer || signInNeeded) return;
    retryTimer = setTimeout(() => {
      retryTimer = null;
      if (navigator.onLine) ask("send");
    }, retryMs);
    retryMs = Math.min(retryMs * 2, 60000);
  }

  function show(message) {
    const waiting = message.waiting || [];
    const refused = message.refused || [];
    if (message.type === "sign-in") signInNeeded = true;
    if (message.type === "sent") {
      if (waiting.length && navigator.onLine) sendAgainLater();
      else if (!waiting.length) retryMs = 2000;
    }
    renewKeys(waiting);
    let text = "";
    if (message.type === "sign-in") text = d.msgSignIn;
    else if (waiting.length) text = d.msgWaiting.replace("{n}", waiting.length);
    else if (message.sent) text = d.msgSent.replace("{n}", message.sent);
    status.textContent = text;
    refusedList.textContent = "";
    refused.forEach((item) => {
      const li = document.createElement("li");
      const words = document.createElement("span");
      words.textContent = d.msgRefused + " " + typed(item);
      const forget = document.createElement("button");
      forget.type = "button";
      forget.className = "secondary";
      forget.textContent = d.msgForget;
      forget.addEventListener("click", () => ask("forget-refused", { id: item.id }));
      li.append(words, " ", forget);
      refusedList.appendChild(li);
    });
    box.hidden = !text && !refused.length;
  }

  navigator.serviceWorker.addEventListener("message", (event) => show(event.data || {}));
  navigator.serviceWorker.register(d.worker, { scope: d.scope }).then(() => {
    ask("status");
    if (navigator.onLine) ask("send");
  });
  window.addEventListener("online", () => ask("send"));
  window.addEventListener("pageshow", (event) => { if (event.persisted) ask("status"); });
})();
