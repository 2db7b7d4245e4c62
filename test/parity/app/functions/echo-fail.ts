// LocalStack's lambda_echofail.py: print the event, then fail.
export const handler = async (event: unknown, context: { awsRequestId: string }) => {
  console.log(JSON.stringify({ event, aws_request_id: context.awsRequestId }));
  throw new Error("intentional failure");
};
