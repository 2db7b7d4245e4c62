// LocalStack's create_lambda_with_response: print the event, answer with a fixed response (the
// RESPONSE environment variable, as JSON), or fail as an unhandled exception when it says "raise".
export const handler = async (event: unknown) => {
  console.log(JSON.stringify(event));
  const response = process.env.RESPONSE ?? "null";
  if (response === "raise") throw new Error("division by zero");
  return JSON.parse(response) as unknown;
};
