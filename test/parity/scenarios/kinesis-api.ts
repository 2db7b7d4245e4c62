import { createHash, createHmac } from "node:crypto";
import {
  AddTagsToStreamCommand,
  CreateStreamCommand,
  DeleteResourcePolicyCommand,
  DescribeStreamCommand,
  DescribeStreamConsumerCommand,
  GetRecordsCommand,
  GetResourcePolicyCommand,
  GetShardIteratorCommand,
  ListStreamConsumersCommand,
  ListTagsForStreamCommand,
  PutRecordCommand,
  PutResourcePolicyCommand,
  RegisterStreamConsumerCommand,
} from "@aws-sdk/client-kinesis";
import { decode as decodeCbor, encode as encodeCbor } from "cbor2";
import { streamActive } from "../../../local/cloudformation/deploy.js";
import type { ParityContext, Scenario } from "../scenario.js";
import { answer, pythonJson, uid } from "./api.js";

// Kinesis's API, from LocalStack's kinesis/test_kinesis.py and its snapshot: an on-demand stream's
// shards, tags, data kept byte for byte, enhanced fan-out consumers, resource policies and a CBOR
// error — what kinesis-mock answers behind the endpoint.

const FILE = "kinesis/test_kinesis.snapshot.json";
const CLASS = "TestKinesis";
const kinesis = (ctx: ParityContext) => ctx.clients.kinesis;

/** A stream as the tests' kinesis_create_stream makes one, ready. */
async function stream(ctx: ParityContext, shardCount?: number): Promise<{ name: string; arn: string }> {
  const name = uid("test-stream");
  await kinesis(ctx).send(
    new CreateStreamCommand({ StreamName: name, ...(shardCount ? { ShardCount: shardCount } : {}) }),
  );
  await streamActive(kinesis(ctx), name);
  const out = await kinesis(ctx).send(new DescribeStreamCommand({ StreamName: name }));
  return { name, arn: out.StreamDescription?.StreamARN ?? "" };
}

/** The literals test_kinesis.py's transformers put: "timestamp" for times, the hash keys' names for them. */
function normalisedKinesis(value: unknown, key = ""): unknown {
  if (value instanceof Date) return "timestamp";
  if (value instanceof Uint8Array) return pythonBytes(value);
  if (Array.isArray(value)) return value.map((v) => normalisedKinesis(v));
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, normalisedKinesis(v, k)]));
  }
  if (key === "StartingHashKey" && typeof value === "string" && /^\d+$/.test(value)) return "starting_hash";
  if (key === "EndingHashKey" && typeof value === "string" && /^\d+$/.test(value)) return "ending_hash";
  return value;
}

/** Bytes as Python's repr writes them (the test snapshots boto3's bytes): b'…' with \xNN escapes. */
function pythonBytes(bytes: Uint8Array): string {
  let out = "";
  for (const b of bytes) {
    if (b === 0x5c) out += "\\\\";
    else if (b === 0x27) out += "\\'";
    else if (b === 0x0a) out += "\\n";
    else if (b === 0x0d) out += "\\r";
    else if (b === 0x09) out += "\\t";
    else if (b >= 0x20 && b < 0x7f) out += String.fromCharCode(b);
    else out += `\\x${b.toString(16).padStart(2, "0")}`;
  }
  return `b'${out}'`;
}

/** A request signed enough for the endpoint to know the service (SigV4's credential scope), with a CBOR body. */
async function cborCall(endpoint: string, operation: string, payload: unknown) {
  const body = Buffer.from(encodeCbor(payload));
  const date = new Date().toISOString().replace(/[-:]|\.\d{3}/g, "");
  const scope = `${date.slice(0, 8)}/us-east-1/kinesis/aws4_request`;
  const signature = createHmac("sha256", "test").update(createHash("sha256").update(body).digest("hex")).digest("hex");
  const response = await fetch(endpoint, {
    method: "POST",
    headers: {
      "content-type": "application/x-amz-cbor-1.1",
      "x-amz-target": `Kinesis_20131202.${operation}`,
      "x-amz-date": date,
      authorization: `AWS4-HMAC-SHA256 Credential=test/${scope}, SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature=${signature}`,
    },
    body,
  });
  return { status: response.status, data: decodeCbor(new Uint8Array(await response.arrayBuffer())) };
}

export const KINESIS_API_SCENARIOS: readonly Scenario[] = [
  {
    family: "kinesis-api",
    name: "a stream created without a shard count: on demand, four shards",
    source: { file: FILE, test: `${CLASS}::test_create_stream_without_shard_count`, keys: ["Shards"] },
    async run(ctx) {
      const { name } = await stream(ctx);
      const out = await kinesis(ctx).send(new DescribeStreamCommand({ StreamName: name }));
      const shards = [...(out.StreamDescription?.Shards ?? [])].sort((a, b) =>
        String(a.ShardId).localeCompare(String(b.ShardId)),
      );
      return { Shards: normalisedKinesis(shards) };
    },
    recorded: {
      Shards: [1, 2, 3, 4].map((i) => ({
        ShardId: `<shard_id:${i}>`,
        HashKeyRange: { StartingHashKey: "starting_hash", EndingHashKey: "ending_hash" },
        SequenceNumberRange: { StartingSequenceNumber: `<starting_sequence_number:${i}>` },
      })),
    },
  },
  {
    family: "kinesis-api",
    name: "tags added to a stream and listed",
    source: { file: FILE, test: `${CLASS}::test_add_tags_to_stream`, keys: ["Tags"] },
    async run(ctx) {
      const { name } = await stream(ctx, 1);
      await kinesis(ctx).send(new AddTagsToStreamCommand({ StreamName: name, Tags: { foo: "bar" } }));
      const out = await kinesis(ctx).send(new ListTagsForStreamCommand({ StreamName: name }));
      if (out.HasMoreTags) throw new Error("HasMoreTags for one tag");
      return { Tags: out.Tags?.[0] };
    },
    recorded: { Tags: { Key: "foo", Value: "bar" } },
  },
  {
    family: "kinesis-api",
    name: "records come back byte for byte: empty, long, Unicode",
    source: { file: FILE, test: `${CLASS}::test_record_lifecycle_data_integrity`, keys: ["Records"] },
    async run(ctx) {
      const { name } = await stream(ctx, 1);
      const described = await kinesis(ctx).send(new DescribeStreamCommand({ StreamName: name }));
      const { ShardIterator } = await kinesis(ctx).send(
        new GetShardIteratorCommand({
          StreamName: name,
          ShardId: described.StreamDescription?.Shards?.[0]?.ShardId,
          ShardIteratorType: "TRIM_HORIZON",
        }),
      );
      for (const data of ["test", "ünicödé 统一码 💣💻🔥", "a".repeat(1000), ""]) {
        await kinesis(ctx).send(new PutRecordCommand({ StreamName: name, Data: Buffer.from(data), PartitionKey: "1" }));
      }
      const out = await kinesis(ctx).send(new GetRecordsCommand({ ShardIterator }));
      const records = [...(out.Records ?? [])].sort((a, b) =>
        Buffer.compare(Buffer.from(a.Data ?? []), Buffer.from(b.Data ?? [])),
      );
      return { Records: normalisedKinesis(records) };
    },
    recorded: {
      Records: ["", "a".repeat(1000), "test", "ünicödé 统一码 💣💻🔥"].map((data, i) => ({
        SequenceNumber: `<sequence_number:${i + 1}>`,
        ApproximateArrivalTimestamp: "timestamp",
        Data: pythonBytes(Buffer.from(data)),
        PartitionKey: "1",
      })),
    },
  },
  {
    family: "kinesis-api",
    name: "an enhanced fan-out consumer, listed and described",
    source: {
      file: FILE,
      test: `${CLASS}::test_stream_consumers`,
      keys: ["One_consumer_by_list_stream", "One_consumer_by_describe_stream"],
    },
    async run(ctx) {
      const { arn } = await stream(ctx, 1);
      const registered = await kinesis(ctx).send(
        new RegisterStreamConsumerCommand({ StreamARN: arn, ConsumerName: "consumer" }),
      );
      const consumerArn = registered.Consumer?.ConsumerARN;
      for (let i = 0; i < 100; i++) {
        const d = await kinesis(ctx).send(
          new DescribeStreamConsumerCommand({ StreamARN: arn, ConsumerARN: consumerArn }),
        );
        if (d.ConsumerDescription?.ConsumerStatus === "ACTIVE") break;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      const listed = await kinesis(ctx).send(new ListStreamConsumersCommand({ StreamARN: arn }));
      const described = await kinesis(ctx).send(
        new DescribeStreamConsumerCommand({ StreamARN: arn, ConsumerARN: consumerArn }),
      );
      return {
        One_consumer_by_list_stream: normalisedKinesis(listed.Consumers),
        One_consumer_by_describe_stream: normalisedKinesis(described.ConsumerDescription),
      };
    },
    recorded: {
      One_consumer_by_list_stream: [
        {
          ConsumerName: "consumer",
          ConsumerARN: "arn:<partition>:kinesis:<region>:111111111111:<stream-name>/<stream-consumer>",
          ConsumerStatus: "ACTIVE",
          ConsumerCreationTimestamp: "timestamp",
        },
      ],
      One_consumer_by_describe_stream: {
        ConsumerARN: "arn:<partition>:kinesis:<region>:111111111111:<stream-name>/<stream-consumer>",
        ConsumerCreationTimestamp: "timestamp",
        ConsumerName: "consumer",
        ConsumerStatus: "ACTIVE",
        StreamARN: "arn:<partition>:kinesis:<region>:111111111111:<stream-name>",
      },
    },
  },
  {
    family: "kinesis-api",
    name: "an error in CBOR, as the SDKs that speak it get it",
    source: { file: FILE, test: `${CLASS}::test_cbor_exceptions`, keys: ["cbor-error"] },
    async run(ctx) {
      // Over plain HTTP (the endpoint's port speaks both): fetch does not know the local authority.
      const endpoint = String(
        await ctx.clients.kinesis.config.endpoint?.().then((e) => `http://${e.hostname}:${e.port}`),
      );
      const { status, data } = await cborCall(endpoint, "DescribeStream", {
        StreamARN: "arn:aws:kinesis:us-east-1:000000000000:stream/wrong-stream-name",
      });
      if (status !== 400) throw new Error(`answered ${status}, AWS 400`);
      return { "cbor-error": data };
    },
    recorded: {
      "cbor-error": {
        __type: "ResourceNotFoundException",
        message: "Stream wrong-stream-name under account 111111111111 not found.",
      },
    },
  },
  {
    family: "kinesis-api",
    name: "a stream's resource policy: none, put, replaced, deleted",
    source: {
      file: FILE,
      test: `${CLASS}::test_resource_policy_crud`,
      keys: [
        "default_policy_if_not_set",
        "put_resource_policy_if_not_set",
        "get_resource_policy_after_set",
        "update_resource_policy",
        "get_resource_policy_after_update",
        "delete_resource_policy",
        "get_resource_policy_after_delete",
      ],
    },
    async run(ctx) {
      const { arn } = await stream(ctx);
      const principal = "arn:aws:iam::000000000000:root";
      const get = async () => {
        const out = answer(await kinesis(ctx).send(new GetResourcePolicyCommand({ ResourceARN: arn })));
        return { ...out, Policy: JSON.parse(out.Policy ?? "{}") as unknown };
      };
      const put = async (Sid: string, Action: string | string[]) =>
        answer(
          await kinesis(ctx).send(
            new PutResourcePolicyCommand({
              ResourceARN: arn,
              Policy: pythonJson({
                Version: "2012-10-17",
                Statement: [{ Sid, Effect: "Allow", Principal: { AWS: principal }, Action, Resource: arn }],
              }),
            }),
          ),
        );
      const out: Record<string, unknown> = { default_policy_if_not_set: await get() };
      out.put_resource_policy_if_not_set = await put("AllowCrossAccountWrite", "kinesis:PutRecord");
      out.get_resource_policy_after_set = await get();
      out.update_resource_policy = await put("AllowCrossAccountReadWrite", ["kinesis:PutRecord", "kinesis:GetRecords"]);
      out.get_resource_policy_after_update = await get();
      out.delete_resource_policy = answer(
        await kinesis(ctx).send(new DeleteResourcePolicyCommand({ ResourceARN: arn })),
      );
      out.get_resource_policy_after_delete = await get();
      return out;
    },
    recorded: {
      default_policy_if_not_set: { Policy: {} },
      put_resource_policy_if_not_set: {},
      get_resource_policy_after_set: {
        Policy: {
          Version: "2012-10-17",
          Statement: [
            {
              Sid: "AllowCrossAccountWrite",
              Effect: "Allow",
              Principal: { AWS: "arn:<partition>:iam::111111111111:root" },
              Action: "kinesis:PutRecord",
              Resource: "arn:<partition>:kinesis:<region>:111111111111:<stream-name>",
            },
          ],
        },
      },
      update_resource_policy: {},
      get_resource_policy_after_update: {
        Policy: {
          Version: "2012-10-17",
          Statement: [
            {
              Sid: "AllowCrossAccountReadWrite",
              Effect: "Allow",
              Principal: { AWS: "arn:<partition>:iam::111111111111:root" },
              Action: ["kinesis:PutRecord", "kinesis:GetRecords"],
              Resource: "arn:<partition>:kinesis:<region>:111111111111:<stream-name>",
            },
          ],
        },
      },
      delete_resource_policy: {},
      get_resource_policy_after_delete: { Policy: {} },
    },
  },
];
