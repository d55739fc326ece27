/**
 * The demo pet-supplies catalog, generated from a seed with no I/O: brands × product lines ×
 * sizes, flavours and colours for dry and wet food, treats, litter, toys, accessories, medicines
 * and small-pet supplies, plus bundles whose components are other SKUs.
 *
 * The set of SKUs, their codes, names and barcodes are fixed (so a SKU means the same thing in
 * every demo); the seed draws prices, costs, popularity and which SKUs are discontinued. Money is
 * in integer US cents; weights in grams; dimensions in millimetres. Barcodes are GTIN-13 with
 * correct check digits, case barcodes GTIN-14 (indicator digit 1), under made-up GS1 company
 * prefixes, one per brand.
 */
import { Rng } from './demo-random.js';

export type DemoCategory =
  | 'dry-food'
  | 'wet-food'
  | 'treats'
  | 'litter'
  | 'toys'
  | 'accessories'
  | 'medicines'
  | 'small-pet'
  | 'bundles';

export type Species = 'dog' | 'cat' | 'small-pet' | 'any';

export type DemoSku = {
  readonly sku: string;
  readonly name: string;
  /** Product (variant family) name: sizes and colours of one line share it. */
  readonly product: string;
  readonly category: DemoCategory;
  readonly species: Species;
  readonly unit: string;
  readonly barcodes: readonly string[];
  readonly packs: ReadonlyArray<{
    readonly name: string;
    readonly quantity: number;
    readonly barcode: string;
  }>;
  readonly costMinor: number;
  readonly priceMinor: number;
  readonly taxClass: string;
  readonly tracking: 'none' | 'lot';
  readonly shelfLifeDays: number | null;
  readonly minRemainingShelfLifeDays: number;
  readonly weightGrams: number;
  readonly dimensionsMm: { readonly length: number; readonly width: number; readonly height: number };
  readonly active: boolean;
  /** 0 < popularity ≤ 1: drives stock levels and how many locations carry the SKU. */
  readonly popularity: number;
  /** Words the bundle recipes select components by. */
  readonly tags: readonly string[];
  readonly components?: ReadonlyArray<{ readonly sku: string; readonly quantity: number }>;
};

// ---------------------------------------------------------------------------------------------
// GTINs

/** The GS1 mod-10 check digit of a GTIN body (the digits without the check digit). */
export function gtinCheckDigit(body: string): number {
  let sum = 0;
  for (let i = body.length - 1, w = 3; i >= 0; i--, w = w === 3 ? 1 : 3) sum += Number(body[i]) * w;
  return (10 - (sum % 10)) % 10;
}

/** GTIN-13 from a 7-digit company prefix and a 5-digit item reference. */
export function gtin13(companyPrefix: string, item: number): string {
  const body = `${companyPrefix}${String(item).padStart(12 - companyPrefix.length, '0')}`;
  return `${body}${gtinCheckDigit(body)}`;
}

/** The GTIN-14 of a case of the item with GTIN-13 `gtin`: indicator digit + body + new check digit. */
export function caseGtin14(gtin: string, indicator = 1): string {
  const body = `${indicator}${gtin.slice(0, 12)}`;
  return `${body}${gtinCheckDigit(body)}`;
}

// ---------------------------------------------------------------------------------------------
// Brands

type Brand = { readonly name: string; readonly code: string; readonly tier: number; readonly gs1: string };

const brandTable: ReadonlyArray<readonly [name: string, code: string, tier: number]> = [
  ['Northpaw', 'NPW', 1.15],
  ['Hearthside Kitchen', 'HSK', 1.3],
  ['Tundra Trail', 'TTR', 1.25],
  ['Barkwell', 'BRK', 0.85],
  ['Golden Meadow', 'GMD', 1.0],
  ['Wildcrest', 'WCR', 1.2],
  ['Whisker & Co.', 'WHC', 1.1],
  ['PurrFect Harvest', 'PFH', 0.9],
  ['Oceanic Feast', 'OCF', 1.0],
  ['Velvet Paw', 'VPW', 1.25],
  ['Tailwag Bakery', 'TWB', 1.0],
  ['Snoutfull', 'SNF', 0.95],
  ['Meadow Chews', 'MCH', 1.1],
  ['Purrsnacks', 'PSN', 1.0],
  ['Clumpwell', 'CLW', 0.95],
  ['Pinebrook', 'PNB', 1.0],
  ['Clearcrystal', 'CCR', 1.15],
  ['Cornerstone Naturals', 'CSN', 1.2],
  ['Fresh Den', 'FDN', 0.9],
  ['Playpaw', 'PLY', 1.0],
  ['Chewmaster', 'CHM', 1.2],
  ['Kittykin', 'KTK', 1.0],
  ['Zoomies Co.', 'ZMC', 0.9],
  ['Pawsmith', 'PSM', 0.9],
  ['Trailhound', 'THD', 1.15],
  ['Cozy Corner', 'CZC', 1.1],
  ['Groomwell', 'GRW', 1.0],
  ['ShieldPaw', 'SHP', 1.1],
  ['Parasafe', 'PRS', 0.95],
  ['VetEssentials', 'VTE', 1.05],
  ['Calmtail', 'CMT', 1.0],
  ['Burrow & Bloom', 'BNB', 1.0],
  ['Kibble Pet Supply', 'KPS', 1.0],
];

const brands: ReadonlyMap<string, Brand> = new Map(
  brandTable.map(([name, code, tier], i) => [
    code,
    { name, code, tier, gs1: `08${String(51000 + i * 17).padStart(5, '0')}` },
  ]),
);

const brand = (code: string): Brand => {
  const b = brands.get(code);
  if (!b) throw new Error(`unknown demo brand ${code}`);
  return b;
};

// ---------------------------------------------------------------------------------------------
// Building blocks

type Size = {
  readonly label: string;
  readonly code: string;
  readonly grams: number;
  readonly dollars: number;
};

const lb = (n: number) => Math.round(n * 453.592);
const oz = (n: number) => Math.round(n * 28.3495);

/** A retail price in cents: rounded to end in .99 (or .49 under $10), never below $0.99. */
function retail(dollars: number): number {
  if (dollars < 10) return Math.max(99, Math.round(dollars * 10) * 10 - 1);
  return Math.round(dollars) * 100 - 1;
}

/** Rough outer dimensions from weight and bulk density (g/cm³), shaped like a box of ratio l:w:h. */
function dims(grams: number, density: number, ratio: readonly [number, number, number] = [3, 2, 1]) {
  const volumeCm3 = Math.max(50, grams / density);
  const k = Math.cbrt(volumeCm3 / (ratio[0] * ratio[1] * ratio[2]));
  const mm = (r: number) => Math.max(10, Math.round(r * k * 10));
  return { length: mm(ratio[0]), width: mm(ratio[1]), height: mm(ratio[2]) };
}

type Draft = Omit<DemoSku, 'costMinor' | 'priceMinor' | 'active' | 'popularity' | 'barcodes' | 'packs'> & {
  readonly dollars: number;
  readonly brand: Brand;
  readonly casePack?: number;
};

class CatalogBuilder {
  readonly items: DemoSku[] = [];
  private readonly codes = new Set<string>();
  private readonly nextItem = new Map<string, number>();

  constructor(private readonly rng: Rng) {}

  add(d: Draft): void {
    if (this.codes.has(d.sku)) throw new Error(`duplicate demo SKU ${d.sku}`);
    this.codes.add(d.sku);
    const item = (this.nextItem.get(d.brand.code) ?? 0) + 1;
    this.nextItem.set(d.brand.code, item);
    const barcode = gtin13(d.brand.gs1, item);
    const price = retail(d.dollars * d.brand.tier * this.rng.between(0.93, 1.08));
    const cost = Math.round(price * this.rng.between(0.46, 0.64));
    // Popularity is skewed: a few best sellers, a long tail.
    const popularity = Math.max(0.02, this.rng.float() ** 1.8);
    const { dollars: _d, brand: _b, casePack, ...rest } = d;
    this.items.push({
      ...rest,
      barcodes: [barcode],
      packs: casePack ? [{ name: 'case', quantity: casePack, barcode: caseGtin14(barcode) }] : [],
      costMinor: cost,
      priceMinor: price,
      active: !this.rng.chance(0.015),
      popularity,
    });
  }
}

const food = { taxClass: 'pet-food', tracking: 'lot' as const };

// ---------------------------------------------------------------------------------------------
// Categories

function dryFood(c: CatalogBuilder): void {
  const dogFormulas = [
    ['ADCR', 'Adult Chicken & Brown Rice', ['adult'], 1],
    ['ADLO', 'Adult Lamb & Oatmeal', ['adult'], 1.05],
    ['PPCR', 'Puppy Chicken & Rice', ['puppy'], 1.08],
    ['LBAD', 'Large Breed Adult Chicken', ['adult', 'large-breed'], 1.02],
    ['LBPP', 'Large Breed Puppy Chicken & Oatmeal', ['puppy', 'large-breed'], 1.1],
    ['SBAT', 'Small Breed Adult Turkey', ['adult', 'small-breed'], 1.12],
    ['SR7C', 'Senior 7+ Chicken & Barley', ['senior'], 1.05],
    ['HWTB', 'Healthy Weight Turkey & Barley', ['adult', 'weight'], 1.05],
    ['GFSS', 'Grain-Free Salmon & Sweet Potato', ['adult', 'grain-free'], 1.2],
    ['GFBP', 'Grain-Free Bison & Pea', ['adult', 'grain-free'], 1.25],
    ['SSSL', 'Sensitive Skin & Stomach Salmon', ['adult', 'sensitive'], 1.18],
  ] as const;
  const dogSizes: Size[] = [
    { label: '4 lb', code: '4LB', grams: lb(4), dollars: 16 },
    { label: '15 lb', code: '15LB', grams: lb(15), dollars: 44 },
    { label: '30 lb', code: '30LB', grams: lb(30), dollars: 68 },
  ];
  const smallBreedSizes: Size[] = [
    { label: '4 lb', code: '4LB', grams: lb(4), dollars: 17 },
    { label: '12 lb', code: '12LB', grams: lb(12), dollars: 39 },
  ];
  for (const b of ['NPW', 'HSK', 'TTR', 'BRK', 'GMD', 'WCR'].map(brand)) {
    for (const [code, line, tags, mult] of dogFormulas) {
      const product = `${b.name} ${line} Dry Dog Food`;
      for (const s of code === 'SBAT' ? smallBreedSizes : dogSizes) {
        c.add({
          sku: `DDF-${b.code}-${code}-${s.code}`,
          name: `${product}, ${s.label} bag`,
          product,
          category: 'dry-food',
          species: 'dog',
          unit: 'bag',
          ...food,
          shelfLifeDays: 540,
          minRemainingShelfLifeDays: 60,
          weightGrams: s.grams + 60,
          dimensionsMm: dims(s.grams, 0.45, [4, 2.5, 1]),
          tags: ['dry', ...tags, s.code],
          dollars: s.dollars * mult,
          brand: b,
        });
      }
    }
  }
  const catFormulas = [
    ['INDC', 'Indoor Adult Chicken', ['adult', 'indoor'], 1],
    ['KTCS', 'Kitten Chicken & Salmon', ['kitten'], 1.08],
    ['HBCT', 'Hairball Control Turkey', ['adult'], 1.05],
    ['URTH', 'Urinary Tract Health Chicken', ['adult', 'urinary'], 1.15],
    ['SR11', 'Senior 11+ Chicken & Rice', ['senior'], 1.05],
    ['GFOF', 'Grain-Free Ocean Fish', ['adult', 'grain-free'], 1.2],
    ['SSTK', 'Sensitive Stomach Turkey', ['adult', 'sensitive'], 1.15],
    ['WMCH', 'Weight Management Chicken', ['adult', 'weight'], 1.05],
    ['ADSR', 'Adult Salmon & Rice', ['adult'], 1],
  ] as const;
  const catSizes: Size[] = [
    { label: '3.5 lb', code: '3.5LB', grams: lb(3.5), dollars: 15 },
    { label: '7 lb', code: '7LB', grams: lb(7), dollars: 27 },
    { label: '14 lb', code: '14LB', grams: lb(14), dollars: 45 },
  ];
  for (const b of ['WHC', 'PFH', 'OCF', 'VPW', 'HSK', 'WCR'].map(brand)) {
    for (const [code, line, tags, mult] of catFormulas) {
      const product = `${b.name} ${line} Dry Cat Food`;
      for (const s of catSizes) {
        c.add({
          sku: `CDF-${b.code}-${code}-${s.code}`,
          name: `${product}, ${s.label} bag`,
          product,
          category: 'dry-food',
          species: 'cat',
          unit: 'bag',
          ...food,
          shelfLifeDays: 540,
          minRemainingShelfLifeDays: 60,
          weightGrams: s.grams + 45,
          dimensionsMm: dims(s.grams, 0.45, [4, 2.5, 1]),
          tags: ['dry', ...tags, s.code],
          dollars: s.dollars * mult,
          brand: b,
        });
      }
    }
  }
}

function wetFood(c: CatalogBuilder): void {
  const catFlavours = [
    ['CHK', 'Chicken'],
    ['TRK', 'Turkey'],
    ['SAL', 'Salmon'],
    ['TUN', 'Tuna'],
    ['WHF', 'Whitefish'],
    ['BEF', 'Beef'],
    ['DCK', 'Duck'],
    ['CHL', 'Chicken & Liver'],
    ['OWT', 'Ocean Whitefish & Tuna'],
    ['SRD', 'Sardine'],
    ['LMB', 'Lamb'],
    ['RBT', 'Rabbit'],
  ] as const;
  type Pack = { label: string; code: string; unit: string; grams: number; dollars: number; case: number };
  const can3: Pack = { label: '3 oz can', code: '3OZ', unit: 'can', grams: oz(3), dollars: 1.35, case: 24 };
  const can55: Pack = {
    label: '5.5 oz can',
    code: '5.5OZ',
    unit: 'can',
    grams: oz(5.5),
    dollars: 1.99,
    case: 24,
  };
  const pouch: Pack = {
    label: '2.8 oz pouch',
    code: '2.8OZP',
    unit: 'pouch',
    grams: oz(2.8),
    dollars: 1.15,
    case: 24,
  };
  const textures = [
    ['PATE', 'Pâté', [can3, can55]],
    ['MNCD', 'Minced in Gravy', [can3, can55]],
    ['FLKD', 'Flaked', [can3, pouch]],
    ['CHNK', 'Chunks in Jelly', [pouch]],
  ] as const;
  for (const b of ['WHC', 'PFH', 'OCF', 'VPW', 'HSK', 'WCR'].map(brand)) {
    for (const [fc, flavour] of catFlavours) {
      for (const [tc, texture, packs] of textures) {
        const product = `${b.name} ${flavour} ${texture} Wet Cat Food`;
        for (const p of packs) {
          c.add({
            sku: `CWF-${b.code}-${fc}-${tc}-${p.code}`,
            name: `${product}, ${p.label}`,
            product,
            category: 'wet-food',
            species: 'cat',
            unit: p.unit,
            ...food,
            shelfLifeDays: 730,
            minRemainingShelfLifeDays: 90,
            weightGrams: p.grams + (p.unit === 'can' ? 25 : 6),
            dimensionsMm: p.unit === 'can' ? dims(p.grams, 1, [1.7, 1.7, 1]) : dims(p.grams, 1, [4, 3, 0.5]),
            tags: ['wet', p.unit, p.code, texture.toLowerCase()],
            dollars: p.dollars,
            brand: b,
            casePack: p.case,
          });
        }
      }
    }
  }
  const dogFlavours = [
    ['CHV', 'Chicken & Vegetables'],
    ['BFS', 'Beef'],
    ['LMR', 'Lamb & Rice'],
    ['TSP', 'Turkey & Sweet Potato'],
    ['SLP', 'Salmon & Pea'],
    ['CBR', 'Chicken & Brown Rice'],
    ['BFB', 'Beef & Barley'],
    ['DCK', 'Country Duck'],
  ] as const;
  const can13: Pack = {
    label: '13 oz can',
    code: '13OZ',
    unit: 'can',
    grams: oz(13),
    dollars: 3.19,
    case: 12,
  };
  const tray: Pack = {
    label: '3.5 oz tray',
    code: '3.5OZT',
    unit: 'tray',
    grams: oz(3.5),
    dollars: 1.55,
    case: 12,
  };
  const dogTextures = [
    ['LOAF', 'Loaf'],
    ['STEW', 'Stew'],
    ['CHGR', 'Chunks in Gravy'],
  ] as const;
  for (const b of ['NPW', 'HSK', 'TTR', 'BRK', 'GMD', 'WCR'].map(brand)) {
    for (const [fc, flavour] of dogFlavours) {
      for (const [tc, texture] of dogTextures) {
        const product = `${b.name} ${flavour} ${texture} Wet Dog Food`;
        for (const p of [can13, tray]) {
          c.add({
            sku: `DWF-${b.code}-${fc}-${tc}-${p.code}`,
            name: `${product}, ${p.label}`,
            product,
            category: 'wet-food',
            species: 'dog',
            unit: p.unit,
            ...food,
            shelfLifeDays: 730,
            minRemainingShelfLifeDays: 90,
            weightGrams: p.grams + (p.unit === 'can' ? 45 : 10),
            dimensionsMm: dims(p.grams, 1, [1.4, 1.4, 1]),
            tags: ['wet', p.unit, p.code],
            dollars: p.dollars,
            brand: b,
            casePack: p.case,
          });
        }
      }
    }
  }
  const catVariety = [
    ['PVAR12', 'Pâté Variety Pack, 12 × 3 oz cans', 12, oz(3), 15.5],
    ['GFAV12', 'Gravy Favorites Variety Pack, 12 × 3 oz cans', 12, oz(3), 15.5],
    ['SEAM24', 'Seafood Medley Variety Pack, 24 × 2.8 oz pouches', 24, oz(2.8), 25],
  ] as const;
  for (const b of ['WHC', 'PFH', 'OCF', 'VPW', 'HSK', 'WCR'].map(brand)) {
    for (const [code, label, n, grams, dollars] of catVariety) {
      const name = `${b.name} ${label}`;
      c.add({
        sku: `CWF-${b.code}-${code}`,
        name,
        product: name,
        category: 'wet-food',
        species: 'cat',
        unit: 'pack',
        ...food,
        shelfLifeDays: 730,
        minRemainingShelfLifeDays: 90,
        weightGrams: n * (grams + 20),
        dimensionsMm: dims(n * grams, 0.8, [3, 2, 1]),
        tags: ['wet', 'variety'],
        dollars,
        brand: b,
      });
    }
  }
  const dogVariety = [
    ['LVAR6', 'Loaf Variety Pack, 6 × 13 oz cans', 6, oz(13), 18.5],
    ['SVAR12', 'Stew Variety Pack, 12 × 3.5 oz trays', 12, oz(3.5), 17.5],
  ] as const;
  for (const b of ['NPW', 'HSK', 'TTR', 'BRK', 'GMD', 'WCR'].map(brand)) {
    for (const [code, label, n, grams, dollars] of dogVariety) {
      const name = `${b.name} ${label}`;
      c.add({
        sku: `DWF-${b.code}-${code}`,
        name,
        product: name,
        category: 'wet-food',
        species: 'dog',
        unit: 'pack',
        ...food,
        shelfLifeDays: 730,
        minRemainingShelfLifeDays: 90,
        weightGrams: n * (grams + 40),
        dimensionsMm: dims(n * grams, 0.8, [3, 2, 1]),
        tags: ['wet', 'variety'],
        dollars,
        brand: b,
      });
    }
  }
}

type Line = {
  readonly code: string;
  readonly name: string;
  readonly variants: ReadonlyArray<readonly [code: string, label: string]>;
  readonly sizes: ReadonlyArray<Size>;
  readonly tags?: readonly string[];
  readonly unit?: string;
  /** Name the variant after the line ("Calming Chews for Cats") instead of before it. */
  readonly variantLast?: boolean;
};

/** Adds brand × line × variant × size SKUs for one category. */
function lines(
  c: CatalogBuilder,
  o: {
    prefix: string;
    category: DemoCategory;
    species: Species;
    brands: readonly string[];
    lines: readonly Line[];
    taxClass: string;
    suffix: string;
    tracking?: 'none' | 'lot';
    shelfLifeDays?: number;
    minRemainingShelfLifeDays?: number;
    density: number;
    unit: string;
  },
): void {
  for (const b of o.brands.map(brand)) {
    for (const line of o.lines) {
      for (const [vc, variant] of line.variants) {
        const words = line.variantLast ? [line.name, variant] : [variant, line.name];
        const product = [b.name, ...words, o.suffix].filter((x) => x !== '').join(' ');
        for (const s of line.sizes) {
          c.add({
            sku: [o.prefix, b.code, line.code, vc, s.code].filter((x) => x !== '').join('-'),
            name: s.label ? `${product}, ${s.label}` : product,
            product,
            category: o.category,
            species: o.species,
            unit: line.unit ?? o.unit,
            taxClass: o.taxClass,
            tracking: o.tracking ?? 'none',
            shelfLifeDays: o.shelfLifeDays ?? null,
            minRemainingShelfLifeDays: o.minRemainingShelfLifeDays ?? 0,
            weightGrams: s.grams,
            dimensionsMm: dims(s.grams, o.density),
            tags: [...(line.tags ?? []), vc.toLowerCase(), s.code.toLowerCase()],
            dollars: s.dollars,
            brand: b,
          });
        }
      }
    }
  }
}

const one = (label: string, code: string, grams: number, dollars: number): Size => ({
  label,
  code,
  grams,
  dollars,
});
const plain: ReadonlyArray<readonly [string, string]> = [['', '']];

function treats(c: CatalogBuilder): void {
  const lotTreats = { tracking: 'lot' as const, minRemainingShelfLifeDays: 30, taxClass: 'pet-food' };
  lines(c, {
    prefix: 'DTR',
    category: 'treats',
    species: 'dog',
    brands: ['TWB', 'SNF', 'MCH', 'NPW'],
    suffix: 'Dog Treats',
    unit: 'bag',
    density: 0.4,
    shelfLifeDays: 365,
    ...lotTreats,
    lines: [
      {
        code: 'STB',
        name: 'Soft Training Bites',
        tags: ['treat', 'training-treat'],
        variants: [
          ['CHK', 'Chicken'],
          ['BEF', 'Beef'],
          ['PNB', 'Peanut Butter'],
          ['SAL', 'Salmon'],
          ['BAC', 'Bacon'],
        ],
        sizes: [one('6 oz', '6OZ', oz(6), 5.99), one('16 oz', '16OZ', oz(16), 12.99)],
      },
      {
        code: 'JRK',
        name: 'Jerky Strips',
        tags: ['treat'],
        variants: [
          ['CHK', 'Chicken'],
          ['BEF', 'Beef'],
          ['DCK', 'Duck'],
          ['SWP', 'Sweet Potato'],
        ],
        sizes: [one('5 oz', '5OZ', oz(5), 8.99), one('12 oz', '12OZ', oz(12), 17.99)],
      },
      {
        code: 'DNT',
        name: 'Dental Chews',
        tags: ['treat', 'dental-chew'],
        variants: [
          ['MNT', 'Fresh Mint'],
          ['ORG', 'Original'],
        ],
        sizes: [
          one('Small, 20 count', 'S20', 340, 14.99),
          one('Medium, 12 count', 'M12', 340, 14.99),
          one('Large, 8 count', 'L8', 340, 14.99),
        ],
      },
      {
        code: 'BSC',
        name: 'Crunchy Biscuits',
        tags: ['treat'],
        variants: [
          ['PNB', 'Peanut Butter'],
          ['CHK', 'Chicken'],
          ['PMA', 'Pumpkin & Apple'],
          ['BCH', 'Bacon & Cheese'],
        ],
        sizes: [one('1 lb box', '1LB', lb(1), 6.49), one('3 lb box', '3LB', lb(3), 14.99)],
      },
      {
        code: 'FZD',
        name: 'Freeze-Dried',
        tags: ['treat'],
        variants: [
          ['BLV', 'Beef Liver'],
          ['CHB', 'Chicken Breast'],
          ['SAL', 'Salmon'],
        ],
        sizes: [one('2 oz', '2OZ', oz(2), 9.99), one('6 oz', '6OZ', oz(6), 24.99)],
      },
      {
        code: 'BLY',
        name: 'Bully Sticks',
        tags: ['treat', 'chew'],
        variants: plain,
        sizes: [
          one('6 in, 5 count', '6IN5', 150, 12.99),
          one('6 in, 10 count', '6IN10', 300, 22.99),
          one('12 in, 3 count', '12IN3', 220, 15.99),
          one('12 in, 6 count', '12IN6', 440, 28.99),
        ],
      },
    ],
  });
  lines(c, {
    prefix: 'CTR',
    category: 'treats',
    species: 'cat',
    brands: ['PSN', 'WHC', 'OCF'],
    suffix: 'Cat Treats',
    unit: 'bag',
    density: 0.4,
    shelfLifeDays: 365,
    ...lotTreats,
    lines: [
      {
        code: 'CRN',
        name: 'Crunchy',
        tags: ['treat'],
        variants: [
          ['CHK', 'Chicken'],
          ['SAL', 'Salmon'],
          ['TUN', 'Tuna'],
          ['CNP', 'Catnip & Chicken'],
          ['DRY', 'Dairy'],
        ],
        sizes: [
          one('2.1 oz', '2.1OZ', oz(2.1), 2.49),
          one('6.3 oz', '6.3OZ', oz(6.3), 5.99),
          one('16 oz tub', '16OZ', oz(16), 12.99),
        ],
      },
      {
        code: 'LKP',
        name: 'Lickable Purée',
        unit: 'pack',
        tags: ['treat', 'puree'],
        variants: [
          ['TUN', 'Tuna'],
          ['CHK', 'Chicken'],
          ['SAL', 'Salmon'],
          ['SHR', 'Shrimp'],
        ],
        sizes: [one('4 × 0.5 oz tubes', '4T', oz(2), 3.49), one('20 × 0.5 oz tubes', '20T', oz(10), 13.99)],
      },
      {
        code: 'FZD',
        name: 'Freeze-Dried',
        tags: ['treat'],
        variants: [
          ['CHK', 'Chicken'],
          ['SAL', 'Salmon'],
          ['MIN', 'Minnows'],
        ],
        sizes: [one('1 oz', '1OZ', oz(1), 6.99), one('3 oz', '3OZ', oz(3), 16.99)],
      },
      {
        code: 'DNT',
        name: 'Dental',
        tags: ['treat', 'dental-chew'],
        variants: [
          ['CHK', 'Chicken'],
          ['SAL', 'Salmon'],
        ],
        sizes: [one('2.1 oz', '2.1OZ', oz(2.1), 2.99), one('5 oz', '5OZ', oz(5), 6.49)],
      },
    ],
  });
}

function litter(c: CatalogBuilder): void {
  const scents = [
    ['UNS', 'Unscented'],
    ['LAV', 'Lavender'],
    ['LIN', 'Fresh Linen'],
    ['BKS', 'Baking Soda'],
  ] as const;
  const clay = [
    one('10 lb', '10LB', lb(10), 8.99),
    one('20 lb', '20LB', lb(20), 15.99),
    one('40 lb', '40LB', lb(40), 26.99),
  ];
  const light = [one('8.5 lb', '8.5LB', lb(8.5), 13.99), one('17 lb', '17LB', lb(17), 24.99)];
  const crystal = [one('4 lb', '4LB', lb(4), 12.99), one('8 lb', '8LB', lb(8), 22.99)];
  const natural = [one('10 lb', '10LB', lb(10), 14.99), one('20 lb', '20LB', lb(20), 26.99)];
  const types: Record<string, ReadonlyArray<Line>> = {
    CLW: [
      { code: 'CLAY', name: 'Clumping Clay', variants: scents, sizes: clay },
      { code: 'MULTI', name: 'Multi-Cat Clumping', variants: scents, sizes: clay, tags: ['multi-cat'] },
      { code: 'LITE', name: 'Lightweight Clumping', variants: scents, sizes: light },
    ],
    PNB: [
      { code: 'PINE', name: 'Pine Pellet', variants: [['NAT', 'Natural']], sizes: clay },
      { code: 'CPINE', name: 'Clumping Pine', variants: [['NAT', 'Natural']], sizes: natural },
    ],
    CCR: [
      { code: 'CRYS', name: 'Crystal', variants: scents.slice(0, 2), sizes: crystal },
      {
        code: 'CRYM',
        name: 'Multi-Cat Crystal',
        variants: scents.slice(0, 2),
        sizes: crystal,
        tags: ['multi-cat'],
      },
    ],
    CSN: [
      { code: 'CORN', name: 'Corn Clumping', variants: scents.slice(0, 2), sizes: natural },
      { code: 'WALN', name: 'Walnut Clumping', variants: [['NAT', 'Natural']], sizes: natural },
      { code: 'PAPR', name: 'Paper Pellet', variants: [['UNS', 'Unscented']], sizes: natural },
    ],
    FDN: [
      { code: 'CLAY', name: 'Clumping Clay', variants: scents, sizes: clay },
      { code: 'LITE', name: 'Lightweight Clumping', variants: scents.slice(0, 3), sizes: light },
      { code: 'SENS', name: 'Sensitive Unscented Clumping', variants: [['UNS', 'Unscented']], sizes: clay },
    ],
  };
  for (const [code, brandLines] of Object.entries(types)) {
    lines(c, {
      prefix: 'LTR',
      category: 'litter',
      species: 'cat',
      brands: [code],
      suffix: 'Cat Litter',
      unit: 'bag',
      density: 0.9,
      taxClass: 'standard',
      lines: brandLines.map((l) => ({ ...l, tags: ['litter', ...(l.tags ?? [])] })),
    });
  }
}

const sizes5 = ['XS', 'S', 'M', 'L', 'XL'] as const;
const sizeWords: Record<string, string> = {
  XS: 'X-Small',
  S: 'Small',
  M: 'Medium',
  L: 'Large',
  XL: 'X-Large',
};
const colours = [
  ['BLK', 'Black'],
  ['RED', 'Red'],
  ['NVY', 'Navy'],
  ['FGR', 'Forest Green'],
  ['PNK', 'Pink'],
  ['ORG', 'Orange'],
] as const;

function toys(c: CatalogBuilder): void {
  const sml = (dollars: number, grams: number) => [
    one('Small', 'S', grams, dollars),
    one('Medium', 'M', Math.round(grams * 1.6), dollars * 1.3),
    one('Large', 'L', Math.round(grams * 2.4), dollars * 1.6),
  ];
  lines(c, {
    prefix: 'DTY',
    category: 'toys',
    species: 'dog',
    brands: ['PLY', 'CHM', 'ZMC'],
    suffix: 'Dog Toy',
    unit: 'each',
    density: 0.15,
    taxClass: 'standard',
    lines: [
      {
        code: 'PLSH',
        name: 'Squeaky Plush',
        tags: ['toy', 'plush'],
        variants: [
          ['FOX', 'Fox'],
          ['RAC', 'Raccoon'],
          ['DCK', 'Duck'],
          ['HDG', 'Hedgehog'],
          ['MOO', 'Moose'],
          ['SQR', 'Squirrel'],
        ],
        sizes: [one('Small', 'S', 90, 7.99), one('Large', 'L', 210, 12.99)],
      },
      {
        code: 'ROPE',
        name: 'Rope Tug',
        tags: ['toy', 'rope'],
        variants: [
          ['3KN', '3-Knot'],
          ['RNG', 'Ring'],
          ['BAL', 'Ball'],
        ],
        sizes: [one('Medium', 'M', 180, 8.99), one('Large', 'L', 320, 12.99)],
      },
      {
        code: 'RBAL',
        name: 'Rubber Chew Ball',
        tags: ['toy', 'chew-toy'],
        variants: colours.filter(([k]) => k === 'RED' || k === 'NVY' || k === 'ORG'),
        sizes: sml(6.99, 80),
      },
      {
        code: 'BONE',
        name: 'Durable Chew Bone',
        tags: ['toy', 'chew-toy', 'durable'],
        variants: [
          ['BAC', 'Bacon Flavor'],
          ['PNB', 'Peanut Butter Flavor'],
        ],
        sizes: [...sml(8.99, 70), one('X-Large', 'XL', 260, 18.99)],
      },
      {
        code: 'PUZL',
        name: 'Treat-Dispensing Puzzle',
        tags: ['toy', 'puzzle'],
        variants: [
          ['LV1', 'Level 1'],
          ['LV2', 'Level 2'],
          ['LV3', 'Level 3'],
        ],
        sizes: [one('', '', 450, 19.99)],
      },
      {
        code: 'TBAL',
        name: 'Tennis Balls',
        tags: ['toy', 'tennis'],
        variants: plain,
        sizes: [
          one('3-pack', '3PK', 170, 4.99),
          one('6-pack', '6PK', 340, 8.99),
          one('12-pack', '12PK', 680, 15.99),
        ],
      },
      {
        code: 'FLYR',
        name: 'Fetch Flyer',
        tags: ['toy', 'flyer'],
        variants: colours.filter(([k]) => k === 'ORG' || k === 'NVY'),
        sizes: [one('8 in', '8IN', 90, 9.99), one('10 in', '10IN', 130, 12.99)],
      },
      {
        code: 'LNCH',
        name: 'Ball Launcher',
        tags: ['toy', 'launcher'],
        variants: plain,
        sizes: [one('18 in', '18IN', 200, 12.99), one('26 in', '26IN', 260, 15.99)],
      },
      {
        code: 'SNUF',
        name: 'Snuffle Mat',
        tags: ['toy', 'puzzle'],
        variants: plain,
        sizes: [one('Small', 'S', 300, 16.99), one('Large', 'L', 520, 24.99)],
      },
    ],
  });
  lines(c, {
    prefix: 'CTY',
    category: 'toys',
    species: 'cat',
    brands: ['KTK', 'PLY', 'ZMC'],
    suffix: 'Cat Toy',
    unit: 'each',
    density: 0.12,
    taxClass: 'standard',
    lines: [
      {
        code: 'WAND',
        name: 'Feather Wand',
        tags: ['toy', 'feather-wand'],
        variants: [
          ['CLS', 'Classic'],
          ['BRD', 'Bird'],
          ['REF', 'Refill'],
        ],
        sizes: [one('', '', 60, 6.99)],
      },
      {
        code: 'MICE',
        name: 'Catnip Mice',
        tags: ['toy', 'catnip'],
        variants: [
          ['GRY', 'Gray'],
          ['MLT', 'Multicolor'],
        ],
        sizes: [one('3-pack', '3PK', 30, 4.99), one('6-pack', '6PK', 60, 7.99)],
      },
      {
        code: 'CRNK',
        name: 'Crinkle Balls',
        tags: ['toy', 'crinkle'],
        variants: plain,
        sizes: [one('6-pack', '6PK', 25, 3.99), one('12-pack', '12PK', 50, 6.49)],
      },
      {
        code: 'SPRG',
        name: 'Spring Toys',
        tags: ['toy'],
        variants: plain,
        sizes: [one('10-pack', '10PK', 30, 3.99), one('20-pack', '20PK', 60, 6.99)],
      },
      {
        code: 'LASR',
        name: 'Laser Pointer',
        tags: ['toy'],
        variants: [
          ['STD', 'Standard'],
          ['RCH', 'Rechargeable'],
        ],
        sizes: [one('', '', 45, 7.99)],
      },
      {
        code: 'TUNL',
        name: 'Tunnel',
        tags: ['toy', 'tunnel'],
        variants: [
          ['3WY', '3-Way Gray'],
          ['3WB', '3-Way Blue'],
          ['SGL', 'Single 36 in Gray'],
          ['SGB', 'Single 36 in Blue'],
        ],
        sizes: [one('', '', 400, 17.99)],
      },
      {
        code: 'KICK',
        name: 'Kicker Pillow',
        tags: ['toy', 'catnip'],
        variants: [
          ['FSH', 'Fish'],
          ['CRT', 'Carrot'],
          ['BAN', 'Banana'],
        ],
        sizes: [one('', '', 80, 8.99)],
      },
      {
        code: 'TRCK',
        name: 'Track Ball Tower',
        tags: ['toy'],
        variants: [
          ['3LV', '3-Level'],
          ['4LV', '4-Level'],
        ],
        sizes: [one('', '', 350, 13.99)],
      },
      {
        code: 'SCRB',
        name: 'Cardboard Scratcher',
        tags: ['toy', 'scratcher'],
        variants: [
          ['FLT', 'Flat'],
          ['RMP', 'Ramp'],
          ['LNG', 'Lounge'],
        ],
        sizes: [one('', '', 900, 14.99)],
      },
      {
        code: 'POST',
        name: 'Scratching Post',
        tags: ['toy', 'scratcher'],
        variants: [
          ['BGE', 'Beige'],
          ['GRY', 'Gray'],
        ],
        sizes: [
          one('24 in', '24IN', 2200, 24.99),
          one('32 in', '32IN', 3400, 34.99),
          one('36 in', '36IN', 4100, 44.99),
        ],
      },
    ],
  });
}

function accessories(c: CatalogBuilder): void {
  const base = { category: 'accessories' as const, taxClass: 'standard', unit: 'each', density: 0.2 };
  const sized = (dollars: number, grams: number) =>
    sizes5.map((s, i) => one(sizeWords[s]!, s, Math.round(grams * (1 + i * 0.35)), dollars * (1 + i * 0.15)));
  lines(c, {
    ...base,
    prefix: 'ACC',
    species: 'dog',
    brands: ['PSM', 'THD'],
    suffix: 'Dog Collar',
    lines: [
      { code: 'NYCL', name: 'Nylon', variants: colours, sizes: sized(9.99, 40), tags: ['collar'] },
      { code: 'LTCL', name: 'Padded Leather', variants: colours, sizes: sized(19.99, 60), tags: ['collar'] },
      { code: 'RFCL', name: 'Reflective', variants: colours, sizes: sized(12.99, 45), tags: ['collar'] },
    ],
  });
  lines(c, {
    ...base,
    prefix: 'ACC',
    species: 'cat',
    brands: ['PSM', 'THD'],
    suffix: '',
    lines: [
      {
        code: 'BKCL',
        name: 'Breakaway Cat Collar with Bell',
        variants: [
          ...colours.slice(0, 2),
          ['PNK', 'Pink'],
          ['TEA', 'Teal'],
          ['ORG', 'Orange'],
          ['PRP', 'Purple'],
        ],
        sizes: [one('', '', 15, 6.99)],
        tags: ['cat-collar'],
      },
    ],
  });
  lines(c, {
    ...base,
    prefix: 'ACC',
    species: 'dog',
    brands: ['PSM', 'THD'],
    suffix: '',
    lines: [
      {
        code: 'LS6N',
        name: 'Nylon Dog Leash 6 ft',
        variants: colours,
        sizes: [one('', '', 150, 12.99)],
        tags: ['leash'],
      },
      {
        code: 'LS4P',
        name: 'Padded Dog Leash 4 ft',
        variants: colours,
        sizes: [one('', '', 170, 16.99)],
        tags: ['leash'],
      },
      {
        code: 'LSRP',
        name: 'Rope Dog Leash 5 ft',
        variants: colours,
        sizes: [one('', '', 260, 18.99)],
        tags: ['leash'],
      },
      {
        code: 'LSRT',
        name: 'Retractable Dog Leash 16 ft',
        variants: colours,
        sizes: [one('', '', 340, 24.99)],
        tags: ['leash'],
      },
      {
        code: 'HNNP',
        name: 'No-Pull Dog Harness',
        variants: [...colours.slice(0, 3), ['TEA', 'Teal']],
        sizes: sized(22.99, 120),
        tags: ['harness'],
      },
    ],
  });
  lines(c, {
    ...base,
    prefix: 'ACC',
    species: 'any',
    brands: ['PSM'],
    suffix: '',
    lines: [
      {
        code: 'BWSS',
        name: 'Stainless Steel Bowl',
        variants: plain,
        sizes: [
          one('1 cup', '1C', 120, 5.99),
          one('2 cup', '2C', 180, 7.99),
          one('4 cup', '4C', 260, 9.99),
          one('8 cup', '8C', 380, 13.99),
        ],
        tags: ['bowl'],
      },
      {
        code: 'BWCR',
        name: 'Ceramic Bowl',
        variants: [
          ['WHT', 'White'],
          ['SGE', 'Sage'],
          ['TRC', 'Terracotta'],
          ['NVY', 'Navy'],
        ],
        sizes: [one('Small', 'S', 450, 11.99), one('Large', 'L', 900, 16.99)],
        tags: ['bowl', 'ceramic-bowl'],
      },
      {
        code: 'BWSF',
        name: 'Slow Feeder Bowl',
        variants: [
          ['GRY', 'Gray'],
          ['TEA', 'Teal'],
        ],
        sizes: [one('Small', 'S', 200, 9.99), one('Large', 'L', 340, 13.99)],
        tags: ['bowl'],
      },
      {
        code: 'BWEL',
        name: 'Elevated Double Feeder',
        variants: plain,
        sizes: [
          one('Small', 'S', 900, 24.99),
          one('Medium', 'M', 1300, 32.99),
          one('Large', 'L', 1900, 42.99),
        ],
        tags: ['bowl'],
      },
      {
        code: 'BWTR',
        name: 'Collapsible Travel Bowl',
        variants: [
          ['GRY', 'Gray'],
          ['ORG', 'Orange'],
        ],
        sizes: [one('', '', 90, 7.99)],
        tags: ['bowl', 'travel-bowl'],
      },
      {
        code: 'FNTN',
        name: 'Pet Water Fountain',
        variants: plain,
        sizes: [one('1.6 L', '1.6L', 700, 29.99), one('3 L', '3L', 1100, 39.99)],
        tags: ['bowl'],
      },
      {
        code: 'CRTW',
        name: 'Folding Wire Dog Crate',
        variants: plain,
        sizes: [
          one('24 in', '24IN', 7000, 44.99),
          one('30 in', '30IN', 9500, 54.99),
          one('36 in', '36IN', 13000, 69.99),
          one('42 in', '42IN', 17000, 84.99),
          one('48 in', '48IN', 22000, 99.99),
        ],
        tags: ['crate'],
      },
      {
        code: 'CRTS',
        name: 'Soft-Sided Dog Crate',
        variants: plain,
        sizes: [
          one('Small', 'S', 2500, 49.99),
          one('Medium', 'M', 3500, 64.99),
          one('Large', 'L', 4800, 79.99),
        ],
        tags: ['crate'],
      },
      {
        code: 'CARR',
        name: 'Cat Carrier',
        variants: [
          ['HRD', 'Hard-Sided'],
          ['SFT', 'Soft-Sided'],
          ['BPK', 'Backpack'],
        ],
        sizes: [one('', '', 1800, 39.99)],
        tags: ['carrier'],
      },
      {
        code: 'LBOX',
        name: 'Litter Box',
        variants: [
          ['STD', 'Standard'],
          ['HIS', 'High-Sided'],
          ['HOD', 'Hooded'],
          ['TOP', 'Top-Entry'],
        ],
        sizes: [one('Regular', 'R', 1200, 16.99), one('Jumbo', 'J', 1900, 24.99)],
        tags: ['litter-box'],
      },
      {
        code: 'SCOP',
        name: 'Litter Scoop',
        variants: [
          ['STD', 'Standard'],
          ['MTL', 'Heavy-Duty Metal'],
        ],
        sizes: [one('', '', 150, 6.99)],
        tags: ['scoop'],
      },
      {
        code: 'LMAT',
        name: 'Litter Mat',
        variants: [
          ['HCG', 'Honeycomb Gray'],
          ['HCB', 'Honeycomb Black'],
          ['RBG', 'Rubber Gray'],
          ['RBB', 'Rubber Black'],
        ],
        sizes: [one('', '', 600, 15.99)],
        tags: ['litter-mat'],
      },
      {
        code: 'POOP',
        name: 'Dog Waste Bags',
        variants: [
          ['UNS', 'Unscented'],
          ['LAV', 'Lavender'],
        ],
        sizes: [
          one('120 count', '120', 250, 6.99),
          one('360 count', '360', 700, 14.99),
          one('900 count', '900', 1700, 29.99),
        ],
        tags: ['poop-bags'],
      },
      {
        code: 'PBDS',
        name: 'Waste Bag Dispenser',
        variants: colours.slice(0, 3),
        sizes: [one('', '', 50, 5.99)],
        tags: ['poop-bag-dispenser'],
      },
      {
        code: 'PADS',
        name: 'Training Pads',
        variants: [
          ['REG', 'Regular'],
          ['XL', 'X-Large'],
        ],
        sizes: [one('50 count', '50', 1600, 17.99), one('100 count', '100', 3100, 29.99)],
        tags: ['pee-pads'],
      },
      {
        code: 'RNCT',
        name: 'Dog Raincoat',
        variants: [
          ['YLW', 'Yellow'],
          ['NVY', 'Navy'],
        ],
        sizes: sized(19.99, 150),
        tags: ['apparel'],
      },
      {
        code: 'SWTR',
        name: 'Dog Sweater',
        variants: [
          ['RPL', 'Red Plaid'],
          ['GCB', 'Gray Cable Knit'],
        ],
        sizes: sized(21.99, 140),
        tags: ['apparel'],
      },
      {
        code: 'BAND',
        name: 'Dog Bandana',
        variants: [
          ['RED', 'Red'],
          ['BLU', 'Blue'],
          ['HPL', 'Holiday Plaid'],
        ],
        sizes: [one('Small/Medium', 'SM', 25, 6.99), one('Large/X-Large', 'LXL', 35, 7.99)],
        tags: ['bandana'],
      },
      {
        code: 'IDTG',
        name: 'Engravable ID Tag',
        variants: [
          ['BSL', 'Bone Silver'],
          ['BGD', 'Bone Gold'],
          ['RSL', 'Round Silver'],
          ['RBK', 'Round Black'],
          ['HRD', 'Heart Red'],
        ],
        sizes: [one('', '', 10, 9.99)],
        tags: ['id-tag'],
      },
    ],
  });
  lines(c, {
    ...base,
    prefix: 'BED',
    species: 'any',
    brands: ['CZC', 'PSM'],
    suffix: '',
    density: 0.05,
    lines: [
      {
        code: 'ORTH',
        name: 'Orthopedic Memory Foam Pet Bed',
        variants: [
          ['GRY', 'Gray'],
          ['BRN', 'Brown'],
          ['NVY', 'Navy'],
        ],
        sizes: sized(39.99, 900).slice(1),
        tags: ['bed', 'orthopedic-bed'],
      },
      {
        code: 'DNUT',
        name: 'Calming Donut Pet Bed',
        variants: [
          ['GRY', 'Gray'],
          ['MCH', 'Mocha'],
          ['CRM', 'Cream'],
        ],
        sizes: sized(29.99, 700).slice(1, 4),
        tags: ['bed'],
      },
      {
        code: 'BOLS',
        name: 'Bolster Dog Bed',
        variants: [
          ['GRY', 'Gray'],
          ['NVY', 'Navy'],
        ],
        sizes: sized(34.99, 1000).slice(2),
        tags: ['bed'],
      },
      {
        code: 'PRCH',
        name: 'Cat Window Perch',
        variants: plain,
        sizes: [one('', '', 800, 27.99)],
        tags: ['bed', 'cat-bed'],
      },
      {
        code: 'HEAT',
        name: 'Self-Warming Cat Bed',
        variants: [
          ['GRY', 'Gray'],
          ['CRM', 'Cream'],
        ],
        sizes: [one('', '', 700, 32.99)],
        tags: ['bed', 'cat-bed'],
      },
    ],
  });
  lines(c, {
    ...base,
    prefix: 'GRM',
    species: 'any',
    brands: ['GRW'],
    suffix: '',
    lines: [
      {
        code: 'SLKR',
        name: 'Slicker Brush',
        variants: plain,
        sizes: [one('Small', 'S', 90, 9.99), one('Large', 'L', 140, 12.99)],
        tags: ['slicker-brush'],
      },
      {
        code: 'DSHD',
        name: 'Deshedding Tool',
        variants: plain,
        sizes: [one('Small', 'S', 110, 19.99), one('Medium', 'M', 140, 24.99), one('Large', 'L', 170, 29.99)],
        tags: ['deshedding'],
      },
      {
        code: 'NAIL',
        name: 'Nail Clipper',
        variants: plain,
        sizes: [one('Small/Medium', 'SM', 80, 9.99), one('Large', 'L', 120, 12.99)],
        tags: ['nail-clipper'],
      },
      {
        code: 'CBRS',
        name: 'Cat Brush',
        variants: [
          ['SLF', 'Self-Cleaning Slicker'],
          ['BRS', 'Soft Bristle'],
        ],
        sizes: [one('', '', 90, 10.99)],
        tags: ['cat-brush'],
      },
      {
        code: 'FCMB',
        name: 'Flea Comb',
        variants: plain,
        sizes: [one('', '', 30, 4.99)],
        tags: ['flea-comb'],
      },
      {
        code: 'TBRS',
        name: 'Enzymatic Toothpaste & Brush Set',
        variants: [
          ['PLT', 'Poultry'],
          ['MNT', 'Mint'],
        ],
        sizes: [one('', '', 120, 11.99)],
        tags: ['toothbrush-kit'],
      },
      {
        code: 'SHOT',
        name: 'Oatmeal Shampoo',
        variants: plain,
        sizes: [one('16 oz', '16OZ', 520, 11.99), one('1 gal', '1GAL', 4000, 39.99)],
        tags: ['shampoo'],
      },
      {
        code: 'SHHA',
        name: 'Hypoallergenic Shampoo',
        variants: plain,
        sizes: [one('16 oz', '16OZ', 520, 13.99)],
        tags: ['shampoo'],
      },
      {
        code: 'SHWL',
        name: 'Waterless Shampoo Foam',
        variants: plain,
        sizes: [one('8 oz', '8OZ', 280, 10.99)],
        tags: ['shampoo'],
      },
      {
        code: 'PAWB',
        name: 'Paw Balm',
        variants: plain,
        sizes: [one('2 oz', '2OZ', 80, 8.99)],
        tags: ['grooming'],
      },
      {
        code: 'WIPE',
        name: 'Grooming Wipes',
        variants: plain,
        sizes: [one('100 count', '100', 500, 8.99), one('200 count', '200', 950, 14.99)],
        tags: ['grooming'],
      },
    ],
  });
}

function medicines(c: CatalogBuilder): void {
  const med = {
    category: 'medicines' as const,
    taxClass: 'pet-medicine',
    tracking: 'lot' as const,
    shelfLifeDays: 730,
    minRemainingShelfLifeDays: 90,
    unit: 'box',
    density: 0.3,
  };
  const dogBands = [
    ['TOY', 'Toy Dogs 4–10 lb'],
    ['SML', 'Small Dogs 11–20 lb'],
    ['MED', 'Medium Dogs 21–55 lb'],
    ['LRG', 'Large Dogs 56–88 lb'],
    ['XLG', 'X-Large Dogs 89–132 lb'],
  ] as const;
  const doses = (d3: number, d6: number) => [one('3 doses', '3D', 40, d3), one('6 doses', '6D', 70, d6)];
  lines(c, {
    ...med,
    prefix: 'MED',
    species: 'dog',
    brands: ['SHP', 'PRS'],
    suffix: '',
    lines: [
      {
        code: 'SPOT',
        name: 'Flea & Tick Spot-On for',
        variantLast: true,
        variants: dogBands,
        sizes: doses(38.99, 69.99),
        tags: ['spot-on', 'flea-tick'],
      },
    ],
  });
  lines(c, {
    ...med,
    prefix: 'MED',
    species: 'cat',
    brands: ['SHP', 'PRS'],
    suffix: '',
    lines: [
      {
        code: 'CSPT',
        name: 'Flea & Tick Spot-On for',
        variantLast: true,
        variants: [
          ['SML', 'Cats 1.5–9 lb'],
          ['LRG', 'Cats over 9 lb'],
        ],
        sizes: doses(36.99, 64.99),
        tags: ['spot-on', 'flea-tick'],
      },
    ],
  });
  lines(c, {
    ...med,
    prefix: 'MED',
    species: 'dog',
    brands: ['VTE'],
    suffix: '',
    lines: [
      {
        code: 'CHEW',
        name: 'Chewable Flea & Tick Tablets for',
        variantLast: true,
        variants: dogBands,
        sizes: [one('3 count', '3CT', 40, 54.99), one('6 count', '6CT', 60, 99.99)],
        tags: ['flea-tick'],
      },
      {
        code: 'DWRM',
        name: 'Broad-Spectrum Dewormer Tablets for',
        variantLast: true,
        variants: dogBands.slice(1, 4),
        sizes: [one('2 count', '2CT', 25, 19.99), one('4 count', '4CT', 35, 32.99)],
        tags: ['dewormer'],
      },
    ],
  });
  lines(c, {
    ...med,
    prefix: 'MED',
    species: 'any',
    brands: ['SHP'],
    suffix: '',
    lines: [
      {
        code: 'FCOL',
        name: 'Flea & Tick Collar for',
        variantLast: true,
        variants: [
          ['SDG', 'Small Dogs'],
          ['LDG', 'Large Dogs'],
          ['CAT', 'Cats'],
        ],
        sizes: [one('8-month', '8M', 60, 29.99)],
        tags: ['flea-collar', 'flea-tick'],
      },
    ],
  });
  lines(c, {
    ...med,
    prefix: 'MED',
    species: 'any',
    brands: ['VTE'],
    suffix: '',
    lines: [
      {
        code: 'CDWM',
        name: 'Cat Dewormer Tablets',
        variants: plain,
        sizes: [one('2 count', '2CT', 25, 17.99), one('4 count', '4CT', 35, 29.99)],
        tags: ['dewormer', 'cat'],
      },
      {
        code: 'LQDW',
        name: 'Liquid Pyrantel Dewormer',
        variants: plain,
        sizes: [one('2 fl oz bottle', '2OZ', 90, 9.99)],
        tags: ['dewormer'],
        unit: 'bottle',
      },
      {
        code: 'EARC',
        name: 'Ear Cleanser',
        variants: plain,
        sizes: [one('4 fl oz', '4OZ', 150, 11.99), one('8 fl oz', '8OZ', 280, 17.99)],
        tags: ['ear'],
        unit: 'bottle',
      },
      {
        code: 'EYEW',
        name: 'Eye Wash',
        variants: plain,
        sizes: [one('4 fl oz', '4OZ', 150, 8.99)],
        unit: 'bottle',
      },
      {
        code: 'HOTS',
        name: 'Hot Spot Relief Spray',
        variants: plain,
        sizes: [one('8 fl oz', '8OZ', 280, 12.99)],
        unit: 'bottle',
      },
      {
        code: 'WNDS',
        name: 'Antiseptic Wound Spray',
        variants: plain,
        sizes: [one('4 fl oz', '4OZ', 150, 13.99)],
        unit: 'bottle',
      },
      {
        code: 'FOIL',
        name: 'Skin & Coat Fish Oil',
        variants: plain,
        sizes: [
          one('8 fl oz', '8OZ', 280, 16.99),
          one('16 fl oz', '16OZ', 540, 27.99),
          one('32 fl oz', '32OZ', 1050, 44.99),
        ],
        unit: 'bottle',
      },
      {
        code: 'HBGL',
        name: 'Cat Hairball Relief Gel',
        variants: plain,
        sizes: [one('2.5 oz tube', '2.5OZ', 90, 8.99)],
        unit: 'tube',
      },
      {
        code: 'URIN',
        name: 'Cat Urinary Support Chews',
        variants: plain,
        sizes: [one('60 count', '60CT', 140, 19.99)],
        unit: 'jar',
      },
    ],
  });
  lines(c, {
    ...med,
    prefix: 'SUP',
    species: 'any',
    brands: ['VTE', 'CMT'],
    suffix: '',
    unit: 'jar',
    lines: [
      {
        code: 'JNTC',
        name: 'Hip & Joint Chews',
        variants: plain,
        sizes: [
          one('60 count', '60CT', 250, 24.99),
          one('120 count', '120CT', 480, 42.99),
          one('240 count', '240CT', 920, 74.99),
        ],
        tags: ['joint'],
      },
      {
        code: 'PROB',
        name: 'Probiotic Powder',
        variants: plain,
        sizes: [one('30 sachets', '30S', 90, 22.99), one('60 sachets', '60S', 170, 39.99)],
        tags: ['probiotic'],
        unit: 'box',
      },
      {
        code: 'CALM',
        name: 'Calming Chews for',
        variantLast: true,
        variants: [
          ['DOG', 'Dogs'],
          ['CAT', 'Cats'],
        ],
        sizes: [one('30 count', '30CT', 130, 16.99), one('60 count', '60CT', 250, 28.99)],
        tags: ['calming'],
      },
    ],
  });
}

function smallPets(c: CatalogBuilder): void {
  lines(c, {
    prefix: 'SPF',
    category: 'small-pet',
    species: 'small-pet',
    brands: ['BNB', 'MCH'],
    suffix: '',
    unit: 'bag',
    density: 0.35,
    taxClass: 'pet-food',
    tracking: 'lot',
    shelfLifeDays: 365,
    minRemainingShelfLifeDays: 30,
    lines: [
      {
        code: 'FOOD',
        name: 'Complete Food for',
        variantLast: true,
        variants: [
          ['RBT', 'Rabbits'],
          ['GPG', 'Guinea Pigs'],
          ['HAM', 'Hamsters & Gerbils'],
          ['CHN', 'Chinchillas'],
        ],
        sizes: [one('2 lb', '2LB', lb(2), 8.99), one('5 lb', '5LB', lb(5), 17.99)],
        tags: ['small-pet-food'],
      },
      {
        code: 'TMHY',
        name: 'Timothy Hay',
        variants: plain,
        sizes: [
          one('24 oz', '24OZ', oz(24), 9.99),
          one('48 oz', '48OZ', oz(48), 16.99),
          one('9 lb box', '9LB', lb(9), 34.99),
        ],
        tags: ['hay'],
      },
      {
        code: 'ORHY',
        name: 'Orchard Grass Hay',
        variants: plain,
        sizes: [one('24 oz', '24OZ', oz(24), 10.99), one('48 oz', '48OZ', oz(48), 17.99)],
        tags: ['hay'],
      },
    ],
  });
  lines(c, {
    prefix: 'SPS',
    category: 'small-pet',
    species: 'small-pet',
    brands: ['BNB', 'MCH'],
    suffix: '',
    unit: 'each',
    density: 0.1,
    taxClass: 'standard',
    lines: [
      {
        code: 'BEDP',
        name: 'Paper Bedding',
        variants: plain,
        sizes: [one('30 L', '30L', 1100, 14.99), one('60 L', '60L', 2100, 24.99)],
        tags: ['bedding'],
      },
      {
        code: 'CHWS',
        name: 'Chew Sticks',
        variants: [
          ['APL', 'Apple Wood'],
          ['WLW', 'Willow'],
        ],
        sizes: [one('', '', 100, 5.99)],
        tags: ['small-pet-chew'],
      },
    ],
  });
}

// ---------------------------------------------------------------------------------------------
// Bundles

type Pick = { readonly tags: readonly string[]; readonly species?: Species; readonly quantity?: number };
type Recipe = { readonly code: string; readonly name: string; readonly picks: readonly Pick[] };

const recipes: readonly Recipe[] = [
  {
    code: 'KIT-KITTEN-STARTER',
    name: 'Kitten Starter Kit',
    picks: [
      { tags: ['dry', 'kitten', '3.5LB'] },
      { tags: ['litter', '20lb'] },
      { tags: ['litter-box'] },
      { tags: ['scoop'] },
      { tags: ['feather-wand'] },
      { tags: ['scratcher'] },
    ],
  },
  {
    code: 'KIT-PUPPY-STARTER',
    name: 'Puppy Starter Kit',
    picks: [
      { tags: ['dry', 'puppy', '15LB'] },
      { tags: ['collar', 's'] },
      { tags: ['leash'] },
      { tags: ['poop-bags'] },
      { tags: ['training-treat'] },
      { tags: ['chew-toy'] },
    ],
  },
  {
    code: 'KIT-SENIOR-DOG',
    name: 'Senior Dog Comfort Kit',
    picks: [
      { tags: ['dry', 'senior', '15LB'], species: 'dog' },
      { tags: ['orthopedic-bed', 'm'] },
      { tags: ['joint'] },
    ],
  },
  {
    code: 'KIT-CAT-WET-SAMPLER',
    name: 'Wet Cat Food Sampler, 12 cans',
    picks: Array.from({ length: 6 }, () => ({ tags: ['wet', '3OZ'], species: 'cat' as const, quantity: 2 })),
  },
  {
    code: 'KIT-DOG-WET-SAMPLER',
    name: 'Wet Dog Food Sampler, 12 cans',
    picks: Array.from({ length: 4 }, () => ({ tags: ['wet', '13OZ'], species: 'dog' as const, quantity: 3 })),
  },
  {
    code: 'KIT-FLEA-DOG-MED',
    name: 'Flea & Tick Defense Kit for Medium Dogs',
    picks: [
      { tags: ['spot-on', '6d', 'med'], species: 'dog' },
      { tags: ['flea-comb'] },
      { tags: ['shampoo'] },
    ],
  },
  {
    code: 'KIT-FLEA-CAT',
    name: 'Flea & Tick Defense Kit for Cats',
    picks: [{ tags: ['spot-on', '6d'], species: 'cat' }, { tags: ['flea-comb'] }],
  },
  {
    code: 'KIT-DENTAL-DOG',
    name: 'Dog Dental Care Kit',
    picks: [
      { tags: ['dental-chew'], species: 'dog' },
      { tags: ['toothbrush-kit'] },
      { tags: ['chew-toy', 'durable'] },
    ],
  },
  {
    code: 'KIT-LITTER-STARTER',
    name: 'Litter Box Starter Set',
    picks: [
      { tags: ['litter-box'] },
      { tags: ['scoop'] },
      { tags: ['litter-mat'] },
      { tags: ['litter', '20lb'] },
    ],
  },
  {
    code: 'KIT-WALK-ESSENTIALS',
    name: 'Dog Walk Essentials',
    picks: [
      { tags: ['harness', 'm'] },
      { tags: ['leash'] },
      { tags: ['poop-bag-dispenser'] },
      { tags: ['poop-bags'] },
    ],
  },
  {
    code: 'KIT-GROOM-DOG',
    name: 'Dog Grooming Kit',
    picks: [
      { tags: ['slicker-brush'] },
      { tags: ['deshedding'] },
      { tags: ['nail-clipper'] },
      { tags: ['shampoo'] },
    ],
  },
  {
    code: 'KIT-GROOM-CAT',
    name: 'Cat Grooming Kit',
    picks: [{ tags: ['cat-brush'] }, { tags: ['nail-clipper', 'sm'] }, { tags: ['flea-comb'] }],
  },
  {
    code: 'KIT-INDOOR-PLAY',
    name: 'Indoor Cat Play Pack',
    picks: [{ tags: ['feather-wand'] }, { tags: ['catnip'] }, { tags: ['crinkle'] }, { tags: ['tunnel'] }],
  },
  {
    code: 'KIT-TOUGH-CHEWER',
    name: 'Tough Chewer Toy Box',
    picks: [{ tags: ['durable'] }, { tags: ['durable'] }, { tags: ['rope'] }],
  },
  {
    code: 'KIT-FETCH',
    name: 'Fetch Pack',
    picks: [{ tags: ['tennis'] }, { tags: ['flyer'] }, { tags: ['launcher'] }],
  },
  {
    code: 'KIT-CAT-FEEDING',
    name: 'New Cat Feeding Set',
    picks: [{ tags: ['ceramic-bowl', 's'], quantity: 2 }, { tags: ['dry', 'indoor', '3.5LB'] }],
  },
  {
    code: 'KIT-DOG-TRAVEL',
    name: 'Dog Travel Kit',
    picks: [{ tags: ['travel-bowl'] }, { tags: ['calming', 'dog'] }, { tags: ['poop-bags'] }],
  },
  {
    code: 'KIT-DEWORM-DOG',
    name: 'Dog Deworming & Gut Health Kit',
    picks: [{ tags: ['dewormer'], species: 'dog' }, { tags: ['probiotic'] }],
  },
  {
    code: 'KIT-MULTICAT-LITTER',
    name: 'Multi-Cat Litter Value Pack, 2 × 40 lb',
    picks: [{ tags: ['litter', 'multi-cat', '40lb'], quantity: 2 }],
  },
  {
    code: 'KIT-SMALL-PET-STARTER',
    name: 'Small Pet Starter Kit',
    picks: [
      { tags: ['small-pet-food'] },
      { tags: ['hay'] },
      { tags: ['bedding'] },
      { tags: ['small-pet-chew'] },
    ],
  },
  {
    code: 'KIT-DOG-TREAT-SAMPLER',
    name: 'Dog Treat Sampler',
    picks: Array.from({ length: 4 }, () => ({ tags: ['treat'], species: 'dog' as const })),
  },
  {
    code: 'KIT-CAT-TREAT-SAMPLER',
    name: 'Cat Treat Sampler',
    picks: Array.from({ length: 3 }, () => ({ tags: ['treat'], species: 'cat' as const })),
  },
  {
    code: 'KIT-HOLIDAY-DOG',
    name: 'Holiday Gift Box for Dogs',
    picks: [{ tags: ['plush'] }, { tags: ['treat'], species: 'dog' }, { tags: ['bandana'] }],
  },
  {
    code: 'KIT-HOLIDAY-CAT',
    name: 'Holiday Gift Box for Cats',
    picks: [{ tags: ['catnip'] }, { tags: ['puree'] }, { tags: ['crinkle'] }],
  },
];

/** Bundles from the recipes over `items`; a recipe whose components are missing is skipped. */
function bundles(items: readonly DemoSku[], rng: Rng, limit: number): DemoSku[] {
  const out: DemoSku[] = [];
  const tagIndex = new Map<string, DemoSku[]>();
  for (const s of items) {
    if (!s.active) continue;
    for (const t of s.tags) {
      const list = tagIndex.get(t) ?? [];
      list.push(s);
      tagIndex.set(t, list);
    }
  }
  const matches = (p: Pick) =>
    (tagIndex.get(p.tags[0]!) ?? []).filter(
      (s) => p.tags.every((t) => s.tags.includes(t)) && (p.species === undefined || s.species === p.species),
    );
  const kps = brand('KPS');
  let item = 0;
  for (const r of recipes) {
    if (out.length >= limit) break;
    const chosen = new Map<string, { sku: DemoSku; quantity: number }>();
    for (const p of r.picks) {
      const candidates = matches(p).filter((s) => !chosen.has(s.sku));
      if (candidates.length === 0) continue;
      const s = rng.pick(candidates);
      chosen.set(s.sku, { sku: s, quantity: p.quantity ?? 1 });
    }
    const parts = [...chosen.values()];
    if (parts.length === 0 || (parts.length === 1 && parts[0]!.quantity === 1)) continue;
    const total = parts.reduce((sum, p) => sum + p.sku.priceMinor * p.quantity, 0);
    const cost = parts.reduce((sum, p) => sum + p.sku.costMinor * p.quantity, 0);
    const grams = parts.reduce((sum, p) => sum + p.sku.weightGrams * p.quantity, 0);
    const price = Math.max(cost + 100, retail((total * 0.9) / 100));
    out.push({
      sku: r.code,
      name: r.name,
      product: r.name,
      category: 'bundles',
      species: 'any',
      unit: 'kit',
      barcodes: [gtin13(kps.gs1, ++item)],
      packs: [],
      costMinor: cost,
      priceMinor: price,
      taxClass: parts.some((p) => p.sku.taxClass === 'pet-medicine') ? 'pet-medicine' : 'standard',
      tracking: 'none',
      shelfLifeDays: null,
      minRemainingShelfLifeDays: 0,
      weightGrams: grams,
      dimensionsMm: dims(grams, 0.3),
      active: true,
      popularity: rng.between(0.2, 0.8),
      tags: ['bundle'],
      components: parts.map((p) => ({ sku: p.sku.sku, quantity: p.quantity })),
    });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------

/** Every stocked (non-bundle) SKU the demo knows, in a fixed order; prices drawn from `seed`. */
export function demoItems(seed: number): DemoSku[] {
  const c = new CatalogBuilder(new Rng(seed, 1));
  dryFood(c);
  wetFood(c);
  treats(c);
  litter(c);
  toys(c);
  accessories(c);
  medicines(c);
  smallPets(c);
  return c.items;
}

/** The number of SKUs `demoCatalog` makes when no size is asked for. */
export const fullDemoSize = (seed = 42) => demoCatalog(seed).length;

/**
 * The demo catalog for `seed`: every stocked SKU plus the bundles, or, with `size`, a seeded
 * sample of exactly `size` SKUs (at least 20, at most the full catalog) with proportionally fewer
 * bundles. Components come before the bundles that use them.
 */
export function demoCatalog(seed: number, size?: number): DemoSku[] {
  const items = demoItems(seed);
  const rng = new Rng(seed, 2);
  if (size === undefined || size >= items.length + recipes.length) {
    const kits = bundles(items, rng, recipes.length);
    return [...items, ...kits];
  }
  const wanted = Math.max(20, Math.floor(size));
  const kitCount = Math.min(recipes.length, Math.max(2, Math.round(wanted / 100)));
  const order = rng.shuffle(items.map((_, i) => i));
  let kits: DemoSku[] = [];
  let chosen: DemoSku[] = [];
  // A sample may lack the components of some recipes: take a few more items until it fills up.
  for (let extra = 0; extra <= kitCount; extra++) {
    const keep = new Set(order.slice(0, wanted - kitCount + extra));
    chosen = items.filter((_, i) => keep.has(i));
    kits = bundles(chosen, new Rng(seed, 3), kitCount - extra);
    if (chosen.length + kits.length === wanted) break;
  }
  return [...chosen, ...kits].slice(0, wanted);
}
