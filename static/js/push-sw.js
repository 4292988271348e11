// The web push service worker, served from /sw.js (notifications/views.py): shows the count
// the server pushed (no names, no text: notifications/webpush.py) and opens the
// notification page when it is touched. A classic worker script: no module, no import.

self.addEventListener("push", (event) => {
  let data = {};
  try {
    data = event.data ? event.data.json() : {};
  } catch {
    data = {};
  }
  const title = typeof data.title === "string" && data.title ? data.title : "Agora";
  const body = typeof data.body === "string" ? data.body : "";
  event.waitUntil(
    self.registration.showNotification(title, {
      body,
      // One notification on the phone, replaced by the newest count.
      tag: "agora-notifications",
      renotify: true,
      data: { url: typeof data.url === "string" ? data.url : "/notifications/" },
    }),
  );
});

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const target = new URL(event.notification.data?.url || "/notifications/", self.location.origin);
  if (target.origin !== self.location.origin) return; // only ever our own pages
  event.waitUntil(
    self.clients.matchAll({ type: "window", includeUncontrolled: true }).then((windows) => {
      for (const client of windows) {
        if (new URL(client.url).origin === self.location.origin && "focus" in client) {
          return client.navigate(target.href).then((c) => (c || client).focus());
        }
      }
      return self.clients.openWindow(target.href);
    }),
  );
});
