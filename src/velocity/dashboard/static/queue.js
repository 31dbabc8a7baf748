// The merge queue view: redrawn from each snapshot the server streams.
"use strict";
(function () {
  const el = (...a) => V.el(...a);

  function entries(queue) {
    if (!queue.entries.length) return el("p", { class: "muted" }, "No pull request queued.");
    return el("table", { class: "entries" },
      el("tr", {}, ["#", "PR", "head", "priority", "build", "state"].map((h) => el("th", {}, h))),
      queue.entries.map((e) => {
        const state = e.build_status || "waiting";
        return el("tr", { class: "pr-row", "data-pr": e.pr, "data-state": state },
          el("td", {}, e.position), el("td", {}, "#" + e.pr), el("td", {}, V.sha(e.head)),
          el("td", {}, e.priority), el("td", {}, e.build || "—"), el("td", {}, V.state(state)));
      }));
  }

  function tree(nodes) {
    return el("ul", { class: "tree" }, nodes.map((n) =>
      el("li", { "data-pr": n.pr },
        el("strong", {}, "#" + n.pr), " ",
        n.builds.map((b) => el("span", { class: "build", "data-build": b.id, "data-state": b.status },
          el("code", {}, b.id), " ", V.state(b.status), b.stale ? el("span", { class: "muted" }, " stale") : null, " ")),
        n.children.length ? tree(n.children) : null)));
  }

  // A stored reason as it is; for a record written before stores kept reasons, the
  // dashboard's guess (if it saw it happen), marked as not recorded.
  function reason(h) {
    if (h.recorded) return el("td", { class: "reason" }, h.reason);
    return el("td", { class: "reason muted", title: "not recorded by the store" },
      h.reason ? h.reason + " (guessed; not recorded)" : "not recorded");
  }

  function history(queue) {
    if (!queue.history.length) return el("p", { class: "muted" }, "Nothing merged or ejected yet.");
    return el("table", { class: "history" },
      el("tr", {}, ["PR", "outcome", "reason", "head", "when"].map((h) => el("th", {}, h))),
      queue.history.map((h) => el("tr", { class: "final-row", "data-pr": h.pr, "data-final": h.final,
        "data-recorded": h.recorded ? "yes" : "no" },
        el("td", {}, "#" + h.pr), el("td", {}, V.state(h.final)), reason(h),
        el("td", {}, h.sha ? V.sha(h.sha) : "—"),
        el("td", { class: "muted" }, h.at === null ? "—" : new Date(h.at * 1000).toLocaleString()))));
  }

  function card(queue) {
    const meta = [queue.backend, queue.location, queue.base_sha ? "base " + queue.base_sha.slice(0, 10) : null,
      `${queue.entries.length} queued, ${queue.finished_total} finished`].filter(Boolean).join(" · ");
    return el("section", { class: "card queue", "data-queue": queue.name },
      el("h3", {}, queue.name), el("div", { class: "meta" }, meta),
      queue.error ? el("p", { class: "error" }, queue.error) : null,
      queue.exists || queue.error ? null : el("p", { class: "muted" }, "No queue here yet."),
      el("div", { class: "cols" },
        el("div", {}, el("h2", {}, "Queue"), entries(queue)),
        el("div", {}, el("h2", {}, "Speculative builds"),
          queue.tree.length ? tree(queue.tree) : el("p", { class: "muted" }, "No build running."))),
      el("h2", {}, "Merged and ejected"), history(queue));
  }

  function render(snapshot) {
    const status = document.getElementById("queue-status");
    const count = snapshot.queues.length;
    status.textContent = snapshot.error ? snapshot.error
      : count ? `${count} queue${count > 1 ? "s" : ""} in ${snapshot.location} · live`
        : `No merge queue in ${snapshot.location} yet (quantum enqueue starts one) · live`;
    status.className = snapshot.error ? "error" : "muted";
    document.getElementById("queues").replaceChildren(...snapshot.queues.map(card));
    document.body.dataset.version = snapshot.version;
  }

  document.addEventListener("DOMContentLoaded", () => {
    V.json("api/queues").then(render).catch((err) => {
      document.getElementById("queue-status").textContent = err.message;
    });
    V.listen("api/queues/stream", { queues: render });
  });
})();
