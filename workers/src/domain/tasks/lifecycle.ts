// The task lifecycle as data: which status may follow which. Every writer moves a task with
// a conditional update from one of these predecessors, so two writers racing (an outcome and
// a cancel, say) cannot both win.
import type { TaskStatus } from "./types";

const NEXT: Record<TaskStatus, readonly TaskStatus[]> = {
  received: ["awaiting_approval", "queued", "failed", "cancelled"],
  awaiting_approval: ["queued", "failed", "cancelled", "expired"],
  queued: ["running", "failed", "cancelled", "expired"],
  // running → queued: the runner was lost and the job went back to the queue.
  running: ["queued", "succeeded", "failed", "cancelled", "expired"],
  succeeded: [],
  failed: [],
  cancelled: [],
  expired: [],
};

export const isTerminal = (s: TaskStatus): boolean => NEXT[s].length === 0;

/** The statuses a task may be in for it to move to `to`. */
export function predecessors(to: TaskStatus): TaskStatus[] {
  return (Object.keys(NEXT) as TaskStatus[]).filter((from) => NEXT[from].includes(to));
}

export const canMove = (from: TaskStatus, to: TaskStatus): boolean => NEXT[from].includes(to);
