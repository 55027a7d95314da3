/*
 * callauth phone field: <input type="tel" data-callauth-phone> on any form, on any site.
 *
 *   <script src="https://CALLAUTH/static/phone-field.js" defer></script>
 *
 * The number is checked as it is typed (debounced) and again on submit, through
 * POST /api/phone/validate on the origin this script was loaded from (the page's origin
 * must be in callauth's api_allowed_origins). The API's Japanese message goes under the
 * field (aria-describedby, aria-live), aria-invalid="true" marks an unusable number, a
 * usable one is rewritten to its display form (090-1234-5678), and the form does not
 * submit while a number is known to be unusable. When the API cannot be reached the form
 * submits as usual: the insurer's server checks the number through the same API.
 *
 * Options on the input:
 *   data-callauth-message="ID"        the element for the message (else one is added)
 *   data-callauth-phone-if="SELECTOR" checked only while that checkbox is checked
 *   data-callauth-phone-unless="SELECTOR" checked only while it is not
 * A disabled input (or one in a disabled fieldset) is not checked.
 * Styling hooks: .callauth-phone-message[data-state=ok|error], input[aria-invalid=true],
 * input[data-callauth-state=ok|error].
 *
 * Plain ES5 plus fetch and Promise: no build step, no framework, no inline styles.
 */
(function () {
  "use strict";

  var DEBOUNCE_MS = 400;
  var TIMEOUT_MS = 8000;
  var MIN_DIGITS = 10; // a domestic number: checked while typing only once it could be one
  var SELECTOR = "input[data-callauth-phone]";

  var script = document.currentScript;
  var base = script && script.src ? new URL(script.src, window.location.href).origin
    : window.location.origin;
  var API = base + "/api/phone/validate";
  // Keyed by what was typed, so no prototype: "__proto__" is a value like any other.
  var cache = Object.create(null); // value -> the API's answer (fixed for a page's life)
  var asked = Object.create(null); // value -> the request in flight (typing and submit share it)
  // What people put between digits; anything else (letters) is worth telling at once.
  var NOT_DIGITS = /[^0-9\uff10-\uff19\s()+.\-\u2010-\u2015\u2212\u30fc\uff0d\uff70]/;
  var serial = 0;

  function digitCount(value) {
    var found = value.match(/[0-9\uff10-\uff19]/g);
    return found ? found.length : 0;
  }

  function target(input, name) {
    var selector = input.getAttribute(name);
    return selector ? document.querySelector(selector) : null;
  }

  function isActive(input) {
    if (input.disabled || input.matches(":disabled")) return false;
    var when = target(input, "data-callauth-phone-if");
    if (when && !when.checked) return false;
    var unless = target(input, "data-callauth-phone-unless");
    return !(unless && unless.checked);
  }

  function messageFor(input) {
    var id = input.getAttribute("data-callauth-message");
    var element = id ? document.getElementById(id) : null;
    if (!element) {
      element = document.createElement("p");
      element.className = "callauth-phone-message";
      element.id = id || (input.id || "callauth-phone-" + ++serial) + "-message";
      input.parentNode.insertBefore(element, input.nextSibling);
      input.setAttribute("data-callauth-message", element.id); // found again next time
    }
    element.setAttribute("aria-live", "polite");
    var described = (input.getAttribute("aria-describedby") || "").split(/\s+/);
    if (described.indexOf(element.id) < 0) {
      described.push(element.id);
      input.setAttribute("aria-describedby", described.join(" ").trim());
    }
    return element;
  }

  function setState(input, state, text) {
    var message = messageFor(input);
    message.textContent = text || "";
    if (state) {
      message.setAttribute("data-state", state);
      input.setAttribute("data-callauth-state", state);
    } else {
      message.removeAttribute("data-state");
      input.removeAttribute("data-callauth-state");
    }
    if (state === "error") input.setAttribute("aria-invalid", "true");
    else input.removeAttribute("aria-invalid");
  }

  function show(input, answer) {
    if (!answer) return setState(input, null, "");
    if (!answer.registrable) return setState(input, "error", answer.message);
    setState(input, "ok", (answer.display ? answer.display + "：" : "") + answer.message);
  }

  /* The API's answer for value; null when it cannot be had (the form then submits). */
  function check(value) {
    if (value in cache) return Promise.resolve(cache[value]);
    if (!asked[value]) {
      asked[value] = ask(value).then(function (answer) {
        delete asked[value];
        return answer;
      });
    }
    return asked[value];
  }

  function ask(value) {
    var controller = window.AbortController ? new AbortController() : null;
    var timer = controller && setTimeout(function () { controller.abort(); }, TIMEOUT_MS);
    return fetch(API, {
      method: "POST",
      mode: "cors",
      credentials: "omit",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ number: value }),
      signal: controller ? controller.signal : undefined
    }).then(function (response) {
      if (!response.ok) return null; // 429, 5xx: not an answer about the number
      return response.json().then(function (answer) {
        cache[value] = answer;
        if (answer.registrable && answer.display) cache[answer.display] = answer;
        return answer;
      });
    }).catch(function () {
      return null; // offline, or this page's origin is not allowed
    }).then(function (answer) {
      if (timer) clearTimeout(timer);
      return answer;
    });
  }

  /* Check the field now; show the answer if the field still holds that value. */
  function checkNow(input, rewrite) {
    var value = input.value;
    input.setAttribute("aria-busy", "true");
    return check(value).then(function (answer) {
      input.removeAttribute("aria-busy");
      if (input.value !== value || !isActive(input)) return answer;
      show(input, answer);
      if (rewrite && answer && answer.registrable && answer.display) {
        input.value = answer.display;
      }
      return answer;
    });
  }

  function onInput(input) {
    clearTimeout(input.callauthTimer);
    var value = input.value;
    if (!value.trim() || (digitCount(value) < MIN_DIGITS && !NOT_DIGITS.test(value))) {
      setState(input, null, ""); // still typing: nothing to say yet
      return;
    }
    input.callauthTimer = setTimeout(function () { checkNow(input, false); }, DEBOUNCE_MS);
  }

  function fieldsOf(form) {
    var found = [];
    var inputs = form.querySelectorAll(SELECTOR);
    for (var i = 0; i < inputs.length; i++) {
      if (isActive(inputs[i]) && inputs[i].value.trim()) found.push(inputs[i]);
    }
    return found;
  }

  function onSubmit(event) {
    var form = event.target;
    if (form.callauthPassing) { // our own resubmit after the answers came
      form.callauthPassing = false;
      return;
    }
    var fields = fieldsOf(form);
    var known = fields.map(function (input) { return cache[input.value]; });
    if (known.every(function (answer) { return answer !== undefined; })) {
      var bad = fields.filter(function (input, i) { return known[i] && !known[i].registrable; });
      if (!bad.length) return; // every number known usable (or unknowable): submit
      event.preventDefault();
      bad.forEach(function (input) { show(input, cache[input.value]); });
      bad[0].focus();
      return;
    }
    event.preventDefault();
    var submitter = event.submitter;
    Promise.all(fields.map(function (input) { return checkNow(input, true); }))
      .then(function (answers) {
        var first = null;
        answers.forEach(function (answer, i) {
          if (answer && !answer.registrable && !first) first = fields[i];
        });
        if (first) return first.focus();
        form.callauthPassing = true;
        if (form.requestSubmit) form.requestSubmit(submitter || undefined);
        else form.submit();
      });
  }

  function attach(input) {
    if (input.callauthAttached) return;
    input.callauthAttached = true;
    messageFor(input);
    input.addEventListener("input", function () { onInput(input); });
    input.addEventListener("change", function () {
      clearTimeout(input.callauthTimer);
      if (input.value.trim()) checkNow(input, true);
      else setState(input, null, "");
    });
    if (input.form && !input.form.callauthAttached) {
      input.form.callauthAttached = true;
      input.form.addEventListener("submit", onSubmit);
    }
    if (isActive(input) && input.value.trim()) checkNow(input, false);
  }

  /* A checkbox named by data-callauth-phone-if/-unless changes which fields count. */
  function onToggle() {
    var inputs = document.querySelectorAll(SELECTOR);
    for (var i = 0; i < inputs.length; i++) {
      if (!isActive(inputs[i])) setState(inputs[i], null, "");
      else if (inputs[i].value.trim()) checkNow(inputs[i], false);
    }
  }

  function start() {
    var inputs = document.querySelectorAll(SELECTOR);
    for (var i = 0; i < inputs.length; i++) attach(inputs[i]);
    document.addEventListener("change", function (event) {
      if (event.target && event.target.type === "checkbox") onToggle();
    });
  }

  window.CallauthPhoneField = { attach: attach, check: check, api: API };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
