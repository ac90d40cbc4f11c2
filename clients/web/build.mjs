// Bundles what the broker serves at /demo (crates/seam-broker/src/demo.rs):
// the SDK as one ES module for pages without a bundler, and the widget and
// the console, each one file with the SDK inside.
import { build } from "esbuild";

await build({
  entryPoints: {
    sdk: "../sdk/dist/index.js",
    widget: "src/widget.ts",
    console: "src/console.ts",
    supervisor: "src/supervisor.ts",
  },
  outdir: "dist",
  bundle: true,
  format: "esm",
  target: "es2020",
  charset: "utf8",
  legalComments: "none",
  logLevel: "warning",
});
