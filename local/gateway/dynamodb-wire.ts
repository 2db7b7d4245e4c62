// DynamoDB Local is AWS's own engine, but it does not answer everything as DynamoDB in an account
// does. Where the parity suite holds a recorded answer of AWS's that it answers otherwise, the
// gateway mends the difference on the way in or out — each mend named with the recorded test that
// shows it (test/parity/scenarios/dynamodb.ts):
// - a table named by its ARN: Local takes ARNs in few operations and names its tables
//   `arn:aws:dynamodb:ddblocal:…`; the gateway passes the table's name on, and gives AWS's ARNs back
//   (test_transaction_write_items, test_transact_get_items);
// - validation Local does not do: an empty Parameters list (test_dynamodb_execute_statement_empy_parameter),
//   provisioned throughput on a PAY_PER_REQUEST table (test_dynamodb_pay_per_request);
// - errors Local words otherwise: a table that exists (test_create_duplicate_table), a table that
//   does not (test_batch_write_not_existing_table), a batch item without the table's key
//   (test_batch_write_not_matching_schema).

const TABLE_ARN = /^arn:aws[a-z-]*:dynamodb:[^:]*:\d{12}:table\/([^/]+)$/;

/** A table's name, whether it is named by its name or its ARN. */
const tableName = (named: unknown): unknown =>
  typeof named === "string" ? (TABLE_ARN.exec(named)?.[1] ?? named) : named;

/** What the gateway does with a DynamoDB request: pass it on (maybe mended), or refuse it as DynamoDB would. */
export type DynamoRequest =
  | { readonly json: Record<string, unknown>; readonly refusal?: undefined }
  | { readonly refusal: { readonly code: string; readonly message: string }; readonly json?: undefined };

export function dynamodbRequest(operation: string, json: Record<string, unknown>): DynamoRequest {
  if ((operation === "ExecuteStatement" || operation === "BatchExecuteStatement") && isEmptyList(json.Parameters)) {
    return validation(
      "1 validation error detected: Value '[]' at 'parameters' failed to satisfy constraint: Member must have length greater than or equal to 1",
    );
  }
  if (
    operation === "CreateTable" &&
    json.BillingMode === "PAY_PER_REQUEST" &&
    json.ProvisionedThroughput !== undefined
  ) {
    return validation(
      "One or more parameter values were invalid: Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST",
    );
  }
  return { json: withTableNames(json) };
}

function isEmptyList(value: unknown): boolean {
  return Array.isArray(value) && value.length === 0;
}

function validation(message: string): DynamoRequest {
  return { refusal: { code: "com.amazon.coral.validate#ValidationException", message } };
}

/** Every table a request names, by its name: TableName, RequestItems' keys, each transaction item's TableName. */
function withTableNames(json: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...json };
  if ("TableName" in out) out.TableName = tableName(out.TableName);
  const items = out.RequestItems;
  if (items !== null && typeof items === "object" && !Array.isArray(items)) {
    out.RequestItems = Object.fromEntries(Object.entries(items).map(([k, v]) => [String(tableName(k)), v]));
  }
  if (Array.isArray(out.TransactItems)) {
    out.TransactItems = out.TransactItems.map((item: Record<string, Record<string, unknown>>) =>
      Object.fromEntries(
        Object.entries(item).map(([kind, op]) => [
          kind,
          op && "TableName" in op ? { ...op, TableName: tableName(op.TableName) } : op,
        ]),
      ),
    );
  }
  return out;
}

/** Local's answer, mended where AWS answers otherwise. */
export function dynamodbAnswer(
  operation: string,
  request: Record<string, unknown> | undefined,
  status: number,
  text: string,
  region: string,
): string {
  // AWS's ARNs, in this region: Local's say "ddblocal".
  let answer = text.includes(":ddblocal:")
    ? text.split("arn:aws:dynamodb:ddblocal:").join(`arn:aws:dynamodb:${region}:`)
    : text;
  if (status < 400) return answer;
  let body: { __type?: string; Message?: string; message?: string; [key: string]: unknown };
  try {
    body = JSON.parse(answer) as typeof body;
  } catch {
    return answer;
  }
  const code = body.__type?.slice(body.__type.lastIndexOf("#") + 1);
  const message = body.message ?? body.Message;
  const reworded = (text: string) => {
    const { Message: _, message: __, ...rest } = body;
    return JSON.stringify({ ...rest, message: text });
  };
  if (code === "ResourceInUseException" && message === "Cannot create preexisting table") {
    answer = reworded(`Table already exists: ${String(request?.TableName ?? "")}`);
  } else if (code === "ResourceNotFoundException" && message === "Cannot do operations on a non-existent table") {
    answer = reworded("Requested resource not found");
  } else if (
    code === "ValidationException" &&
    operation === "BatchWriteItem" &&
    message === "One of the required keys was not given a value"
  ) {
    answer = reworded("The provided key element does not match the schema");
  }
  return answer;
}
