// Time windows: "weekdays 09:00–17:00 Europe/Berlin". A window holds when the request's
// local day is listed (or no days are) and its local time is in [start, end); end before
// start wraps past midnight.
import { WEEKDAYS, type Weekday } from "./types";

export interface LocalTime {
  day: Weekday;
  minutes: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timezone: string): Intl.DateTimeFormat {
  let f = formatters.get(timezone);
  if (!f) {
    f = new Intl.DateTimeFormat("en-US", { timeZone: timezone, weekday: "short", hour: "2-digit", minute: "2-digit", hourCycle: "h23" });
    formatters.set(timezone, f);
  }
  return f;
}

export function isValidTimezone(timezone: string): boolean {
  try {
    formatter(timezone);
    return true;
  } catch {
    return false;
  }
}

export function localTime(now: Date, timezone = "UTC"): LocalTime {
  if (timezone === "UTC") return { day: WEEKDAYS[now.getUTCDay()]!, minutes: now.getUTCHours() * 60 + now.getUTCMinutes() };
  let day: Weekday = "sun";
  let hour = 0;
  let minute = 0;
  for (const part of formatter(timezone).formatToParts(now)) {
    if (part.type === "weekday") day = part.value.toLowerCase().slice(0, 3) as Weekday;
    else if (part.type === "hour") hour = Number(part.value);
    else if (part.type === "minute") minute = Number(part.value);
  }
  return { day, minutes: hour * 60 + minute };
}

export const parseClock = (hhmm: string): number => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

export function inWindow(t: LocalTime, window: { days?: readonly Weekday[]; start: number; end: number }): boolean {
  const inTime = window.start <= window.end ? t.minutes >= window.start && t.minutes < window.end : t.minutes >= window.start || t.minutes < window.end;
  if (!inTime) return false;
  if (!window.days || window.days.length === 0) return true;
  // A window that wraps midnight belongs to the day it started on.
  const dayOfWindow = window.start > window.end && t.minutes < window.end ? WEEKDAYS[(WEEKDAYS.indexOf(t.day) + 6) % 7]! : t.day;
  return window.days.includes(dayOfWindow);
}
