import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { type CardState, cardApp, cardCodec, HISTORY_SIZE } from "#apps/cards/app.js";
import { packHistory, unpackHistory } from "#apps/cards/codec.js";
import { DEFAULT_CARD_RULES, judge, parseCardRules } from "#apps/cards/rules.js";
import { decodeTransaction, looksLikeCardNumber } from "#apps/cards/transaction.js";
import { DecodeError, RedactedDecodeError } from "#shared/errors.js";
import { dataJson, dataLines } from "../helpers/data.js";

const T0 = Date.UTC(2026, 10, 20, 9);

interface Expected {
  alerts: { index: number; card: string; amount: number; country: string; timestamp: string; reasons: string[] }[];
  ignored: number;
}

test("the demo transactions give exactly the FRAUD_SUSPECTED messages of cards.expected.json", () => {
  const expected = dataJson<Expected>("cards.expected.json");
  const app = cardApp(DEFAULT_CARD_RULES);
  const cards = new Map<string, CardState>();
  const got: Expected["alerts"] = [];
  let ignored = 0;
  dataLines("cards.csv").forEach((line, index) => {
    const tx = decodeTransaction(line, 0);
    const step = app.apply(cards.get(tx.cardId) ?? app.initial(), [
      { event: tx, shardId: "s", sequenceNumber: String(index + 1) },
    ]);
    cards.set(tx.cardId, step.state);
    ignored += step.outcomes.filter((o) => o === "stale").length;
    for (const a of step.outputs) {
      got.push({
        index,
        card: a.card,
        amount: a.amount,
        country: a.country,
        timestamp: a.timestamp,
        reasons: a.reasons.map((r) => r.rule),
      });
    }
  });
  expect(got).toEqual(expected.alerts);
  expect(ignored).toBe(expected.ignored);
});

describe("card numbers", () => {
  test.each([
    "4111111111111111",
    "4111 1111 1111 1111",
    "4111-1111-1111-1111",
    "3782 822463 10005",
    "6011000990139424",
    "4222222222222",
    "4000000000000000006",
    "4111  1111 1111 1111",
    "4111 - 1111 - 1111 - 1111",
  ])("%s looks like a card number", (id) => expect(looksLikeCardNumber(id)).toBe(true));

  test.each([
    "card-0001",
    "tok_4111",
    "411111111111",
    "41111111111111111111",
    "4111 1111 1111 1111 1111",
    "4111_1111_1111_1111",
  ])("%s does not", (id) => expect(looksLikeCardNumber(id)).toBe(false));

  test.each([
    "4111 1111 1111 1111, 12.00, US",
    '{"cardId":"4111-1111-1111-1111","amount":12,"country":"US"}',
    '{"cardId":4111111111111111,"amount":12,"country":"US"}',
  ])("a card id that is a card number is rejected, withheld, with a reason saying to send a token: %s", (line) => {
    const err = (() => {
      try {
        decodeTransaction(line, T0);
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(RedactedDecodeError);
    expect((err as Error).message).toMatch(/looks like a card number.*token/);
    expect((err as Error).message).not.toMatch(/\d{4}/);
  });

  test("any other bad record holding a card number is withheld, its reason never quoting it", () => {
    for (const line of [
      "card-1, 4111111111111111, US",
      "card-1, 10.00, 4111111111111111",
      "card-1, 1, US, 4111111111111111",
    ]) {
      expect(() => decodeTransaction(line, T0)).toThrow(RedactedDecodeError);
      try {
        decodeTransaction(line, T0);
      } catch (e) {
        expect((e as Error).message).not.toContain("4111");
      }
    }
  });
});

describe("decoding", () => {
  test("CSV and JSON, amounts in cents, countries in either case, with and without a timestamp", () => {
    expect(decodeTransaction("card-1, 18.64, de, 2026-11-20T09:00:00Z", 0)).toEqual({
      cardId: "card-1",
      cents: 1864,
      country: "DE",
      at: T0,
    });
    expect(decodeTransaction('{"cardId":"c","amount":0.1,"country":"us"}', 42)).toEqual({
      cardId: "c",
      cents: 10,
      country: "US",
      at: 42,
    });
    expect(decodeTransaction("c, 7, gb", 1).cents).toBe(700);
  });

  test.each([
    ["c, 0, US", /more than 0/],
    ["c, -5.00, US", /dollars/],
    ["c, 1.234, US", /two decimals/],
    ["c, ten, US", /dollars/],
    ["c, 1e3, US", /dollars/],
    ["c, 100000000.01, US", /over/],
    ["c, 5.00, UK", /ISO 3166-1/],
    ["c, 5.00, USA", /ISO 3166-1/],
    ["c, 5.00", /3 or 4 fields/],
    ["c, 5.00, US, 2026-11-20T09:00:00", /time zone/],
    ['{"cardId":"c","amount":"1.5","country":""}', /ISO 3166-1/],
    [", 5.00, US", /cardId is missing/],
  ])("%s is rejected: %s", (line, reason) => {
    expect(() => decodeTransaction(line, T0)).toThrow(reason);
    expect(() => decodeTransaction(line, T0)).toThrow(DecodeError);
  });
});

describe("rules", () => {
  const held = (cents: number[], step = 10 * 60_000, country = "US") =>
    cents.map((c, i) => ({ at: T0 + i * step, cents: c, country }));
  const next = (h: { at: number }[], cents: number, country = "US", after = 10 * 60_000) => ({
    at: (h.at(-1)?.at ?? T0) + after,
    cents,
    country,
  });

  test("LARGE_AMOUNT needs 10 held and is exact at mean + 3 sd", () => {
    // Mean 1000, population sd 100: amounts 900 and 1100, five each.
    const h = held([900, 1100, 900, 1100, 900, 1100, 900, 1100, 900, 1100]);
    expect(judge(h, next(h, 1300), DEFAULT_CARD_RULES)).toEqual([]);
    expect(judge(h, next(h, 1301), DEFAULT_CARD_RULES)).toMatchObject([
      { rule: "LARGE_AMOUNT", transactions: 10, meanAmount: 10, stdDevAmount: 1, multiplier: 3 },
    ]);
    expect(judge(h.slice(1), next(h, 100_000), DEFAULT_CARD_RULES)).toEqual([]);
    const flat = held(Array(12).fill(500));
    expect(judge(flat, next(flat, 100_000), DEFAULT_CARD_RULES)).toEqual([]);
  });

  test("LARGE_AMOUNT stays exact where the sums pass 2^53", () => {
    const h = held([
      9_999_999_900, 10_000_000_000, 9_999_999_900, 10_000_000_000, 9_999_999_900, 10_000_000_000, 9_999_999_900,
      10_000_000_000, 9_999_999_900, 10_000_000_000,
    ]);
    // Mean 9,999,999,950, sd 50: the bound is exactly 10,000,000,100.
    expect(judge(h, next(h, 10_000_000_100), DEFAULT_CARD_RULES)).toEqual([]);
    expect(judge(h, next(h, 10_000_000_101), DEFAULT_CARD_RULES).map((r) => r.rule)).toEqual(["LARGE_AMOUNT"]);
  });

  test("VELOCITY: 5 held in [t − 60 s, t) — one at exactly t − 60 s counts", () => {
    const h = held([100, 100, 100, 100, 100], 10_000);
    const t = T0 + 60_000; // h[0] is at T0
    expect(judge(h, { at: t, cents: 100, country: "US" }, DEFAULT_CARD_RULES).map((r) => r.rule)).toEqual(["VELOCITY"]);
    expect(judge(h, { at: t + 1, cents: 100, country: "US" }, DEFAULT_CARD_RULES)).toEqual([]);
  });

  test("IMPOSSIBLE_TRAVEL: another country within the hour before, not at exactly an hour and a millisecond", () => {
    const h = held([100]);
    expect(judge(h, next(h, 100, "FR", 3_600_000), DEFAULT_CARD_RULES)).toMatchObject([
      { rule: "IMPOSSIBLE_TRAVEL", otherCountry: "US", windowSeconds: 3600 },
    ]);
    expect(judge(h, next(h, 100, "FR", 3_600_001), DEFAULT_CARD_RULES)).toEqual([]);
    expect(judge(h, next(h, 100, "US", 60_000), DEFAULT_CARD_RULES)).toEqual([]);
  });

  test("the reasons come in the spec's order; each rule can be switched off or retuned", () => {
    const h = [...held(Array(10).fill(100), 1000, "US"), ...held([100, 100, 100, 100, 100], 1000, "US")].map(
      (x, i) => ({ ...x, at: T0 + i * 1000 }),
    );
    const tx = { at: T0 + 15_000, cents: 1_000_000, country: "FR" };
    expect(
      judge(
        h.map((x, i) => ({ ...x, cents: 100 + (i % 2) })),
        tx,
        DEFAULT_CARD_RULES,
      ).map((r) => r.rule),
    ).toEqual(["LARGE_AMOUNT", "VELOCITY", "IMPOSSIBLE_TRAVEL"]);
    const rules = parseCardRules('{"velocity":{"enabled":false},"impossibleTravel":{"windowMs":1}}', "-c cardRules");
    expect(
      judge(
        h.map((x, i) => ({ ...x, cents: 100 + (i % 2) })),
        tx,
        rules,
      ).map((r) => r.rule),
    ).toEqual(["LARGE_AMOUNT"]);
    expect(() => parseCardRules('{"velocity":{"minTransactions":"five"}}', "x")).toThrow(/velocity.minTransactions/);
    expect(() => parseCardRules('{"geo":{}}', "x")).toThrow(/unknown "geo"/);
  });
});

test("a card keeps its last 50 transactions; one not newer than its last is ignored and counted", () => {
  const app = cardApp(DEFAULT_CARD_RULES);
  const events = Array.from({ length: 60 }, (_, i) => ({
    event: { cardId: "c", cents: 500, country: "US", at: T0 + i * 120_000 },
    shardId: "s",
    sequenceNumber: String(i + 1),
  }));
  const step = app.apply(app.initial(), [
    ...events,
    { event: { cardId: "c", cents: 500, country: "US", at: T0 + 10 * 120_000 }, shardId: "s", sequenceNumber: "99" },
  ]);
  expect(step.state.held).toHaveLength(HISTORY_SIZE);
  expect(step.state.held[0]?.at).toBe(T0 + 10 * 120_000);
  expect(step.outcomes.at(-1)).toBe("stale");
  expect(step.state.ignored).toBe(1);
});

test("the packed history reads back as written, and 50 transactions fit well inside one write unit", () => {
  fc.assert(
    fc.property(
      fc.array(
        fc.record({
          gap: fc.integer({ min: 1, max: 10 ** 10 }),
          cents: fc.integer({ min: 1, max: 100_000_000_00 }),
          country: fc.constantFrom("US", "DE", "JP", "NZ"),
        }),
        { maxLength: HISTORY_SIZE },
      ),
      (raw) => {
        let at = T0;
        const held = raw.map((r) => {
          at += r.gap;
          return { at, cents: r.cents, country: r.country };
        });
        expect(unpackHistory(packHistory(held))).toEqual(held);
      },
    ),
  );
  const typical = Array.from({ length: HISTORY_SIZE }, (_, i) => ({
    at: T0 + i * 97_000,
    cents: 4_000 + i * 37,
    country: "DE",
  }));
  const item = cardCodec.encode({ held: typical, ignored: 3 });
  expect((item.h as Uint8Array).length).toBeLessThan(500);
});
