import { decode as decodeCbor, encode as encodeCbor } from "cbor2";

// kinesis-mock (LocalStack's own Kinesis engine) answers a few things otherwise than Kinesis in an
// account; where the parity suite holds AWS's recorded answer, the gateway mends it on the way out —
// each mend named with the recorded test that shows it (test/parity/scenarios/kinesis-api.ts):
// - a record of an unencrypted stream has no EncryptionType (test_record_lifecycle_data_integrity);
// - a stream not found is "Stream NAME under account ACCOUNT not found." (test_cbor_exceptions);
// - a stream without a resource policy has the empty policy "{}", not an error (test_resource_policy_crud).

const STREAM_NOT_FOUND = /^Stream arn arn:aws[a-z-]*:kinesis:[^:]*:(\d{12}):stream\/([^\s]+) not found$/;

/** kinesis-mock's answer, mended where Kinesis answers otherwise; JSON and CBOR alike. */
export function kinesisAnswer(
  operation: string,
  status: number,
  body: Buffer,
  contentType: string | undefined,
): { status: number; body: Buffer } {
  const cbor = contentType?.includes("cbor") ?? false;
  let parsed: Record<string, unknown>;
  try {
    parsed = (cbor ? decodeCbor(body) : JSON.parse(body.toString("utf8"))) as Record<string, unknown>;
  } catch {
    return { status, body };
  }
  if (parsed === null || typeof parsed !== "object") return { status, body };
  const mended = mend(operation, status, parsed);
  if (mended === undefined) return { status, body };
  return {
    status: mended.status,
    body: cbor ? Buffer.from(encodeCbor(mended.body)) : Buffer.from(JSON.stringify(mended.body)),
  };
}

function mend(
  operation: string,
  status: number,
  body: Record<string, unknown>,
): { status: number; body: Record<string, unknown> } | undefined {
  if (status < 400 && operation === "GetRecords" && Array.isArray(body.Records)) {
    const records = body.Records as Record<string, unknown>[];
    if (!records.some((r) => r.EncryptionType === "NONE")) return undefined;
    return {
      status,
      body: {
        ...body,
        Records: records.map(({ EncryptionType, ...r }) => (EncryptionType === "NONE" ? r : { ...r, EncryptionType })),
      },
    };
  }
  if (status >= 400 && body.__type === "ResourceNotFoundException") {
    const message = String(body.message ?? body.Message ?? "");
    if (operation === "GetResourcePolicy" && message.startsWith("No resource policy exists")) {
      return { status: 200, body: { Policy: "{}" } };
    }
    const notFound = STREAM_NOT_FOUND.exec(message);
    if (notFound) {
      return {
        status,
        body: { __type: body.__type, message: `Stream ${notFound[2]} under account ${notFound[1]} not found.` },
      };
    }
  }
  return undefined;
}
