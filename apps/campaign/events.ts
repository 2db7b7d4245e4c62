/** A loyalty-list entry. Blank fields are absent: a later record never erases a known value. */
export interface LoyaltyRecord {
  readonly email: string;
  readonly fbUser?: string;
  readonly instaUser?: string;
  readonly gender?: string;
}

interface ConversionBase {
  readonly campaign: string;
  readonly email: string;
  /** A producer-assigned id: a second event with the same id is a retry and is ignored. */
  readonly eventId?: string;
  /** When the customer acted, epoch ms; the record's arrival time when the producer did not say. */
  readonly at: number;
}

export interface Click extends ConversionBase {
  readonly kind: "click";
  readonly channel: string;
}

export interface BasketAdd extends ConversionBase {
  readonly kind: "basket";
  readonly items: readonly string[];
}

export interface Purchase extends ConversionBase {
  readonly kind: "purchase";
  readonly items: readonly string[];
  /** Exact to the cent: money never passes through floating point. */
  readonly totalCents: number;
}

export type Conversion = Click | BasketAdd | Purchase;

export const CONVERSION_TYPES = {
  clickconversion: "click",
  basketconversion: "basket",
  purchaseconversion: "purchase",
} as const satisfies Record<string, Conversion["kind"]>;
