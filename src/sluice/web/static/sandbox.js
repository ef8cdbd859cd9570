// The sandbox's SQL editor (templates/sandbox/workspace.html), kept out of the HTML so the
// Content-Security-Policy can forbid inline script: CodeMirror over the form's textarea (the
// textarea stays the form field, so the page works without script too), Ctrl+Enter runs
// the query, and the history list is read again after each run.
(function () {
  "use strict";

  document.addEventListener("DOMContentLoaded", function () {
    var form = document.querySelector("[data-sandbox-editor]");
    if (!form || !window.CodeMirror) return;
    var textarea = form.querySelector("textarea[name=sql]");
    var run = form.querySelector("[data-run]");
    var editor = window.CodeMirror.fromTextArea(textarea, {
      mode: "text/x-sql",
      lineNumbers: true,
      lineWrapping: true,
      indentUnit: 2,
      tabSize: 2,
      viewportMargin: Infinity,
      extraKeys: {
        "Ctrl-Enter": function () { run.click(); },
        "Cmd-Enter": function () { run.click(); }
      }
    });
    // htmx reads the textarea when the run button is clicked: keep it current.
    editor.on("change", function () { editor.save(); });
  });

  document.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail && event.detail.target;
    if (!target || target.id !== "result" || !window.htmx) return;
    if (!document.getElementById("history")) return;
    window.htmx.ajax("GET", window.location.pathname + window.location.search,
      {target: "#history", swap: "outerHTML"});
  });
})();
