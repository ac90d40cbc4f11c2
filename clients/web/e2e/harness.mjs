// What the end-to-end tests share: the seam binary, Chromium's flags, and
// starting `seam serve --dev` on a free port. (Not a test file itself.)

import { spawn } from "node:child_process";
import { createServer } from "node:net";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

export const SEAM = resolve(process.env.SEAM_BIN ?? "../../target/debug/seam");
export const CHROMIUM_FLAGS = [
  "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync",
  "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
  "--autoplay-policy=no-user-gesture-required",
];

/** Starts `seam serve --dev` and resolves with its HTTP base URL. */
export function startSeam(extraArgs = [], listen = "127.0.0.1:0", dir = mkdtempSync(join(tmpdir(), "seam-e2e-"))) {
  const child = spawn(SEAM, ["serve", "--dev", "--listen", listen, "--data-dir", dir, "--log", "warn", ...extraArgs], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  return new Promise((ok, fail) => {
    let out = "";
    child.stdout.on("data", (chunk) => {
      out += chunk;
      const m = out.match(/seam listening on ws:\/\/([\d.:]+)\/ws/);
      if (m) ok({ child, base: `http://${m[1]}`, addr: m[1], dir });
    });
    child.on("exit", (code) => fail(new Error(`seam exited with ${code}: ${out}`)));
  });
}

/** A free TCP port on loopback. */
function freePort() {
  return new Promise((ok) => {
    const s = createServer();
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => ok(port));
    });
  });
}

/** Starts coturn on loopback with a shared secret; resolves when it listens. */
export async function startTurn(secret) {
  const port = await freePort();
  const child = spawn("turnserver", [
    "-n", "--listening-ip=127.0.0.1", "--relay-ip=127.0.0.1", `--listening-port=${port}`,
    "--use-auth-secret", `--static-auth-secret=${secret}`, "--realm=seam.test",
    "--no-tls", "--no-dtls", "--no-cli", "--allow-loopback-peers", "--fingerprint",
    "--min-port=49160", "--max-port=49400", "--log-file=stdout", "--simple-log",
  ], { stdio: ["ignore", "pipe", "pipe"] });
  let log = "";
  child.stdout.on("data", (c) => { log += c; });
  child.stderr.on("data", (c) => { log += c; });
  for (let i = 0; i < 100; i++) {
    if (/listener opened on|Total UDP servers/i.test(log)) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  return { child, port, log: () => log };
}

/** Waits until the widget on `page` has connected and is ready. */
export async function widgetReady(page, timeout = 30_000) {
  await page.waitForFunction(() => document.querySelector("#seam-widget")?.dataset.ready === "true", null, { timeout });
}

/** Waits until the console on `page` has connected and rejoined its conversations. */
export async function consoleReady(page, timeout = 30_000) {
  await page.waitForFunction(() => document.querySelector("#seam-console")?.dataset.ready === "true", null, { timeout });
}
