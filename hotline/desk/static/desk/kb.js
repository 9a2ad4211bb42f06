// The desk's knowledge base panel: F6 searches, ↑/↓ move, Enter opens the article in the panel, and
// "this answered it" is counted. Before the agent types, it suggests the articles of the call's product
// (the pop card carries the call id; /desk/kb/suggest finds the airing's product, or the product on air).
(function () {
  "use strict";
  const panel = document.getElementById("kb-panel");
  if (!panel) return; // no kb.view_article: no panel
  const $ = (id) => document.getElementById(id);
  const input = $("kb-q");
  const list = $("kb-results");
  const record = (window.hotlineKb = { opened: [], answered: [], searches: 0 });
  let selected = 0;
  let callId = "";
  let productId = "";
  let timer = null;
  let sequence = 0;

  async function load(url) {
    const response = await fetch(url, { credentials: "same-origin", headers: { "HX-Request": "true" } });
    return response.text();
  }

  function items() {
    return Array.from(list.querySelectorAll("[role=option]"));
  }

  function highlight() {
    items().forEach((item, index) => {
      item.classList.toggle("selected", index === selected);
      item.setAttribute("aria-selected", index === selected ? "true" : "false");
    });
  }

  // Only the answer to the latest request is drawn: a slow answer for "退" never replaces the one for "退货".
  async function show(url) {
    const mine = ++sequence;
    const html = await load(url);
    if (mine !== sequence) return;
    list.innerHTML = html;
    selected = 0;
    highlight();
    const marker = list.querySelector("[data-product]");
    if (marker) {
      productId = marker.dataset.product;
      $("kb-product-only").disabled = false;
    }
    list.dataset.shown = input.value.trim();
  }

  function suggest() {
    show(panel.dataset.suggest + "?call_id=" + encodeURIComponent(callId));
  }

  function search() {
    const text = input.value.trim();
    const category = $("kb-category").value;
    const product = $("kb-product-only").checked ? productId : "";
    if (!text && !category && !product) {
      suggest();
      return;
    }
    record.searches += 1;
    const query = new URLSearchParams({ q: text, category, product });
    show(panel.dataset.search + "?" + query.toString());
  }

  async function open(index) {
    const item = items()[index];
    if (!item) return;
    const id = item.dataset.id;
    $("kb-article").innerHTML = await load(panel.dataset.article + id);
    record.opened.push(Number(id));
  }

  async function answered(button) {
    const response = await fetch(panel.dataset.article + button.dataset.id + "/answered", {
      method: "POST", credentials: "same-origin",
      headers: { "X-CSRFToken": window.hotlineCsrf(), "HX-Request": "true" },
    });
    $("kb-answered-result").innerHTML = await response.text();
    if (response.ok) {
      record.answered.push(Number(button.dataset.id));
      button.disabled = true; // once per reading: a double click is not two answers
    }
  }

  function onKey(event) {
    const count = items().length;
    if (event.key === "ArrowDown" && count) {
      selected = (selected + 1) % count;
      highlight();
      event.preventDefault();
    } else if (event.key === "ArrowUp" && count) {
      selected = (selected - 1 + count) % count;
      highlight();
      event.preventDefault();
    } else if (event.key === "Enter") {
      event.preventDefault();
      event.stopPropagation();
      if (count && list.dataset.shown === input.value.trim()) open(selected);
    } else if (event.key === "Escape") {
      input.value = "";
      search();
    }
  }

  // A new pop (another call) brings its own suggestions.
  function watchPop() {
    const pop = $("pop");
    if (!pop) return;
    new MutationObserver(() => {
      const card = pop.querySelector(".pop-card");
      const id = card ? card.dataset.callId || "" : "";
      if (id && id !== callId) {
        callId = id;
        if (!input.value.trim()) suggest();
      }
    }).observe(pop, { childList: true });
  }

  input.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(search, 120);
  });
  input.addEventListener("keydown", onKey);
  $("kb-category").addEventListener("change", search);
  $("kb-product-only").addEventListener("change", search);
  list.addEventListener("click", (event) => {
    const item = event.target.closest("[role=option]");
    if (!item) return;
    selected = items().indexOf(item);
    highlight();
    open(selected);
  });
  $("kb-article").addEventListener("click", (event) => {
    const button = event.target.closest("#kb-answered-btn");
    if (button) answered(button);
  });
  document.addEventListener("keydown", (event) => {
    if (event.key === "F6") {
      event.preventDefault();
      input.focus();
      input.select();
    }
  });
  watchPop();
  suggest();
})();
