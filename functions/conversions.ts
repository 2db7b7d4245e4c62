import { conversionsHandler } from "#apps/campaign/functions.js";

/** Ad conversions: clicks earn members a coupon, purchases enrol, every campaign's figures add up. */
export const handler = await conversionsHandler();
