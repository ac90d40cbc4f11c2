// The live supervisor dashboard: queues (waiting, longest wait, agents
// available, service level and abandonment over the last hour), agents by
// status and load, the live sessions with their mode, and two charts (the
// wait before answer over the last hour; sessions per mode over time).
// Updated by the broker every few seconds over the WebSocket
// (`subscribe_stats`), never by polling.
//
// Configured by the page's query string: `token-url` (an endpoint answering
// {"token": "..."} with a supervisor token), `url` (the broker's WebSocket
// URL), `locale`.

import { Seam, type Mode, type Overview } from "@seam/sdk";
import { STYLE } from "./style.js";
import { duration, format, stringsFor, type Strings } from "./strings.js";
import { defaultUrl, el, tokenFrom } from "./ui.js";

const params = new URLSearchParams(location.search);
const MODES: Mode[] = ["chat", "voice", "video"];
const MODE_COLOURS: Record<Mode, string> = { chat: "#2b4c7e", voice: "#2e7d4f", video: "#b3541e" };
/** Samples kept for the sessions-per-mode chart (one per push). */
const HISTORY = 90;
/** Wait buckets, upper bounds in seconds. */
const BUCKETS: [string, number][] = [["< 10 s", 10], ["10–30 s", 30], ["30–60 s", 60], ["1–2 min", 120], ["> 2 min", Infinity]];

const SVG = "http://www.w3.org/2000/svg";
function svg(tag: string, attrs: Record<string, string | number>): SVGElement {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  return node;
}

function table(headings: string[], rows: (string | Node)[][], testId: string): HTMLTableElement {
  return el(
    "table",
    { "data-testid": testId },
    el("thead", {}, el("tr", {}, ...headings.map((h) => el("th", { scope: "col" }, h)))),
    el("tbody", {}, ...rows.map((r) => el("tr", {}, ...r.map((c) => el("td", {}, c))))),
  );
}

function percent(n: number, d: number): string {
  return d > 0 ? `${Math.round((100 * n) / d)} %` : "–";
}

/** Bars of how long answered sessions waited, over the last hour. */
function waitChart(waits: number[], s: Strings): SVGElement {
  const counts = BUCKETS.map(() => 0);
  for (const ms of waits) counts[BUCKETS.findIndex(([, max]) => ms / 1000 < max)] += 1;
  const top = Math.max(1, ...counts);
  const chart = svg("svg", { viewBox: "0 0 360 140", role: "img", "aria-label": s.waitChartTitle, "data-testid": "wait-chart" });
  BUCKETS.forEach(([label], i) => {
    const h = (90 * counts[i]) / top;
    const x = 10 + i * 70;
    chart.append(svg("rect", { x, y: 110 - h, width: 50, height: h, fill: "#2b4c7e", "data-count": counts[i] }));
    const value = svg("text", { x: x + 25, y: 106 - h, "text-anchor": "middle" });
    value.textContent = String(counts[i]);
    const name = svg("text", { x: x + 25, y: 128, "text-anchor": "middle" });
    name.textContent = label;
    chart.append(value, name);
  });
  return chart;
}

/** Lines of how many live sessions were in each mode, push after push. */
function modeChart(history: Record<Mode, number>[], s: Strings): SVGElement {
  const chart = svg("svg", { viewBox: "0 0 360 140", role: "img", "aria-label": s.modeChartTitle, "data-testid": "mode-chart" });
  const top = Math.max(1, ...history.flatMap((h) => MODES.map((m) => h[m])));
  const step = 340 / Math.max(1, HISTORY - 1);
  MODES.forEach((mode, i) => {
    const points = history.map((h, j) => `${10 + j * step},${110 - (100 * h[mode]) / top}`).join(" ");
    chart.append(svg("polyline", { points, fill: "none", stroke: MODE_COLOURS[mode], "stroke-width": 2, "data-mode": mode }));
    const last = history[history.length - 1]?.[mode] ?? 0;
    const key = svg("text", { x: 10 + i * 110, y: 130, fill: MODE_COLOURS[mode], "data-testid": `mode-count-${mode}` });
    key.textContent = `${mode}: ${last}`;
    chart.append(key);
  });
  return chart;
}

async function main(): Promise<void> {
  const s = stringsFor(params.get("locale") ?? document.documentElement.lang, params.get("strings"));
  document.head.append(el("style", {}, STYLE));
  const updated = el("span", { role: "status", "data-testid": "updated" }, "");
  const queues = el("section", { "aria-labelledby": "seam-q-h" });
  const agents = el("section", { "aria-labelledby": "seam-a-h" });
  const sessions = el("section", { "aria-labelledby": "seam-s-h" });
  const waits = el("section", { "aria-labelledby": "seam-w-h" });
  const modes = el("section", { "aria-labelledby": "seam-m-h" });
  const root = el(
    "main",
    { class: "seam-dashboard", id: "seam-dashboard" },
    el("header", {}, el("h1", {}, s.dashboardTitle), updated),
    queues,
    agents,
    sessions,
    waits,
    modes,
  );
  document.body.append(root);

  const tokenUrl = params.get("token-url");
  if (!tokenUrl) {
    updated.textContent = "open this page with ?token-url=<endpoint answering {token}> (a supervisor token)";
    return;
  }
  const seam = await Seam.connect({ url: params.get("url") ?? defaultUrl(), token: tokenFrom(tokenUrl) });
  const history: Record<Mode, number>[] = [];
  const show = (overview: Overview, at: number) => {
    updated.textContent = format(s.updatedAt, { time: new Date(at).toLocaleTimeString() });
    queues.replaceChildren(
      el("h2", { id: "seam-q-h" }, s.queuesTitle),
      table(
        [s.queueCol, s.waitingCol, s.longestWaitCol, s.availableCol, s.serviceLevelCol, s.abandonedCol],
        overview.queues.map((q) => [
          q.name,
          String(q.waiting),
          q.waiting > 0 ? duration(q.longest_wait_ms ?? 0) : "–",
          String(q.agents_available),
          percent(q.answered_in_target_last_hour ?? 0, (q.answered_last_hour ?? 0) + (q.abandoned_last_hour ?? 0)),
          percent(q.abandoned_last_hour ?? 0, (q.answered_last_hour ?? 0) + (q.abandoned_last_hour ?? 0)),
        ]),
        "queues",
      ),
    );
    const byStatus = { available: 0, away: 0, offline: 0 };
    for (const a of overview.agents) byStatus[a.status] += 1;
    agents.replaceChildren(
      el("h2", { id: "seam-a-h" }, s.agentsTitle),
      el("p", { "data-testid": "agents-by-status" }, `${s.statusAvailable} ${byStatus.available} · ${s.statusAway} ${byStatus.away} · ${s.statusOffline} ${byStatus.offline}`),
      table(
        [s.agentCol, s.statusCol, s.loadCol],
        overview.agents.map((a) => [a.agent.name ?? a.agent.sub, a.status, `${a.sessions}/${a.capacity}`]),
        "agents",
      ),
    );
    sessions.replaceChildren(
      el("h2", { id: "seam-s-h" }, s.liveSessionsTitle),
      table(
        [s.customerCol, s.queueCol, s.modeCol, s.withCol],
        overview.sessions.map((x) => [
          x.customer.name ?? x.customer.sub,
          x.queue ?? "–",
          x.mode,
          x.waiting ? s.waitingForAgent : x.staff.map((p) => p.name ?? p.sub).join(", "),
        ]),
        "live-sessions",
      ),
    );
    const allWaits = overview.queues.flatMap((q) => q.waits_last_hour_ms ?? []);
    waits.replaceChildren(el("h2", { id: "seam-w-h" }, s.waitChartTitle), waitChart(allWaits, s));
    const counts = { chat: 0, voice: 0, video: 0 } as Record<Mode, number>;
    for (const x of overview.sessions) counts[x.mode] += 1;
    history.push(counts);
    if (history.length > HISTORY) history.shift();
    modes.replaceChildren(el("h2", { id: "seam-m-h" }, s.modeChartTitle), modeChart(history, s));
  };
  seam.on("stats", ({ at, overview }) => show(overview, at));
  // After a reconnect the subscription is made again.
  seam.on("connected", ({ reconnected }) => {
    if (reconnected) void seam.subscribeStats().then((o) => show(o, Date.now()), () => {});
  });
  try {
    show(await seam.subscribeStats(), Date.now());
    root.dataset.ready = "true";
  } catch (e) {
    updated.textContent = e instanceof Error ? e.message : String(e);
  }
}

void main();
