// Benchmark of the generated `verified-permissions` authorizer: its own work per call with the
// Verified Permissions call answered at once by a stub (so only the handler is measured):
// the route's lookup, the command it builds and the policy it returns, with the token's
// verification (aws-jwt-verify, JWKS cached, RS256) and without it.
//
// Usage (see README; issue 10's aim: the handler's own work under 50 µs per call):
//   rolegen synth --routes 1000 --groups 100 --authorizer verified-permissions > /tmp/avp.yaml
//   rolegen --config /tmp/avp.yaml --out /tmp/avp gen --target authorizer
//   npm ci --omit=dev --prefix /tmp/avp/authorizer
//   node benches/avp-authorizer.mjs /tmp/avp/authorizer
//
// Prints one line per measure; numbers are medians over several rounds.

import { generateKeyPairSync, createSign } from "node:crypto";
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { performance } from "node:perf_hooks";

const dir = resolve(process.argv[2] ?? "out/authorizer");
const file = resolve(dir, "index.mjs");
if (!existsSync(resolve(dir, "node_modules/@aws-sdk/client-verifiedpermissions"))) {
  console.error(`dependencies are not installed: run \`npm ci --omit=dev --prefix ${dir}\``);
  process.exit(2);
}
const pool = "us-east-1_Bench0001";
process.env.USER_POOL_ID = pool;
process.env.CLIENT_ID = "benchclient";
process.env.POLICY_STORE_ID = "ps-bench";
process.env.AWS_REGION ??= "us-east-1";
const mod = await import(pathToFileURL(file).href);

// Verified Permissions answers at once: what remains is the handler's own work.
let calls = 0;
mod.client.send = async () => {
  calls++;
  return { decision: "ALLOW" };
};

const key = generateKeyPairSync("rsa", { modulusLength: 2048 });
const kid = "bench";
mod.verifier.cacheJwks({ keys: [{ ...key.publicKey.export({ format: "jwk" }), kid, alg: "RS256", use: "sig" }] });
const b64 = (x) => Buffer.from(JSON.stringify(x)).toString("base64url");
const now = Math.floor(Date.now() / 1000);
const claims = {
  sub: "bench-user", iss: `https://cognito-idp.us-east-1.amazonaws.com/${pool}`, aud: "benchclient",
  token_use: "id", iat: now, exp: now + 3600, auth_time: now, "cognito:groups": ["G1", "G2"],
  "cognito:username": "bench",
};
const data = `${b64({ alg: "RS256", kid, typ: "JWT" })}.${b64(claims)}`;
const token = `${data}.${createSign("RSA-SHA256").update(data).sign(key.privateKey).toString("base64url")}`;

const events = mod.RESOURCE_PATHS.map((resource) => {
  const concrete = resource.replace(/\{[^}]+\}/g, "v1");
  return {
    type: "REQUEST",
    methodArn: `arn:aws:execute-api:us-east-1:123456789012:abcdef1234/prod/GET${concrete}`,
    resource,
    path: concrete,
    httpMethod: "GET",
    headers: { Authorization: `Bearer ${token}` },
  };
});
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const time = async (f) => {
  for (const e of events) await f(e);
  const rounds = [];
  for (let r = 0; r < 9; r++) {
    const t = performance.now();
    for (const e of events) await f(e);
    rounds.push(((performance.now() - t) * 1000) / events.length);
  }
  return median(rounds);
};
const withVerify = await time((e) => mod.handler(e));
// Without verification: the same handler with a verifier that has already checked the token.
const verify = mod.verifier.verify.bind(mod.verifier);
mod.verifier.verify = async () => claims;
const without = await time((e) => mod.handler(e));
mod.verifier.verify = verify;

console.log(`authorizer: ${file}`);
console.log(`routes: ${mod.ROUTE_COUNT}, resources: ${events.length}, stubbed Verified Permissions calls: ${calls}`);
console.log(`per call, handler's own work (route lookup, command, policy; AVP answered at once): median ${without.toFixed(2)} µs`);
console.log(`per call, the same plus token verification (RS256, JWKS cached): median ${withVerify.toFixed(2)} µs`);
