// The live logs view: one panel per agent, lines appended as the server streams them.
"use strict";
(function () {
  const el = (...a) => V.el(...a);
  const KEEP = 2000;

  function line(l) {
    const text = l.stream === "event" ? `[${l.kind || "event"}] ${l.text}` : l.text;
    return el("div", { class: `line ${l.stream}`, "data-kind": l.kind || null, "data-seq": l.seq },
      el("span", { class: "t" }, V.time(l.time)), text);
  }

  function panel(agent) {
    const log = el("div", { class: "log", id: "log-" + agent.index });
    const status = el("span", { class: "agent-status muted" }, agent.status);
    const box = el("section", { class: "card agent", "data-target": agent.target },
      el("h3", {}, agent.target, " ", status), log);
    V.listen(`api/agents/${agent.index}/stream`, {
      status(a) {
        status.textContent = a.error ? `${a.status}: ${a.error}` : a.status;
        status.className = "agent-status " + (a.status === "error" ? "error" : "muted");
        box.dataset.status = a.status;
      },
      line(l) {
        const stick = log.scrollTop + log.clientHeight >= log.scrollHeight - 20;
        log.append(line(l));
        while (log.childElementCount > KEEP) log.firstElementChild.remove();
        if (stick) log.scrollTop = log.scrollHeight;
      },
    });
    return box;
  }

  document.addEventListener("DOMContentLoaded", async () => {
    const filter = document.getElementById("logs-filter");
    filter.addEventListener("change", () => { document.body.dataset.filter = filter.value; });
    const status = document.getElementById("logs-status");
    try {
      const { agents } = await V.json("api/agents");
      status.textContent = agents.length ? `${agents.length} agent${agents.length > 1 ? "s" : ""}`
        : "No agent configured: start the dashboard with --agent agent://HOST:PORT.";
      document.getElementById("agents").replaceChildren(...agents.map(panel));
    } catch (err) {
      status.textContent = err.message;
      status.className = "error";
    }
  });
})();
