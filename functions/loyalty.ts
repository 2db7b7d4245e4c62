import { loyaltyHandler } from "#apps/campaign/functions.js";

/** The loyalty list: each record upserts its member, a blank field never erasing a known one. */
export const handler = loyaltyHandler();
