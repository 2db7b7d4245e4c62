import { type CampaignFigures, type ConversionDecision, emptyFigures } from "#apps/campaign/logic.js";

/**
 * The figures decisions add up to, counted from the decisions' own fields — a second count, beside
 * the tallies the campaign's steps make (apps/campaign/logic.ts), to check those against. Replays
 * and producers' retries add nothing.
 */
export function tallyFigures(decisions: readonly ConversionDecision[]): Map<string, CampaignFigures> {
  const byCampaign = new Map<string, CampaignFigures>();
  for (const decision of decisions) {
    if (decision.replay || decision.duplicate) continue;
    const { event } = decision;
    const figures = byCampaign.get(event.campaign) ?? emptyFigures();
    byCampaign.set(event.campaign, figures);
    switch (event.kind) {
      case "click":
        figures.clicks += 1;
        figures.clicksByChannel[event.channel] = (figures.clicksByChannel[event.channel] ?? 0) + 1;
        if (decision.byMember) figures.memberClicks += 1;
        break;
      case "basket":
        figures.basketAdds += 1;
        break;
      case "purchase":
        figures.purchases += 1;
        figures.revenueCents += event.totalCents;
        break;
    }
    if (decision.coupon) figures.couponsIssued += 1;
    if (decision.enrol) figures.membersEnrolled += 1;
  }
  return byCampaign;
}
