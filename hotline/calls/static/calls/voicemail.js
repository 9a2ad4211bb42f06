// The voicemail worklist: "call back" dials the caller from the user's seat through the desk's dial
// (POST /api/engine/agent/dial), and only once the engine has taken the call marks the voicemail called back.
(function () {
  "use strict";
  const texts = JSON.parse(document.getElementById("voicemail-texts").textContent);
  const banner = document.getElementById("voicemail-error");

  function csrf(form) {
    return form.querySelector("input[name=csrfmiddlewaretoken]").value;
  }

  function messagesOf(data) {
    if (data.detail) return [data.detail];
    return Object.values(data.errors || {}).flat();
  }

  document.addEventListener("submit", async (event) => {
    const form = event.target.closest("form.call-back");
    if (!form || form.dataset.dialled === "yes") return;
    event.preventDefault();
    banner.hidden = true;
    const number = form.querySelector("button").dataset.number;
    let response;
    try {
      response = await fetch("/api/engine/agent/dial", {
        method: "POST", credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRFToken": csrf(form) },
        body: JSON.stringify({ number }),
      });
    } catch (error) {
      response = null;
    }
    if (response && response.ok) {
      form.dataset.dialled = "yes";
      form.submit();
      return;
    }
    let data = {};
    try {
      data = response ? await response.json() : {};
    } catch (error) {
      data = {};
    }
    banner.textContent = messagesOf(data).join(" ") || texts.failed;
    banner.hidden = false;
  });
})();
