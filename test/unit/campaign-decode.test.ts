import { describe, expect, test } from "vitest";
import { cents, decodeConversion, decodeLoyalty } from "#apps/campaign/decode.js";
import { decodeReading } from "#apps/zones/reading.js";
import { normaliseEmail } from "#shared/email.js";
import { DecodeError } from "#shared/errors.js";

const at = Date.UTC(2026, 10, 20, 9);

describe("loyalty records", () => {
  test("CSV as the marketing team writes it, blank fields left out", () => {
    expect(decodeLoyalty("wackywallaroo@fakeemail.com, , wackywallaroo, M")).toEqual({
      email: "wackywallaroo@fakeemail.com",
      instaUser: "wackywallaroo",
      gender: "M",
    });
  });

  test("JSON with the same fields, e-mail normalised", () => {
    expect(decodeLoyalty('{"email":"  Kangak@FakeEmail.com ","fbUser":"k","instaUser":null,"gender":""}')).toEqual({
      email: "kangak@fakeemail.com",
      fbUser: "k",
    });
  });

  test.each([
    ["a@b.com, x, y", /4 fields/],
    ["not-an-email, x, y, F", /not a valid e-mail/],
    ['{"email": 5}', /email/],
    ["{broken", /not valid JSON/],
  ])("%s is rejected with a reason", (line, reason) => {
    expect(() => decodeLoyalty(line)).toThrow(reason);
  });
});

describe("conversion records", () => {
  test("click, basket and purchase in CSV", () => {
    expect(decodeConversion("MarsupialHoodie, ClickConversion, playfulwally@fakeemail.com, Instagram", at)).toEqual({
      kind: "click",
      campaign: "MarsupialHoodie",
      email: "playfulwally@fakeemail.com",
      channel: "Instagram",
      at,
    });
    expect(decodeConversion("MarsupialHoodie, BasketConversion, kangak@fakeemail.com, [6;14]", at)).toMatchObject({
      kind: "basket",
      items: ["6", "14"],
    });
    expect(
      decodeConversion("MarsupialHoodie, PurchaseConversion, wombatz@fakeemail.com, [6;9], 18.64", at),
    ).toMatchObject({
      kind: "purchase",
      items: ["6", "9"],
      totalCents: 1864,
    });
  });

  test("padded, upper-case e-mails are the same customer", () => {
    const event = decodeConversion("KoalaMug, ClickConversion,   GLIDERIE34@FAKEEMAIL.COM , Facebook", at);
    expect(event.email).toBe("gliderie34@fakeemail.com");
  });

  test("JSON with an eventId and its own timestamp", () => {
    const event = decodeConversion(
      '{"campaign":"KoalaMug","type":"PurchaseConversion","email":"a@b.co","items":[1,2],"total":"5.5","eventId":"e-1","timestamp":"2026-11-20T09:00:00Z"}',
      0,
    );
    expect(event).toMatchObject({ kind: "purchase", totalCents: 550, eventId: "e-1", at, items: ["1", "2"] });
  });

  test("conversion types are matched without regard to case", () => {
    expect(decodeConversion("C, clickconversion, a@b.co, Web", at).kind).toBe("click");
  });

  test.each([
    ["C, ViewConversion, a@b.co, Web", /unknown conversion type/],
    ["C, ClickConversion, a@b.co", /at least 4 fields/],
    ["C, ClickConversion, a@b.co, Web, extra", /needs 4 fields/],
    ["C, PurchaseConversion, a@b.co, [1], -3.00", /not an amount/],
    ["C, PurchaseConversion, a@b.co, [1], 1.999", /not an amount/],
    ["C, PurchaseConversion, a@b.co, 1;2, 1.99", /item list/],
    ["C, BasketConversion, a@b.co, []", /empty/],
    [", ClickConversion, a@b.co, Web", /campaign is missing/],
    ["C, ClickConversion, a@@b.co, Web", /not a valid e-mail/],
    ['{"campaign":"C","type":"ClickConversion","email":"a@b.co","channel":7}', /channel/],
  ])("%s is rejected with a reason", (line, reason) => {
    expect(() => decodeConversion(line, at)).toThrow(DecodeError);
    expect(() => decodeConversion(line, at)).toThrow(reason);
  });
});

describe("money and e-mails", () => {
  test("amounts are exact cents, never floating point", () => {
    expect(cents("18.64")).toBe(1864);
    expect(cents("0.1")).toBe(10);
    expect(cents("7")).toBe(700);
    expect(cents(0.29)).toBe(29);
  });

  test("odd but valid addresses pass, invalid ones do not", () => {
    expect(normaliseEmail("O'Brien+promo@Sub.Example.ORG")).toBe("o'brien+promo@sub.example.org");
    for (const bad of ["a@b", "a b@c.de", "@c.de", "a..b@c.de", ".a@c.de", "a@-c.de"]) {
      expect(() => normaliseEmail(bad)).toThrow(DecodeError);
    }
  });
});

test("channel names count case-insensitively: Facebook = facebook = FACEBOOK, under one name", () => {
  const channel = (c: string) => {
    const e = decodeConversion(`Hoodie, ClickConversion, a@b.com, ${c}`, 0);
    return e.kind === "click" ? e.channel : undefined;
  };
  expect(["Facebook", "facebook", "FACEBOOK"].map(channel)).toEqual(["Facebook", "Facebook", "Facebook"]);
  expect(["tiktok", "TIKTOK"].map(channel)).toEqual(["TikTok", "TikTok"]);
  expect(["Mastodon", "mastodon"].map(channel)).toEqual(["Mastodon", "Mastodon"]);
});

test("a timestamp without a time zone is rejected with a reason that says so", () => {
  expect(() => decodeReading("d1, lobby, 70, 2026-11-20T09:00:00", 0)).toThrow(
    /has no time zone: it needs Z or ±hh:mm/,
  );
  expect(() => decodeReading("d1, lobby, 70, tuesday", 0)).toThrow(/is not ISO-8601 or epoch ms/);
});
