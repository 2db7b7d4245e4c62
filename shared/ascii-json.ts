/**
 * JSON with every non-ASCII character written as a \u escape. SQS and SNS refuse message bodies
 * holding some Unicode (U+FFFE, U+FFFF, lone surrogates…), and a rejected record's reason quotes
 * the bad input itself: escaped, any text makes a message they accept, and it reads back the same.
 */
export function asciiJson(value: unknown): string {
  return JSON.stringify(value).replace(
    /[\u007f-\uffff]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}
