// Benchmarks run TypeScript from the repo in plain Node: bundle an entry (export lines,
// resolved from a folder) with esbuild into one ESM file under .wrangler/, import it, delete
// the file. Returns the module and the repo files that went into it.
import { build } from "esbuild";
import { mkdirSync, rmSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { root } from "../../scripts/env.mjs";

export async function importBundled({ name, exports, resolveDir }) {
  const dir = path.join(root, ".wrangler", "bench-build");
  mkdirSync(dir, { recursive: true });
  const outfile = path.join(dir, `${name}-${process.pid}.mjs`);
  const { metafile } = await build({
    stdin: { contents: exports.join("\n"), resolveDir: path.join(root, resolveDir), sourcefile: `${name}-entry.ts`, loader: "ts" },
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    outfile,
    logLevel: "warning",
    absWorkingDir: root,
    metafile: true,
  });
  try {
    return { module: await import(pathToFileURL(outfile).href), inputs: Object.keys(metafile.inputs) };
  } finally {
    rmSync(outfile, { force: true });
  }
}
