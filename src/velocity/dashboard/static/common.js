// Shared by the views: JSON fetches, element building, server-sent events.
"use strict";
window.V = {
  async json(url) {
    const response = await fetch(url, { headers: { Accept: "application/json" } });
    const body = await response.json();
    if (!response.ok) throw new Error(body.error || response.statusText);
    return body;
  },
  el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
      else node.setAttribute(key, value === true ? "" : value);
    }
    for (const child of children.flat()) {
      if (child === null || child === undefined) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  },
  state(text) { return V.el("span", { class: "state " + text }, text); },
  sha(value) { return V.el("span", { class: "sha", title: value || "" }, (value || "").slice(0, 10)); },
  time(seconds) { return new Date(seconds * 1000).toLocaleTimeString(); },
  listen(url, handlers) {
    const source = new EventSource(url);
    for (const [name, fn] of Object.entries(handlers)) {
      source.addEventListener(name, (e) => fn(JSON.parse(e.data)));
    }
    return source;
  },
};
