// Shared by the desk and the wallboard: a websocket that reconnects with back-off and hands its messages over
// in batches, once per animation frame, so a burst of events redraws the page once instead of flickering.
// An urgent message (the desk's screen pop) is handed over at once, with whatever came before it.
// The CSRF token the page's POSTs send (Django's cookie).
window.hotlineCsrf = function () {
  "use strict";
  const match = document.cookie.match(/(?:^|; )csrftoken=([^;]+)/);
  return match ? decodeURIComponent(match[1]) : "";
};

window.hotlineLive = function (path, onBatch, onMessage, urgent) {
  "use strict";
  const banner = document.getElementById("connection");
  let pending = [];
  let frame = 0;
  let retry = 1000;

  function flush() {
    frame = 0;
    const batch = pending;
    pending = [];
    onBatch(batch);
  }

  function schedule() {
    if (!frame) frame = requestAnimationFrame(flush);
  }

  function connect() {
    const scheme = location.protocol === "https:" ? "wss://" : "ws://";
    const socket = new WebSocket(scheme + location.host + path);
    socket.onopen = () => {
      retry = 1000;
      if (banner) banner.hidden = true;
    };
    socket.onmessage = (message) => {
      const data = JSON.parse(message.data);
      if (onMessage) onMessage(data);
      pending.push(data);
      if (urgent && urgent(data)) {
        if (frame) cancelAnimationFrame(frame);
        flush();
      } else {
        schedule();
      }
    };
    socket.onclose = (event) => {
      if (event.code === 4403) return; // not allowed: retrying will not help
      if (banner) banner.hidden = false;
      setTimeout(connect, retry); // on reconnect the server sends the whole state again
      retry = Math.min(retry * 2, 10000);
    };
  }

  connect();
  return { redraw: schedule };
};
