/* The waiting page: follow the challenge live (EventSource), fall back to polling
   the status URL every second, count the time down, and move on when verified (to
   data-next-url: My Page after a login, the result page after a phone change).
   The message under the number is the last call the server could tie to this challenge
   (status.hint); after data-check-after seconds with none, the page lists what else to
   check. An ended number is struck out (#dead-box), never left as a link to tap. */
(function () {
  "use strict";
  var root = document.getElementById("verify");
  if (!root) { return; }
  var statusUrl = root.getAttribute("data-status-url");
  var eventsUrl = root.getAttribute("data-events-url");
  var nextUrl = root.getAttribute("data-next-url") || "/mypage";
  var el = function (id) { return document.getElementById(id); };
  var deadline = Date.now() + Number(root.getAttribute("data-expires-in")) * 1000;
  var checkAt = Date.now() + Number(root.getAttribute("data-check-after") || 0) * 1000;
  var finished = false;
  var source = null;
  var pollTimer = null;

  function format(seconds) {
    var s = seconds % 60;
    return Math.floor(seconds / 60) + ":" + (s < 10 ? "0" : "") + s;
  }

  function tick() {
    if (finished) { return; }
    var left = Math.max(0, Math.ceil((deadline - Date.now()) / 1000));
    el("countdown").textContent = format(left);
    /* No call tied to this page yet, and long enough: say what else to check. */
    el("check-box").hidden = !(Date.now() >= checkAt && el("hint").hidden);
  }

  function stop() {
    finished = true;
    if (source) { source.close(); source = null; }
    if (pollTimer !== null) { clearTimeout(pollTimer); pollTimer = null; }
  }

  function hideAll(ids) {
    ids.forEach(function (id) { if (el(id)) { el(id).hidden = true; } });
  }

  function update(status) {
    if (finished || !status) { return; }
    if (status.state === "verified") {
      stop();
      hideAll(["hint", "check-box"]);
      el("verified-message").hidden = false;
      window.location.assign(nextUrl);
      return;
    }
    if (status.state === "pending") {
      deadline = Date.now() + status.expires_in * 1000;
      checkAt = Date.now() + (status.check_after || 0) * 1000;
      el("hint").textContent = status.hint || "";  /* the last tied call replaces the last */
      el("hint").hidden = !status.hint;
      el("code").textContent = status.code || "";
      el("code-box").hidden = !status.code;
      tick();
      return;
    }
    stop();  /* expired or cancelled: the number is dead, do not offer it for a tap */
    hideAll(["lead", "call-box", "guidance", "countdown-line", "hint", "check-box",
             "code-box", "cancel-form"]);
    el("dead-box").hidden = false;
    if (status.notice && el("ended-box")) {  /* another login started or was verified */
      el("ended-notice").textContent = status.notice;
      el("ended-box").hidden = false;
    } else {
      el("expired-box").hidden = false;
    }
  }

  function poll() {
    pollTimer = null;
    var xhr = new XMLHttpRequest();
    xhr.open("GET", statusUrl, true);
    xhr.setRequestHeader("Accept", "application/json");
    xhr.onload = function () {
      if (xhr.status === 401) { stop(); window.location.assign("/login"); return; }
      try { update(JSON.parse(xhr.responseText)); } catch (e) { /* try again below */ }
    };
    xhr.onloadend = function () {
      if (!finished) { pollTimer = setTimeout(poll, 1000); }
    };
    xhr.send();
  }

  function startPolling() {
    if (!finished && pollTimer === null) { poll(); }
  }

  if (root.getAttribute("data-state") === "verified") {
    window.location.assign(nextUrl);
    return;
  }
  if (root.getAttribute("data-state") !== "pending") {
    finished = true;
    return;
  }
  if (typeof window.EventSource === "function") {
    source = new EventSource(eventsUrl);
    source.onmessage = function (event) {
      try { update(JSON.parse(event.data)); } catch (e) { /* ignore a garbled message */ }
    };
    source.onerror = function () {
      if (finished) { return; }
      source.close();
      source = null;
      startPolling();
    };
  } else {
    startPolling();
  }
  tick();
  setInterval(tick, 500);
}());
