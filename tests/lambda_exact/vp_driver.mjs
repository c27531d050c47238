// Driver for tests/lambda_exact.rs's `verified-permissions` test: imports each generated
// authorizer module, stubs its Verified Permissions `client` (its `send`, which the handler
// calls with an `IsAuthorizedWithTokenCommand`; any other command is refused) so that the
// command is answered by Cedar's own engine (`@cedar-policy/cedar-wasm`) over the file's
// deployed schema and policies, signs one token per caller, and calls the real
// `handler(event)` for every cache miss the Rust side computed. It decides nothing about
// access: every answer goes back to Rust as JSON and is judged there. (`send` is replaced by
// hand rather than with aws-sdk-client-mock, as tests/avp.rs does: sinon's bookkeeping of
// every call cost more than Cedar itself over tens of thousands of calls.)
//
// The stub does what AVP does with a Cognito identity source: it refuses a request that does
// not fit the store (another store, the other kind of token, a token of another pool or client,
// an expired one, entities or context sent, an action or resource outside the schema), builds
// the principal from the token (`<principal type>::"<pool>|<sub>"`, a parent
// `<group type>::"<pool>|<group>"` per `cognito:groups` entry) and lets Cedar decide.
//
// argv[2]: the spec (JSON). Output (stdout, JSON):
//   { policies: [unique policy documents],
//     files: [{ error?, calls: [[policy index | {error}, principalId, context.route,
//               AVP calls, actionId | null, stub error | null, same JWT]],
//               broken: { <mode>: [policy index | {error}] } }] }
import { generateKeyPairSync, createSign } from "node:crypto";
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { IsAuthorizedCommand, IsAuthorizedWithTokenCommand } from "@aws-sdk/client-verifiedpermissions";
import * as cedar from "@cedar-policy/cedar-wasm/nodejs";

const spec = JSON.parse(readFileSync(process.argv[2], "utf8"));
const { region, account, apiId, store, brokenModes } = spec;

const good = generateKeyPairSync("rsa", { modulusLength: 2048 });
const kid = "vp-exact-key";
const jwks = {
  keys: [{ ...good.publicKey.export({ format: "jwk" }), kid, alg: "RS256", use: "sig" }],
};
const now = Math.floor(Date.now() / 1000);
const b64 = (x) => Buffer.from(typeof x === "string" ? x : JSON.stringify(x)).toString("base64url");
const header = { alg: "RS256", kid, typ: "JWT" };
const sign = (claims) => {
  const data = `${b64(header)}.${b64(claims)}`;
  return `${data}.${createSign("RSA-SHA256").update(data).sign(good.privateKey).toString("base64url")}`;
};

// The claims Cognito puts in an ID token or an access token of a user in `groups` (a user in
// no group gets no `cognito:groups` claim; `caller.claims` are the ones the token shows: an
// access token carries the user name as `username` and no custom attributes), or in a machine
// client's client-credentials access token (`sub` = `client_id`, no groups).
function claims(file, caller) {
  const iss = `https://cognito-idp.${file.pool.split("_")[0]}.amazonaws.com/${file.pool}`;
  const base = { sub: caller.sub, iss, token_use: file.tokenUse, auth_time: now, iat: now, exp: now + 3600, event_id: "ev-" + caller.sub };
  if (caller.client !== undefined) {
    const { event_id, ...rest } = base;
    return { ...rest, token_use: "access", client_id: caller.sub, scope: caller.scope, jti: "jti-" + caller.sub, version: 2 };
  }
  const own = caller.claims ?? {};
  let c;
  if (file.tokenUse === "id") {
    c = { ...base, aud: file.client, ...own, email: `${caller.sub}@example.com` };
  } else {
    c = { ...base, client_id: file.client, scope: "openid", jti: "jti-" + caller.sub, origin_jti: "ojti-" + caller.sub, version: 2 };
    if (own["cognito:username"] !== undefined) c.username = own["cognito:username"];
  }
  if (caller.groups !== null) c["cognito:groups"] = caller.groups;
  return c;
}

// AVP's attribute values (`{string}`, `{long}`, `{boolean}`, `{record}`, `{set}`) as Cedar's
// JSON; anything else is refused, as AVP refuses it.
function fromAvp(v) {
  if (v === null || typeof v !== "object") throw new AvpError("ValidationException", "bad attribute value " + JSON.stringify(v));
  const keys = Object.keys(v);
  if (keys.length !== 1) throw new AvpError("ValidationException", "attribute value with keys " + JSON.stringify(keys));
  const [k] = keys;
  const x = v[k];
  switch (k) {
    case "string":
      if (typeof x !== "string") break;
      return x;
    case "long":
      if (!Number.isInteger(x)) break;
      return x;
    case "boolean":
      if (typeof x !== "boolean") break;
      return x;
    case "set":
      if (!Array.isArray(x)) break;
      return x.map(fromAvp);
    case "record": {
      if (x === null || typeof x !== "object" || Array.isArray(x)) break;
      // Own properties, also for a name like `__proto__`.
      const out = {};
      for (const [name, val] of Object.entries(x)) {
        Object.defineProperty(out, name, { value: fromAvp(val), enumerable: true, writable: true, configurable: true });
      }
      return out;
    }
  }
  throw new AvpError("ValidationException", "bad attribute value " + JSON.stringify(v));
}

// A REST API REQUEST-authorizer event, as API Gateway sends it. `e` is
// [verb, methodArn, resource template, concrete path, pathParameters or null].
function event(file, e, authorization, headerName) {
  const [verb, methodArn, resource, path, pathParameters] = e;
  const domainName = `${apiId}.execute-api.${region}.amazonaws.com`;
  const headers = {
    Accept: "*/*",
    [headerName]: authorization,
    Host: domainName,
    "User-Agent": "vp-exact/1.0",
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
      identity: { sourceIp: "203.0.113.7", userAgent: "vp-exact/1.0" },
      domainName,
      apiId,
    },
  };
}

class AvpError extends Error {
  constructor(name, message) {
    super(message);
    this.name = name;
  }
}

// The file being run, the stub's mode (`cedar`, or a deliberately broken one for the
// self-check) and the AVP calls of the current handler call.
let fx = null;
let fxName = "";
let validated = new Set();
let mode = "cedar";
let calls = [];

// `IsAuthorized` for a machine client: the principal as the handler names it, no token, no
// entities; Cedar decides (validating the request against the schema, as AVP does).
function answerPlain(input, call) {
  const fail = (m) => {
    throw new AvpError("ValidationException", m);
  };
  if (input.policyStoreId !== store) fail("unknown policy store " + input.policyStoreId);
  if (input.entities !== undefined) fail("entities sent: " + JSON.stringify(input.entities));
  if (input.context !== undefined) fail("context sent for a client: " + JSON.stringify(input.context));
  const ns = fx.namespace;
  const pr = input.principal ?? {};
  const a = input.action ?? {};
  const r = input.resource ?? {};
  call.principal = pr;
  if (pr.entityType !== `${ns}::Client` || typeof pr.entityId !== "string") fail("principal " + JSON.stringify(pr));
  if (a.actionType !== `${ns}::Action`) fail("actionType " + a.actionType);
  if (r.entityType !== `${ns}::Application` || r.entityId !== ns) fail("resource " + JSON.stringify(r));
  const actionId = mode === "ignore-action" ? fx.firstAction : a.actionId;
  const res = cedar.statefulIsAuthorized({
    principal: { type: pr.entityType, id: pr.entityId },
    action: { type: a.actionType, id: actionId },
    resource: { type: r.entityType, id: r.entityId },
    context: {},
    preparsedSchemaName: fxName,
    validateRequest: true,
    preparsedPolicySetId: fxName,
    entities: [],
  });
  if (res.type !== "success") fail("request refused: " + JSON.stringify(res.errors));
  let allow = res.response.decision === "allow";
  if (mode === "any-group") allow = false;
  return {
    decision: allow ? "ALLOW" : "DENY",
    determiningPolicies: res.response.diagnostics.reason.map((policyId) => ({ policyId })),
    errors: [],
  };
}

function answerAvp(input, call) {
  const fail = (m) => {
    throw new AvpError("ValidationException", m);
  };
  if (input.policyStoreId !== store) fail("unknown policy store " + input.policyStoreId);
  const field = fx.tokenUse === "id" ? "identityToken" : "accessToken";
  const otherField = fx.tokenUse === "id" ? "accessToken" : "identityToken";
  if (input[otherField] !== undefined) fail(`${otherField} sent, the identity source reads ${field}`);
  const jwt = input[field];
  if (typeof jwt !== "string") fail("no " + field);
  const parts = jwt.split(".");
  if (parts.length !== 3) fail("not a JWT");
  let c;
  try {
    c = JSON.parse(Buffer.from(parts[1], "base64url").toString("utf8"));
  } catch {
    fail("bad JWT payload");
  }
  const iss = `https://cognito-idp.${fx.pool.split("_")[0]}.amazonaws.com/${fx.pool}`;
  if (c.token_use !== fx.tokenUse) fail(`token_use ${c.token_use} sent as ${field}`);
  if (c.iss !== iss) fail("another issuer");
  if ((fx.tokenUse === "id" ? c.aud : c.client_id) !== fx.client) fail("another client");
  if (!(c.exp > now - 60)) fail("expired");
  if (input.entities !== undefined) fail("entities sent: " + JSON.stringify(input.entities));
  // The request's context (a `match` route's path values and claims): AVP's `contextMap`,
  // validated against the action's context type by Cedar below.
  let context = {};
  if (input.context !== undefined) {
    const keys = Object.keys(input.context);
    if (keys.length !== 1 || keys[0] !== "contextMap") fail("context " + JSON.stringify(input.context));
    context = fromAvp({ record: input.context.contextMap });
    call.context = context;
  }
  const ns = fx.namespace;
  const a = input.action ?? {};
  const r = input.resource ?? {};
  if (a.actionType !== `${ns}::Action`) fail("actionType " + a.actionType);
  if (r.entityType !== `${ns}::Application` || r.entityId !== ns) fail("resource " + JSON.stringify(r));
  const groups = Array.isArray(c["cognito:groups"]) ? c["cognito:groups"].filter((g) => typeof g === "string") : [];
  const user = { type: fx.principalType, id: `${fx.pool}|${c.sub}` };
  const gid = (g) => ({ type: fx.groupType, id: `${fx.pool}|${g}` });
  const entities = [
    { uid: user, attrs: {}, parents: [...new Set(groups)].map(gid) },
    ...[...new Set(groups)].map((g) => ({ uid: gid(g), attrs: {}, parents: [] })),
  ];
  // The self-check's broken stubs: the action ignored (every request decided as the schema's
  // first action), or any token with a group allowed.
  const actionId = mode === "ignore-action" ? fx.firstAction : a.actionId;
  // AVP validates the request and the entities against the schema. The validation depends
  // only on the types and the action (the ids and the groups' names do not change it), and it
  // costs Cedar four times the decision: it runs once per shape and action of a file.
  const shape = JSON.stringify([user.type, fx.groupType, groups.length > 0, a.actionType, actionId, r.entityType, r.entityId, Object.keys(context)]);
  const validate = !validated.has(shape);
  const res = cedar.statefulIsAuthorized({
    principal: user,
    action: { type: a.actionType, id: actionId },
    resource: { type: r.entityType, id: r.entityId },
    context,
    preparsedSchemaName: validate ? fxName : undefined,
    validateRequest: validate,
    preparsedPolicySetId: fxName,
    entities,
  });
  if (res.type === "success" && validate) validated.add(shape);
  if (res.type !== "success") fail("request refused: " + JSON.stringify(res.errors));
  let allow = res.response.decision === "allow";
  if (mode === "any-group") allow = groups.length > 0;
  return {
    decision: allow ? "ALLOW" : "DENY",
    determiningPolicies: res.response.diagnostics.reason.map((policyId) => ({ policyId })),
    errors: [],
    policyStoreId: input.policyStoreId,
    principal: { entityType: user.type, entityId: user.id },
  };
}

const interned = new Map();
const policies = [];
function intern(p) {
  const s = JSON.stringify(p);
  if (s === undefined) return { error: `handler returned ${String(p)}` };
  let i = interned.get(s);
  if (i === undefined) {
    i = policies.length;
    policies.push(JSON.parse(s));
    interned.set(s, i);
  }
  return i;
}

const quiet = () => {};
const consoleError = console.error;
const files = [];
for (const [n, file] of spec.files.entries()) {
  const result = { calls: [], broken: {} };
  files.push(result);
  fx = file;
  fxName = "f" + n;
  let mod;
  let sdkCalls = 0;
  validated = new Set();
  try {
    for (const [k, v] of Object.entries(file.env)) process.env[k] = v;
    let r = cedar.preparseSchema(fxName, JSON.parse(file.schema));
    if (r.type !== "success") throw new Error("cedar-wasm refuses the schema: " + JSON.stringify(r.errors));
    r = cedar.preparsePolicySet(fxName, { staticPolicies: file.policies });
    if (r.type !== "success") throw new Error("cedar-wasm refuses the policies: " + JSON.stringify(r.errors));
    mod = await import(pathToFileURL(file.module).href + "?n=" + n);
    if (typeof mod.handler !== "function") throw new Error("export handler is not a function");
    if (!mod.verifier || typeof mod.verifier.cacheJwks !== "function") throw new Error("export verifier has no cacheJwks");
    if (!mod.client || typeof mod.client.send !== "function") throw new Error("export client has no send");
    mod.verifier.cacheJwks(jwks);
    mod.client.send = async (command) => {
      sdkCalls++;
      const plain = command instanceof IsAuthorizedCommand;
      if (!plain && !(command instanceof IsAuthorizedWithTokenCommand)) {
        throw new AvpError("UnexpectedCommand", "the authorizer may only call IsAuthorized(WithToken)");
      }
      const call = { input: command.input, error: null, kind: plain ? "plain" : "token", principal: null, context: null };
      calls.push(call);
      try {
        return plain ? answerPlain(command.input, call) : answerAvp(command.input, call);
      } catch (e) {
        call.error = `${e.name}: ${e.message}`;
        throw e;
      }
    };
  } catch (e) {
    result.error = "setup: " + String((e && e.stack) || e);
    continue;
  }
  const tokens = file.callers.map((c) => {
    const jwt = sign(claims(file, c));
    switch (c.how) {
      case "bearer":
        return { jwt, value: "Bearer " + jwt, name: "Authorization" };
      case "bare":
        return { jwt, value: jwt, name: "Authorization" };
      case "lower":
        return { jwt, value: "Bearer " + jwt, name: "authorization" };
      default:
        throw new Error("unknown header form " + c.how);
    }
  });
  const run = async (caller, ev) => {
    const t = tokens[caller];
    calls = [];
    const before = sdkCalls;
    console.error = quiet;
    try {
      const ok = await mod.handler(event(file, file.events[ev], t.value, t.name));
      return { ok: JSON.parse(JSON.stringify(ok)), sdk: sdkCalls - before, avp: calls, jwt: t.jwt };
    } catch (e) {
      return { error: String((e && e.message) || e), sdk: sdkCalls - before, avp: calls, jwt: t.jwt };
    } finally {
      console.error = consoleError;
    }
  };
  mode = "cedar";
  for (const [caller, ev] of file.calls) {
    const r = await run(caller, ev);
    const first = r.avp[0];
    const token = first ? first.input.identityToken ?? first.input.accessToken : undefined;
    result.calls.push([
      r.ok ? intern(r.ok.policyDocument) : { error: r.error },
      r.ok ? r.ok.principalId ?? null : null,
      r.ok ? r.ok.context?.route ?? null : null,
      r.sdk,
      first ? first.input.action?.actionId ?? null : null,
      r.avp.map((c) => c.error).find((e) => e !== null) ?? null,
      first ? token === r.jwt : false,
      first ? first.kind : null,
      first ? first.principal : null,
      first ? first.context : null,
    ]);
  }
  if (file.selfcheck) {
    for (const m of brokenModes) {
      mode = m;
      const out = [];
      for (const [caller, ev] of file.calls) {
        const r = await run(caller, ev);
        out.push(r.ok ? intern(r.ok.policyDocument) : { error: r.error });
      }
      result.broken[m] = out;
    }
    mode = "cedar";
  }
}
process.stdout.write(JSON.stringify({ policies, files }));
