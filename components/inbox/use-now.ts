"use client";

import { useSyncExternalStore } from "react";

/**
 * One shared clock for every countdown on the page, ticking on whole seconds.
 * `offsetMs` corrects the browser's clock to the server's (measured at load),
 * so a label reaches `window closed` when the server starts refusing.
 */
let offsetMs = 0;
let now = Date.now();
// The instant the page was rendered on the server: both the server render and the
// client's hydration use it, so countdown labels match and React need not patch them.
let renderedAt: number | null = null;
let timer: ReturnType<typeof setTimeout> | null = null;
const listeners = new Set<() => void>();

function tick() {
  now = Date.now() + offsetMs;
  for (const l of listeners) l();
  timer = setTimeout(tick, 1000 - (Date.now() % 1000) + 5);
}

function subscribe(l: () => void) {
  listeners.add(l);
  if (!timer) {
    now = Date.now() + offsetMs;
    timer = setTimeout(tick, 1000 - (Date.now() % 1000) + 5);
  }
  return () => {
    listeners.delete(l);
    if (listeners.size === 0 && timer) {
      clearTimeout(timer);
      timer = null;
    }
  };
}

/** Sets the server-minus-browser clock difference from a server timestamp taken when the page was rendered. */
export function syncServerClock(serverNowIso: string) {
  const server = Date.parse(serverNowIso);
  if (Number.isFinite(server)) {
    renderedAt = server;
    const diff = server - Date.now();
    // Rendering + transfer take a moment: only correct clocks that are clearly off.
    offsetMs = Math.abs(diff) > 2_000 ? diff : 0;
    now = Date.now() + offsetMs;
  }
}

/**
 * The server says an instant has passed (a window expired, a send was refused
 * as late): if this tab's clock has not reached it yet, move the clock forward
 * so every countdown agrees with the server at once.
 */
export function nudgeClockTo(serverReachedMs: number) {
  const behind = serverReachedMs - nowMs();
  if (behind > 0) {
    offsetMs += behind;
    tickNow();
  }
}

/** The corrected current instant, read outside React (timers, handlers). */
export function nowMs(): number {
  return Date.now() + offsetMs;
}

/** The corrected current instant (epoch ms), re-rendering every second. */
export function useNow(): number {
  return useSyncExternalStore(
    subscribe,
    () => now,
    () => renderedAt ?? now,
  );
}

/** Forces an immediate tick (e.g. when a timer set for an exact expiry fires). */
export function tickNow() {
  now = Date.now() + offsetMs;
  for (const l of listeners) l();
}
