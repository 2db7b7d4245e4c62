import * as dynamodb from "@aws-sdk/client-dynamodb";
import {
  BatchExecuteStatementCommand,
  BatchGetItemCommand,
  BatchWriteItemCommand,
  CreateTableCommand,
  type CreateTableCommandInput,
  DeleteItemCommand,
  ExecuteStatementCommand,
  ExecuteTransactionCommand,
  GetItemCommand,
  PutItemCommand,
  ScanCommand,
  TransactGetItemsCommand,
  TransactWriteItemsCommand,
} from "@aws-sdk/client-dynamodb";
import type { ParityContext, Scenario } from "../scenario.js";
import { answer, errorOf, uid } from "./api.js";

// DynamoDB, from LocalStack's dynamodb/test_dynamodb.py and its snapshot: return values, batch and
// transactional writes and reads (cancellation reasons, client tokens, table ARNs as names),
// PartiQL, and DynamoDB's own validation messages — the answers of AWS's DynamoDB Local here.

const FILE = "dynamodb/test_dynamodb.snapshot.json";
const CLASS = "TestDynamoDB";
const db = (ctx: ParityContext) => ctx.clients.dynamodb;

/** boto3's text of a ClientError, as a test snapshots `ctx.value`. */
async function errorText(call: Promise<unknown>, operation: string): Promise<string> {
  try {
    await call;
    return "(the call succeeded)";
  } catch (err) {
    const e = err as { name: string; message: string; Error?: { Code?: string } };
    return `An error occurred (${e.Error?.Code ?? e.name}) when calling the ${operation} operation: ${e.message}`;
  }
}

/** A table as the tests' dynamodb_create_table_with_parameters makes one (provisioned 5/5 unless said). */
async function table(
  ctx: ParityContext,
  keys: Record<string, "HASH" | "RANGE">,
  extra: Partial<CreateTableCommandInput> = {},
) {
  const TableName = uid("test-ddb-table");
  const out = await db(ctx).send(
    new CreateTableCommand({
      TableName,
      KeySchema: Object.entries(keys).map(([AttributeName, KeyType]) => ({ AttributeName, KeyType })),
      AttributeDefinitions: Object.keys(keys).map((AttributeName) => ({ AttributeName, AttributeType: "S" })),
      ProvisionedThroughput: { ReadCapacityUnits: 5, WriteCapacityUnits: 5 },
      ...extra,
    }),
  );
  return { name: TableName, arn: out.TableDescription?.TableArn ?? "" };
}

export const DYNAMODB_SCENARIOS: readonly Scenario[] = [
  {
    family: "dynamodb",
    name: "PutItem's ReturnValues ALL_OLD: nothing for a new item, the old one after",
    source: {
      file: FILE,
      test: `${CLASS}::test_return_values_in_put_item`,
      keys: ["PutFirstItem", "PutFirstItemOLD", "PutFirstItemB", "PutSecondItem", "PutSecondItemReturnNone"],
    },
    async run(ctx) {
      const { name } = await table(ctx, { id: "HASH" });
      const put = async (data: string, all = true) =>
        answer(
          await db(ctx).send(
            new PutItemCommand({
              TableName: name,
              Item: { id: { S: "id1" }, data: { S: data } },
              ...(all ? { ReturnValues: "ALL_OLD" } : {}),
            }),
          ),
        );
      return {
        PutFirstItem: await put("foobar"),
        PutFirstItemOLD: await put("foobar"),
        PutFirstItemB: await put("barfoo"),
        PutSecondItem: await put("foobar", false),
        PutSecondItemReturnNone: await put("foobar", false),
      };
    },
    recorded: {
      PutFirstItem: {},
      PutFirstItemOLD: { Attributes: { data: { S: "foobar" }, id: { S: "id1" } } },
      PutFirstItemB: { Attributes: { data: { S: "foobar" }, id: { S: "id1" } } },
      PutSecondItem: {},
      PutSecondItemReturnNone: {},
    },
  },
  {
    family: "dynamodb",
    name: "CreateTable of a table that exists",
    source: { file: FILE, test: `${CLASS}::test_create_duplicate_table`, keys: ["Error"] },
    async run(ctx) {
      const { name } = await table(ctx, { id: "HASH" });
      const again = db(ctx).send(
        new CreateTableCommand({
          TableName: name,
          KeySchema: [{ AttributeName: "id", KeyType: "HASH" }],
          AttributeDefinitions: [{ AttributeName: "id", AttributeType: "S" }],
          ProvisionedThroughput: { ReadCapacityUnits: 5, WriteCapacityUnits: 5 },
        }),
      );
      return { Error: await errorText(again, "CreateTable") };
    },
    recorded: {
      Error:
        "An error occurred (ResourceInUseException) when calling the CreateTable operation: Table already exists: <test-table>",
    },
  },
  {
    family: "dynamodb",
    name: "TransactWriteItems of a check, a put, an update and a delete, by name and by table ARN",
    source: {
      file: FILE,
      test: `${CLASS}::test_transaction_write_items`,
      keys: ["Response", "Response_using_table_arn"],
    },
    async run(ctx) {
      const write = (TableName: string) =>
        db(ctx).send(
          new TransactWriteItemsCommand({
            TransactItems: [
              {
                ConditionCheck: {
                  TableName,
                  ConditionExpression: "attribute_not_exists(id)",
                  Key: { id: { S: "test1" } },
                },
              },
              { Put: { TableName, Item: { id: { S: "test2" } } } },
              {
                Update: {
                  TableName,
                  Key: { id: { S: "test3" } },
                  UpdateExpression: "SET attr1 = :v1, attr2 = :v2",
                  ExpressionAttributeValues: { ":v1": { S: "value1" }, ":v2": { S: "value2" } },
                },
              },
              { Delete: { TableName, Key: { id: { S: "test4" } } } },
            ],
          }),
        );
      const first = await table(ctx, { id: "HASH" });
      const second = await table(ctx, { id: "HASH" });
      return { Response: answer(await write(first.name)), Response_using_table_arn: answer(await write(second.arn)) };
    },
    recorded: { Response: {}, Response_using_table_arn: {} },
  },
  {
    family: "dynamodb",
    name: "a transaction whose condition fails is cancelled, with the reasons in order",
    source: { file: FILE, test: `${CLASS}::test_transaction_write_canceled`, keys: ["Error"] },
    async run(ctx) {
      const { name } = await table(ctx, { Username: "HASH" });
      await db(ctx).send(new PutItemCommand({ TableName: name, Item: { Username: { S: "Fred" } } }));
      const cancelled = db(ctx).send(
        new TransactWriteItemsCommand({
          TransactItems: [
            {
              ConditionCheck: {
                TableName: name,
                ConditionExpression: "attribute_not_exists(Username)",
                Key: { Username: { S: "Fred" } },
              },
            },
            { Delete: { TableName: name, Key: { Username: { S: "Bert" } } } },
          ],
        }),
      );
      return { Error: await errorText(cancelled, "TransactWriteItems") };
    },
    recorded: {
      Error:
        "An error occurred (TransactionCanceledException) when calling the TransactWriteItems operation: Transaction cancelled, please refer cancellation reasons for specific reasons [ConditionalCheckFailed, None]",
    },
  },
  {
    family: "dynamodb",
    name: "a failed condition with ReturnValuesOnConditionCheckFailure ALL_OLD carries the item",
    source: { file: FILE, test: `${CLASS}::test_return_values_on_conditions_check_failure`, keys: ["items"] },
    async run(ctx) {
      const { name } = await table(ctx, { id: "HASH" });
      await db(ctx).send(
        new PutItemCommand({
          TableName: name,
          Item: { id: { S: "456" }, price: { N: "650" }, product: { S: "sporting goods" } },
        }),
      );
      const failed = db(ctx).send(
        new DeleteItemCommand({
          TableName: name,
          Key: { id: { S: "456" } },
          ConditionExpression: "price between :lo and :hi",
          ExpressionAttributeValues: { ":lo": { N: "500" }, ":hi": { N: "600" } },
          ReturnValuesOnConditionCheckFailure: "ALL_OLD",
        }),
      );
      return { items: await errorOf(failed, "json", dynamodb) };
    },
    recorded: {
      items: {
        Error: { Code: "ConditionalCheckFailedException", Message: "The conditional request failed" },
        Item: { id: { S: "456" }, price: { N: "650" }, product: { S: "sporting goods" } },
      },
    },
  },
  {
    family: "dynamodb",
    name: "BatchWriteItem of an item without the table's key",
    source: { file: FILE, test: `${CLASS}::test_batch_write_not_matching_schema`, keys: ["ValidationException"] },
    async run(ctx) {
      const { name } = await table(ctx, { id: "HASH", sortKey: "RANGE" });
      const write = db(ctx).send(
        new BatchWriteItemCommand({ RequestItems: { [name]: [{ PutRequest: { Item: { nonKey: { S: "hello" } } } }] } }),
      );
      return { ValidationException: await errorText(write, "BatchWriteItem") };
    },
    recorded: {
      ValidationException:
        "An error occurred (ValidationException) when calling the BatchWriteItem operation: The provided key element does not match the schema",
    },
  },
  {
    family: "dynamodb",
    name: "TransactWriteItems on a table that does not exist",
    source: {
      file: FILE,
      test: `${CLASS}::test_batch_write_not_existing_table`,
      keys: ["exc-not-found-transact-write-items"],
    },
    async run(ctx) {
      const write = db(ctx).send(
        new TransactWriteItemsCommand({ TransactItems: [{ Put: { TableName: "non-existing-table", Item: {} } }] }),
      );
      return { "exc-not-found-transact-write-items": await errorOf(write, "json", dynamodb) };
    },
    recorded: {
      "exc-not-found-transact-write-items": {
        Error: { Code: "ResourceNotFoundException", Message: "Requested resource not found" },
        message: "Requested resource not found",
      },
    },
  },
  {
    family: "dynamodb",
    name: "BatchWriteItem of a delete and a put: nothing unprocessed",
    source: { file: FILE, test: `${CLASS}::test_batch_write_items`, keys: ["BatchWriteResponse"] },
    async run(ctx) {
      const { name } = await table(ctx, { id: "HASH" });
      await db(ctx).send(new PutItemCommand({ TableName: name, Item: { id: { S: "Fred" } } }));
      const out = await db(ctx).send(
        new BatchWriteItemCommand({
          RequestItems: {
            [name]: [{ DeleteRequest: { Key: { id: { S: "Fred" } } } }, { PutRequest: { Item: { id: { S: "Bob" } } } }],
          },
        }),
      );
      return { BatchWriteResponse: answer(out) };
    },
    recorded: { BatchWriteResponse: { UnprocessedItems: {} } },
  },
  {
    family: "dynamodb",
    name: "BatchGetItem of a key not there",
    source: { file: FILE, test: `${CLASS}::test_dynamodb_get_batch_items`, keys: ["Response"] },
    async run(ctx) {
      const { name } = await table(
        ctx,
        { PK: "HASH" },
        { ProvisionedThroughput: { ReadCapacityUnits: 1, WriteCapacityUnits: 1 } },
      );
      return {
        Response: answer(
          await db(ctx).send(
            new BatchGetItemCommand({ RequestItems: { [name]: { Keys: [{ PK: { S: "test-key" } }] } } }),
          ),
        ),
      };
    },
    recorded: { Response: { Responses: { "<test-table>": [] }, UnprocessedKeys: {} } },
  },
  {
    family: "dynamodb",
    name: "TransactGetItems by table name and by table ARN",
    source: {
      file: FILE,
      test: `${CLASS}::test_transact_get_items`,
      keys: ["TransactGetItems", "TransactGetItems-with-TableArn"],
    },
    async run(ctx) {
      const read = async (TableName: string, who: string) =>
        answer(
          await db(ctx).send(
            new TransactGetItemsCommand({ TransactItems: [{ Get: { Key: { id: { S: who } }, TableName } }] }),
          ),
        );
      const first = await table(ctx, { id: "HASH" });
      await db(ctx).send(new PutItemCommand({ TableName: first.name, Item: { id: { S: "John" } } }));
      const second = await table(ctx, { id: "HASH" });
      await db(ctx).send(new PutItemCommand({ TableName: second.name, Item: { id: { S: "Sarah" } } }));
      return {
        TransactGetItems: await read(first.name, "John"),
        "TransactGetItems-with-TableArn": await read(second.arn, "Sarah"),
      };
    },
    recorded: {
      TransactGetItems: { Responses: [{ Item: { id: { S: "John" } } }] },
      "TransactGetItems-with-TableArn": { Responses: [{ Item: { id: { S: "Sarah" } } }] },
    },
  },
  {
    family: "dynamodb",
    name: "ExecuteTransaction of two PartiQL inserts",
    source: {
      file: FILE,
      test: `${CLASS}::test_dynamodb_execute_transaction`,
      keys: ["ExecutedTransaction", "TableScan"],
    },
    async run(ctx) {
      const { name } = await table(ctx, { Username: "HASH" });
      const executed = await db(ctx).send(
        new ExecuteTransactionCommand({
          TransactStatements: [
            { Statement: `INSERT INTO "${name}" VALUE {'Username': 'user01'}` },
            { Statement: `INSERT INTO "${name}" VALUE {'Username': 'user02'}` },
          ],
        }),
      );
      const scan = answer(await db(ctx).send(new ScanCommand({ TableName: name })));
      const items = [...(scan.Items ?? [])].sort((a, b) => String(a.Username?.S).localeCompare(String(b.Username?.S)));
      return { ExecutedTransaction: answer(executed), TableScan: { ...scan, Items: items } };
    },
    recorded: {
      ExecutedTransaction: { Responses: [] },
      TableScan: { Count: 2, Items: [{ Username: { S: "user01" } }, { Username: { S: "user02" } }], ScannedCount: 2 },
    },
  },
  {
    family: "dynamodb",
    name: "BatchExecuteStatement of an insert and an update",
    source: {
      file: FILE,
      test: `${CLASS}::test_dynamodb_batch_execute_statement`,
      keys: ["ExecutedStatement", "ItemUser2", "ItemUser1"],
    },
    async run(ctx) {
      const { name } = await table(ctx, { Username: "HASH" });
      await db(ctx).send(new PutItemCommand({ TableName: name, Item: { Username: { S: "user02" } } }));
      const executed = await db(ctx).send(
        new BatchExecuteStatementCommand({
          Statements: [
            { Statement: `INSERT INTO "${name}" VALUE {'Username': 'user01'}` },
            { Statement: `UPDATE "${name}" SET Age=20 WHERE Username='user02'` },
          ],
        }),
      );
      const item = async (who: string) =>
        (await db(ctx).send(new GetItemCommand({ TableName: name, Key: { Username: { S: who } } }))).Item;
      return { ExecutedStatement: answer(executed), ItemUser2: await item("user02"), ItemUser1: await item("user01") };
    },
    recorded: {
      ExecutedStatement: { Responses: [{ TableName: "<test-table>" }, { TableName: "<test-table>" }] },
      ItemUser2: { Age: { N: "20" }, Username: { S: "user02" } },
      ItemUser1: { Username: { S: "user01" } },
    },
  },
  {
    family: "dynamodb",
    name: "PartiQL's IS NOT MISSING",
    source: { file: FILE, test: `${CLASS}::test_dynamodb_partiql_missing`, keys: ["FirstNameNotMissing"] },
    async run(ctx) {
      const { name } = await table(ctx, { Username: "HASH" });
      await db(ctx).send(
        new ExecuteStatementCommand({
          Statement: `INSERT INTO "${name}" VALUE {'Username': 'Alice123', 'FirstName':'Alice'}`,
        }),
      );
      const out = await db(ctx).send(
        new ExecuteStatementCommand({ Statement: `SELECT * FROM "${name}" WHERE FirstName IS NOT MISSING` }),
      );
      return { FirstNameNotMissing: out.Items };
    },
    recorded: { FirstNameNotMissing: [{ FirstName: { S: "Alice" }, Username: { S: "Alice123" } }] },
  },
  {
    family: "dynamodb",
    name: "a ClientRequestToken repeated with the same item in another order: the same transaction",
    source: { file: FILE, test: `${CLASS}::test_dynamodb_idempotent_writing`, keys: ["Response1", "Response2"] },
    async run(ctx) {
      const { name } = await table(ctx, { id: "HASH", name: "RANGE" });
      const write = async (Item: Record<string, { S: string }>) =>
        answer(
          await db(ctx).send(
            new TransactWriteItemsCommand({
              ClientRequestToken: "dedupe_token",
              TransactItems: [{ Put: { TableName: name, Item } }],
            }),
          ),
        );
      return {
        Response1: await write({ id: { S: "id1" }, name: { S: "name1" } }),
        Response2: await write({ name: { S: "name1" }, id: { S: "id1" } }),
      };
    },
    recorded: { Response1: {}, Response2: {} },
  },
  {
    family: "dynamodb",
    name: "ExecuteStatement with an empty Parameters list",
    source: {
      file: FILE,
      test: `${CLASS}::test_dynamodb_execute_statement_empy_parameter`,
      keys: ["invalid-param-error"],
    },
    async run(ctx) {
      const { name } = await table(ctx, { Artist: "HASH", SongTitle: "RANGE" });
      await db(ctx).send(
        new PutItemCommand({
          TableName: name,
          Item: { Artist: { S: "The Queen" }, SongTitle: { S: "Bohemian Rhapsody" } },
        }),
      );
      return {
        "invalid-param-error": await errorOf(
          db(ctx).send(new ExecuteStatementCommand({ Statement: `SELECT * FROM "${name}"`, Parameters: [] })),
          "json",
        ),
      };
    },
    recorded: {
      "invalid-param-error": {
        Error: {
          Code: "ValidationException",
          Message:
            "1 validation error detected: Value '[]' at 'parameters' failed to satisfy constraint: Member must have length greater than or equal to 1",
        },
      },
    },
  },
  {
    family: "dynamodb",
    name: "PAY_PER_REQUEST with provisioned throughput",
    source: { file: FILE, test: `${CLASS}::test_dynamodb_pay_per_request`, keys: ["Error"] },
    async run(ctx) {
      const create = db(ctx).send(
        new CreateTableCommand({
          TableName: uid("ddb-table"),
          KeySchema: [{ AttributeName: "id", KeyType: "HASH" }],
          AttributeDefinitions: [{ AttributeName: "id", AttributeType: "S" }],
          ProvisionedThroughput: { ReadCapacityUnits: 5, WriteCapacityUnits: 5 },
          BillingMode: "PAY_PER_REQUEST",
        }),
      );
      return { Error: await errorText(create, "CreateTable") };
    },
    recorded: {
      Error:
        "An error occurred (ValidationException) when calling the CreateTable operation: One or more parameter values were invalid: Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST",
    },
  },
];
