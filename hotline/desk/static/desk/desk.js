// Agent desk: live state and screen pops over the websocket, keyboard-first order entry over fetch.
// Incoming events come in batches (live.js); a batch applies the latest state and the latest pop only.
(function () {
  "use strict";
  const config = JSON.parse(document.getElementById("desk-config").textContent);
  const $ = (id) => document.getElementById(id);
  const texts = config.texts;
  // Timings and results the end-to-end test and `hotline bench pop` read.
  const record = (window.hotlineDesk = { pops: [], orders: [], keys: 0, received: [] });

  // phone_online: whether the seat's phone can ring (absent from an older engine: online); wrapup_until: when
  // wrap-up ends, extensions included (ISO; absent: the queue's wrap-up time from `since`).
  let agentState = { state: "logged_out", reason: "", seat: "", since: null, phone_online: true, wrapup_until: null };
  let call = null; // {call_id, queue, phase}
  // The current order form's prefill: the call (if any), the customer, the aired product. `mode` says who the
  // order is for: "existing" (customer_id), "new" (name, gender and phone typed here) or "none" (not chosen).
  let order = blankOrder();
  let lines = [];
  let results = [];
  let selected = 0;
  let idempotencyKey = newKey();

  function blankOrder() {
    return { call_id: "", queue: "", hotline_number: "", customer_id: null, customer_name: "", phone: "",
             region: "", addresses: [], address_id: null, product: null, mode: "none" };
  }

  function newKey() {
    return (crypto.randomUUID ? crypto.randomUUID() : String(Date.now()) + Math.random()).replace(/-/g, "");
  }

  function showError(message) {
    const banner = $("desk-error");
    banner.textContent = message;
    banner.hidden = !message;
  }

  async function request(method, url, body) {
    const response = await fetch(url, {
      method,
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": window.hotlineCsrf() },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    let data = {};
    try {
      data = await response.json();
    } catch (e) {
      data = {};
    }
    if (!response.ok) {
      const error = new Error(data.detail || errorMessages(data.errors).join(" ") || texts.failed);
      error.data = data;
      throw error;
    }
    return data;
  }

  async function command(url, body) {
    try {
      showError("");
      return await request("POST", url, body || {});
    } catch (error) {
      showError(error.message);
      return null;
    }
  }

  // ---------------------------------------------------------------- agent state

  function showState() {
    const badge = $("state-badge");
    const offline = agentState.state === "ready" && agentState.phone_online === false;
    let label = config.states[offline ? "ready_offline" : agentState.state] || agentState.state;
    if (agentState.state === "not_ready" && agentState.reason) {
      label += " · " + (config.reasons[agentState.reason] || agentState.reason);
    }
    badge.textContent = label;
    badge.dataset.state = agentState.state;
    badge.dataset.phone = offline ? "offline" : "online";
    const sipUser = config.seat_users[agentState.seat] || agentState.seat;
    $("phone-hint").textContent = offline ? texts.phone_hint.replace("%(user)s", sipUser) : "";
    $("phone-hint").hidden = !offline;
    const seated = agentState.state !== "logged_out";
    $("seat-login").hidden = seated;
    $("seat-controls").hidden = !seated;
    if (agentState.seat) $("seat-name").textContent = agentState.seat;
    tick();
  }

  function tick() {
    const since = agentState.since ? Date.parse(agentState.since) : null;
    const seconds = since ? Math.max(0, Math.floor((Date.now() - since) / 1000)) : 0;
    $("state-clock").textContent = since ? clock(seconds) : "";
    const countdown = $("wrapup-countdown");
    const left = wrapUpLeft(seconds);
    countdown.hidden = left === null;
    countdown.textContent = left === null ? "" : texts.seconds_left.replace("%(seconds)s", String(left));
    countdown.dataset.until = agentState.state === "wrap_up" && agentState.wrapup_until ? agentState.wrapup_until : "";
    $("btn-extend").hidden = agentState.state !== "wrap_up";
  }

  // Seconds of wrap-up left: to the engine's end (extensions included), else the queue's time since wrap-up began.
  function wrapUpLeft(seconds) {
    if (agentState.state !== "wrap_up") return null;
    if (agentState.wrapup_until) return Math.max(0, Math.ceil((Date.parse(agentState.wrapup_until) - Date.now()) / 1000));
    if (!call) return null;
    const left = (config.wrapup[call.queue] || 0) - seconds;
    return left >= 0 ? left : null;
  }

  function clock(seconds) {
    const m = Math.floor(seconds / 60);
    const s = seconds % 60;
    return (m < 10 ? "0" : "") + m + ":" + (s < 10 ? "0" : "") + s;
  }

  // ---------------------------------------------------------------- live messages

  function applyBatch(batch) {
    // Call messages apply in order (a pop, then its answer); only the last pop and the last state are drawn.
    let lastPop = -1;
    let lastState = null;
    batch.forEach((message, index) => {
      if (message.type === "pop") lastPop = index;
      else if (message.type === "hello" || message.type === "state") lastState = message;
    });
    // A pop sent again on reconnect starts in the phase the agent is in.
    const phase = { on_call: "on_call", wrap_up: "ended" }[(lastState || agentState).state] || "ringing";
    batch.forEach((message, index) => {
      if (message.type === "pop" && index === lastPop) showPop(message, phase);
      else if (message.type === "answered") setPhase(message.call_id, "on_call");
      else if (message.type === "ended") callEnded(message.call_id);
      else if (message.type === "message" && window.htmx) htmx.trigger(document.body, "refresh-messages");
    });
    if (lastState) {
      agentState = { state: lastState.state, reason: lastState.reason, seat: lastState.seat || agentState.seat,
                     since: lastState.since, phone_online: lastState.phone_online !== false,
                     wrapup_until: lastState.wrapup_until || null };
      showState();
      // An outbound call pauses the agent ("outbound") while it rings: only an inbound call is judged by state.
      const offCall = call && call.direction !== "outbound" && !["ringing", "on_call"].includes(agentState.state);
      // Back to ready while the pop still rings: the caller hung up, or another phone took the call.
      if (call && call.phase === "ringing" && offCall) callMissed();
      // Off the call without a hang-up of ours: transferred away, or taken over.
      else if (call && call.phase === "on_call" && offCall) callEnded(call.call_id);
    }
  }

  // ---------------------------------------------------------------- the call and its pop

  function showPop(message, phase) {
    if (call && call.call_id === message.call_id && call.popped) return;
    const previousPhase = call && call.call_id === message.call_id ? call.phase : phase;
    call = { call_id: message.call_id, queue: message.order.queue || "", phase: previousPhase, popped: true,
             direction: message.direction || "inbound" };
    $("pop").innerHTML = message.html;
    $("call-bar").hidden = false;
    $("note-form").hidden = true;
    $("note-form").reset(); // the last call's notes must not be saved onto this one
    $("note-result").textContent = "";
    $("note-call-id").value = message.call_id;
    $("message-call-id").value = message.call_id;
    setPhase(message.call_id, previousPhase);
    if (previousPhase === "ended") callEnded(message.call_id); // reloaded during wrap-up: notes are due
    startOrder(message.order);
    requestAnimationFrame(() => record.pops.push({ call_id: message.call_id, at: Date.now() }));
  }

  function setPhase(callId, phase) {
    if (!call || call.call_id !== callId) return;
    call.phase = phase;
    const queue = config.queues[call.queue] || call.queue; // its label (订购), never its code
    $("call-phase").textContent = (config.states[phase] || "") + (queue ? " · " + queue : "");
    $("call-bar").dataset.phase = phase;
  }

  function callEnded(callId) {
    if (!call || call.call_id !== callId) return;
    call.phase = "ended";
    $("call-bar").hidden = true;
    $("note-form").hidden = false;
    $("note-result").textContent = "";
  }

  function callMissed() {
    call.phase = "missed";
    $("call-bar").hidden = true;
    const card = $("pop").querySelector(".pop-card");
    if (card) card.classList.add("missed");
    startOrder(blankOrder(), false); // the missed caller is gone: the form is for an order outside a call again
  }

  function callCommand(verb, body) {
    if (call) command("/api/engine/calls/" + encodeURIComponent(call.call_id) + "/" + verb, body);
  }

  // ---------------------------------------------------------------- order entry

  function startOrder(prefill, focus = true) {
    order = Object.assign({}, prefill, { mode: prefill.mode || (prefill.customer_id ? "existing" : "new") });
    lines = [];
    idempotencyKey = newKey();
    $("order-form").hidden = false;
    $("order-placed").hidden = true;
    clearErrors();
    $("customer-q").value = ""; // a pop arriving mid-search takes the form
    showCustomers([], "");
    const chosen = order.mode === "existing" ? order.customer_name + " " + order.phone
      : order.mode === "new" ? texts.new_customer + " " + order.phone : texts.no_customer;
    $("order-customer").textContent = chosen.trim();
    $("new-customer").hidden = order.mode !== "new";
    $("new-phone").value = order.mode === "new" ? order.phone || "" : "";
    $("new-region").textContent = order.mode === "new" ? order.region || "" : "";
    const select = $("address-select");
    select.innerHTML = "";
    for (const address of order.addresses || []) {
      select.add(new Option(address.text, address.id, false, address.id === order.address_id));
    }
    select.add(new Option("—", ""));
    if (!(order.addresses || []).length) select.value = "";
    for (const id of ["address-text", "invoice-title", "invoice-tax-id", "order-notes", "new-name", "redeem-points"]) {
      $(id).value = "";
    }
    $("points-row").hidden = order.mode !== "existing";
    showPoints(null);
    $("new-gender").value = "u";
    $("rush").checked = false;
    $("address-parsed").textContent = "";
    if (order.product) addLine({ id: order.product.id, name: order.product.name, price: order.product.price,
                                 cross_sells: [] }, false);
    else renderLines();
    if (focus) $({ existing: "product-q", new: "new-name" }[order.mode] || "customer-q").focus();
  }

  function addLine(product, crossSell, price) {
    const existing = lines.find((line) => line.product_id === product.id && line.cross_sell === crossSell);
    if (existing) existing.quantity += 1;
    else lines.push({ product_id: product.id, name: product.name, quantity: 1, cross_sell: crossSell,
                      unit_price: price || product.price, amount: price || product.price });
    showCrossSells(product.cross_sells || []);
    renderLines();
    quote();
  }

  function renderLines() {
    const body = $("order-lines").tBodies[0];
    body.innerHTML = "";
    lines.forEach((line, index) => {
      const row = body.insertRow();
      row.insertCell().textContent = line.name;
      const qty = document.createElement("input");
      qty.type = "number";
      qty.min = "1";
      qty.value = line.quantity;
      qty.className = "qty";
      qty.dataset.line = String(index);
      qty.setAttribute("aria-label", texts.quantity + " " + (index + 1));
      qty.addEventListener("change", () => {
        // Sent as typed: 0, a negative number or a blank is refused by the server for this line, not made 1.
        const typed = qty.value.trim();
        line.quantity = /^-?\d+$/.test(typed) ? parseInt(typed, 10) : typed;
        quote();
      });
      row.insertCell().appendChild(qty);
      row.insertCell().textContent = "¥" + line.unit_price;
      row.insertCell().textContent = "¥" + line.amount;
      const remove = document.createElement("button");
      remove.type = "button";
      remove.className = "link";
      remove.textContent = "×";
      remove.addEventListener("click", () => {
        lines.splice(index, 1);
        renderLines();
        quote();
      });
      row.insertCell().appendChild(remove);
    });
  }

  // Prices and amounts as quoted, in the rows as they are: a quantity being typed is not redrawn under the agent.
  function showAmounts() {
    const rows = $("order-lines").tBodies[0].rows;
    if (rows.length !== lines.length) {
      renderLines();
      return;
    }
    lines.forEach((line, index) => {
      rows[index].cells[2].textContent = "¥" + line.unit_price;
      rows[index].cells[3].textContent = "¥" + line.amount;
    });
  }

  function showCrossSells(suggestions) {
    const box = $("cross-sells");
    box.innerHTML = "";
    suggestions.slice(0, 3).forEach((suggestion, index) => {
      const button = document.createElement("button");
      button.type = "button";
      button.className = "suggestion";
      button.dataset.key = String(index + 1);
      button.innerHTML = "<kbd>Alt+" + (index + 1) + "</kbd> ";
      button.append(suggestion.name + " ¥" + suggestion.offer_price);
      button.addEventListener("click", () => addCrossSell(suggestion));
      box.appendChild(button);
    });
    box.dataset.suggestions = JSON.stringify(suggestions.slice(0, 3));
  }

  function addCrossSell(suggestion) {
    addLine({ id: suggestion.id, name: suggestion.name, cross_sells: [] }, true, suggestion.offer_price);
  }

  let quoting = 0;
  async function quote() {
    const mine = ++quoting;
    if (!lines.length) {
      $("order-total").textContent = "¥0.00";
      $("gifts").textContent = "";
      showPoints(null);
      showWarnings([]);
      showLineErrors(null);
      return;
    }
    try {
      const data = await request("POST", "/desk/quote", quotePayload());
      if (mine !== quoting) return; // a newer quote is on its way
      showWarnings(data.warnings || []);
      data.lines.forEach((quoted, index) => {
        if (lines[index]) Object.assign(lines[index], { unit_price: quoted.unit_price, amount: quoted.amount });
      });
      showAmounts();
      $("order-total").textContent = "¥" + data.total;
      $("gifts").textContent = data.gifts.length ? texts.gifts + ": " +
        data.gifts.map((gift) => gift.name + " ×" + gift.quantity).join("、") : "";
      showPoints(data);
      showLineErrors(null);
    } catch (error) {
      if (mine === quoting) showLineErrors(error);
    }
  }

  // The quote also gets who, where and how the order is paid, so the server can warn before the order is placed
  // (no courier collects cash on delivery at the address, a high refusal risk).
  function quotePayload() {
    const addressId = $("address-select").value;
    return {
      lines: linePayload(),
      payment_method: $("payment-method").value,
      delivery_method: $("delivery-method").value,
      customer_id: order.mode === "existing" ? order.customer_id : null,
      new_customer: order.mode === "new",
      address_id: addressId ? parseInt(addressId, 10) : null,
      address_text: $("address-text").value.trim(),
      redeem_points: order.mode === "existing" ? redeemPoints() : 0,
      reward_id: order.mode === "existing" && $("points-reward").value ? parseInt($("points-reward").value, 10) : null,
    };
  }

  // The customer's balance, what the points redeemed take off, and the promotions priced in (from the quote).
  function showPoints(data) {
    const fill = (id, values) => {
      let text = $(id).dataset.template;
      for (const [key, value] of Object.entries(values)) text = text.replace("{" + key + "}", String(value));
      $(id).textContent = text;
    };
    if (data && data.customer_points !== null && data.customer_points !== undefined) {
      fill("points-balance", { points: data.customer_points });
    } else {
      $("points-balance").textContent = "";
    }
    if (data && data.points_used) fill("points-discount", { amount: data.points_discount, points: data.points_used });
    else $("points-discount").textContent = "";
    const select = $("points-reward");
    const chosen = select.value;
    select.length = 1; // keep "—"
    for (const reward of (data && data.rewards) || []) {
      select.add(new Option(reward.name + " · " + reward.points, String(reward.id), false, String(reward.id) === chosen));
    }
    const promotions = (data && data.promotions) || [];
    $("promotions").textContent = promotions.length ? $("promotions").dataset.label + ": " + promotions.join("、") : "";
  }

  // The points typed, as a number when they are one (anything else goes as typed, for the server to refuse).
  function redeemPoints() {
    const typed = $("redeem-points").value.trim();
    if (!typed) return 0;
    return /^\d+$/.test(typed) ? parseInt(typed, 10) : typed;
  }

  function showWarnings(warnings) {
    const list = $("order-warnings");
    list.innerHTML = "";
    for (const warning of warnings) {
      const item = document.createElement("li");
      item.dataset.kind = warning.kind;
      item.textContent = "⚠ " + warning.text;
      list.appendChild(item);
    }
    list.hidden = !warnings.length;
  }

  function linePayload() {
    return lines.map((line) => ({ product_id: line.product_id, quantity: line.quantity, cross_sell: line.cross_sell }));
  }

  let searchTimer = 0;
  let shownTerm = ""; // the search text whose results are in the list
  let pickWhenShown = false; // Enter was pressed before the results for the text typed had come
  function search() {
    clearTimeout(searchTimer);
    pickWhenShown = false;
    const term = $("product-q").value.trim();
    if (!term) {
      showResults([]);
      return;
    }
    searchTimer = setTimeout(async () => {
      try {
        const data = await request("GET", "/desk/products?q=" + encodeURIComponent(term));
        if ($("product-q").value.trim() !== term) return;
        showResults(data.products, term);
        if (pickWhenShown && results.length) pick(selected); // Enter came before these results: it meant them
        pickWhenShown = false;
      } catch (error) {
        showError(error.message);
      }
    }, 80);
  }

  function showResults(products, term = "") {
    results = products;
    shownTerm = term;
    selected = 0;
    const list = $("product-results");
    list.innerHTML = "";
    if (!products.length && $("product-q").value.trim()) {
      const empty = document.createElement("li");
      empty.className = "muted";
      empty.textContent = texts.no_results;
      list.appendChild(empty);
    }
    products.forEach((product, index) => {
      const item = document.createElement("li");
      item.setAttribute("role", "option");
      item.dataset.index = String(index);
      item.textContent = product.code + "  " + product.name + "  ¥" + product.price;
      if (product.low_stock) {
        item.append("  ", Object.assign(document.createElement("span"),
                                        { className: "badge warn", textContent: product.stock_warning }));
      }
      item.addEventListener("mousedown", (event) => {
        event.preventDefault();
        pick(index);
      });
      list.appendChild(item);
    });
    highlight();
  }

  function highlight() {
    Array.from($("product-results").children).forEach((item, index) => {
      item.classList.toggle("selected", index === selected);
      item.setAttribute("aria-selected", index === selected ? "true" : "false");
    });
  }

  function pick(index) {
    const product = results[index];
    if (!product) return;
    $("product-q").value = "";
    showResults([]);
    addLine(product, false);
  }

  async function submitOrder() {
    const addressId = $("address-select").value;
    // With no customer chosen both are null, and the server's answer says so on the customer field.
    const body = {
      customer_id: order.mode === "existing" ? order.customer_id : null,
      new_customer: order.mode !== "new" ? null : { name: $("new-name").value.trim(), gender: $("new-gender").value,
                                                    phone: $("new-phone").value.trim() },
      lines: linePayload(),
      delivery_method: $("delivery-method").value,
      payment_method: $("payment-method").value,
      address_id: $("address-text").value.trim() ? null : addressId ? parseInt(addressId, 10) : null,
      address_text: $("address-text").value.trim(),
      recipient: "",
      recipient_phone: "",
      invoice_title: $("invoice-title").value.trim(),
      invoice_tax_id: $("invoice-tax-id").value.trim(),
      rush: $("rush").checked,
      notes: $("order-notes").value.trim(),
      hotline_number: order.hotline_number || "",
      call_id: order.call_id || "",
      idempotency_key: idempotencyKey,
      redeem_points: order.mode === "existing" ? redeemPoints() : 0,
      reward_id: order.mode === "existing" && $("points-reward").value ? parseInt($("points-reward").value, 10) : null,
    };
    $("btn-submit").disabled = true;
    try {
      const data = await request("POST", "/desk/orders", body);
      $("order-number").textContent = data.order.number;
      $("order-form").hidden = true;
      $("order-placed").hidden = false;
      record.orders.push({ number: data.order.number, at: Date.now(), keys: record.keys });
      $("note-disposition").value = config.order_disposition;
      if (order.mode === "new") { // the new customer exists now: a second order must not create them again
        Object.assign(order, { customer_id: data.order.customer_id, mode: "existing",
                               customer_name: $("new-name").value.trim(), phone: $("new-phone").value.trim() });
        $("new-customer").hidden = true;
        $("order-customer").textContent = order.customer_name + " " + order.phone;
      }
    } catch (error) {
      showErrors(error);
    } finally {
      $("btn-submit").disabled = false;
    }
  }

  // ---------------------------------------------------------------- field errors

  // Where each field the server names is typed (the keys are the API's: `lines.0.quantity`).
  const FIELD_INPUTS = {
    customer_id: "customer-q", new_customer: "new-name", "new_customer.name": "new-name",
    "new_customer.gender": "new-gender", "new_customer.phone": "new-phone", lines: "product-q",
    delivery_method: "delivery-method", payment_method: "payment-method", rush: "rush", address_id: "address-select",
    address_text: "address-text", recipient: "address-text", recipient_phone: "address-text",
    invoice_title: "invoice-title", invoice_tax_id: "invoice-tax-id", notes: "order-notes", q: "customer-q",
    redeem_points: "redeem-points", reward_id: "points-reward",
  };

  function fieldInput(key) {
    const line = /^lines\.(\d+)\./.exec(key);
    if (line) return $("order-lines").querySelector('input.qty[data-line="' + line[1] + '"]');
    return FIELD_INPUTS[key] ? $(FIELD_INPUTS[key]) : null;
  }

  // "Name: …" unless the message names its field already ("第 1 行：数量…", "姓名不能为空").
  function labelled(key, message) {
    const label = config.fields[key];
    return label && !message.includes(label) ? texts.field_error.replace("%(field)s", label)
      .replace("%(message)s", message) : message;
  }

  function errorMessages(errors) {
    return Object.entries(errors || {}).flatMap(([key, messages]) => [].concat(messages)
      .map((message) => labelled(key, message)));
  }

  // The messages shown, by field. A submit replaces them all; a quote (while lines are typed) only the lines'.
  let shownErrors = {};
  // Keys a quote answers on, so the next quote clears them: the lines' and the points redeemed.
  const isLineKey = (key) => key === "lines" || key.startsWith("lines.") || key === "redeem_points"
    || key === "reward_id";

  function clearErrors() {
    shownErrors = {};
    renderErrors(false);
  }

  function showErrors(error, focus = true) {
    shownErrors = (error.data && error.data.errors) || { "": [error.message] };
    renderErrors(focus);
  }

  function showLineErrors(error) {
    const others = Object.entries(shownErrors).filter(([key]) => !isLineKey(key));
    shownErrors = Object.assign(Object.fromEntries(others), (error && ((error.data && error.data.errors)
      || { lines: [error.message] })) || {});
    renderErrors(false);
  }

  // Typing in a field the server refused takes its message away.
  function fieldEdited(event) {
    if (event.target.getAttribute("aria-invalid") !== "true") return;
    const others = Object.entries(shownErrors).filter(([key]) => fieldInput(key) !== event.target);
    shownErrors = Object.fromEntries(others);
    renderErrors(false);
  }

  // Lists the messages under the form, marks their fields, and (on submit) focuses the first of them.
  function renderErrors(focus) {
    const list = $("order-errors");
    list.innerHTML = "";
    for (const input of $("order-form").querySelectorAll("[aria-invalid]")) input.removeAttribute("aria-invalid");
    const invalid = [];
    for (const [key, messages] of Object.entries(shownErrors)) {
      const input = fieldInput(key);
      if (input) {
        input.setAttribute("aria-invalid", "true");
        invalid.push(input);
      }
      for (const text of [].concat(messages)) {
        const item = document.createElement("li");
        item.textContent = labelled(key, text);
        item.dataset.field = key;
        list.appendChild(item);
      }
    }
    invalid.sort((a, b) => (a.compareDocumentPosition(b) & Node.DOCUMENT_POSITION_FOLLOWING ? -1 : 1));
    if (focus && invalid.length) invalid[0].focus();
  }

  // ---------------------------------------------------------------- customers, for an order outside a call

  let customers = [];
  let customerSelected = 0;
  let customerTimer = 0;
  function searchCustomers() {
    clearTimeout(customerTimer);
    const term = $("customer-q").value.trim();
    if (!term) {
      showCustomers([], "");
      return;
    }
    customerTimer = setTimeout(async () => {
      try {
        const data = await request("GET", "/desk/customers?q=" + encodeURIComponent(term));
        if ($("customer-q").value.trim() === term) showCustomers(data.customers, data.new_phone);
      } catch (error) {
        showErrors(error, false);
      }
    }, 150);
  }

  // The customers found, then "new customer" (with the number searched for, when it is one).
  function showCustomers(found, newPhone) {
    customers = $("customer-q").value.trim() ? found.concat([{ mode: "new", phone: newPhone, region: "" }]) : [];
    customerSelected = 0;
    const list = $("customer-results");
    list.innerHTML = "";
    if (!found.length && customers.length) {
      const empty = document.createElement("li");
      empty.className = "muted";
      empty.textContent = texts.no_customers;
      list.appendChild(empty);
    }
    customers.forEach((choice, index) => {
      const item = document.createElement("li");
      item.setAttribute("role", "option");
      item.dataset.index = String(index);
      item.textContent = choice.mode === "new" ? "+ " + texts.new_customer + " " + choice.phone
        : [choice.customer_name, choice.salutation, choice.phone, choice.region, choice.level].join("  ");
      item.addEventListener("mousedown", (event) => {
        event.preventDefault();
        chooseCustomer(index);
      });
      list.appendChild(item);
    });
    highlightCustomer();
  }

  function highlightCustomer() {
    for (const item of $("customer-results").querySelectorAll("[role=option]")) {
      const chosen = item.dataset.index === String(customerSelected);
      item.classList.toggle("selected", chosen);
      item.setAttribute("aria-selected", chosen ? "true" : "false");
    }
  }

  // The chosen customer takes the order form; the call it belongs to and the aired product stay.
  function chooseCustomer(index) {
    const choice = customers[index];
    if (!choice) return;
    $("customer-q").value = "";
    showCustomers([], "");
    const call = { call_id: order.call_id, queue: order.queue, hotline_number: order.hotline_number,
                   product: order.product };
    const customer = choice.mode === "new"
      ? { customer_id: null, customer_name: "", addresses: [], address_id: null, mode: "new" } : { mode: "existing" };
    startOrder(Object.assign({}, choice, customer, call));
  }

  function onCustomerKey(event) {
    if (event.key === "ArrowDown" && customers.length) {
      customerSelected = (customerSelected + 1) % customers.length;
      highlightCustomer();
      event.preventDefault();
    } else if (event.key === "ArrowUp" && customers.length) {
      customerSelected = (customerSelected - 1 + customers.length) % customers.length;
      highlightCustomer();
      event.preventDefault();
    } else if (event.key === "Enter") {
      event.preventDefault(); // choosing a customer never places the order
      event.stopPropagation();
      chooseCustomer(customerSelected);
    } else if (event.key === "Escape") {
      $("customer-q").value = "";
      showCustomers([], "");
    }
  }

  // ---------------------------------------------------------------- click-to-dial

  async function dial(number) {
    $("dial-error").hidden = true;
    $("dial-number").removeAttribute("aria-invalid");
    try {
      showError("");
      await request("POST", "/api/engine/agent/dial", { number });
    } catch (error) {
      const messages = error.data && error.data.errors ? errorMessages({ number: error.data.errors.number || [] })
        : [];
      if (!messages.length) {
        showError(error.message);
        return;
      }
      $("dial-error").textContent = messages.join(" ");
      $("dial-error").hidden = false;
      $("dial-number").setAttribute("aria-invalid", "true");
      $("dial-number").focus();
    }
  }

  async function parseAddress() {
    const text = $("address-text").value.trim();
    $("address-parsed").textContent = "";
    if (!text) return;
    try {
      const parsed = await request("GET", "/desk/address/parse?text=" + encodeURIComponent(text));
      $("address-parsed").textContent = [parsed.province, parsed.city, parsed.district].filter(Boolean).join(" ");
    } catch (error) {
      $("address-parsed").textContent = error.message;
    }
  }

  // ---------------------------------------------------------------- keyboard

  function onSearchKey(event) {
    if (event.key === "ArrowDown" && results.length) {
      selected = (selected + 1) % results.length;
      highlight();
      event.preventDefault();
    } else if (event.key === "ArrowUp" && results.length) {
      selected = (selected - 1 + results.length) % results.length;
      highlight();
      event.preventDefault();
    } else if (event.key === "Enter" && results.length && shownTerm === $("product-q").value.trim()) {
      event.preventDefault();
      event.stopPropagation();
      pick(selected);
    } else if (event.key === "Enter" && $("product-q").value.trim()) {
      // Still searching for what was typed: pick from those results when they come, never from the list of
      // a shorter text (a fast "102" + Enter would add 101), and never place a half-entered order.
      event.preventDefault();
      event.stopPropagation();
      pickWhenShown = true;
    } else if (event.key === "Escape") {
      $("product-q").value = "";
      showResults([]);
    }
  }

  function onGlobalKey(event) {
    if (event.key === "F2") {
      event.preventDefault();
      $("btn-ready").click();
    } else if (event.key === "F3") {
      event.preventDefault();
      $("btn-not-ready").click();
    } else if (event.key === "F8") {
      event.preventDefault();
      $("product-q").focus();
    } else if (event.key === "F9" && agentState.state === "wrap_up") {
      event.preventDefault();
      $("btn-extend").click();
    } else if (event.key === "F7") {
      event.preventDefault();
      $("customer-q").focus();
    } else if (event.altKey && /^[1-3]$/.test(event.key)) {
      const suggestions = JSON.parse($("cross-sells").dataset.suggestions || "[]");
      const suggestion = suggestions[parseInt(event.key, 10) - 1];
      if (suggestion) {
        event.preventDefault();
        addCrossSell(suggestion);
      }
    }
  }

  // ---------------------------------------------------------------- wiring

  function wire() {
    $("btn-login").addEventListener("click", async () => {
      const seat = $("seat-select").value;
      if (await command("/api/engine/agent/login", { seat })) agentState.seat = seat;
    });
    $("btn-ready").addEventListener("click", () => command("/api/engine/agent/state", { state: "ready" }));
    $("btn-not-ready").addEventListener("click", () =>
      command("/api/engine/agent/state", { state: "not_ready", reason: $("reason-select").value }));
    $("btn-logout").addEventListener("click", () => command("/api/engine/agent/logout", {}));
    $("btn-extend").addEventListener("click", () =>
      command("/api/engine/agent/wrapup/extend", { seconds: config.wrapup_extension }));
    $("btn-hold").addEventListener("click", () => {
      callCommand("hold");
      $("btn-hold").hidden = true;
      $("btn-resume").hidden = false;
    });
    $("btn-resume").addEventListener("click", () => {
      callCommand("resume");
      $("btn-hold").hidden = false;
      $("btn-resume").hidden = true;
    });
    $("btn-hangup").addEventListener("click", () => callCommand("hangup"));
    $("btn-transfer").addEventListener("click", () => {
      const [kind, target] = $("transfer-target").value.split(/:(.*)/s);
      callCommand("transfer", kind === "queue" ? { queue: target } : { agent: target });
    });
    $("dial-form").addEventListener("submit", (event) => {
      event.preventDefault();
      dial($("dial-number").value.trim()); // a blank or wrong number is answered on the field
    });
    for (const button of document.querySelectorAll(".callback-scope")) {
      button.addEventListener("click", () => {
        $("callback-scope").value = button.dataset.scope;
        if (window.htmx) htmx.trigger("#callbacks", "refresh");
      });
    }
    $("callbacks").addEventListener("click", (event) => {
      const button = event.target.closest(".dial");
      if (button) dial(button.dataset.number);
    });
    $("customer-q").addEventListener("input", searchCustomers);
    $("customer-q").addEventListener("keydown", onCustomerKey);
    $("product-q").addEventListener("input", search);
    $("product-q").addEventListener("keydown", onSearchKey);
    $("address-text").addEventListener("change", parseAddress);
    for (const id of ["address-text", "address-select", "payment-method", "delivery-method", "redeem-points",
                      "points-reward"]) {
      $(id).addEventListener("change", () => quote()); // the warnings depend on them
    }
    $("order-form").addEventListener("input", fieldEdited);
    $("order-form").addEventListener("submit", (event) => {
      event.preventDefault();
      submitOrder();
    });
    $("order-form").addEventListener("keydown", (event) => {
      if (event.key === "Enter" && event.target.tagName !== "TEXTAREA" && event.target.tagName !== "BUTTON") {
        event.preventDefault();
        submitOrder();
      }
    });
    $("btn-new-order").addEventListener("click", () => startOrder(order));
    document.addEventListener("keydown", onGlobalKey);
    // Counted while capturing, before any field's handler can stop the key: keystrokes per order are measured.
    document.addEventListener("keydown", (event) => { if (event.isTrusted) record.keys += 1; }, true);
    setInterval(tick, 1000);
  }

  wire();
  startOrder(blankOrder(), false);
  showState();
  window.hotlineLive(config.ws, applyBatch, (message) => record.received.push(message.type),
                     (message) => message.type === "pop");
})();
