// The overview, live: the node's event stream (/eth/v1/events, server-sent events) moves the head; when an epoch
// starts or a checkpoint is finalized, the checkpoints are read once from the API. No polling loop: without events
// nothing is requested (EventSource reconnects by itself after a drop).
"use strict";
(function () {
  var el = function (name) { return document.querySelector('[data-live="' + name + '"]'); };
  var status = el("status");
  if (!status || !window.EventSource) { return; }
  var fmt = new Intl.NumberFormat(document.documentElement.lang || "en");
  var set = function (name, value) { var e = el(name); if (e) { e.textContent = value; } };
  var lastEpoch = null;
  var slotsPerEpoch = 0;
  function checkpoints() {
    fetch("/eth/v1/beacon/states/head/finality_checkpoints", { headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (body) {
        if (!body) { return; }
        set("justified-epoch", fmt.format(Number(body.data.current_justified.epoch)));
        set("finalized-epoch", fmt.format(Number(body.data.finalized.epoch)));
      })
      .catch(function () { /* the next event tries again */ });
  }
  function epochParts() {  // once an epoch: the timeline and the status counts, rendered anew by the server
    fetch(location.pathname + location.search, { headers: { Accept: "text/html" } })
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (text) {
        if (!text) { return; }
        var fresh = new DOMParser().parseFromString(text, "text/html");
        ["ol.timeline", "table.data.narrow"].forEach(function (selector) {
          var now = document.querySelector(selector);
          var next = fresh.querySelector(selector);
          if (now && next) { now.replaceWith(document.importNode(next, true)); }
        });
      })
      .catch(function () { /* the next epoch tries again */ });
  }
  fetch("/eth/v1/config/spec").then(function (r) { return r.json(); }).then(function (body) {
    slotsPerEpoch = Number(body.data.SLOTS_PER_EPOCH) || 0;
  }).catch(function () {});
  var source = new EventSource("/eth/v1/events?topics=head,finalized_checkpoint");
  source.addEventListener("open", function () {
    status.textContent = status.getAttribute("data-on");
    status.classList.add("on");
  });
  source.addEventListener("error", function () {
    status.textContent = status.getAttribute("data-off");
    status.classList.remove("on");
  });
  var pad = function (n) { return String(n).padStart(2, "0"); };
  function slotTime(slot) {  // the same format as the server's (UTC): 2026-12-07 13:05:00 UTC, zh-TW 2026/12/07 ... (UTC)
    var e = el("slot-time");
    if (!e) { return; }
    var t = new Date((Number(e.dataset.genesis) + slot * Number(e.dataset.slotSeconds)) * 1000);
    if (isNaN(t.getTime())) { return; }
    var zh = document.documentElement.lang === "zh-TW";
    var d = [t.getUTCFullYear(), pad(t.getUTCMonth() + 1), pad(t.getUTCDate())].join(zh ? "/" : "-");
    var h = [pad(t.getUTCHours()), pad(t.getUTCMinutes()), pad(t.getUTCSeconds())].join(":");
    e.textContent = d + " " + h + (zh ? " (UTC)" : " UTC");
  }
  source.addEventListener("head", function (event) {
    var data = JSON.parse(event.data);
    var slot = Number(data.slot);
    set("head-slot", fmt.format(slot));
    slotTime(slot);
    set("head-root", data.block);
    if (slotsPerEpoch > 0) {
      var epoch = Math.floor(slot / slotsPerEpoch);
      set("head-epoch", fmt.format(epoch));
      if (lastEpoch !== null && epoch !== lastEpoch) { checkpoints(); epochParts(); }
      lastEpoch = epoch;
    }
  });
  source.addEventListener("finalized_checkpoint", function (event) {
    var data = JSON.parse(event.data);
    set("finalized-epoch", fmt.format(Number(data.epoch)));
    checkpoints();
  });
  window.addEventListener("pagehide", function () { source.close(); });
})();
