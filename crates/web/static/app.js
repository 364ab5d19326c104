// Palabre's inbox: keyboard shortcuts, live updates over server-sent events, canned responses,
// the collision warning. Progressive: every page works without it.
(function () {
  "use strict";
  var csrf = (document.querySelector('meta[name="csrf-token"]') || {}).content || "";
  var page = document.body.getAttribute("data-page");

  function rows() { return Array.prototype.slice.call(document.querySelectorAll("#list .row")); }
  var current = -1;
  function select(i) {
    var all = rows();
    if (!all.length) return;
    current = Math.max(0, Math.min(i, all.length - 1));
    all.forEach(function (r, k) { r.classList.toggle("selected", k === current); });
    all[current].focus();
    all[current].scrollIntoView({ block: "nearest" });
  }

  function typing(e) {
    var t = e.target.tagName;
    return t === "INPUT" || t === "TEXTAREA" || t === "SELECT" || e.target.isContentEditable;
  }

  function press(id) { var b = document.getElementById(id); if (b) b.click(); }

  document.addEventListener("keydown", function (e) {
    if (typing(e) || e.ctrlKey || e.metaKey || e.altKey) return;
    if (page === "inbox") {
      if (e.key === "j") { select(current + 1); e.preventDefault(); }
      else if (e.key === "k") { select(current - 1); e.preventDefault(); }
      else if (e.key === "Enter" && current >= 0) { window.location = rows()[current].getAttribute("data-href"); }
    } else if (page === "conversation") {
      if (e.key === "r") { var t = document.getElementById("reply-text"); if (t) { t.focus(); e.preventDefault(); } }
      else if (e.key === "a") press("assign-me");
      else if (e.key === "e") press("status-resolved");
      else if (e.key === "Escape") window.location = "/inbox";
    }
  });

  // Canned responses: {author} and {agent} filled in.
  var canned = document.getElementById("canned");
  if (canned) {
    canned.addEventListener("change", function () {
      var box = document.getElementById("reply-text");
      if (!box || !canned.value) return;
      box.value = canned.value
        .split("{author}").join("@" + (box.getAttribute("data-author") || ""))
        .split("{agent}").join(box.getAttribute("data-agent") || "");
      box.focus();
    });
  }

  // Publishing calendar: a post dragged onto another day is moved there (its time of day
  // stays), through the same form as the "Change" button; without a mouse, "Change" does it.
  var calendar = document.getElementById("calendar");
  var move = document.getElementById("move-form");
  if (calendar && move) {
    var dragged = null;
    calendar.addEventListener("dragstart", function (e) {
      var card = e.target.closest && e.target.closest("[data-post]");
      if (!card) return;
      dragged = card.getAttribute("data-post");
      e.dataTransfer.setData("text/plain", dragged);
      e.dataTransfer.effectAllowed = "move";
    });
    calendar.addEventListener("dragover", function (e) {
      var day = e.target.closest && e.target.closest("[data-date]");
      if (dragged && day) { e.preventDefault(); day.classList.add("drop"); }
    });
    calendar.addEventListener("dragleave", function (e) {
      var day = e.target.closest && e.target.closest("[data-date]");
      if (day) day.classList.remove("drop");
    });
    calendar.addEventListener("drop", function (e) {
      var day = e.target.closest && e.target.closest("[data-date]");
      if (!dragged || !day) return;
      e.preventDefault();
      move.action = "/publishing/" + encodeURIComponent(dragged) + "/edit";
      move.querySelector("[name=date]").value = day.getAttribute("data-date");
      dragged = null;
      move.submit();
    });
  }

  // Live updates: one stream per tab, open only while the page is shown. A page left in the
  // browser's back/forward cache, or a hidden tab, closes its stream: a browser allows six
  // connections to a host, and after five page loads the sixth waited for a minute.
  if (!window.EventSource || page === "login") return;
  var source = null;
  var live = document.getElementById("live");
  var conv = document.querySelector(".conversation");
  var convId = conv && conv.getAttribute("data-id");
  var me = conv && conv.getAttribute("data-me");
  // Reloads the conversation, unless someone is typing in it.
  function reloadConversation() {
    var box = document.getElementById("reply-text");
    var note = document.getElementById("note-text");
    if ((!box || !box.value) && (!note || !note.value)) window.location.reload();
  }
  // A send may have finished between the page's rendering and this stream's opening: the
  // event that says so was missed. Look once when a shown send is still on its way.
  function catchUp() {
    var shown = Array.prototype.map.call(
      document.querySelectorAll(".msg.outgoing[data-status]"),
      function (el) { return el.getAttribute("data-status"); });
    if (!shown.some(function (s) { return s === "pending" || s === "sending"; })) return;
    fetch("/api/conversations/" + encodeURIComponent(convId), { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (v) {
        if (!v || !v.outbox) return;
        var now = v.outbox.map(function (o) { return o.status; });
        if (now.join() !== shown.join()) reloadConversation();
      })
      .catch(function () {});
  }
  var pending = null;
  function refreshList() {
    var list = document.getElementById("list");
    if (!list) return;
    clearTimeout(pending);
    pending = setTimeout(function () {
      fetch(list.getAttribute("data-src"), { credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.text() : null; })
        .then(function (html) {
          if (html === null) return;
          list.innerHTML = html;
          if (current >= 0) select(current);
        });
    }, 300);
  }
  function onEvent(msg) {
    var ev;
    try { ev = JSON.parse(msg.data); } catch (err) { return; }
    if (page === "inbox" && (ev.type === "conversation" || ev.type === "reload")) refreshList();
    if (page === "conversation" && ev.type === "presence" && ev.id === convId) {
      var others = ev.users.filter(function (u) { return u !== me; });
      var banner = document.getElementById("collision");
      if (banner) {
        banner.hidden = others.length === 0;
        banner.textContent = others.join(", ") + " " + banner.getAttribute("data-also");
      }
    }
    if (page === "conversation" && ev.type === "conversation" && ev.id === convId) reloadConversation();
  }
  var opened = false;
  function openStream() {
    if (source) return;
    source = new EventSource("/api/stream");
    source.onopen = function () {
      if (live) live.hidden = false;
      if (convId) catchUp();
      // Back after a while away: what changed meanwhile was not heard.
      if (opened && page === "inbox") refreshList();
      opened = true;
    };
    source.onerror = function () { if (live) live.hidden = true; };
    source.onmessage = onEvent;
  }
  function closeStream() {
    if (!source) return;
    source.close();
    source = null;
    if (live) live.hidden = true;
  }
  // Opened at load and when the page is shown again, whatever `document.hidden` says then
  // (headless browsers, and some tabs opened in the background, call a page on screen hidden).
  window.addEventListener("pagehide", closeStream);
  window.addEventListener("pageshow", openStream);
  document.addEventListener("visibilitychange", function () {
    if (document.hidden) closeStream(); else openStream();
  });
  openStream();
  if (convId) {
    setInterval(function () {
      fetch("/api/conversations/" + encodeURIComponent(convId) + "/presence",
        { method: "POST", credentials: "same-origin", headers: { "X-CSRF-Token": csrf } });
    }, 30000);
  }
})();
