// The desk's campaign panel: "Dial" places the previewed customer's call through click-to-dial and records
// the attempt on that call; "the caller agrees to the survey" flags the call on the pop. The panel itself is
// htmx (refreshed every 10 s). desk.js owns F2 F3 F7 F8 F9; this panel uses no function key.
(function () {
  "use strict";
  const panel = document.getElementById("campaign-panel");
  if (!panel) return;

  async function post(url, fields) {
    const body = new URLSearchParams(fields);
    const response = await fetch(url, { method: "POST", credentials: "same-origin", body,
      headers: { "X-CSRFToken": window.hotlineCsrf(), "HX-Request": "true" } });
    panel.innerHTML = await response.text();
    window.htmx.process(panel);
  }

  async function dial() {
    const card = panel.querySelector(".campaign-contact");
    if (!card) return;
    const response = await fetch("/api/engine/agent/dial", { method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": window.hotlineCsrf() },
      body: JSON.stringify({ number: card.dataset.number }) });
    const data = await response.json().catch(() => ({}));
    if (!response.ok) {
      const list = document.createElement("ul");
      list.className = "errors";
      list.setAttribute("role", "alert");
      const item = document.createElement("li");
      item.textContent = data.detail || Object.values(data.errors || {}).flat().join(" ") || response.statusText;
      list.appendChild(item);
      panel.prepend(list);
      return;
    }
    await post(panel.dataset.dialledUrl, { contact: card.dataset.contactId, call_id: data.call_id || "" });
  }

  function popCallId() {
    const card = document.querySelector("#pop .pop-card");
    return card ? card.dataset.callId || "" : "";
  }

  panel.addEventListener("click", (event) => {
    const target = event.target;
    if (!(target instanceof HTMLElement)) return;
    if (target.id === "campaign-dial") dial();
    else if (target.id === "campaign-survey") post(panel.dataset.surveyUrl, { call_id: popCallId() });
  });
})();
