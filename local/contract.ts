// What a running local stack tells the commands that talk to it (cli/ reads these; local/ owns them).

/** Where a running local stack answers its access report (GET, unsigned, loopback only). */
export const ACCESS_REPORT_PATH = "/_tripwire/access";

/** What `npm start` writes beside its outputs file. */
export interface LocalStackFile {
  /** The AWS endpoint (https, its certificate signed by `caFile`'s authority). */
  readonly endpoint: string;
  /** The stack's own pages and routes (access report, invoke, dashboard): plain HTTP on the same port. */
  readonly pages: string;
  /** The authority to trust for `endpoint` (NODE_EXTRA_CA_CERTS, AWS_CA_BUNDLE). */
  readonly caFile?: string;
  readonly region: string;
  readonly pid: number;
  readonly outputsFile: string;
  readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string };
}

export const LOCAL_STACK_FILE = "local.json";

/** Where a running local stack invokes one of its functions: POST <path>/<function> with the event. */
export const INVOKE_PATH = "/_tripwire/invoke/";

/** The template's dashboard as a web page (GET), beside the alarms and the functions. */
export const DASHBOARD_PATH = "/_tripwire/dashboard/";
