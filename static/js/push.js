// « Recevoir les notifications sur cet appareil » (templates/notifications/preferences.html):
// registers the service worker (/sw.js), and only once the person ticks the box asks the
// browser's permission, subscribes with the platform's VAPID key and gives the server this
// device (notifications/webpush.py). Unticking unsubscribes and forgets the device.

const section = document.querySelector("[data-push]");
// A browser whose push service cannot be reached (a closed network, a browser without
// Google's service) never answers subscribe(): give up after this, and say so.
const SUBSCRIBE_SECONDS = 30;

function keyBytes(base64url) {
  const padded = (base64url + "=".repeat((4 - (base64url.length % 4)) % 4))
    .replace(/-/g, "+")
    .replace(/_/g, "/");
  return Uint8Array.from(atob(padded), (c) => c.charCodeAt(0));
}

function say(text) {
  const status = section.querySelector("[data-push-status]");
  status.textContent = text;
}

async function post(url, fields) {
  const data = new FormData();
  for (const [key, value] of Object.entries(fields)) data.append(key, value);
  data.append("csrfmiddlewaretoken", section.querySelector("[name=csrfmiddlewaretoken]").value);
  try {
    const response = await fetch(url, {
      method: "POST", body: data, credentials: "same-origin",
      headers: { Accept: "application/json" },
    });
    const answer = await response.json();
    return response.ok ? answer : { error: answer.error || section.dataset.textFailed };
  } catch {
    return { error: section.dataset.textFailed };
  }
}

async function turnOn(registration, box) {
  const permission = await Notification.requestPermission();
  if (permission !== "granted") {
    box.checked = false;
    say(section.dataset.textDenied);
    return;
  }
  let subscription;
  let gaveUp = false;
  say(section.dataset.textWaiting);
  const seconds = Number(section.dataset.waitSeconds) || SUBSCRIBE_SECONDS;
  try {
    const asked = registration.pushManager.subscribe({
      userVisibleOnly: true,
      applicationServerKey: keyBytes(section.dataset.publicKey),
    });
    // An answer after we gave up is a device the server never heard of: drop it.
    asked.then((late) => { if (gaveUp) late.unsubscribe().catch(() => {}); }, () => {});
    subscription = await Promise.race([
      asked,
      new Promise((resolve, reject) => {
        setTimeout(() => { gaveUp = true; reject(new Error("no answer")); }, seconds * 1000);
      }),
    ]);
  } catch {
    box.checked = false;
    say(section.dataset.textFailed);
    return;
  }
  const keys = subscription.toJSON().keys || {};
  const answer = await post(section.dataset.addUrl, {
    endpoint: subscription.endpoint, p256dh: keys.p256dh || "", auth: keys.auth || "",
  });
  if (answer.error) {
    await subscription.unsubscribe().catch(() => {});
    box.checked = false;
    say(answer.error);
    return;
  }
  say(section.dataset.textOn);
}

async function turnOff(registration, box) {
  const subscription = await registration.pushManager.getSubscription();
  if (subscription) {
    await post(section.dataset.removeUrl, { endpoint: subscription.endpoint });
    await subscription.unsubscribe().catch(() => {});
  }
  box.checked = false;
  say(section.dataset.textOff);
}

async function start() {
  const choice = section.querySelector("[data-push-choice]");
  const box = section.querySelector("[data-push-here]");
  if (!("serviceWorker" in navigator) || !("PushManager" in window) || !("Notification" in window)) {
    say(section.dataset.textUnsupported);
    return;
  }
  let registration;
  try {
    registration = await navigator.serviceWorker.register(section.dataset.workerUrl, { scope: "/" });
  } catch {
    say(section.dataset.textUnsupported);
    return;
  }
  section.dataset.worker = "registered";
  const subscription = await registration.pushManager.getSubscription().catch(() => null);
  box.checked = Boolean(subscription) && section.dataset.consent === "yes";
  choice.hidden = false;
  say(box.checked ? section.dataset.textOn : section.dataset.textOff);
  box.addEventListener("change", async () => {
    box.disabled = true;
    try {
      if (box.checked) await turnOn(registration, box);
      else await turnOff(registration, box);
    } finally {
      box.disabled = false;
      box.focus();
    }
  });
}

if (section) start();
