// Runs the Worker in workerd through Miniflare directly: what `wrangler dev` does underneath, without
// its reload proxy. `wrangler dev` puts a second workerd process (the ProxyWorker) in front of the
// Worker and relays every request and every WebSocket frame through it over loopback HTTP; measured
// on this machine that relay cost more CPU per frame than the Worker and its Durable Objects together
// (docs/BENCHMARKS.md, "How the hot path works"). The bundle is the one `wrangler deploy` would upload
// (`wrangler deploy --dry-run`), the bindings come from wrangler.toml + .dev.vars through Wrangler's
// own converter, so production and development run the same code with the same configuration.
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { convertV4MiniflareOptions, Log, LogLevel, Miniflare } from "miniflare";
import wrangler from "wrangler";

/** Directories whose sources end up in the Worker bundle (a change rebuilds and reloads). */
const WATCHED = ["worker", "durable-objects", "protocol"];
const LEVELS = {
  none: LogLevel.NONE,
  error: LogLevel.ERROR,
  warn: LogLevel.WARN,
  info: LogLevel.INFO,
  debug: LogLevel.DEBUG,
};

/** `--var K:V` (repeatable), `--log-level L`, `--inspector-port P` from argv; anything else is refused. */
export function parseWorkerArgs(argv) {
  const vars = {};
  let logLevel = "info";
  let inspectorPort;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === "--var") {
      const kv = next();
      const at = kv.indexOf(":");
      if (at < 1) throw new Error(`--var expects NAME:value, got ${kv}`);
      vars[kv.slice(0, at)] = kv.slice(at + 1);
    } else if (a === "--log-level") {
      logLevel = next();
      if (!(logLevel in LEVELS)) throw new Error(`--log-level must be one of ${Object.keys(LEVELS).join(", ")}`);
    } else if (a === "--inspector-port") {
      inspectorPort = Number(next());
    } else {
      throw new Error(`unknown option ${a} (use --wrangler to pass options to wrangler dev)`);
    }
  }
  return { vars, logLevel, inspectorPort };
}

/** Bundle exactly as `wrangler deploy` would, into `outDir` (inside the project: workerd resolves modules
 * relative to it and refuses paths that climb out). */
export function bundle(root, outDir) {
  fs.rmSync(outDir, { recursive: true, force: true });
  const r = spawnSync("wrangler", ["deploy", "--dry-run", "--outdir", outDir], {
    cwd: root,
    encoding: "utf8",
    env: { ...process.env, WRANGLER_SEND_METRICS: "false", WRANGLER_LOG: "error" },
  });
  if (r.status !== 0) throw new Error(`bundling the Worker failed:\n${r.stderr || r.stdout}`);
  return path.join(outDir, "index.js");
}

function options(root, { port, vars, persistDir, logLevel, inspectorPort, scriptPath }) {
  const { workerOptions } = wrangler.unstable_getMiniflareWorkerOptions(path.join(root, "wrangler.toml"));
  // the bundle is already one ES module; wrangler's module rules are for unbundled sources
  const { modulesRules: _rules, rootPath: _root, ...worker } = workerOptions;
  return convertV4MiniflareOptions({
    rootPath: root,
    host: "127.0.0.1",
    port,
    inspectorPort,
    cf: false, // no network: the placeholder Request.cf
    log: new Log(LEVELS[logLevel] ?? LogLevel.INFO),
    logRequests: false, // the Worker logs one JSON line per request itself (LOG_REQUESTS)
    unsafeTriggerHandlers: true, // /cdn-cgi/handler/scheduled runs the cron handler, as under wrangler dev
    resourcePersistencePath: persistDir,
    workers: [
      {
        ...worker,
        name: "moltstack",
        modules: true,
        scriptPath,
        bindings: { ...worker.bindings, ...vars },
      },
    ],
  });
}

/**
 * Start the Worker on 127.0.0.1:`port`. `vars` override wrangler.toml and .dev.vars. With `watch`, a
 * change under worker/, durable-objects/ or protocol/ rebuilds the bundle and restarts workerd (open
 * sockets are dropped, as under wrangler dev).
 */
export async function startWorker(root, opts) {
  const outDir = path.join(root, ".dev", `bundle-${opts.port}`);
  const scriptPath = bundle(root, outDir);
  const mf = new Miniflare(options(root, { ...opts, scriptPath }));
  const url = await mf.ready;
  const watchers = [];
  if (opts.watch) {
    let timer = null;
    let reloading = Promise.resolve();
    const reload = () => {
      reloading = reloading.then(async () => {
        const t0 = Date.now();
        try {
          const script = bundle(root, outDir);
          await mf.setOptions(options(root, { ...opts, scriptPath: script }));
          opts.onReload?.(null, Date.now() - t0);
        } catch (e) {
          opts.onReload?.(e, Date.now() - t0);
        }
      });
    };
    for (const dir of WATCHED) {
      const abs = path.join(root, dir);
      if (!fs.existsSync(abs)) continue;
      const w = fs.watch(abs, { recursive: true }, (_event, file) => {
        if (!file || /\.test\.ts$/.test(file)) return;
        clearTimeout(timer);
        timer = setTimeout(reload, 200);
      });
      watchers.push(w);
    }
  }
  return {
    url,
    async close() {
      for (const w of watchers) w.close();
      await mf.dispose();
    },
  };
}
