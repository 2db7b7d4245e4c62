import * as secretsmanager from "aws-cdk-lib/aws-secretsmanager";
import * as sqs from "aws-cdk-lib/aws-sqs";
import { canonical, compareBySubject, expectedFile } from "../expected.js";
import { defineApp } from "../manifest.js";
import { CAMPAIGN_ENV } from "./config.js";
import { figuresTable } from "./figures-table.js";
import { DynamoCampaignStore } from "./store.js";

const email = { csvField: 0, jsonField: "email", normalise: (key: string) => key.trim().toLowerCase() };

/** The ad campaign: a loyalty list and a stream of conversions; coupons for members' clicks, exact figures. */
export const campaign = defineApp({
  name: "campaign",
  title: "Ad campaign: one extra 10 %-off coupon per member who clicks, purchasers enrolled, exact figures",
  streams: [
    {
      name: "loyalty",
      key: email,
      header: ["email"],
      formats: {
        csv: "email, fbUser, instaUser, gender (blank fields allowed)",
        json: '{"email","fbUser","instaUser","gender"}',
      },
      tableActions: DynamoCampaignStore.actions.loyalty,
      outputMetrics: [],
      // The marketing team loads the list before the campaign starts.
      demo: { file: "loyalty.txt", first: true },
    },
    {
      name: "conversions",
      key: { ...email, csvField: 2 },
      header: ["campaign"],
      formats: {
        csv: "campaign, ClickConversion, email, channel · …, BasketConversion, email, [6;14] · …, PurchaseConversion, email, [6;9], 18.64",
        json: '{"campaign","type","email","channel"/"items"/"total","eventId"?,"timestamp"?}',
      },
      tableActions: DynamoCampaignStore.actions.conversions,
      outputMetrics: ["CouponsIssued", "MembersEnrolled"],
      eventSource: { prod: { batchSize: 200 } },
      mode: "facts",
      demo: { file: "conversions.txt" },
    },
  ],
  table: { id: "CampaignTable", key: "pk", ttl: "expiresAt", env: CAMPAIGN_ENV.campaignTable },
  alerts: false,
  outputs: ["PromoQueueUrl", "CouponSecretArn"],
  resources: ({ scope, key, removalPolicy, queueDefaults }) => {
    const queueProps = { ...queueDefaults, encryption: sqs.QueueEncryption.KMS, removalPolicy };
    const promoDeadLetters = new sqs.Queue(scope, "PromoDeadLetterQueue", { ...queueProps, fifo: true });
    // FIFO: the coupon code is the deduplication id, so a coupon re-sent after a crash is dropped.
    const promoQueue = new sqs.Queue(scope, "PromoQueue", {
      ...queueProps,
      fifo: true,
      deadLetterQueue: { queue: promoDeadLetters, maxReceiveCount: 5 },
    });
    // The coupon codes' key: generated at deploy, read by the conversions function at cold start.
    const couponSecret = new secretsmanager.Secret(scope, "CouponSecret", {
      description: "Tripwire: the key of the coupon codes' MAC (codes stay the same while it does)",
      encryptionKey: key,
      generateSecretString: { passwordLength: 64, excludePunctuation: true },
      removalPolicy,
    });
    const promo = { [CAMPAIGN_ENV.promoQueueUrl]: promoQueue.queueUrl };
    return {
      environment: {
        loyalty: promo,
        conversions: { ...promo, [CAMPAIGN_ENV.couponSecretArn]: couponSecret.secretArn },
      },
      grant: (stream, fn) => {
        if (stream !== "conversions") return;
        promoQueue.grantSendMessages(fn);
        couponSecret.grantRead(fn);
      },
      outputs: { PromoQueueUrl: promoQueue.queueUrl, CouponSecretArn: couponSecret.secretArn },
      acknowledgements: [
        [
          couponSecret,
          "AwsSolutions-SMG4",
          "Not rotated on purpose: a coupon code is the MAC of (campaign, e-mail) under this key, and issued codes must stay valid.",
        ],
      ],
    };
  },
  demo: {
    show: (m) =>
      m.couponCode === undefined
        ? undefined
        : `🎟  coupon ${m.couponCode}  ${m.campaign}  ${m.email}  (${m.discountPercent} % off, clicked via ${m.channel})`,
    queues: ["PromoQueueUrl"],
    check: async (sent, { documents, outputs }) => {
      const expected = expectedFile<{ promos: [string, string][]; stats: Record<string, unknown> }>(
        "conversions.expected.json",
      );
      const coupons = compareBySubject(
        "campaign",
        "campaign",
        ["campaign", "email"],
        [...expected.promos].sort().map(([campaign, email]) => ({ campaign, email })),
        sent
          .map((c) => ({ campaign: c.campaign, email: c.email }))
          .sort((a, b) => `${a.campaign}${a.email}`.localeCompare(`${b.campaign}${b.email}`)),
      );
      const figures = await new DynamoCampaignStore(documents, outputs.CampaignTableName ?? "").readFigures();
      const got = canonical(Object.fromEntries(figures));
      const want = canonical(expected.stats);
      return got === want ? coupons : [...coupons, `campaign: figures ${got}, expected ${want}`];
    },
    summary: async ({ documents, outputs }) => {
      const figures = await new DynamoCampaignStore(documents, outputs.CampaignTableName ?? "").readFigures();
      const enrolled = [...figures.values()].reduce((n, f) => n + f.membersEnrolled, 0);
      return `campaign figures (${enrolled} members enrolled by purchase)\n${figuresTable(figures)}`;
    },
  },
  status: async ({ documents, outputs }) => {
    const figures = await new DynamoCampaignStore(documents, outputs.CampaignTableName ?? "").readFigures();
    return { text: figuresTable(figures), json: Object.fromEntries(figures) };
  },
});
