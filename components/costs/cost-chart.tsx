"use client";

import { Bar, BarChart, CartesianGrid, Legend, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { CATEGORY_COLORS, categoryLabel } from "./labels";
import { formatMoney } from "./money";

export type ChartDay = { day: string; costMicros: number; byCategory: Record<string, number> };

/**
 * Cost per UTC day, stacked by category. Values stay integer micros; only the axis and tooltip
 * turn them into money, with the exact formatter.
 */
export function CostChart(props: { days: ChartDay[]; categories: string[]; currency: string }) {
  const data = props.days.map((d) => ({ day: d.day, ...d.byCategory, total: d.costMicros }));
  const total = props.days.reduce((s, d) => s + d.costMicros, 0);
  return (
    <figure aria-label="Cost per day by category" className="grid gap-2">
      <div className="h-72 w-full">
        <ResponsiveContainer width="100%" height="100%">
          <BarChart data={data} margin={{ top: 8, right: 8, bottom: 0, left: 8 }}>
            <CartesianGrid strokeDasharray="3 3" vertical={false} className="stroke-border" />
            <XAxis
              dataKey="day"
              tickFormatter={(d: string) => d.slice(8)}
              tick={{ fontSize: 12 }}
              interval="preserveStartEnd"
            />
            <YAxis
              tickFormatter={(v: number) => formatMoney(Math.round(v), props.currency)}
              tick={{ fontSize: 12 }}
              width={80}
              allowDecimals={false}
            />
            <Tooltip
              cursor={{ fillOpacity: 0.1 }}
              formatter={(value, name) => [
                formatMoney(Math.round(Number(value)), props.currency),
                categoryLabel(String(name)),
              ]}
              labelFormatter={(d) => `${d} (UTC)`}
            />
            <Legend formatter={(name: string) => categoryLabel(name)} />
            {props.categories.map((c) => (
              <Bar
                key={c}
                dataKey={c}
                stackId="cost"
                fill={CATEGORY_COLORS[c] ?? "#64748b"}
                isAnimationActive={false}
              />
            ))}
          </BarChart>
        </ResponsiveContainer>
      </div>
      <figcaption className="sr-only">
        Cost per day from {props.days[0]?.day} to {props.days[props.days.length - 1]?.day}: total{" "}
        {formatMoney(total, props.currency)}.
      </figcaption>
    </figure>
  );
}
