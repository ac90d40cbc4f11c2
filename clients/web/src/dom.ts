// The one DOM helper everything else builds on.

/** Creates an element with attributes and children. */
export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string> = {},
  ...children: (Node | string)[]
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  for (const child of children) node.append(child);
  return node;
}

const ICONS = {
  chat: '<path d="M4 4h16a2 2 0 0 1 2 2v9a2 2 0 0 1-2 2H10l-5 4v-4H4a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2z"/>',
  mic: '<rect x="9" y="2" width="6" height="12" rx="3"/><path d="M5.5 11a6.5 6.5 0 0 0 13 0M12 17.5V21M8 21h8" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round"/>',
  camera: '<rect x="2" y="6" width="13" height="12" rx="2"/><path d="M16 10.5l6-3.5v10l-6-3.5z"/>',
  hangup: '<path d="M2.5 14.5c5.2-5.3 13.8-5.3 19 0l-2.4 2.9-4.1-1.7v-2.4a10 10 0 0 0-6 0v2.4l-4.1 1.7z"/>',
};

/** A small inline icon (decorative: the button carries the label). */
export function icon(name: keyof typeof ICONS): HTMLElement {
  const span = el("span", { class: "seam-icon", "aria-hidden": "true" });
  span.innerHTML = `<svg viewBox="0 0 24 24" width="20" height="20" fill="currentColor">${ICONS[name]}</svg>`;
  return span;
}
