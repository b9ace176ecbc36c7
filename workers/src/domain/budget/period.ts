// Budget periods: the window a budget's limit applies to. Boundaries are UTC: a day starts
// at 00:00, a week on Monday 00:00, a month on its 1st; a custom period is N days from an
// anchor. Pure: the clock is an argument.

export const PERIODS = ["daily", "weekly", "monthly", "custom"] as const;
export type BudgetPeriod = (typeof PERIODS)[number];

export interface PeriodSpec {
  period: BudgetPeriod;
  /** Custom periods only: length in days, counted from `anchor`. */
  customDays?: number;
  /** Custom periods only: ISO time a period starts at. */
  anchor?: string;
}

export interface PeriodWindow {
  start: number; // ms since epoch, inclusive
  end: number; // ms since epoch, exclusive
}

const DAY = 86_400_000;

export function periodWindow(spec: PeriodSpec, now: number): PeriodWindow {
  const d = new Date(now);
  switch (spec.period) {
    case "daily": {
      const start = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate());
      return { start, end: start + DAY };
    }
    case "weekly": {
      const midnight = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate());
      const sinceMonday = (d.getUTCDay() + 6) % 7;
      const start = midnight - sinceMonday * DAY;
      return { start, end: start + 7 * DAY };
    }
    case "monthly": {
      const start = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
      return { start, end: Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1) };
    }
    case "custom": {
      const length = (spec.customDays ?? 30) * DAY;
      const anchor = spec.anchor ? Date.parse(spec.anchor) : 0;
      const k = Math.floor((now - anchor) / length);
      const start = anchor + k * length;
      return { start, end: start + length };
    }
  }
}
