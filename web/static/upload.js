// Archipel upload form: a small tus 1.0 client. Without JavaScript the form
// posts the file whole; with it, the file goes to /api/uploads/ in 5 MiB
// chunks, resuming after network errors and page reloads.
(function () {
  "use strict";
  var form = document.getElementById("upload-form");
  if (!form || !window.XMLHttpRequest || !window.Promise || !window.Blob || !Blob.prototype.slice) return;

  var ENDPOINT = "/api/uploads/";
  var CHUNK = 5 * 1024 * 1024;
  var MAX_TRIES = 8;
  var input = form.elements.file;
  var button = form.querySelector("button[type=submit]");
  var box = document.getElementById("upload-progress-box");
  var bar = document.getElementById("upload-progress");
  var status = document.getElementById("upload-status");
  var csrf = form.elements.csrf_token.value;
  var channel = form.getAttribute("data-channel");
  var lastSaid = -1;

  // t is the page's text data-msg-NAME of the status, its %s and %d
  // replaced by args in turn.
  function t(name) {
    var args = arguments, i = 1;
    return (status.getAttribute("data-msg-" + name) || name).replace(/%([sd%])/g, function (m, v) {
      return v === "%" ? "%" : String(args[i++]);
    });
  }

  function say(msg, isError) {
    status.textContent = msg;
    status.className = isError ? "status error" : "status";
  }

  function mb(n) {
    return t("mb", (n / 1048576).toLocaleString(document.documentElement.lang, { minimumFractionDigits: 1, maximumFractionDigits: 1 }));
  }

  function progress(done, total) {
    var pct = total ? Math.floor(done * 100 / total) : 100;
    bar.value = pct;
    bar.textContent = pct + "%";
    // Announce every 5%, not every event.
    if (pct - lastSaid >= 5 || pct === 100) {
      lastSaid = pct;
      say(t("uploaded", pct, mb(done), mb(total)));
    }
  }

  function b64(s) {
    var bytes = new TextEncoder().encode(s), bin = "";
    for (var i = 0; i < bytes.length; i++) bin += String.fromCharCode(bytes[i]);
    return btoa(bin);
  }

  function storeKey(f) {
    return "archipel-upload:" + channel + ":" + f.name + ":" + f.size + ":" + f.lastModified;
  }

  function remember(k, url) { try { localStorage.setItem(k, url); } catch (e) { /* private mode */ } }
  function recall(k) { try { return localStorage.getItem(k); } catch (e) { return null; } }
  function forget(k) { try { localStorage.removeItem(k); } catch (e) { /* ignore */ } }

  // send makes one request; it rejects only on network errors.
  function send(method, url, headers, body, onProgress) {
    return new Promise(function (resolve, reject) {
      var x = new XMLHttpRequest();
      x.open(method, url);
      x.setRequestHeader("Tus-Resumable", "1.0.0");
      x.setRequestHeader("X-CSRF-Token", csrf);
      for (var k in headers) x.setRequestHeader(k, headers[k]);
      if (onProgress && x.upload) x.upload.onprogress = function (e) { onProgress(e.loaded); };
      x.onload = function () { resolve(x); };
      x.onerror = x.ontimeout = x.onabort = function () { reject(new Error("network")); };
      x.send(body === undefined ? null : body);
    });
  }

  function errorOf(x) {
    try {
      var e = JSON.parse(x.responseText).error;
      if (e) return e;
    } catch (err) { /* not JSON */ }
    return t("refused", x.status);
  }

  function Retry(msg) { this.message = msg; }
  function Fatal(msg) { this.message = msg; }

  // retryable statuses: offset mismatch, locked, cut-short body, server errors.
  function check(x) {
    if (x.status === 400 || x.status === 409 || x.status === 423 || x.status >= 500) throw new Retry(errorOf(x));
    throw new Fatal(errorOf(x));
  }

  function wait(ms) { return new Promise(function (r) { setTimeout(r, ms); }); }

  async function upload(file, meta) {
    var k = storeKey(file), url = recall(k), offset = 0, tries = 0;
    for (;;) {
      try {
        if (url) {
          var h = await send("HEAD", url, {});
          if (h.status === 200) {
            offset = parseInt(h.getResponseHeader("Upload-Offset"), 10) || 0;
            if (offset) say(t("resuming", mb(offset)));
          } else if (h.status === 404 || h.status === 410) {
            forget(k);
            url = null;
          } else {
            check(h);
          }
        }
        if (!url) {
          var c = await send("POST", ENDPOINT, { "Upload-Length": String(file.size), "Upload-Metadata": meta });
          if (c.status !== 201) check(c);
          url = c.getResponseHeader("Location");
          remember(k, url);
          offset = 0;
        }
        progress(offset, file.size);
        while (offset < file.size) {
          var start = offset, end = Math.min(offset + CHUNK, file.size);
          var p = await send("PATCH", url, {
            "Upload-Offset": String(start),
            "Content-Type": "application/offset+octet-stream"
          }, file.slice(start, end), function (n) { progress(start + n, file.size); });
          if (p.status === 204) {
            offset = parseInt(p.getResponseHeader("Upload-Offset"), 10);
            tries = 0;
            progress(offset, file.size);
          } else if (p.status === 200) {
            forget(k);
            return JSON.parse(p.responseText);
          } else if (p.status === 422 || (end === file.size && p.status >= 500)) {
            forget(k); // refused at completion: the server has removed the upload
            throw new Fatal(errorOf(p));
          } else {
            check(p);
          }
        }
        throw new Retry(t("unconfirmed"));
      } catch (e) {
        if (e instanceof Fatal) throw e;
        if (++tries > MAX_TRIES) throw new Fatal(t("failing"));
        var delay = Math.min(30, Math.pow(2, tries - 1));
        say(t("retrying", delay, e instanceof Retry ? e.message : ""));
        await wait(delay * 1000);
      }
    }
  }

  input.addEventListener("change", function () {
    var f = input.files[0];
    if (f && recall(storeKey(f))) say(t("partial"));
  });

  form.addEventListener("submit", async function (ev) {
    ev.preventDefault();
    var file = input.files[0];
    if (!file) { say(t("no-file"), true); input.focus(); return; }
    var el = form.elements;
    var meta = [
      "channel " + b64(channel),
      "filename " + b64(file.name),
      "filetype " + b64(file.type || "application/octet-stream"),
      "title " + b64(el.title.value),
      "description " + b64(el.description.value),
      "publish " + b64(el.publish.checked ? "1" : "0")
    ].join(",");
    button.disabled = true;
    box.hidden = false;
    lastSaid = -1;
    try {
      var item = await upload(file, meta);
      progress(file.size, file.size);
      say(t("complete"));
      window.location.assign(item.url);
    } catch (e) {
      say(e.message || t("failed"), true);
      button.disabled = false;
    }
  });
})();
