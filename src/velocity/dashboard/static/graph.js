// The dependency graph view: cytoscape with positions computed by the server.
"use strict";
(function () {
  const $ = (id) => document.getElementById(id);
  const css = (name) => getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  let cy = null;
  let data = null;

  function elements(graph) {
    const out = graph.groups.map((g, i) => ({
      group: "nodes", data: { id: "dir:" + i, label: g.label }, classes: "dir",
      position: { x: g.x, y: g.y }, selectable: false, grabbable: false,
    }));
    for (const n of graph.nodes) {
      const classes = [n.test && "test", n.affected && "affected", n.changed && "changed",
        n.error && "broken"].filter(Boolean).join(" ");
      const label = n.id.slice(n.id.lastIndexOf("/") + 1);
      out.push({ group: "nodes", data: { id: n.id, label }, position: { x: n.x, y: n.y }, classes });
    }
    graph.edges.forEach((e, i) => out.push({
      group: "edges", data: { id: "e" + i, source: e.source, target: e.target },
      classes: e.deep ? "" : "shallow",
    }));
    return out;
  }

  function style(big) {
    return [
      { selector: "node", style: { width: 14, height: 14, "background-color": css("--muted"),
        label: "data(label)", "font-size": 9, color: css("--fg"), "text-valign": "bottom",
        "text-margin-y": 3, "min-zoomed-font-size": 7 } },
      { selector: "node.dir", style: { width: 1, height: 1, "background-opacity": 0,
        "font-size": 13, "font-weight": 600, color: css("--muted"), "text-halign": "right",
        "text-valign": "center", "min-zoomed-font-size": 4, events: "no" } },
      { selector: "node.test", style: { shape: "round-rectangle", "background-color": css("--test") } },
      { selector: "node.affected", style: { "background-color": css("--affected") } },
      { selector: "node.changed", style: { "background-color": css("--changed"), width: 20, height: 20 } },
      { selector: "node.hit", style: { "border-width": 4, "border-color": css("--accent"), width: 24, height: 24 } },
      { selector: "node.chain", style: { "border-width": 3, "border-color": css("--accent") } },
      { selector: "edge", style: { width: 1, "line-color": css("--line"), "curve-style": "haystack",
        "haystack-radius": 0, opacity: big ? 0.15 : 0.8 } },
      { selector: "edge.near", style: { "line-color": css("--accent"), opacity: 0.9, width: 2 } },
      { selector: "edge.shallow", style: { "line-style": "dashed" } },
      { selector: "edge.chain", style: { width: 3, "line-color": css("--accent"), opacity: 1,
        "curve-style": "bezier", "target-arrow-shape": "triangle", "target-arrow-color": css("--accent") } },
      { selector: ".hidden", style: { display: "none" } },
    ];
  }

  function item(text, onclick) { return V.el("li", { onclick, title: text }, text); }

  function summary(graph) {
    const rows = [["files", graph.nodes.length], ["imports", graph.edges.length],
      ["changed", graph.changed.length], ["affected", graph.affected.length],
      ["tests selected", graph.selected_tests.length], ["base", graph.base],
      ["built in", graph.seconds + " s"]];
    $("summary").replaceChildren(...rows.flatMap(([k, v]) =>
      [V.el("dt", {}, k), V.el("dd", { id: "stat-" + k.replace(/ /g, "-") }, v)]));
    $("reasons").textContent = graph.run_all ? "Runs every test: " + graph.reasons.join("; ") : "";
    $("changed-list").replaceChildren(...graph.changed.map((p) => item(p, () => focus(p))));
    $("tests-list").replaceChildren(...graph.selected_tests.map((p) => item(p, () => why(p))));
  }

  function focus(id) {
    const node = cy.getElementById(id);
    if (node.empty()) return;
    cy.batch(() => {
      cy.elements().removeClass("hit hidden near");
      node.addClass("hit");
      node.connectedEdges().addClass("near");
      if ($("neighbourhood").checked) {
        const keep = node.closedNeighborhood();
        cy.elements().not(keep).not(".dir").addClass("hidden");
        cy.nodes(".dir").addClass("hidden");
      }
    });
    if ($("neighbourhood").checked) {
      cy.fit(node.closedNeighborhood(), 60);
      if (cy.zoom() > 1.5) { cy.zoom(1.5); cy.center(node.closedNeighborhood()); }
    }
    else { cy.zoom(Math.min(Math.max(cy.zoom(), 0.8), 1.2)); cy.center(node); }
    document.body.dataset.focused = id;
  }

  async function why(test) {
    const chain = await V.json("api/graph/why?test=" + encodeURIComponent(test));
    cy.elements().removeClass("chain");
    const list = [V.el("li", {}, test)];
    for (const hop of chain.chain) {
      cy.getElementById(hop.source).addClass("chain");
      cy.getElementById(hop.target).addClass("chain");
      cy.edges().filter((e) => e.data("source") === hop.source && e.data("target") === hop.target)
        .addClass("chain");
      list.push(V.el("li", {}, hop.target,
        V.el("span", { class: "via" }, `${hop.source}:${hop.line} imports ${hop.spec}`)));
    }
    if (!chain.reachable) list.push(V.el("li", { class: "muted" }, "reaches no changed file"));
    $("why").replaceChildren(...list);
    $("why").dataset.test = test;
  }

  function search(query, jump) {
    const q = query.trim().toLowerCase();
    const hits = q ? data.nodes.filter((n) => n.id.toLowerCase().includes(q)).slice(0, 50) : [];
    $("hits").replaceChildren(...hits.map((n) => item(n.id, () => focus(n.id))));
    if (jump && hits.length) focus(hits[0].id);
  }

  async function load(refresh) {
    data = await V.json("api/graph" + (refresh ? "?refresh=1" : ""));
    if (cy) cy.destroy();
    cy = cytoscape({
      container: $("graph"), elements: elements(data), style: style(data.edges.length > 1000),
      layout: { name: "preset" }, hideEdgesOnViewport: data.nodes.length > 500,
      textureOnViewport: data.nodes.length > 500, pixelRatio: 1, minZoom: 0.02, maxZoom: 4,
    });
    cy.on("tap", "node", (e) => {
      const id = e.target.id();
      if (e.target.hasClass("test")) why(id);
      focus(id);
    });
    window.velocityGraph = cy;
    summary(data);
    document.body.dataset.ready = "graph";
  }

  document.addEventListener("DOMContentLoaded", () => {
    $("search").addEventListener("input", (e) => search(e.target.value, false));
    $("search-form").addEventListener("submit", (e) => { e.preventDefault(); search($("search").value, true); });
    $("neighbourhood").addEventListener("change", () => {
      if (document.body.dataset.focused) focus(document.body.dataset.focused);
      else cy.elements().removeClass("hidden");
    });
    $("refresh").addEventListener("click", () => load(true));
    load(false).catch((err) => {
      $("graph").replaceChildren(V.el("p", { class: "error", id: "graph-error" }, err.message));
    });
  });
})();
