// The conversation page's fast path: messages arrive over the socket as others send them, and the
// page sends over it when it is open (the form still works without it). On reconnect the page asks
// for everything after the last message it shows, so nothing is missed.
(function () {
  var list = document.getElementById("messages");
  var form = document.getElementById("chat-form");
  var status = document.getElementById("live-status");
  if (!list || !window.WebSocket) return;
  var conversation = parseInt(list.dataset.conversation, 10);
  var me = parseInt(list.dataset.user, 10);
  var socket = null;
  var retry = 1000;
  var removed = false;

  function lastId() {
    var items = list.querySelectorAll("li[data-id]");
    return items.length ? parseInt(items[items.length - 1].dataset.id, 10) : 0;
  }

  function render(m) {
    var existing = document.getElementById("m" + m.id);
    var li = existing || document.createElement("li");
    li.id = "m" + m.id;
    li.dataset.id = m.id;
    li.className = "msg" + (m.sender === me ? " mine" : "") + (m.kind === "question" ? " question" : "");
    li.textContent = "";
    var head = document.createElement("div");
    head.className = "msg-head";
    var who = document.createElement("strong");
    who.textContent = m.sender_name;
    head.appendChild(who);
    li.appendChild(head);
    if (m.quote && !m.gone) {
      var q = document.createElement("blockquote");
      q.className = "small-text";
      q.textContent = m.quote.sender_name + "：" + m.quote.body;
      li.appendChild(q);
    }
    var p = document.createElement("p");
    p.className = m.gone ? "muted" : "pre";
    p.textContent = m.gone || m.body;
    li.appendChild(p);
    if (m.file) {
      var a = document.createElement("a");
      a.href = m.file.url;
      a.textContent = m.file.name;
      li.appendChild(a);
    }
    if (!existing) {
      var empty = list.querySelector("li.empty");
      if (empty) empty.remove();
      list.appendChild(li);
    }
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
