// Behaviour every screen shares, kept out of the templates: the Content-Security-Policy refuses inline
// handlers (onchange="…", hx-on:…), so elements ask for it with data attributes instead.
"use strict";

// <select data-submit-on-change>: picking an option submits its form (the language switch).
document.addEventListener("change", (event) => {
  const select = event.target.closest && event.target.closest("select[data-submit-on-change]");
  if (select && select.form) select.form.requestSubmit();
});

// <form data-reset-on-success hx-post=…>: empty the form once htmx has sent it successfully.
document.addEventListener("htmx:afterRequest", (event) => {
  const form = event.detail.elt;
  if (form instanceof HTMLFormElement && form.hasAttribute("data-reset-on-success") && event.detail.successful) {
    form.reset();
  }
});
