// The desk's customer tools in one dialog: F10 reports the caller's number, Alt+E edits the caller's record,
// Alt+P sets their member PIN, Alt+O finds an order (Alt+S sends its status). The caller comes from the pop.
(function () {
  "use strict";
  const $ = (id) => document.getElementById(id);
  const dialog = $("customer-dialog");
  if (!dialog) return;

  function popNumber() {
    const number = $("pop-number");
    return number ? number.textContent.trim() : "";
  }

  function popCustomer() {
    const customer = $("pop-customer");
    return customer ? customer.dataset.customerId || "" : "";
  }

  function open(tool, hint) {
    let shown = null;
    for (const section of dialog.querySelectorAll("section[data-tool]")) {
      section.hidden = section.dataset.tool !== tool;
      if (!section.hidden) shown = section;
    }
    $("customer-dialog-title").textContent = shown ? shown.dataset.title : "";
    $("customer-tool-hint").textContent = hint || "";
    $("customer-tool-hint").hidden = !hint;
    if (!dialog.open) dialog.showModal();
    return shown;
  }

  function openedTool() {
    if (!dialog.open) return "";
    const section = dialog.querySelector("section[data-tool]:not([hidden])");
    return section ? section.dataset.tool : "";
  }

  function reportNumber() {
    const number = popNumber();
    const section = open("report", number ? "" : dialog.dataset.noCaller);
    section.querySelector("form").hidden = !number;
    $("report-number").value = number;
    $("report-reason").value = "";
    $("report-result").innerHTML = "";
    if (number) $("report-reason").focus();
  }

  function setPin() {
    const customer = popCustomer();
    const section = open("pin", customer ? "" : dialog.dataset.noCustomer);
    section.querySelector("form").hidden = !customer;
    $("pin-customer-id").value = customer;
    $("pin-1").value = "";
    $("pin-2").value = "";
    $("pin-result").innerHTML = "";
    if (customer) $("pin-1").focus();
  }

  function editCustomer() {
    const customer = popCustomer();
    const section = open("edit", customer ? "" : dialog.dataset.noCustomer);
    $("customer-edit").innerHTML = "";
    if (!customer || !window.htmx) return;
    htmx.ajax("GET", section.dataset.url + "?customer_id=" + encodeURIComponent(customer),
              { target: "#customer-edit" }).then(() => {
      const first = $("customer-edit").querySelector("input:not([type=hidden])");
      if (first) first.focus();
    });
  }

  function findOrder() {
    open("orders");
    const input = $("order-lookup-q");
    $("order-sent").innerHTML = "";
    if (!input.value && popNumber()) {
      input.value = popNumber();
      htmx.trigger("#order-lookup-form", "submit");
    }
    input.focus();
    input.select();
  }

  function selectedOrder() {
    return $("order-lookup-results").querySelector("li.selected[data-send-url]");
  }

  function sendStatus(item) {
    if (!item || !window.htmx) return;
    htmx.ajax("POST", item.dataset.sendUrl, { source: item, target: "#order-sent" });
  }

  function moveSelection(step) {
    const items = Array.from($("order-lookup-results").querySelectorAll("li[data-send-url]"));
    const at = items.findIndex((item) => item.classList.contains("selected"));
    const next = items[Math.min(Math.max(at + step, 0), items.length - 1)];
    if (!next) return;
    items.forEach((item) => item.classList.toggle("selected", item === next));
    next.scrollIntoView({ block: "nearest" });
  }

  const altKeys = { KeyE: editCustomer, KeyP: setPin, KeyO: findOrder };

  document.addEventListener("keydown", (event) => {
    if (event.key === "F10") {
      event.preventDefault();
      if ($("btn-report-number")) reportNumber();
    } else if (event.altKey && altKeys[event.code]) {
      event.preventDefault();
      altKeys[event.code]();
    } else if (event.altKey && event.code === "KeyS" && openedTool() === "orders") {
      event.preventDefault();
      sendStatus(selectedOrder());
    } else if (openedTool() === "orders" && event.target.id === "order-lookup-q" &&
               (event.key === "ArrowDown" || event.key === "ArrowUp")) {
      event.preventDefault();
      moveSelection(event.key === "ArrowDown" ? 1 : -1);
    }
  });

  const buttons = { "btn-report-number": reportNumber, "btn-edit-customer": editCustomer,
                    "btn-set-pin": setPin, "btn-order-lookup": findOrder };
  for (const [id, handler] of Object.entries(buttons)) {
    if ($(id)) $(id).addEventListener("click", handler);
  }
  $("order-lookup-results").addEventListener("click", (event) => {
    const button = event.target.closest(".send-status");
    if (button) sendStatus(button.closest("li"));
  });
  // A PIN never stays in the page: the fields empty themselves once the answer has come.
  document.body.addEventListener("htmx:afterRequest", (event) => {
    if (event.detail.elt && event.detail.elt.id === "pin-form") {
      $("pin-1").value = "";
      $("pin-2").value = "";
    }
  });
})();
