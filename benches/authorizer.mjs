// Benchmark of the generated Lambda authorizer (strategy `lambda`): what it costs per call
// after the token is verified (table lookup and policy building, `policyFor`), and how long
// its module takes to load. Token verification itself is aws-jwt-verify's and not measured.
//
// Usage (see README):
//   rolegen --config tests/fixtures/lambda/routes300.yaml --out /tmp/bench gen --target authorizer
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

// Per call: every group alone, every pair, and all groups, asked for one method ARN.
const names = mod.GROUP_NAMES;
const combos = [[], ...names.map((n) => [n])];
for (let i = 0; i < names.length; i++) {
  for (let j = i + 1; j < names.length; j++) combos.push([names[i], names[j]]);
}
combos.push([...names]);
const arn = "arn:aws:execute-api:us-east-1:123456789012:abcdef1234/prod/GET/orders/1";
let bytes = 0;
for (const c of combos) {
  bytes = Math.max(bytes, JSON.stringify(mod.policyFor(c, arn)).length);
}
// Warm up, then time rounds over all combinations.
for (let i = 0; i < 3; i++) for (const c of combos) mod.policyFor(c, arn);
const perCall = [];
let worst = 0;
for (let round = 0; round < 15; round++) {
  const t = performance.now();
  for (const c of combos) mod.policyFor(c, arn);
  perCall.push(((performance.now() - t) * 1000) / combos.length);
}
let slowest = [];
for (const c of combos) {
  // The best of three rounds, so that a pause elsewhere does not count.
  let best = Infinity;
  for (let round = 0; round < 3; round++) {
    const t = performance.now();
    for (let i = 0; i < 20; i++) mod.policyFor(c, arn);
    best = Math.min(best, ((performance.now() - t) * 1000) / 20);
  }
  if (best > worst) {
    worst = best;
    slowest = c;
  }
}

console.log(`authorizer: ${file}`);
console.log(`groups: ${names.length}, combinations timed: ${combos.length}, largest policy seen: ${bytes} bytes`);
console.log(`per call after verification (policyFor): median ${median(perCall).toFixed(1)} µs over all combinations; slowest ${worst.toFixed(1)} µs (${slowest.length} groups)`);
console.log(`module load in process (table; library already loaded): median ${median(loads).toFixed(2)} ms`);
console.log(`module load cold, aws-jwt-verify included (fresh node process minus an empty one): ${cold.toFixed(1)} ms`);
