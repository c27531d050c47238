// Driver for tests/lambda_exact.rs: imports each generated authorizer module, calls
// `policyFor(groups, event)` for every cache miss the Rust side computed, and the real
// `handler(event)` for a sample of requests with ID tokens signed here. It decides nothing:
// every policy goes back to Rust as JSON and is evaluated there.
//
// argv[2]: the spec (JSON). Output (stdout, JSON):
//   { policies: [unique policy documents], files: [{ error?, calls: [index | {error}],
//     handler: [{ ok, policyFor } | { error }] }] }
import { generateKeyPairSync, createSign } from "node:crypto";
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";

const spec = JSON.parse(readFileSync(process.argv[2], "utf8"));
const { region, account, apiId } = spec;

const good = generateKeyPairSync("rsa", { modulusLength: 2048 });
const kid = "lambda-exact-key";
const jwks = {
  keys: [{ ...good.publicKey.export({ format: "jwk" }), kid, alg: "RS256", use: "sig" }],
};
const now = Math.floor(Date.now() / 1000);
const b64 = (x) => Buffer.from(typeof x === "string" ? x : JSON.stringify(x)).toString("base64url");
const header = { alg: "RS256", kid, typ: "JWT" };
const sign = (claims, key) => {
  const data = `${b64(header)}.${b64(claims)}`;
  return `${data}.${createSign("RSA-SHA256").update(data).sign(key).toString("base64url")}`;
};

const machineId = (file, name) => {
  const found = file.machineIds.find(([n]) => n === name);
  if (!found) throw new Error("no app client id for client " + name);
  return found[1];
};

// A client-credentials access token as Cognito issues it: no `aud`, no groups, `sub` =
// `client_id`, the granted scopes space-separated.
function accessToken(file, clientId, sub, scope) {
  const poolRegion = file.pool.split("_")[0];
  return sign(
    {
      sub,
      iss: `https://cognito-idp.${poolRegion}.amazonaws.com/${file.pool}`,
      client_id: clientId,
      token_use: "access",
      scope,
      auth_time: now,
      iat: now,
      exp: now + 3600,
      version: 2,
      jti: "jti-" + sub,
    },
    good.privateKey,
  );
}

function token(file, h) {
  const poolRegion = file.pool.split("_")[0];
  if (h.kind === "client") return "Bearer " + accessToken(file, machineId(file, h.client), h.sub, h.scope);
  const claims = {
    ...h.claims,
    iss: `https://cognito-idp.${poolRegion}.amazonaws.com/${file.pool}`,
    aud: file.client,
    token_use: "id",
    auth_time: now,
    iat: now,
    exp: now + 3600,
  };
  if (h.groups !== null) claims["cognito:groups"] = h.groups;
  switch (h.kind) {
    case "unknown-client": {
      const id = "unknown" + file.client.slice(7);
      return "Bearer " + accessToken(file, id, id, "openid");
    }
    case "user-access": {
      // A user's own access token, from the web app client.
      const { aud, ...rest } = claims;
      return "Bearer " + sign({ ...rest, token_use: "access", client_id: file.client, scope: "openid" }, good.privateKey);
    }
    case "sub-mismatch": {
      const id = file.machineIds[0][1];
      return "Bearer " + accessToken(file, id, "not-" + id, "openid");
    }
    case "valid":
    case "lowercase-header":
    case "two-headers":
      return "Bearer " + sign(claims, good.privateKey);
    case "bare":
      return sign(claims, good.privateKey);
    case "expired":
      return "Bearer " + sign({ ...claims, iat: now - 7200, auth_time: now - 7200, exp: now - 3600 }, good.privateKey);
    case "wrong-signature": {
      // A valid token whose payload was changed afterwards: its signature no longer matches.
      const [h, , s] = sign(claims, good.privateKey).split(".");
      const forged = { ...claims, "cognito:groups": [...file.allGroups, "Admin"], forged: true };
      return `Bearer ${h}.${b64(forged)}.${s}`;
    }
    case "wrong-client":
      return "Bearer " + sign({ ...claims, aud: "not-" + file.client }, good.privateKey);
    default:
      throw new Error("unknown token kind " + h.kind);
  }
}

// A REST API REQUEST-authorizer event, as API Gateway sends it. `e` is
// [verb, methodArn, resource template, concrete path, pathParameters or null].
// `headerName` is how the client spelled the header (API Gateway passes it on as sent).
function event(file, e, authorization, headerName = "Authorization") {
  const [verb, methodArn, resource, path, pathParameters] = e;
  const domainName = `${apiId}.execute-api.${region}.amazonaws.com`;
  const headers = {
    Accept: "*/*",
    [headerName]: authorization,
    Host: domainName,
    "User-Agent": "lambda-exact/1.0",
    "X-Forwarded-Proto": "https",
  };
  const multiValueHeaders = {};
  for (const [k, v] of Object.entries(headers)) multiValueHeaders[k] = [v];
  return {
    type: "REQUEST",
    methodArn,
    resource,
    path,
    httpMethod: verb,
    headers,
    multiValueHeaders,
    queryStringParameters: {},
    multiValueQueryStringParameters: {},
    pathParameters: pathParameters === null ? null : { ...pathParameters },
    stageVariables: null,
    requestContext: {
      resourceId: "r3s0ur",
      resourcePath: resource,
      httpMethod: verb,
      extendedRequestId: "ext-req-id",
      requestTime: "09/Apr/2026:12:34:56 +0000",
      path: `/${file.stage}${path}`,
      accountId: account,
      protocol: "HTTP/1.1",
      stage: file.stage,
      domainPrefix: apiId,
      requestTimeEpoch: now * 1000,
      requestId: "req-id",
      identity: { sourceIp: "203.0.113.7", userAgent: "lambda-exact/1.0" },
      domainName,
      apiId,
    },
  };
}

const interned = new Map();
const policies = [];
function intern(p) {
  const s = JSON.stringify(p);
  if (s === undefined) return { error: `policyFor returned ${String(p)}` };
  let i = interned.get(s);
  if (i === undefined) {
    i = policies.length;
    policies.push(JSON.parse(s));
    interned.set(s, i);
  }
  return i;
}

const files = [];
for (const [n, file] of spec.files.entries()) {
  const result = { calls: [], handler: [] };
  files.push(result);
  let mod;
  try {
    process.env.USER_POOL_ID = file.pool;
    process.env.CLIENT_ID = file.client;
    // As CloudFormation sets it: the machine clients' app client ids, joined with ",".
    process.env.MACHINE_CLIENT_IDS = file.machineIds.map(([, id]) => id).join(",");
    mod = await import(pathToFileURL(file.module).href + "?n=" + n);
    for (const name of ["policyFor", "handler"]) {
      if (typeof mod[name] !== "function") throw new Error(`export ${name} is not a function`);
    }
    if (!mod.verifier || typeof mod.verifier.cacheJwks !== "function") {
      throw new Error("export verifier has no cacheJwks");
    }
    mod.verifier.cacheJwks(jwks);
  } catch (e) {
    result.error = "import: " + String((e && e.stack) || e);
    continue;
  }
  const decide = (who, groups, ev) => {
    if (who.client !== undefined) {
      const i = mod.CLIENT_NAMES.indexOf(who.client);
      if (i < 0) throw new Error("the module does not know client " + who.client);
      return mod.clientPolicyFor(i, ev);
    }
    return mod.policyFor(groups, ev, { ...who.claims });
  };
  for (const [caller, ev] of file.calls) {
    try {
      const groups = [...file.callers[caller]];
      result.calls.push(intern(decide(file.who[caller], groups, event(file, file.events[ev], "Bearer opaque-test-token"))));
    } catch (e) {
      result.calls.push({ error: String((e && e.stack) || e) });
    }
  }
  for (const h of file.handler) {
    const auth = token(file, h);
    const e = file.events[h.event];
    const ev = event(file, e, auth, h.kind === "lowercase-header" ? "authorization" : "Authorization");
    if (h.kind === "two-headers") {
      // Two Authorization headers: `headers` holds the last, `multiValueHeaders` both.
      const other = token(file, { ...h, kind: "valid", claims: { ...h.claims, sub: h.sub + "-other" }, groups: file.allGroups });
      ev.headers.Authorization = other;
      ev.multiValueHeaders.Authorization = [auth, other];
    }
    try {
      const ok = await mod.handler(ev);
      const groups = Array.isArray(h.groups) ? [...h.groups] : [];
      const policyFor = decide(h, groups, event(file, e, auth));
      result.handler.push({ ok: JSON.parse(JSON.stringify(ok)), policyFor: JSON.parse(JSON.stringify(policyFor)) });
    } catch (e) {
      result.handler.push({ error: String(e && e.message) });
    }
  }
}
process.stdout.write(JSON.stringify({ policies, files }));
