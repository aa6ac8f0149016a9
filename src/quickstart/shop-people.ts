import type { SeededRandom, Weighted } from './seeded-random.js';

/**
 * Who shops: countries with their cities, currency and names as people there
 * write them. Names deliberately cover accents, apostrophes, CJK, Hangul,
 * Cyrillic, Arabic (right-to-left) and the odd emoji, because those are the
 * values that break naive loaders.
 */

interface Country {
  readonly code: string;
  readonly currency: string;
  readonly cities: readonly string[];
  readonly given: readonly string[];
  readonly family: readonly string[];
  /** East Asian order: family name first, no space. */
  readonly familyFirst?: boolean;
}

const COUNTRIES: readonly Weighted<Country>[] = [
  [{ code: 'US', currency: 'USD', cities: ['New York', 'San Francisco', 'Austin', 'Chicago', 'Seattle', 'Denver', 'Boston'], given: ['James', 'Mary', 'Olivia', 'Liam', 'Ava', 'Noah', 'Sophia', 'Ethan', 'Zoë', 'DeShawn'], family: ['Smith', 'Johnson', "O'Connor", 'Williams', 'García', 'Nguyen', 'Brown', 'Miller', 'Rodríguez'] }, 30],
  [{ code: 'GB', currency: 'GBP', cities: ['London', 'Manchester', 'Edinburgh', 'Bristol', 'Leeds'], given: ['Oliver', 'Amelia', 'Harry', 'Isla', 'George', 'Siobhán', 'Chloë'], family: ["O'Brien", 'Taylor', 'Davies', 'Evans', 'Wilson', 'McDonald', "D'Arcy"] }, 10],
  [{ code: 'DE', currency: 'EUR', cities: ['Berlin', 'München', 'Köln', 'Hamburg', 'Düsseldorf'], given: ['Lukas', 'Lena', 'Jürgen', 'Sören', 'Anna', 'Björn', 'Mia'], family: ['Müller', 'Schmidt', 'Schröder', 'Weiß', 'Bauer', 'Groß', 'Schäfer'] }, 9],
  [{ code: 'FR', currency: 'EUR', cities: ['Paris', 'Lyon', 'Marseille', 'Toulouse', 'Nice'], given: ['Léa', 'Chloé', 'Hélène', 'François', 'Mathéo', 'Zoé', 'Noël'], family: ['Lefèvre', 'Dubois', 'Moreau', 'Girard', 'Lambert', 'Dupré', "d'Estaing"] }, 8],
  [{ code: 'ES', currency: 'EUR', cities: ['Madrid', 'Barcelona', 'Sevilla', 'València', 'Málaga'], given: ['José', 'María', 'Sofía', 'Álvaro', 'Lucía', 'Iñaki'], family: ['García', 'Martínez', 'Núñez', 'López', 'Fernández', 'Peña'] }, 5],
  [{ code: 'IT', currency: 'EUR', cities: ['Roma', 'Milano', 'Napoli', 'Torino', 'Firenze'], given: ['Giulia', 'Luca', 'Niccolò', 'Chiara', 'Matteo'], family: ['Rossi', 'Bianchi', "D'Angelo", 'Esposito', 'Colombo'] }, 4],
  [{ code: 'SE', currency: 'SEK', cities: ['Stockholm', 'Göteborg', 'Malmö', 'Uppsala'], given: ['Åsa', 'Björn', 'Märta', 'Oskar', 'Ebba'], family: ['Åkesson', 'Lindqvist', 'Sjöberg', 'Nyström'] }, 3],
  [{ code: 'PL', currency: 'PLN', cities: ['Warszawa', 'Kraków', 'Łódź', 'Wrocław', 'Gdańsk'], given: ['Łukasz', 'Zofia', 'Wojciech', 'Małgorzata'], family: ['Wójcik', 'Kowalski', 'Wiśniewska', 'Dąbrowski'] }, 3],
  [{ code: 'CH', currency: 'CHF', cities: ['Zürich', 'Genève', 'Basel', 'Lausanne'], given: ['Noémie', 'Jürg', 'Luca', 'Anaïs'], family: ['Brügger', 'Favre', 'Keller', 'Rüegg'] }, 2],
  [{ code: 'IE', currency: 'EUR', cities: ['Dublin', 'Cork', 'Galway'], given: ['Seán', 'Aoife', 'Niamh', 'Pádraig'], family: ["O'Sullivan", 'Murphy', 'Ó Súilleabháin', 'Ní Bhriain'] }, 1],
  [{ code: 'JP', currency: 'USD', cities: ['東京', '大阪', '京都', '札幌', '福岡'], given: ['太郎', '花子', '翔太', '結衣', '陽菜'], family: ['山田', '佐藤', '鈴木', '高橋', '渡辺'], familyFirst: true }, 5],
  [{ code: 'CN', currency: 'USD', cities: ['上海', '北京', '深圳', '杭州'], given: ['芳', '伟', '静', '洋', '秀英'], family: ['王', '李', '张', '刘', '陈'], familyFirst: true }, 3],
  [{ code: 'KR', currency: 'USD', cities: ['서울', '부산', '인천'], given: ['민준', '서연', '지호', '하은'], family: ['김', '이', '박', '최'], familyFirst: true }, 2],
  [{ code: 'BR', currency: 'USD', cities: ['São Paulo', 'Rio de Janeiro', 'Belo Horizonte', 'Curitiba'], given: ['João', 'Ana', 'Lúcia', 'Thiago', 'Gonçalo'], family: ['Silva', 'Gonçalves', 'Araújo', 'Conceição'] }, 4],
  [{ code: 'CA', currency: 'CAD', cities: ['Toronto', 'Montréal', 'Vancouver', 'Québec'], given: ['Émilie', 'Liam', 'Chloé', 'Noah'], family: ['Tremblay', 'Gagnon', 'Roy', "O'Neill"] }, 4],
  [{ code: 'AU', currency: 'AUD', cities: ['Sydney', 'Melbourne', 'Brisbane', 'Perth'], given: ['Charlotte', 'Jack', 'Matilda', 'Lachlan'], family: ['Kelly', 'Nguyen', 'Martin', "O'Loughlin"] }, 3],
  [{ code: 'IN', currency: 'USD', cities: ['Mumbai', 'Bengaluru', 'Delhi', 'Chennai'], given: ['Aarav', 'Priya', 'Ananya', 'Vihaan'], family: ['Sharma', 'Patel', 'Iyer', 'Reddy'] }, 3],
  [{ code: 'MX', currency: 'USD', cities: ['Ciudad de México', 'Guadalajara', 'Monterrey', 'Mérida'], given: ['Ximena', 'Santiago', 'Regina', 'Mateo'], family: ['Hernández', 'Pérez', 'Sánchez', 'Ramírez'] }, 2],
  [{ code: 'VN', currency: 'USD', cities: ['Hà Nội', 'Hồ Chí Minh', 'Đà Nẵng'], given: ['Văn An', 'Thị Bình', 'Minh Châu'], family: ['Nguyễn', 'Trần', 'Lê', 'Phạm'], familyFirst: true }, 1],
  [{ code: 'UA', currency: 'EUR', cities: ['Київ', 'Львів', 'Одеса'], given: ['Олена', 'Андрій', 'Ірина', 'Тарас'], family: ['Коваленко', 'Шевченко', 'Бондаренко'] }, 1],
  [{ code: 'AE', currency: 'USD', cities: ['Dubai', 'Abu Dhabi', 'دبي'], given: ['محمد', 'فاطمة', 'Layla', 'Omar'], family: ['العلي', 'الهاشمي', 'Haddad', 'Al-Farsi'] }, 1],
];

const EMOJI = ['🌻', '🚀', '✨', '🐱', '🏳️‍🌈', '👩🏽‍💻'] as const;
const EMAIL_DOMAINS = ['example.com', 'example.net', 'example.org', 'mail.example', 'post.example'] as const;

/** Letters that Unicode decomposition does not reduce to ASCII. */
const ASCII_SPELLING: Readonly<Record<string, string>> = { ł: 'l', ø: 'o', æ: 'ae', ß: 'ss', đ: 'd', å: 'a' };

/** The currency a customer from `country` pays in (USD where the shop has no local price list). */
export function currencyOf(country: string): string {
  return COUNTRIES.find(([c]) => c.code === country)?.[0].currency ?? 'USD';
}

/** A person as the customers table records them. */
export interface Person {
  readonly email: string;
  readonly fullName: string | null;
  readonly country: string;
  readonly city: string | null;
  readonly currency: string;
}

function asciiPart(text: string): string {
  return text
    .toLowerCase()
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .replace(/[łøæßđå]/g, (c) => ASCII_SPELLING[c] ?? '')
    .replace(/[^a-z0-9]/g, '');
}

function emailFor(random: SeededRandom, given: string, family: string, id: number): string {
  const local = [asciiPart(given), asciiPart(family)].filter((part) => part !== '').join('.') || 'customer';
  const tag = random.chance(0.03) ? '+shop' : '';
  const email = `${local}${tag}.${id}@${random.pick(EMAIL_DOMAINS)}`;
  // Real sign-up forms keep whatever case people typed.
  return random.chance(0.02) ? email.charAt(0).toUpperCase() + email.slice(1) : email;
}

/** A new customer; `id` makes the email unique. */
export function createPerson(random: SeededRandom, id: number): Person {
  const country = random.weighted(COUNTRIES);
  const given = random.pick(country.given);
  const family = random.pick(country.family);
  let fullName: string | null = country.familyFirst ? `${family}${/\p{Script=Latin}/u.test(family) ? ' ' : ''}${given}` : `${given} ${family}`;
  if (random.chance(0.004)) fullName = `${fullName} ${random.pick(EMOJI)}`;
  if (random.chance(0.005)) fullName = null;
  return {
    email: emailFor(random, given, family, id),
    fullName,
    country: country.code,
    city: random.chance(0.06) ? null : random.pick(country.cities),
    currency: country.currency,
  };
}
