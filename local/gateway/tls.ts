import { X509Certificate } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { Agent } from "node:https";
import * as path from "node:path";
import { NodeHttpHandler } from "@smithy/node-http-handler";
import selfsigned from "selfsigned";

// The endpoint's TLS: a certificate authority made for this work directory, and the endpoint's
// certificate (127.0.0.1 and localhost) signed by it. The functions, the AWS SDK and the AWS CLI
// trust the authority through the env file (NODE_EXTRA_CA_CERTS, AWS_CA_BUNDLE); both are kept
// under .tripwire/tls and reused while valid, so a trust given once holds across restarts.

export interface EndpointTls {
  /** The authority's certificate (PEM) and its file: what a client trusts. */
  readonly ca: string;
  readonly caFile: string;
  /** The endpoint's key and certificate. */
  readonly key: string;
  readonly cert: string;
}

const DAY_MS = 86_400_000;
const VALID_DAYS = 825; // the longest a TLS server certificate may be valid for clients to accept it

/** The work directory's authority and endpoint certificate: reused while valid for a month more, else made anew. */
export async function endpointTls(workDir: string): Promise<EndpointTls> {
  const dir = path.join(workDir, "tls");
  const files = {
    ca: path.join(dir, "ca.pem"),
    key: path.join(dir, "endpoint-key.pem"),
    cert: path.join(dir, "endpoint.pem"),
  };
  if (Object.values(files).every((f) => existsSync(f))) {
    const read = {
      ca: readFileSync(files.ca, "utf8"),
      key: readFileSync(files.key, "utf8"),
      cert: readFileSync(files.cert, "utf8"),
    };
    const notAfter = Date.parse(new X509Certificate(read.cert).validTo);
    if (notAfter - Date.now() > 30 * DAY_MS) return { ...read, caFile: files.ca };
  }
  const now = new Date(Date.now() - 60_000);
  const until = new Date(now.getTime() + VALID_DAYS * DAY_MS);
  const authority = await selfsigned.generate([{ name: "commonName", value: "Tripwire local stack CA" }], {
    keyType: "ec",
    curve: "P-256",
    algorithm: "sha256",
    notBeforeDate: now,
    notAfterDate: until,
    extensions: [
      { name: "basicConstraints", cA: true, pathLenConstraint: 0, critical: true },
      { name: "keyUsage", keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    ],
  });
  const endpoint = await selfsigned.generate([{ name: "commonName", value: "127.0.0.1" }], {
    keyType: "ec",
    curve: "P-256",
    algorithm: "sha256",
    notBeforeDate: now,
    notAfterDate: until,
    ca: { key: authority.private, cert: authority.cert },
    extensions: [
      { name: "basicConstraints", cA: false, critical: true },
      { name: "keyUsage", digitalSignature: true, critical: true },
      { name: "extKeyUsage", serverAuth: true },
      {
        name: "subjectAltName",
        altNames: [
          { type: 7, ip: "127.0.0.1" },
          { type: 2, value: "localhost" },
        ],
      },
    ],
  });
  mkdirSync(dir, { recursive: true });
  writeFileSync(files.ca, authority.cert);
  writeFileSync(files.key, endpoint.private, { mode: 0o600 });
  writeFileSync(files.cert, endpoint.cert);
  return { ca: authority.cert, caFile: files.ca, key: endpoint.private, cert: endpoint.cert };
}

/**
 * An SDK request handler trusting the authority: a process's trust store is read once at its start
 * (NODE_EXTRA_CA_CERTS), so clients made in a running process are given it. HTTP/1.1, which Kinesis
 * needs too (its default handler is HTTP/2 for SubscribeToShard, never used here).
 */
export function trustingHandler(ca: string): NodeHttpHandler {
  return new NodeHttpHandler({ httpsAgent: new Agent({ ca, keepAlive: true }), connectionTimeout: 5000 });
}
