// LocalStack's lambda_none.js: print the event, return nothing.
export const handler = async (event: unknown) => {
  console.log(JSON.stringify(event));
};
