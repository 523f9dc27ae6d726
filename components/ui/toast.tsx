"use client";

import { useSyncExternalStore } from "react";
import { cn } from "@/lib/utils";

/**
 * A small sonner-like toaster: `toast.error("…")` from anywhere on the client,
 * `<Toaster />` once in the layout. Toasts are announced through a live region.
 */
type Toast = { id: number; kind: "info" | "success" | "error"; text: string };

let toasts: Toast[] = [];
let nextId = 1;
const listeners = new Set<() => void>();
const notify = () => {
  for (const l of listeners) l();
};

function push(kind: Toast["kind"], text: string, ms = 5000) {
  const id = nextId++;
  toasts = [...toasts, { id, kind, text }].slice(-4);
  notify();
  setTimeout(() => {
    toasts = toasts.filter((t) => t.id !== id);
    notify();
  }, ms);
}

export const toast = {
  info: (text: string) => push("info", text),
  success: (text: string) => push("success", text),
  error: (text: string) => push("error", text, 8000),
};

const subscribe = (l: () => void) => {
  listeners.add(l);
  return () => listeners.delete(l);
};
const empty: Toast[] = [];

export function Toaster() {
  const list = useSyncExternalStore(
    subscribe,
    () => toasts,
    () => empty,
  );
  return (
    <section
      aria-label="Notifications"
      className="pointer-events-none fixed right-4 bottom-4 z-[100] flex w-80 flex-col gap-2"
    >
      {list.map((t) => (
        <div
          key={t.id}
          role={t.kind === "error" ? "alert" : "status"}
          className={cn(
            "pointer-events-auto rounded-md border bg-popover px-4 py-3 text-sm shadow-lg",
            t.kind === "error" && "border-destructive/50 text-destructive",
            t.kind === "success" && "border-success/50",
          )}
        >
          {t.text}
        </div>
      ))}
    </section>
  );
}
