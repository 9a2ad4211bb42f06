// Wallboard: the floor's snapshot on (re)connect, then live queue, line and agent changes.
// Messages come in batches (desk/live.js), so a surge of events redraws the board once.
(function () {
  "use strict";
  const config = JSON.parse(document.getElementById("wallboard-config").textContent);
  const $ = (id) => document.getElementById(id);
  const floor = { queues: {}, agents: {}, calls: [], callbacks: {}, lines: {}, refused: 0, airing: null };
  const live = {}; // queue → figures from the engine's QueueStatsChanged (waiting, agents ready/busy)
  const record = (window.hotlineWallboard = { updates: 0, floor });
  let chart = null;

  async function command(url, body) {
    const banner = $("wb-error");
    banner.hidden = true;
    const response = await fetch(url, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": window.hotlineCsrf() },
      body: JSON.stringify(body || {}),
    });
    if (!response.ok) {
      let data = {};
      try { data = await response.json(); } catch (e) { data = {}; }
      banner.textContent = data.detail || response.statusText;
      banner.hidden = false;
    }
  }

  // ---------------------------------------------------------------- state from messages

  // The database is written a moment after the engine's live events (seconds behind in a surge): a snapshot
  // never takes an agent back to an older state, and once the engine has reported its lines, they win.
  let liveLines = false;

  function applySnapshot(message) {
    const snapshot = message.floor;
    floor.queues = {};
    for (const queue of snapshot.queues) floor.queues[queue.name] = queue;
    const agents = {};
    for (const agent of snapshot.agents) {
      const known = floor.agents[agent.agent];
      agents[agent.agent] = known && Date.parse(known.since) > Date.parse(agent.since)
        ? Object.assign({}, known, { name: agent.name }) : agent;
    }
    for (const [key, known] of Object.entries(floor.agents)) { // signed in after the database was read
      if (!agents[key] && Date.parse(known.since) > Date.parse(snapshot.at)) agents[key] = known;
    }
    floor.agents = agents;
    floor.callbacks = snapshot.callbacks;
    if (!liveLines) floor.lines = Object.assign({}, floor.lines, snapshot.lines);
    floor.airing = snapshot.airing;
    floor.calls = message.calls;
  }

  function applyEvent(message) {
    const event = message.event;
    if (message.type === "queue_live") {
      live[event.queue] = event;
    } else if (message.type === "lines") {
      liveLines = true;
      floor.lines = { in_use: event.in_use, lines: event.lines || null };
      floor.refused = event.refused;
    } else if (message.type === "alert") { // a seat locked for password guessing: stays until the next command
      $("wb-error").textContent = message.text; $("wb-error").hidden = false;
    } else if (message.type === "message") {
      if (window.htmx && document.getElementById("questions")) htmx.trigger(document.body, "refresh-questions");
    } else if (message.type === "agent") {
      if (event.state === "logged_out") delete floor.agents[event.agent];
      else floor.agents[event.agent] = Object.assign({}, floor.agents[event.agent] || { name: nameOf(event.agent) },
        { agent: event.agent, state: event.state, reason: event.reason, seat: event.seat, since: event.at,
          phone_online: event.phone_online !== false });
    }
  }

  // ---------------------------------------------------------------- drawing

  // Engine names are codes: people read queue labels (订购) and agents' names, never user names.
  const labelOf = (queue) => (config.queues && config.queues[queue]) || queue;
  const nameOf = (agent) => (config.names && config.names[agent]) || agent;

  function setFigure(name, value) {
    const element = document.querySelector('[data-figure="' + name + '"]');
    if (element && element.textContent !== String(value)) element.textContent = value;
  }

  function since(iso) {
    if (!iso) return "";
    const seconds = Math.max(0, Math.floor((Date.now() - Date.parse(iso)) / 1000));
    const m = Math.floor(seconds / 60);
    const s = seconds % 60;
    return m + ":" + (s < 10 ? "0" : "") + s;
  }

  function queueFigures(queue) {
    const engine = live[queue.name];
    return engine ? Object.assign({}, queue, { waiting: engine.waiting,
      longest_wait_seconds: Math.round(engine.longest_wait_seconds), ready: engine.agents_ready,
      busy: engine.agents_busy }) : queue;
  }

  function draw() {
    const queues = Object.values(floor.queues).map(queueFigures);
    const sum = (key) => queues.reduce((total, queue) => total + (queue[key] || 0), 0);
    setFigure("waiting", sum("waiting"));
    setFigure("longest", Math.max(0, ...queues.map((q) => q.longest_wait_seconds || 0)) + "s");
    $("tile-waiting").classList.toggle("alert", sum("waiting") > 0);
    setFigure("answered", sum("answered"));
    setFigure("abandoned", sum("abandoned"));
    setFigure("captured", floor.callbacks.captured_today || 0);
    setFigure("pending", floor.callbacks.pending || 0);
    setFigure("lines", (floor.lines.in_use || 0) + (floor.lines.lines ? " / " + floor.lines.lines : ""));
    setFigure("refused", floor.refused);
    drawRows("queues", queues.map((q) => [q.label || labelOf(q.name), q.waiting, (q.longest_wait_seconds || 0) + "s",
      q.service_level === null || q.service_level === undefined ? "—" : q.service_level + "%",
      q.answered, q.abandoned, q.ready === undefined ? "—" : q.ready + " / " + q.busy]));
    drawAgents();
    drawCalls();
    drawAiring();
    record.updates += 1;
  }

  function drawRows(tableId, rows) {
    const body = $(tableId).tBodies[0];
    body.textContent = "";
    for (const cells of rows) {
      const row = body.insertRow();
      for (const cell of cells) {
        const td = row.insertCell();
        if (cell instanceof Node) td.appendChild(cell);
        else td.textContent = cell === undefined || cell === null ? "" : cell;
      }
    }
  }

  function button(label, onClick) {
    const element = document.createElement("button");
    element.type = "button";
    element.textContent = label;
    element.addEventListener("click", onClick);
    return element;
  }

  function group(...buttons) {
    const span = document.createElement("span");
    for (const b of buttons) span.append(b, " ");
    return span;
  }

  // A ready agent whose seat phone is not registered is offered no call: "就绪·话机离线", shown apart.
  function stateText(agent) {
    const offline = agent.phone_online === false;
    if (offline && agent.state === "ready") return config.states.ready_offline || config.texts.phone_offline;
    return (config.states[agent.state] || agent.state) +
      (agent.reason ? " · " + (config.reasons[agent.reason] || agent.reason) : "") +
      (offline ? " · " + config.texts.phone_offline : "");
  }

  function stateBadge(agent) {
    const badge = document.createElement("span");
    badge.className = "agent-state";
    badge.dataset.state = agent.state;
    badge.dataset.phone = agent.phone_online === false ? "offline" : "online";
    badge.textContent = stateText(agent);
    return badge;
  }

  function drawAgents() {
    // By seat (A-02 before A-10), then by user name for agents without one: the floor's order, not the alphabet's.
    const bySeat = (a, b) => (a.seat || "\uffff").localeCompare(b.seat || "\uffff", undefined, { numeric: true })
      || a.agent.localeCompare(b.agent, undefined, { numeric: true });
    const agents = Object.values(floor.agents).sort(bySeat);
    drawRows("agents", agents.map((agent) => {
      const cells = [agent.name, stateBadge(agent), since(agent.since), agent.seat];
      if (config.can_act) cells.push(group(
        button(config.texts.ready, () => command("/api/engine/agent/state", { agent: agent.agent, state: "ready" })),
        button(config.texts.not_ready, () => command("/api/engine/agent/state",
          { agent: agent.agent, state: "not_ready", reason: $("reason-select").value })),
        button(config.texts.logout, () => command("/api/engine/agent/logout", { agent: agent.agent }))));
      return cells;
    }));
  }

  function callActions(call) {
    const url = "/api/engine/calls/" + encodeURIComponent(call.call_id) + "/";
    const transfer = () => {
      const [kind, target] = $("transfer-target").value.split(/:(.*)/s);
      return command(url + "transfer", kind === "queue" ? { queue: target } : { agent: target });
    };
    const actions = [];
    if (call.phase === "talking") {
      for (const mode of ["listen", "whisper", "barge"]) {
        actions.push(button(config.texts[mode], () => command(url + "monitor", { mode })));
      }
    } else {
      actions.push(button(config.texts.pickup, () => command(url + "pickup")));
    }
    actions.push(button(config.texts.transfer, transfer), button(config.texts.hangup, () => command(url + "hangup")));
    return group(...actions);
  }

  function drawCalls() {
    drawRows("calls", floor.calls.map((call) => {
      const agent = floor.agents[call.agent];
      const cells = [call.caller, labelOf(call.queue), agent ? agent.name : nameOf(call.agent),
                     config.phases[call.phase] || call.phase,
                     since(call.since)];
      if (config.can_act) cells.push(callActions(call));
      return cells;
    }));
  }

  function drawAiring() {
    const airing = floor.airing;
    $("airing-title").textContent = airing ? airing.station + (airing.product ? " · " + airing.product : "") +
      " · " + config.texts.calls + " " + airing.calls : config.texts.airing_none;
    if (!window.echarts) return;
    if (!chart) chart = echarts.init($("airing-chart"), null, { renderer: "svg" });
    const points = airing ? airing.per_minute : [];
    chart.setOption({
      animation: false,
      grid: { left: 40, right: 10, top: 20, bottom: 30 },
      textStyle: { color: "#9fb3c8" },
      xAxis: { type: "category", data: points.map((p) => "+" + p[0]), axisLabel: { color: "#9fb3c8" } },
      yAxis: { type: "value", minInterval: 1, axisLabel: { color: "#9fb3c8" }, splitLine: { lineStyle: { color: "#24313f" } } },
      series: [{ type: "bar", data: points.map((p) => p[1]), itemStyle: { color: "#4fa3ff" } }],
    });
  }

  // ---------------------------------------------------------------- live messages

  function applyBatch(batch) {
    for (const message of batch) {
      if (message.type === "snapshot") applySnapshot(message);
      else applyEvent(message);
    }
    draw();
  }

  const socket = window.hotlineLive(config.ws, applyBatch);
  setInterval(() => {
    $("wb-clock").textContent = new Date().toLocaleTimeString();
    socket.redraw(); // times in state move on between events
  }, 1000);
})();
