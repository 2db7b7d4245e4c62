import { readingsFunction } from "#apps/zones/app.js";
import { keyedHandler } from "#core/handler.js";

/** Zone temperatures: a window of the last 500 readings per zone, four rules, ALARM and OK on SNS. */
export const handler = keyedHandler(readingsFunction());
