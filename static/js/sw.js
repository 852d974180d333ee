// 同心's service worker (served at /sw.js, scope "/"; issue 17). Two jobs:
// 1. The family's last notices stay readable offline: the notices list and each notice page opened
//    are kept (network first, the kept copy only when the network fails), at most MAX_PAGES.
// 2. Web Push: show the notification the server sent (title, body, link) and open its page on tap.
// Signing out (or landing on the sign-in page) empties the kept pages: a shared phone keeps nothing.
"use strict";
var CACHE = "tongxin-pages-v1";
var MAX_PAGES = 30;
var KEPT = /^\/(notices\/(\d+\/)?|n\/[^/]+\/)?$/; // the home page, the notices list and a notice

self.addEventListener("install", function () { self.skipWaiting(); });
self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (names) {
    return Promise.all(names.filter(function (n) { return n !== CACHE; }).map(function (n) { return caches.delete(n); }));
  }).then(function () { return self.clients.claim(); }));
});

function trim(cache) {
  return cache.keys().then(function (keys) {
    if (keys.length <= MAX_PAGES) return;
    return Promise.all(keys.slice(0, keys.length - MAX_PAGES).map(function (k) { return cache.delete(k); }));
  });
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET" || request.mode !== "navigate") return;
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (url.pathname.indexOf("/accounts/login") === 0 || url.pathname.indexOf("/accounts/logout") === 0) {
    event.waitUntil(caches.delete(CACHE));
    return;
  }
  if (!KEPT.test(url.pathname)) return;
  event.respondWith(fetch(request).then(function (response) {
    // Only a page really shown to a signed-in member (not a redirect to the sign-in page).
    if (response.ok && !response.redirected) {
      var copy = response.clone();
      event.waitUntil(caches.open(CACHE).then(function (cache) {
        return cache.delete(request).then(function () { return cache.put(request, copy); }).then(function () { return trim(cache); });
      }));
    }
    return response;
  }).catch(function () {
    return caches.open(CACHE).then(function (cache) {
      return cache.match(request).then(function (hit) {
        // ignoreVary: the pages vary on Cookie, and this request for the list carries none.
        return hit || cache.match("/notices/", { ignoreVary: true }).then(function (list) {
          return list || new Response("<!DOCTYPE html><meta charset=utf-8><meta name=viewport content='width=device-width'><title>同心</title><p>离线：这个页面还没有保存。 Offline: this page was not saved.</p>", { headers: { "Content-Type": "text/html; charset=utf-8" } });
        });
      });
    });
  }));
});

self.addEventListener("push", function (event) {
  var data = {};
  try { data = event.data ? event.data.json() : {}; } catch (e) { data = { body: event.data ? event.data.text() : "" }; }
  event.waitUntil(self.registration.showNotification(data.title || "同心", {
    body: data.body || "",
    tag: data.tag || undefined,
    icon: "/static/img/icon-192.png",
    badge: "/static/img/icon-192.png",
    data: { url: data.url || "/notices/" }
  }));
});

self.addEventListener("notificationclick", function (event) {
  event.notification.close();
  var target = new URL((event.notification.data && event.notification.data.url) || "/", self.location.origin);
  if (target.origin !== self.location.origin) target = new URL("/", self.location.origin);
  event.waitUntil(self.clients.matchAll({ type: "window", includeUncontrolled: true }).then(function (windows) {
    for (var i = 0; i < windows.length; i++) {
      if ("focus" in windows[i]) { windows[i].navigate(target.href); return windows[i].focus(); }
    }
    return self.clients.openWindow(target.href);
  }));
});
