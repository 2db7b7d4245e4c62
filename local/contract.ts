// What a running local stack tells the commands that talk to it (cli/ reads these; local/ owns them).

/** Where a running local stack answers its access report (GET, unsigned, loopback only). */
export const ACCESS_REPORT_PATH = "/_tripwire/access";

/** What `npm start` writes beside its outputs file. */
export interface LocalStackFile {
  readonly endpoint: string;
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
