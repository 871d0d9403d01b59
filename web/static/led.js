// LED screen: rotate the latest posts; new ones arrive by server-sent events, or by polling when
// those fail. Whatever happens to the server, the last content stays on screen.
(function () {
  "use strict";
  var screen = document.getElementById("screen");
  var rotate = Math.max(3, parseInt(screen.dataset.rotate, 10) || 10) * 1000;
  var state = JSON.parse(document.getElementById("initial").textContent);
  var index = 0, timer = null, pollTimer = null, source = null, failures = 0;

  function esc(s) {
    return String(s).replace(/[&<>"]/g, function (c) { return {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;"}[c]; });
  }
  function show(i) {
    var items = state.items;
    if (!items.length) return;
    index = i % items.length;
    var it = items[index];
    var html = '<article class="post fade" data-id="' + it.id + '"><h1 class="title">' + esc(it.title) + "</h1>" +
      (it.image ? '<img class="image" src="' + esc(it.image) + '" alt="">' : "") +
      '<div class="body">' + it.html + '</div><p class="when">' + esc(it.published) + "</p></article>";
    screen.innerHTML = html;  // it.html is the server's sanitised rendering of a published post
    var dots = "";
    for (var n = 0; n < items.length; n++) dots += n === index ? "●" : "○";
    document.getElementById("dots").textContent = items.length > 1 ? dots : "";
  }
  function restart() {
    if (timer) clearInterval(timer);
    timer = setInterval(function () { show(index + 1); }, rotate);
  }
  function offline(yes) { document.getElementById("offline").hidden = !yes; }
  function update(data) {
    offline(false);
    failures = 0;
    if (!data || data.version === state.version) return;
    var newest = data.items.length && (!state.items.length || data.items[0].id !== state.items[0].id);
    state = data;
    show(newest ? 0 : index);  // a new post goes on screen at once
    restart();
  }
  function poll() {
    fetch(screen.dataset.json, {cache: "no-store"})
      .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
      .then(update)
      .catch(function () { failures++; offline(true); });
  }
  function startPolling() {
    if (!pollTimer) pollTimer = setInterval(poll, 5000);
  }
  function listen() {
    if (!window.EventSource) { startPolling(); return; }
    source = new EventSource(screen.dataset.events);
    source.addEventListener("items", function (e) {
      if (pollTimer) { clearInterval(pollTimer); pollTimer = null; }
      try { update(JSON.parse(e.data)); } catch (err) { /* keep showing what we have */ }
    });
    source.onerror = function () {
      offline(true);
      startPolling();  // EventSource reconnects by itself; polling covers the meantime and proxies that block streams
    };
  }
  function tick() {
    var d = new Date();
    document.getElementById("clock").textContent =
      ("0" + d.getHours()).slice(-2) + ":" + ("0" + d.getMinutes()).slice(-2) + "  " +
      ("0" + d.getDate()).slice(-2) + "/" + ("0" + (d.getMonth() + 1)).slice(-2) + "/" + d.getFullYear();
  }
  show(0);
  restart();
  tick();
  setInterval(tick, 10000);
  listen();
})();
