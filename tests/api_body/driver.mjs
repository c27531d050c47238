// Runs rolegen's API-definition function (out/cfn/api-body/index.mjs) once, as CloudFormation
// would, against a stand-in for API Gateway and for CloudFormation's response URL on
// 127.0.0.1, through the real AWS SDK client the function imports. Prints every request the
// stand-in received as JSON lines.
//
// usage: node driver.mjs <function dir> <event.json> <ok|reject|hang> [remaining ms]
// (`hang`: API Gateway never answers; the function has `remaining ms` left to run)
import http from "node:http";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const [dir, eventFile, mode, remaining = "60000"] = process.argv.slice(2);
const seen = [];
const server = http.createServer((req, res) => {
  const chunks = [];
  req.on("data", (c) => chunks.push(c));
  req.on("end", () => {
    const body = Buffer.concat(chunks).toString("utf8");
    seen.push({ method: req.method, url: req.url, headers: req.headers, body });
    if (req.url.startsWith("/restapis/") && mode === "hang") {
      return;
    }
    if (req.url.startsWith("/restapis/")) {
      const id = decodeURIComponent(req.url.split("/")[2].split("?")[0]);
      if (mode === "reject") {
        res.writeHead(400, {
          "content-type": "application/json",
          "x-amzn-errortype": "BadRequestException",
        });
        res.end(JSON.stringify({ message: "Errors found during import: unsupported thing" }));
      } else {
        res.writeHead(200, { "content-type": "application/json" });
        res.end(JSON.stringify({ id, name: "api" }));
      }
    } else {
      res.writeHead(200);
      res.end();
    }
  });
});
await new Promise((ok) => server.listen(0, "127.0.0.1", ok));
const base = `http://127.0.0.1:${server.address().port}`;
process.env.AWS_ENDPOINT_URL_API_GATEWAY = base;
process.env.AWS_REGION = "eu-west-1";
process.env.AWS_ACCESS_KEY_ID = "AKIDTEST";
process.env.AWS_SECRET_ACCESS_KEY = "secret";
process.env.AWS_MAX_ATTEMPTS = "1";
const event = JSON.parse(await readFile(eventFile, "utf8"));
event.ResponseURL = `${base}/cloudformation-response?X-Amz-Signature=test`;
const { handler } = await import(pathToFileURL(join(dir, "index.mjs")).href);
await handler(event, { getRemainingTimeInMillis: () => Number(remaining) });
server.closeAllConnections();
server.close();
for (const r of seen) console.log(JSON.stringify(r));
