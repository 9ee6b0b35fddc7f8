/* Plugin Portal: small progressive enhancements. Every page works without this file. */
(function () {
  "use strict";

  /* Copy buttons: <button data-copy="#selector" hidden> becomes visible only when JS runs. */
  document.querySelectorAll("[data-copy]").forEach(function (btn) {
    btn.hidden = false;
    btn.addEventListener("click", function () {
      var source = document.querySelector(btn.getAttribute("data-copy"));
      if (!source) return;
      var text = source.value !== undefined ? source.value : source.textContent;
      var done = function () {
        var old = btn.textContent;
        btn.textContent = "Copied";
        setTimeout(function () { btn.textContent = old; }, 1500);
      };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(text).then(done);
      } else if (source.select) {
        source.select();
        try { document.execCommand("copy"); done(); } catch (e) { /* user copies by hand */ }
      }
    });
  });

  /* Confirm destructive actions: <form data-confirm="Really?">. */
  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (ev) {
      if (!window.confirm(form.getAttribute("data-confirm"))) ev.preventDefault();
    });
  });

  /* Filter forms submit themselves when a checkbox is toggled. Selects are left alone: with a
     keyboard, each arrow press would reload the page (WCAG 3.2.2); "Apply filters" is there. */
  document.querySelectorAll("form[data-autosubmit]").forEach(function (form) {
    form.querySelectorAll("input[type=checkbox]").forEach(function (el) {
      el.addEventListener("change", function () { form.requestSubmit ? form.requestSubmit() : form.submit(); });
    });
  });

  /* Upload forms: <form data-upload-progress> with file inputs. Sends the form with XHR to show a
     progress bar; the server answers with the same HTML it would give a normal POST (a page with
     errors, or a redirect), which replaces the document. Without JS the form posts normally. */
  document.querySelectorAll("form[data-upload-progress]").forEach(function (form) {
    var box = form.querySelector(".upload-progress");
    var bar = box && box.querySelector("progress");
    var label = box && box.querySelector("[data-progress-label]");
    form.addEventListener("submit", function (ev) {
      if (!window.FormData || !window.XMLHttpRequest || !box) return;
      if (!form.checkValidity()) return; /* let the browser show its own messages */
      ev.preventDefault();
      var submit = form.querySelector("[type=submit]");
      if (submit) submit.disabled = true;
      box.hidden = false;
      var xhr = new XMLHttpRequest();
      xhr.open("POST", form.action || window.location.href);
      xhr.setRequestHeader("X-Requested-With", "XMLHttpRequest");
      xhr.upload.addEventListener("progress", function (e) {
        if (!e.lengthComputable) return;
        var pct = Math.round((e.loaded / e.total) * 100);
        bar.value = pct;
        bar.textContent = pct + "%";
        if (label) label.textContent = pct < 100 ? "Uploading… " + pct + "%" : "Checking your files…";
      });
      xhr.addEventListener("load", function () {
        /* The response is the page a normal POST would end on (redirects followed): show it. */
        var url = xhr.responseURL;
        document.open();
        document.write(xhr.responseText);
        document.close();
        if (url) window.history.replaceState(null, "", url);
      });
      xhr.addEventListener("error", function () {
        if (submit) submit.disabled = false;
        if (label) label.textContent = "The upload failed (network error). Your entries are kept: try again.";
      });
      xhr.send(new FormData(form));
    });
  });

  /* Client-side checks of file inputs: size and extension, shown next to the field. */
  document.querySelectorAll("input[type=file][data-max-bytes], input[type=file][data-extensions]").forEach(function (input) {
    input.addEventListener("change", function () {
      var max = parseInt(input.getAttribute("data-max-bytes") || "0", 10);
      var exts = (input.getAttribute("data-extensions") || "").split(",").filter(Boolean);
      var file = input.files && input.files[0];
      var msg = "";
      if (file) {
        var name = file.name.toLowerCase();
        if (exts.length && !exts.some(function (x) { return name.endsWith(x); })) {
          msg = "This file must end in " + exts.join(" or ") + ".";
        } else if (max && file.size > max) {
          msg = "This file is " + Math.round(file.size / 1048576) + " MB; the limit is " + Math.round(max / 1048576) + " MB.";
        }
      }
      input.setCustomValidity(msg);
      var field = input.closest(".field");
      if (!field) return;
      var out = field.querySelector(".client-error");
      if (!out) {
        out = document.createElement("p");
        out.className = "errorlist client-error";
        out.setAttribute("aria-live", "polite");
        field.appendChild(out);
      }
      out.textContent = msg;
    });
  });
})();
