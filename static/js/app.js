// Every signed-in page (templates/base.html; issue 17):
// - registers the service worker (/sw.js): the app can be added to the home screen, the last
//   notices stay readable offline, and push notifications are shown;
// - keeps the unread badges live over ws/events: the server sends {"type": "badges", ...} when the
//   socket opens (so a reconnect is right at once) and again on a new notice or chat message;
// - the "notifications on this phone" switch (#push-toggle, on 我的 / How we reach you) subscribes
//   this browser to Web Push and sends the subscription to the server.
(function () {
  "use strict";
  var root = document.documentElement;
  var csrf = (document.querySelector("meta[name=csrf-token]") || {}).content || "";

  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register("/sw.js", { scope: "/" }).then(function () {
      root.dataset.sw = "registered";
    }).catch(function () { root.dataset.sw = "failed"; });
  }
  // Signing out empties the pages the worker kept (a shared phone keeps nothing).
  document.addEventListener("submit", function (e) {
    if (e.target && e.target.matches && e.target.matches("form[data-logout]") && window.caches) {
      caches.keys().then(function (names) { names.forEach(function (n) { caches.delete(n); }); });
    }
  });

  // --- live badges ---
  function setBadge(name, count) {
    var links = document.querySelectorAll("[data-badge='" + name + "']");
    Array.prototype.forEach.call(links, function (link) {
      var old = link.querySelector(".badge-count, .tab-badge");
      if (old) old.parentNode.removeChild(old);
      if (!count) return;
      var badge = document.createElement("span");
      badge.className = link.hasAttribute("data-badge-tab") ? "tab-badge" : "badge-count";
      badge.textContent = String(count);
      var sr = document.createElement("span");
      sr.className = "sr-only";
      sr.textContent = " " + (link.dataset.badgeLabel || "");
      badge.appendChild(sr);
      if (badge.className === "badge-count") link.appendChild(document.createTextNode(" "));
      link.appendChild(badge);
    });
  }
  var retry = 1000;
  function connect() {
    if (!window.WebSocket || !document.querySelector("[data-badge]")) return;
    var socket = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/ws/events/");
    socket.onopen = function () { retry = 1000; root.dataset.live = "open"; };
    socket.onmessage = function (e) {
      var data;
      try { data = JSON.parse(e.data); } catch (err) { return; }
      if (data.type !== "badges") return;
      setBadge("notices", data.notices);
      setBadge("messages", data.messages);
    };
    socket.onclose = function (e) {
      root.dataset.live = "closed";
      if (e.code === 4401) return; // signed out: no point retrying
      setTimeout(connect, retry);
      retry = Math.min(retry * 2, 30000);
    };
  }
  connect();

  // --- Web Push switch ---
  var toggle = document.getElementById("push-toggle");
  if (!toggle) return;
  var status = document.getElementById("push-status");
  function say(text) { if (status) status.textContent = text; }
  if (!("serviceWorker" in navigator) || !("PushManager" in window) || !window.Notification) {
    say(toggle.dataset.unsupported);
    return;
  }
  function keyBytes(base64) {
    var padded = (base64 + "===".slice((base64.length + 3) % 4)).replace(/-/g, "+").replace(/_/g, "/");
    var raw = atob(padded), out = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) out[i] = raw.charCodeAt(i);
    return out;
  }
  function post(url, body) {
    return fetch(url, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
      body: JSON.stringify(body)
    }).then(function (r) { if (!r.ok) throw new Error(String(r.status)); return r.json(); });
  }
  function show(on) {
    toggle.setAttribute("aria-pressed", on ? "true" : "false");
    toggle.textContent = on ? toggle.dataset.off : toggle.dataset.on;
    say(on ? toggle.dataset.isOn : toggle.dataset.isOff);
  }
  toggle.hidden = false;
  navigator.serviceWorker.ready.then(function (reg) {
    return reg.pushManager.getSubscription();
  }).then(function (sub) { show(!!sub); });
  toggle.addEventListener("click", function () {
    navigator.serviceWorker.ready.then(function (reg) {
      return reg.pushManager.getSubscription().then(function (sub) {
        if (sub) {
          return post(toggle.dataset.unsubscribeUrl, { endpoint: sub.endpoint }).then(function () {
            return sub.unsubscribe();
          }).then(function () { show(false); });
        }
        return fetch(toggle.dataset.keyUrl, { credentials: "same-origin" }).then(function (r) { return r.json(); }).then(function (data) {
          if (!data.key) { say(toggle.dataset.unsupported); return; }
          return reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: keyBytes(data.key) }).then(function (fresh) {
            return post(toggle.dataset.subscribeUrl, fresh.toJSON()).then(function () { show(true); });
          });
        });
      });
    }).catch(function () { say(toggle.dataset.failed); });
  });
})();
