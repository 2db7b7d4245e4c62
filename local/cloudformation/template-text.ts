import { type CollectionTag, parse, type ScalarTag } from "yaml";
import type { RawTemplate } from "./assembly.js";
import { TemplateError } from "./intrinsics.js";

// A template as CloudFormation takes it: JSON, or YAML with the short forms of the intrinsic
// functions (`!Ref X`, `!GetAtt X.Y`, `!Sub …`), read into the same long forms JSON writes.
// https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/template-formats.html

const FUNCTIONS = [
  "Base64",
  "Cidr",
  "FindInMap",
  "GetAZs",
  "ImportValue",
  "Join",
  "Select",
  "Split",
  "Sub",
  "Transform",
  "And",
  "Equals",
  "If",
  "Not",
  "Or",
];

/** The short-form tags: each `!Name` as `{ "Fn::Name": value }`; `!Ref`, `!Condition` and `!GetAtt` as their own forms. */
const TAGS: (ScalarTag | CollectionTag)[] = [
  ...FUNCTIONS.flatMap((name) => shortForms(`!${name}`, (value) => ({ [`Fn::${name}`]: value }))),
  ...shortForms("!Ref", (value) => ({ Ref: value })),
  ...shortForms("!Condition", (value) => ({ Condition: value })),
  ...shortForms("!GetAtt", (value) => ({
    "Fn::GetAtt":
      typeof value === "string" ? [value.slice(0, value.indexOf(".")), value.slice(value.indexOf(".") + 1)] : value,
  })),
];

function shortForms(tag: string, make: (value: unknown) => unknown): (ScalarTag | CollectionTag)[] {
  return [
    { tag, resolve: (value: string) => make(value) } as ScalarTag,
    { tag, collection: "seq", resolve: (seq: { toJSON(): unknown }) => make(seq.toJSON()) } as unknown as CollectionTag,
    { tag, collection: "map", resolve: (map: { toJSON(): unknown }) => make(map.toJSON()) } as unknown as CollectionTag,
  ];
}

/** A template's text read: JSON when it is JSON, YAML otherwise; it must have Resources. */
export function readTemplateText(text: string): RawTemplate {
  let template: unknown;
  try {
    template = text.trimStart().startsWith("{") ? JSON.parse(text) : parse(text, { customTags: TAGS });
  } catch (err) {
    throw new TemplateError(`Template format error: ${(err as Error).message}`);
  }
  const resources = (template as { Resources?: unknown } | null)?.Resources;
  if (resources === null || typeof resources !== "object") {
    throw new TemplateError("Template format error: At least one Resources member must be defined.");
  }
  return template as RawTemplate;
}
