// The simulator's web console: a little behaviour on top of server-rendered pages.
//
// - Keypads: buttons with data-key type into the field named by the keypad's data-target
//   (digits, "clear" empties it, "back" deletes one); the submit button is enabled at full length.
// - Live pages: an element with data-poll (a JSON URL) and data-state (a fingerprint made by the
//   server from the same fields, see data-fields) reloads its page when the fingerprint changes,
//   e.g. when the admin API, the CLI or a scenario moves the reader on.
"use strict";

(function () {
  function keypads() {
    document.querySelectorAll(".keypad[data-target]").forEach(function (pad) {
      var field = document.getElementById(pad.dataset.target);
      if (!field) return;
      var max = parseInt(field.getAttribute("maxlength") || "4", 10);
      var form = field.form;
      var submit = form ? form.querySelector("button[type=submit]") : null;
      function sync() {
        if (submit) submit.disabled = field.value.length !== max;
      }
      pad.querySelectorAll("button[data-key]").forEach(function (b) {
        b.addEventListener("click", function (ev) {
          ev.preventDefault();
          var key = b.dataset.key;
          if (key === "clear") field.value = "";
          else if (key === "back") field.value = field.value.slice(0, -1);
          else if (/^[0-9]$/.test(key) && field.value.length < max) field.value += key;
          sync();
        });
      });
      field.addEventListener("input", function () {
        field.value = field.value.replace(/[^0-9]/g, "").slice(0, max);
        sync();
      });
      sync();
    });
  }

  function fingerprint(state, fields) {
    return fields
      .map(function (f) {
        var v = state[f];
        return v === undefined || v === null ? "" : String(v);
      })
      .join("|");
  }

  function live() {
    var el = document.querySelector("[data-poll][data-state][data-fields]");
    if (!el) return;
    var url = el.dataset.poll;
    var fields = el.dataset.fields.split(",");
    var reloadTo = el.dataset.reload || window.location.pathname;
    var busy = false;
    setInterval(function () {
      if (busy || document.hidden) return;
      busy = true;
      fetch(url, { cache: "no-store" })
        .then(function (r) {
          return r.ok ? r.json() : null;
        })
        .then(function (state) {
          if (state && fingerprint(state, fields) !== el.dataset.state) {
            window.location.assign(reloadTo);
          }
        })
        .catch(function () {})
        .then(function () {
          busy = false;
        });
    }, 1000);
  }

  document.addEventListener("DOMContentLoaded", function () {
    keypads();
    live();
  });
})();
