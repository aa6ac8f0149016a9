/**
 * Questions the quickstart asks of the warehouse (DuckDB dialect) once the
 * shop has been synced. Money columns are cast to DECIMAL before summing, so
 * the answers are exact whether the warehouse stores them as DECIMAL or DOUBLE,
 * and sums are returned as text so no float creeps in on the way out.
 */

/** A titled query, ready to run and print. */
export interface ShopQuery {
  readonly title: string;
  readonly sql: string;
}

function quoteIdentifier(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** Rows per table and the newest `updated_at`: after the incremental merge it shows the day of activity arrived. */
export function tableFreshnessQuery(schema: string): ShopQuery {
  const s = quoteIdentifier(schema);
  const part = (table: string): string =>
    `SELECT '${table}' AS "table", count(*) AS rows, max(updated_at)::VARCHAR AS newest_update FROM ${s}.${quoteIdentifier(table)}`;
  return {
    title: 'Rows per table and the newest change',
    sql: ['customers', 'products', 'orders', 'order_items'].map(part).join('\nUNION ALL\n'),
  };
}

/** Revenue of delivered orders per month and customer country, latest month first. */
export function revenueByMonthQuery(schema: string, limit = 10): ShopQuery {
  const s = quoteIdentifier(schema);
  return {
    title: 'Revenue of delivered orders by month and country (latest first)',
    sql: `SELECT strftime(o.ordered_at::TIMESTAMP, '%Y-%m') AS month,
       c.country,
       o.currency,
       count(*) AS orders,
       sum(o.total::DECIMAL(18,2))::VARCHAR AS revenue
FROM ${s}.orders AS o
JOIN ${s}.customers AS c ON c.id = o.customer_id
WHERE o.status = 'delivered'
GROUP BY ALL
ORDER BY month DESC, sum(o.total::DECIMAL(18,2)) DESC, c.country, o.currency
LIMIT ${limit}`,
  };
}

/**
 * The five products sold most (units in shipped, delivered and refunded orders),
 * with the revenue of their lines: quantity x unit price less the discount,
 * rounded to the cent per line, as the shop computes order totals.
 */
export function topProductsQuery(schema: string, limit = 5): ShopQuery {
  const s = quoteIdentifier(schema);
  return {
    title: `Top ${limit} products by units sold`,
    sql: `SELECT p.sku,
       p.name,
       p.category,
       sum(i.quantity) AS units,
       sum(round(i.quantity * i.unit_price::DECIMAL(10,2) * (1 - coalesce(i.discount::DECIMAL(5,4), 0)), 2))::VARCHAR AS revenue
FROM ${s}.order_items AS i
JOIN ${s}.orders AS o ON o.id = i.order_id
JOIN ${s}.products AS p ON p.id = i.product_id
WHERE o.status IN ('shipped', 'delivered', 'refunded')
GROUP BY ALL
ORDER BY units DESC, p.sku
LIMIT ${limit}`,
  };
}

/** How orders are spread over their statuses, with each status's share in percent. */
export function ordersByStatusQuery(schema: string): ShopQuery {
  const s = quoteIdentifier(schema);
  return {
    title: 'Orders by status',
    sql: `SELECT status,
       count(*) AS orders,
       round(100.0 * count(*) / sum(count(*)) OVER (), 1)::VARCHAR AS percent
FROM ${s}.orders
GROUP BY status
ORDER BY orders DESC, status`,
  };
}

/** Every query the quickstart prints, in order. */
export function shopQueries(schema: string): readonly ShopQuery[] {
  return [tableFreshnessQuery(schema), ordersByStatusQuery(schema), revenueByMonthQuery(schema), topProductsQuery(schema)];
}
