// Benchmark of the generated Lambda authorizer (strategy `lambda`): what it costs per call
// after the token is verified (the route's table lookup and its one-statement policy,
// `policyFor`), and how long its module takes to load. Token verification itself is
// aws-jwt-verify's and not measured.
//
// Usage (see README; issue 8's aims at 1,000 routes: under 20 µs per call, load under 10 ms):
//   rolegen synth --routes 1000 --authorizer lambda > /tmp/bench.yaml
//   rolegen --config /tmp/bench.yaml --out /tmp/bench gen --target authorizer
//   npm ci --omit=dev --prefix /tmp/bench/authorizer
//   node benches/authorizer.mjs /tmp/bench/authorizer
//
// Prints one line per measure; numbers are medians over several rounds.

import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { performance } from "node:perf_hooks";

const dir = resolve(process.argv[2] ?? "out/authorizer");
const file = resolve(dir, "index.mjs");
if (!existsSync(file)) {
  console.error(`no ${file}: run \`rolegen gen --target authorizer\` first`);
  process.exit(2);
}
if (!existsSync(resolve(dir, "node_modules/aws-jwt-verify"))) {
  console.error(`aws-jwt-verify is not installed: run \`npm ci --omit=dev --prefix ${dir}\``);
  process.exit(2);
}
process.env.USER_POOL_ID ??= "us-east-1_Bench0001";
process.env.CLIENT_ID ??= "benchclient";
const url = pathToFileURL(file).href;

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
};

// Module load, in process: the handler module evaluated afresh (a new URL each time) with
// aws-jwt-verify already loaded: the cost of parsing the table and building its bitsets.
const loads = [];
let mod;
for (let i = 0; i < 30; i++) {
  const t = performance.now();
  mod = await import(`${url}?load=${i}`);
  loads.push(performance.now() - t);
}

// Module load, cold: a fresh node process that imports the handler, minus one that starts
// and exits, run in turns so that a change in machine load hits both alike.
const spawnMs = (code) => {
  const t = performance.now();
  const r = spawnSync(process.execPath, ["--input-type=module", "-e", code], {
    env: process.env,
    stdio: "inherit",
  });
  if (r.status !== 0) throw new Error("child failed");
  return performance.now() - t;
};
const colds = [];
for (let i = 0; i < 11; i++) {
  const empty = spawnMs("");
  colds.push(spawnMs(`await import(${JSON.stringify(url)});`) - empty);
}
const cold = median(colds);

// Per call: every route's own event (for an `ANY` route, GET), asked by a caller in no
// group, each group alone, every pair (up to 20 groups) and all groups.
const names = mod.GROUP_NAMES;
const combos = [[], ...names.map((n) => [n])];
for (let i = 0; i < Math.min(names.length, 20); i++) {
  for (let j = i + 1; j < Math.min(names.length, 20); j++) combos.push([names[i], names[j]]);
}
combos.push([...names]);
const events = mod.RESOURCE_PATHS.map((resource) => {
  const concrete = resource.replace(/\{[^}]+\}/g, "v1");
  return {
    type: "REQUEST",
    methodArn: `arn:aws:execute-api:us-east-1:123456789012:abcdef1234/prod/GET${concrete}`,
    resource,
    path: concrete,
    httpMethod: "GET",
  };
});
// Warm up, then time rounds over every route for a rotating caller.
const call = (i) => mod.policyFor(combos[i % combos.length], events[i % events.length]);
const calls = Math.max(events.length, combos.length) * 4;
for (let i = 0; i < calls; i++) call(i);
const perCall = [];
for (let round = 0; round < 15; round++) {
  const t = performance.now();
  for (let i = 0; i < calls; i++) call(i);
  perCall.push(((performance.now() - t) * 1000) / calls);
}
// The slowest caller: the one in every group, over every route.
const all = combos[combos.length - 1];
let worst = Infinity;
for (let round = 0; round < 5; round++) {
  const t = performance.now();
  for (const e of events) mod.policyFor(all, e);
  worst = Math.min(worst, ((performance.now() - t) * 1000) / events.length);
}

console.log(`authorizer: ${file}`);
console.log(`routes: ${mod.ROUTE_COUNT}, resources: ${events.length}, groups: ${names.length}, callers: ${combos.length}`);
console.log(`per call after verification (policyFor): median ${median(perCall).toFixed(2)} µs; caller in every group: ${worst.toFixed(2)} µs`);
console.log(`module load in process (table; library already loaded): median ${median(loads).toFixed(2)} ms`);
console.log(`module load cold, aws-jwt-verify included (fresh node process minus an empty one): ${cold.toFixed(1)} ms`);
