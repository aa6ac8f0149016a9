import type { SeededRandom } from './seeded-random.js';

/**
 * What the shop sells. Prices are whole cents and weights whole grams so the
 * DECIMAL and REAL columns hold values a double represents unambiguously.
 */

interface Category {
  readonly name: string;
  readonly code: string;
  readonly nouns: readonly string[];
  /** Price range in cents. */
  readonly minCents: number;
  readonly maxCents: number;
  /** Weight range in grams; null for goods that are never shipped. */
  readonly grams: readonly [number, number] | null;
  readonly attributes: (random: SeededRandom) => Record<string, unknown>;
}

const COLORS = ['black', 'white', 'navy', 'forest green', 'terracotta', 'oat', 'crème brûlée'] as const;
const FABRICS = ['cotton', 'linen', 'merino wool', 'recycled polyester'] as const;
const MATERIALS = ['walnut', 'oak', 'stainless steel', 'ceramic', 'bamboo', 'recycled plastic'] as const;
const ADJECTIVES = ['Classic', 'Ergonomic', 'Compact', 'Deluxe', 'Everyday', 'Handmade', 'Vintage', 'Ultra-Light', 'Smart', 'Organic'] as const;
const AUTHORS = ['Gabriel García Márquez', 'Haruki Murakami (村上春樹)', 'Chimamanda Ngozi Adichie', 'Wisława Szymborska', "Flannery O'Connor", 'Olga Tokarczuk'] as const;

const CATEGORIES: readonly Category[] = [
  { name: 'Electronics', code: 'ELE', nouns: ['Headphones', 'USB-C Charger', 'Mechanical Keyboard', 'Bluetooth Speaker', 'Webcam', '27" Monitor'], minCents: 999, maxCents: 49_999, grams: [80, 6000],
    attributes: (r) => ({ brand: r.pick(['Nordlys', 'Kōki', 'Voltaïc', 'Apex']), color: r.pick(COLORS), warranty_months: r.pick([12, 24, 36]), wireless: r.chance(0.5) }) },
  { name: 'Books', code: 'BOO', nouns: ['Novel', 'Cookbook', 'Field Guide', 'Poetry Collection', 'Atlas'], minCents: 499, maxCents: 5_999, grams: [150, 1500],
    attributes: (r) => ({ author: r.pick(AUTHORS), pages: r.int(90, 900), language: r.pick(['en', 'es', 'de', 'ja', 'pl']), hardcover: r.chance(0.3) }) },
  { name: 'Clothing', code: 'CLO', nouns: ['T-Shirt', 'Hoodie', 'Rain Jacket', 'Socks (3-pack)', 'Beanie'], minCents: 799, maxCents: 19_999, grams: [60, 1200],
    attributes: (r) => ({ size: r.pick(['XS', 'S', 'M', 'L', 'XL', 'XXL']), color: r.pick(COLORS), material: r.pick(FABRICS) }) },
  { name: 'Home & Kitchen', code: 'HOM', nouns: ['Mug', 'Kettle', 'Desk Lamp', 'Cutting Board', '12" Cast-Iron Skillet'], minCents: 599, maxCents: 24_999, grams: [200, 4500],
    attributes: (r) => ({ color: r.pick(COLORS), material: r.pick(MATERIALS), dishwasher_safe: r.chance(0.6) }) },
  { name: 'Sports', code: 'SPO', nouns: ['Yoga Mat', 'Water Bottle', 'Running Shoes', 'Resistance Bands', 'Bike Light'], minCents: 899, maxCents: 17_999, grams: [100, 2500],
    attributes: (r) => ({ color: r.pick(COLORS), size: r.pick(['one size', 'S/M', 'L/XL', '42', '44']), reflective: r.chance(0.3) }) },
  { name: 'Toys', code: 'TOY', nouns: ['Puzzle (1000 pieces)', 'Building Set', 'Plush Fox', 'Wooden Train'], minCents: 699, maxCents: 12_999, grams: [150, 3000],
    attributes: (r) => ({ age_min: r.pick([3, 6, 8, 12]), pieces: r.int(1, 1500), batteries_included: false }) },
  { name: 'Beauty', code: 'BEA', nouns: ['Face Cream', 'Shampoo', 'Lip Balm', 'Eau de Toilette'], minCents: 399, maxCents: 8_999, grams: [20, 600],
    attributes: (r) => ({ volume_ml: r.pick([15, 50, 100, 250]), vegan: r.chance(0.7), scent: r.pick(['unscented', 'lavender', 'yuzu', 'vétiver']) }) },
  { name: 'Garden', code: 'GAR', nouns: ['Planter', 'Garden Hose', 'Pruning Shears', 'Seed Kit'], minCents: 499, maxCents: 14_999, grams: [100, 8000],
    attributes: (r) => ({ material: r.pick(MATERIALS), outdoor: true, length_m: r.pick([null, 10, 15, 25]) }) },
  { name: 'Grocery', code: 'GRO', nouns: ['Coffee Beans', 'Green Tea', 'Dark Chocolate', 'Olive Oil'], minCents: 299, maxCents: 3_999, grams: [100, 1000],
    attributes: (r) => ({ organic: r.chance(0.5), origin: r.pick(['Colombia', 'Ethiopia', 'Japan', 'España', 'Côte d’Ivoire']), weight_g: r.pick([100, 250, 500, 1000]) }) },
  { name: 'Digital', code: 'DIG', nouns: ['E-Book', 'Gift Card', 'Software License', 'Online Course'], minCents: 499, maxCents: 19_999, grams: null,
    attributes: (r) => ({ delivery: 'download', license: r.pick(['personal', 'family', 'business']), seats: r.int(1, 5) }) },
];

/** A product as the products table records it. */
export interface Product {
  readonly sku: string;
  readonly name: string;
  readonly category: string;
  readonly priceCents: number;
  readonly weightGrams: number | null;
  readonly attributes: string;
  readonly active: boolean;
}

/** Shop prices end in .99, .49 or .00 like real price lists. */
function priceCents(random: SeededRandom, category: Category): number {
  const whole = Math.floor(random.int(category.minCents, category.maxCents) / 100);
  return whole * 100 + random.pick([99, 99, 99, 49, 0]);
}

export function createProduct(random: SeededRandom, id: number): Product {
  const category = random.pick(CATEGORIES);
  const grams = category.grams;
  return {
    sku: `${category.code}-${String(id).padStart(6, '0')}`,
    name: `${random.pick(ADJECTIVES)} ${random.pick(category.nouns)}`,
    category: category.name,
    priceCents: priceCents(random, category),
    weightGrams: grams === null || random.chance(0.03) ? null : random.int(grams[0], grams[1]),
    attributes: JSON.stringify(category.attributes(random)),
    active: random.chance(0.92),
  };
}

/** Free-text order notes: mostly absent, sometimes everything a CSV writer must escape. */
const NOTES = [
  'Please leave at the back door, next to the "blue" bin',
  'Gift wrap, please.\nCard: "Happy birthday, Ana!"',
  'Call before delivery\t(ask for Zoë)',
  "Don't ring the bell, baby sleeping",
  'Deliver between 9:00 and 12:00, Mon–Fri',
  'Line one\r\nLine two',
  'Path on the label: C:\\Users\\shop\\label.pdf',
  '请放在前台 (front desk) 谢谢',
  '  leading and trailing spaces  ',
  'Ships with order #1042; combine if possible',
  '🎁 surprise — no price on the receipt',
  '',
] as const;

export function createNote(random: SeededRandom): string | null {
  return random.chance(0.06) ? random.pick(NOTES) : null;
}
