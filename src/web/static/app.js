// yuebao portal: drag-and-drop onto the upload form, copy buttons for reminders, a confirm
// before locking a month, and a busy button while a file is checked. The pages work without it.
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("label.drop").forEach(function (zone) {
    var input = zone.querySelector("input[type=file]");
    var text = zone.querySelector(".drop-text");
    var show = function () {
      if (input.files && input.files.length) text.textContent = "已选择：" + input.files[0].name;
    };
    input.addEventListener("change", show);
    ["dragenter", "dragover"].forEach(function (ev) {
      zone.addEventListener(ev, function (e) { e.preventDefault(); zone.classList.add("over"); });
    });
    ["dragleave", "drop"].forEach(function (ev) {
      zone.addEventListener(ev, function (e) { e.preventDefault(); zone.classList.remove("over"); });
    });
    zone.addEventListener("drop", function (e) {
      if (e.dataTransfer && e.dataTransfer.files.length) {
        input.files = e.dataTransfer.files;
        show();
      }
    });
  });
  document.querySelectorAll("form[data-busy]").forEach(function (form) {
    form.addEventListener("submit", function () {
      var b = form.querySelector("button[type=submit]");
      if (b) { b.disabled = true; b.textContent = form.getAttribute("data-busy"); }
    });
  });
  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (e) {
      if (!window.confirm(form.getAttribute("data-confirm"))) e.preventDefault();
    });
  });
  document.querySelectorAll("button[data-copy]").forEach(function (b) {
    b.addEventListener("click", function () {
      var area = document.getElementById(b.getAttribute("data-copy"));
      var done = function () {
        b.textContent = "已复制";
        b.classList.add("copied");
        // The reminder goes into the audit log (催报).
        if (b.hasAttribute("data-remind")) {
          var body = new URLSearchParams({ region: b.getAttribute("data-remind"), period: b.getAttribute("data-period") });
          fetch("/remind", { method: "POST", body: body, credentials: "same-origin" });
        }
      };
      var fallback = function () {
        area.select();
        document.execCommand("copy");
        done();
      };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(area.value).then(done, fallback);
      } else {
        fallback();
      }
    });
  });
  document.querySelectorAll("button[data-back]").forEach(function (b) {
    b.addEventListener("click", function () { history.back(); });
  });
});
