// LocalStack's lambda_timeout.py: wait as long as the event says, past the function's timeout.
export const handler = async (event: { wait?: number }) => {
  console.log("starting wait");
  await new Promise((resolve) => setTimeout(resolve, (event.wait ?? 0) * 1000));
  console.log("done waiting");
  return {};
};
