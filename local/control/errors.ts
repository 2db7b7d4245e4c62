// How a control-plane operation fails: the service's error (its code and status, worded as the
// service words it), or the operation not answered at all (said by name, local/gateway/wire.ts).

export interface ServiceError extends Error {
  readonly code: string;
  readonly status: number;
}

export function serviceError(code: string, message: string, status = 400): ServiceError {
  return Object.assign(new Error(message), { code, status });
}

/** The operation is not one the local stack answers. */
export function notAnswered(): Error & { readonly notAnswered: true } {
  return Object.assign(new Error("not answered"), { notAnswered: true as const });
}

/** A required input missing, as the services' validation says it. */
export function required(value: string | undefined, name: string): string {
  if (value === undefined || value === "") throw serviceError("ValidationException", `${name} is required`);
  return value;
}
