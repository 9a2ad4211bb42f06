// The desk's order-task worklist (订单任务): "Call" goes through the desk's own dial form, so the number is
// dialled and its errors are shown exactly as for a typed number; mine / all; a refresh every 30 s that
// waits while the agent is writing a note (a refresh would throw the note away).
(function () {
  "use strict";
  const list = document.getElementById("order-tasks");
  if (!list) return;
  const scope = document.getElementById("task-scope");

  function refresh() {
    if (window.htmx) htmx.trigger(list, "refresh");
  }

  function writing() {
    return list.contains(document.activeElement) ||
      Array.from(list.querySelectorAll("input[name=note]")).some((input) => input.value.trim() !== "");
  }

  list.addEventListener("click", (event) => {
    const button = event.target.closest(".task-dial");
    if (!button) return;
    document.getElementById("dial-number").value = button.dataset.number;
    document.getElementById("dial-form").requestSubmit();
  });
  const scopeButtons = Array.from(document.querySelectorAll(".task-scope"));
  function showScope() {
    for (const button of scopeButtons) button.setAttribute("aria-pressed", String(button.dataset.scope === scope.value));
  }
  for (const button of scopeButtons) {
    button.addEventListener("click", () => {
      scope.value = button.dataset.scope;
      showScope();
      refresh();
    });
  }
  showScope();
  setInterval(() => {
    if (!writing()) refresh();
  }, 30000);
})();
