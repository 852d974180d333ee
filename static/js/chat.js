// The conversation page's fast path: messages arrive over the socket as others send them, and the
// page sends over it when it is open (the form still works without it). On reconnect the page asks
// for everything after the last message it shows, so nothing is missed.
(function () {
  var list = document.getElementById("messages");
  var form = document.getElementById("chat-form");
  var status = document.getElementById("live-status");
  // Each message carries a key of its own (drawn with the form), so a double tap or a resent form
  // stores it once. A page the browser restores from its back/forward cache still holds the key of
  // a message already sent: give it a fresh one, or the next message would count as a retry of it.
  window.addEventListener("pageshow", function (e) {
    var key = form && form.querySelector("input[name=client_key]");
    if (!e.persisted || !key) return;
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    key.value = Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  });
  if (!list || !window.WebSocket) return;
  var conversation = parseInt(list.dataset.conversation, 10);
  var csrf = list.dataset.csrf || "";
  var socket = null;
  var retry = 1000;
  var removed = false;

  function lastId() {
    var items = list.querySelectorAll("li[data-id]");
    return items.length ? parseInt(items[items.length - 1].dataset.id, 10) : 0;
  }

  // The server draws every message (chat/_message.html, for this member): the same drawing the
  // page came with, so a message shows its time, state, read count and actions however it came.
  // The script only puts it in its place, in the order of the ids.
  function drawing(m) {
    var t = document.createElement("template");
    t.innerHTML = m.html || "";
    return t.content.querySelector("li[data-id]");
  }

  // A live drawing's forms carry no CSRF token (it belongs to this page's session): add the page's.
  function withToken(li) {
    li.querySelectorAll("form[method=post]").forEach(function (f) {
      if (f.querySelector("input[name=csrfmiddlewaretoken]")) return;
      var input = document.createElement("input");
      input.type = "hidden";
      input.name = "csrfmiddlewaretoken";
      input.value = csrf;
      f.prepend(input);
    });
    return li;
  }

  // Unchanged apart from the token and what the reader opened: leave it (and a half-typed reason) be.
  function unchanged(existing, fresh) {
    var copy = existing.cloneNode(true);
    copy.querySelectorAll("input[name=csrfmiddlewaretoken]").forEach(function (i) { i.remove(); });
    copy.querySelectorAll("details[open]").forEach(function (d) { d.removeAttribute("open"); });
    return copy.outerHTML === fresh.outerHTML;
  }

  function render(m) {
    var li = drawing(m);
    if (!li) return;
    var existing = document.getElementById("m" + m.id);
    if (existing) {
      if (!unchanged(existing, li)) existing.replaceWith(withToken(li));
      return;
    }
    var empty = list.querySelector("li.empty");
    if (empty) empty.remove();
    var next = null;
    var items = list.querySelectorAll("li[data-id]");
    for (var i = 0; i < items.length; i++) {
      if (parseInt(items[i].dataset.id, 10) > m.id) { next = items[i]; break; }
    }
    list.insertBefore(withToken(li), next); // an answered question goes back to its place
    li.scrollIntoView({ block: "nearest" });
  }

  function connect() {
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    socket = new WebSocket(scheme + location.host + "/ws/chat/");
    socket.onopen = function () {
      retry = 1000;
      socket.send(JSON.stringify({ type: "join", conversation: conversation, after: lastId() }));
    };
    socket.onmessage = function (e) {
      var data = JSON.parse(e.data);
      if (data.type === "joined") {
        data.messages.forEach(render);
        if (status) status.textContent = "";
        list.dataset.live = "1";
      } else if (data.type === "message" || data.type === "update" || data.type === "answered" || data.type === "sent") {
        render(data.message);
        socket.send(JSON.stringify({ type: "read", conversation: conversation, up_to: data.message.id }));
      } else if (data.type === "removed") {
        removed = true; // no longer a member: stop, and say so
        if (status) status.textContent = list.dataset.removedText || "";
        socket.close();
      }
    };
    socket.onclose = function () {
      list.dataset.live = "";
      if (!removed) setTimeout(connect, Math.min(retry *= 2, 30000));
    };
  }
  connect();
})();
