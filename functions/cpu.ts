import { cpuFunction } from "#apps/cpu/app.js";
import { keyedHandler } from "#core/handler.js";

/** Server CPU: one CPU_HIGH ALARM above the threshold, one OK when back at or below it. */
export const handler = keyedHandler(cpuFunction());
