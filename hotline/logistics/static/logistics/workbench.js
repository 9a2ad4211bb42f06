// The logistics workbench's keys (no inline scripts: the CSP forbids them).
//  - [data-key="x"]: pressing x outside a text field clicks the element, or focuses it when it is a field;
//  - table[data-nav]: j/k move the current row, x ticks its checkbox, a ticks all, and a [data-row-key]
//    inside the current row is clicked by its key (a batch's print buttons);
//  - input[data-enter-next="#id"]: Enter moves to that field (scan the order, then the waybill);
//  - input[data-enter-clicks="#id"]: Enter clicks that button instead of submitting the first one;
//  - after htmx swaps a fragment in, the field marked [data-focus] gets the focus.
"use strict";

(function () {
  const TYPING = /^(INPUT|TEXTAREA|SELECT)$/;

  function typing(element) {
    if (!element || !TYPING.test(element.tagName)) return false;
    return !(element.tagName === "INPUT" && ["checkbox", "radio", "submit", "button"].includes(element.type));
  }

  function navTable() { return document.querySelector("table[data-nav]"); }
  function rows(table) { return Array.from(table.querySelectorAll("tbody tr[data-row]")); }
  function current(table) { return table.querySelector("tbody tr.current"); }

  function move(table, step) {
    const all = rows(table);
    if (!all.length) return;
    const index = all.indexOf(current(table));
    const next = all[Math.max(0, Math.min(all.length - 1, index < 0 ? 0 : index + step))];
    all.forEach((row) => row.classList.toggle("current", row === next));
    next.scrollIntoView({ block: "nearest" });
    const box = next.querySelector("input[type=checkbox]");
    if (box) box.focus({ preventScroll: true });
  }

  function tickAll(table) {
    const boxes = Array.from(table.querySelectorAll("tbody input[type=checkbox]"));
    const on = boxes.some((box) => !box.checked);
    boxes.forEach((box) => { box.checked = on; });
    const head = table.querySelector("[data-select-all]");
    if (head) head.checked = on;
  }

  function activate(element) {
    if (typing(element)) { element.focus(); if (element.select) element.select(); } else { element.click(); }
  }

  document.addEventListener("keydown", (event) => {
    const target = event.target;
    if (event.key === "Enter" && target.matches && target.matches("input[data-enter-next]")) {
      event.preventDefault();
      if (target.value.trim()) { const next = document.querySelector(target.dataset.enterNext); if (next) { next.focus(); next.select(); } }
      return;
    }
    if (event.key === "Enter" && target.matches && target.matches("input[data-enter-clicks]")) {
      event.preventDefault();
      const button = document.querySelector(target.dataset.enterClicks);
      if (button) button.click();
      return;
    }
    if (event.key === "Escape" && typing(target)) { target.blur(); return; }
    if (typing(target) || event.ctrlKey || event.metaKey || event.altKey) return;
    const table = navTable();
    if (table && (event.key === "j" || event.key === "k")) { event.preventDefault(); move(table, event.key === "j" ? 1 : -1); return; }
    if (table && event.key === "x") {
      event.preventDefault();
      if (!current(table)) move(table, 0);
      const box = current(table) && current(table).querySelector("input[type=checkbox]");
      if (box) box.checked = !box.checked;
      return;
    }
    if (table && event.key === "a" && table.querySelector("tbody input[type=checkbox]")) { event.preventDefault(); tickAll(table); return; }
    const row = table && current(table);
    const inRow = row && row.querySelector(`[data-row-key="${CSS.escape(event.key)}"]`);
    if (inRow) { event.preventDefault(); inRow.click(); return; }
    const keyed = document.querySelector(`[data-key="${CSS.escape(event.key)}"]`);
    if (keyed && !keyed.disabled) { event.preventDefault(); activate(keyed); }
  });

  document.addEventListener("change", (event) => {
    if (event.target.matches && event.target.matches("[data-select-all]")) {
      const table = event.target.closest("table");
      table.querySelectorAll("tbody input[type=checkbox]").forEach((box) => { box.checked = event.target.checked; });
    }
  });

  // Focus the marked field and select its text (a rescan replaces it): right after a swap always (htmx may
  // have put the focus back on a field of the same id), otherwise only when the focus moves there, never
  // again once it is there: the clerk may already be typing into it.
  function focusMarked(always) {
    const field = document.querySelector("[data-focus]");
    if (field && (always || document.activeElement !== field)) { field.focus(); if (field.select) field.select(); }
  }

  function start(event) {
    focusMarked(Boolean(event && event.type === "htmx:afterSwap"));
    const table = navTable();
    if (table && rows(table).length && !current(table)) rows(table)[0].classList.add("current");
  }

  // afterSwap runs in the swap's own task, before htmx's settle: the right field has the focus before the
  // next scanned key arrives (a target swapped with outerHTML is detached by then: swap innerHTML). htmx:load
  // covers fragments whose target was replaced.
  document.addEventListener("htmx:afterSwap", start);
  document.addEventListener("htmx:load", start);
  document.addEventListener("DOMContentLoaded", start);
})();
