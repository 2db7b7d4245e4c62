import { createHash } from "node:crypto";
import type { NodeHttpHandler } from "@smithy/node-http-handler";

// How the gateway knows whose call it is: each function's calls are signed with an access key
// derived from its stack and logical id, as STS credentials name an assumed role. A function's own
// key may be faulted (reliability tests); its mapping's, destinations' and dead-letter queue's is not.

/** The credentials of the env file: the account's administrator, as for LocalStack. */
export const ADMIN_CREDENTIALS = { accessKeyId: "test", secretAccessKey: "test" };

/** A function's access key: the gateway knows the role by it. */
export function accessKeyFor(stack: string, logicalId: string, who: "function" | "mapping"): string {
  return `ASIA${createHash("sha256").update(`${stack}/${logicalId}/${who}`).digest("hex").slice(0, 16).toUpperCase()}`;
}

/** The credentials a function's mapping, destinations and dead-letter queue use: they name its role. */
export function roleCredentials(stack: string, logicalId: string) {
  return { accessKeyId: accessKeyFor(stack, logicalId, "mapping"), secretAccessKey: "local", sessionToken: "local" };
}

/** What a client needs to call the endpoint as someone. */
export interface ClientConfig {
  readonly region: string;
  readonly endpoint: string;
  readonly credentials: {
    readonly accessKeyId: string;
    readonly secretAccessKey: string;
    readonly sessionToken?: string;
  };
  /** Over HTTPS: a handler trusting the local stack's authority. */
  readonly requestHandler?: NodeHttpHandler;
}
