import type { CampaignFigures } from "./logic.js";

const money = (cents: number) => `${Math.floor(cents / 100)}.${String(cents % 100).padStart(2, "0")}`;

/** Campaign figures as a plain-text table, one campaign a row. */
export function figuresTable(figures: ReadonlyMap<string, CampaignFigures>): string {
  const channels = [...new Set([...figures.values()].flatMap((f) => Object.keys(f.clicksByChannel)))].sort();
  const header = [
    "campaign",
    "clicks",
    ...channels.map((c) => `  ${c}`),
    "member clicks",
    "basket adds",
    "purchases",
    "revenue",
    "coupons",
    "enrolled",
  ];
  const rows = [...figures.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([campaign, f]) => [
      campaign,
      String(f.clicks),
      ...channels.map((c) => String(f.clicksByChannel[c] ?? 0)),
      String(f.memberClicks),
      String(f.basketAdds),
      String(f.purchases),
      money(f.revenueCents),
      String(f.couponsIssued),
      String(f.membersEnrolled),
    ]);
  if (rows.length === 0) return "no campaign figures yet";
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join("  ");
  return [line(header), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(line)].join("\n");
}
