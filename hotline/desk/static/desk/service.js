// Customer service on the desk: F4 (or its button) opens the complaint form for the caller on the pop (during or
// after the call), Ctrl+Enter sends it, Escape closes it; the bulletin board refreshes itself (htmx).
// desk.js owns F2 F3 F7 F8 F9.
(function () {
  "use strict";
  const box = document.getElementById("complaint-box");
  if (!box) return;

  function popFacts() {
    const card = document.querySelector("#pop .pop-card");
    const customer = document.querySelector("#pop #pop-customer");
    return { call_id: card ? card.dataset.callId || "" : "",
             customer_id: customer ? customer.dataset.customerId || "" : "" };
  }

  function openForm() {
    const facts = popFacts();
    const url = box.dataset.formUrl + "?" + new URLSearchParams(facts).toString();
    box.hidden = false;
    window.htmx.ajax("GET", url, { target: box, swap: "innerHTML" }).then(() => {
      const summary = document.getElementById("complaint-summary");
      if (summary) summary.focus();
    });
  }

  function closeForm() {
    box.hidden = true;
    box.innerHTML = "";
  }

  document.addEventListener("keydown", (event) => {
    if (event.key === "F4") {
      event.preventDefault();
      openForm();
    } else if (event.key === "Escape" && !box.hidden && box.contains(document.activeElement)) {
      closeForm();
    } else if (event.key === "Enter" && (event.ctrlKey || event.metaKey) && box.contains(document.activeElement)) {
      const form = document.getElementById("complaint-form");
      if (form) {
        event.preventDefault();
        form.requestSubmit();
      }
    }
  });
  const button = document.getElementById("btn-complaint");
  if (button) button.addEventListener("click", openForm);
  box.addEventListener("click", (event) => {
    if (event.target instanceof HTMLElement && event.target.id === "complaint-cancel") closeForm();
  });
})();
