// LocalStack's lambda_echo.py: print the event, return it.
export const handler = async (event: unknown) => {
  console.log(JSON.stringify(event));
  return event;
};
