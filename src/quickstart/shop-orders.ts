import { MICROS_PER_DAY, MICROS_PER_HOUR, MICROS_PER_MINUTE, SHOP_BASE_MICROS } from './shop-clock.js';
import type { OrderStatus } from './shop-schema.js';
import type { SeededRandom, Weighted } from './seeded-random.js';

/**
 * How orders and their lines come about. Money is whole cents throughout so an
 * order's total is exactly the sum of its lines, however the warehouse adds them.
 */

/** Products an order can contain: parallel lists of id and current price in cents. */
export interface Catalog {
  readonly ids: readonly number[];
  readonly priceCents: readonly number[];
}

export interface OrderLine {
  readonly productId: number;
  readonly quantity: number;
  readonly unitPriceCents: number;
  /** Discount in basis points (1/10000), or null for none. */
  readonly discountBasisPoints: number | null;
}

/** When an order happened and where it stands. */
export interface OrderTimeline {
  readonly status: OrderStatus;
  readonly orderedAt: number;
  readonly shippedAt: number | null;
  readonly updatedAt: number;
}

const STATUS_WEIGHTS: readonly Weighted<OrderStatus>[] = [
  ['delivered', 62],
  ['shipped', 10],
  ['paid', 8],
  ['pending', 6],
  ['cancelled', 9],
  ['refunded', 5],
];

const LINES_PER_ORDER: readonly Weighted<number>[] = [[1, 26], [2, 25], [3, 20], [4, 12], [5, 8], [6, 5], [7, 3], [8, 1]];
const QUANTITIES: readonly Weighted<number>[] = [[1, 72], [2, 17], [3, 6], [4, 3], [6, 1], [10, 1]];
const DISCOUNTS: readonly number[] = [500, 750, 1000, 1250, 1500, 2000, 2500, 333];

/** A moment in [from, to), to the microsecond. */
export function momentBetween(random: SeededRandom, from: number, to: number): number {
  return from + Math.floor(random.next() * Math.max(1, to - from));
}

/**
 * The line's amount in cents: quantity × unit price × (1 − discount), rounded
 * half up to the cent — the same as `round(quantity * unit_price * (1 - coalesce(discount, 0)), 2)` in SQL.
 */
export function lineTotalCents(line: OrderLine): number {
  const basisPoints = 10_000 - (line.discountBasisPoints ?? 0);
  return Math.floor((line.unitPriceCents * line.quantity * basisPoints + 5_000) / 10_000);
}

/**
 * A skewed index in [0, count): low indexes come up more often (loyal
 * customers, best sellers). A larger `skew` concentrates more; 1 is uniform.
 */
export function popularIndex(random: SeededRandom, count: number, skew: number): number {
  return Math.floor(random.next() ** skew * count);
}

/** A fixed scramble of a product id (murmur3 finalizer), so best sellers are spread over the catalog. */
function popularityHash(id: number): number {
  let h = Math.imul(id ^ 0x9e3779b9, 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/**
 * The catalog ordered by popularity, most popular first. The rank depends only
 * on the product id, so the same products sell best in the generated history
 * and on the day of activity, and product 1 is not the best seller by age.
 */
export function rankByPopularity(catalog: Catalog): Catalog {
  const order = catalog.ids.map((id, index) => ({ id, index, rank: popularityHash(id) }));
  order.sort((a, b) => a.rank - b.rank || a.id - b.id);
  return { ids: order.map((o) => o.id), priceCents: order.map((o) => catalog.priceCents[o.index] ?? 0) };
}

function createLine(random: SeededRandom, catalog: Catalog, index: number): OrderLine {
  const current = catalog.priceCents[index] ?? 0;
  // Some lines were bought at an older or sale price.
  const unitPriceCents = random.chance(0.12) ? Math.max(99, current - random.pick([100, 200, 500])) : current;
  return {
    productId: catalog.ids[index] ?? 0,
    quantity: random.weighted(QUANTITIES),
    unitPriceCents,
    discountBasisPoints: random.chance(0.2) ? random.pick(DISCOUNTS) : null,
  };
}

/** One to eight lines, each for a different product; `catalog` is ranked by `rankByPopularity`. */
export function createOrderLines(random: SeededRandom, catalog: Catalog): OrderLine[] {
  const wanted = Math.min(random.weighted(LINES_PER_ORDER), catalog.ids.length);
  const chosen = new Set<number>();
  const lines: OrderLine[] = [];
  while (lines.length < wanted) {
    const index = popularIndex(random, catalog.ids.length, 1.8);
    if (chosen.has(index)) continue;
    chosen.add(index);
    lines.push(createLine(random, catalog, index));
  }
  return lines;
}

/**
 * A historic order's status and times, consistent with each other: open orders
 * are recent, finished ones old enough to have been shipped and delivered, and
 * nothing happens after the base date.
 */
export function historicTimeline(random: SeededRandom, signupAt: number): OrderTimeline {
  const status = random.weighted(STATUS_WEIGHTS);
  const day = MICROS_PER_DAY;
  switch (status) {
    case 'pending':
    case 'paid': {
      const orderedAt = momentBetween(random, SHOP_BASE_MICROS - (status === 'pending' ? 2 : 4) * day, SHOP_BASE_MICROS);
      const updatedAt = status === 'pending' ? orderedAt : momentBetween(random, orderedAt, SHOP_BASE_MICROS);
      return { status, orderedAt, shippedAt: null, updatedAt };
    }
    case 'shipped': {
      const orderedAt = momentBetween(random, SHOP_BASE_MICROS - 10 * day, SHOP_BASE_MICROS - 3 * day);
      const shippedAt = orderedAt + momentBetween(random, 4 * MICROS_PER_HOUR, 2.5 * day);
      return { status, orderedAt, shippedAt, updatedAt: shippedAt };
    }
    case 'cancelled': {
      const orderedAt = momentBetween(random, signupAt, SHOP_BASE_MICROS - 30 * day);
      return { status, orderedAt, shippedAt: null, updatedAt: orderedAt + momentBetween(random, 5 * MICROS_PER_MINUTE, 2 * day) };
    }
    case 'delivered':
    case 'refunded': {
      const orderedAt = momentBetween(random, signupAt, SHOP_BASE_MICROS - 30 * day);
      const shippedAt = orderedAt + momentBetween(random, 4 * MICROS_PER_HOUR, 2.5 * day);
      const deliveredAt = shippedAt + momentBetween(random, day, 7 * day);
      const updatedAt = status === 'refunded' ? deliveredAt + momentBetween(random, 2 * day, 14 * day) : deliveredAt;
      return { status, orderedAt, shippedAt, updatedAt };
    }
  }
}
