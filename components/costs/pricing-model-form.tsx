"use client";

import { useRouter } from "next/navigation";
import { useState, useTransition } from "react";
import { Button } from "@/components/ui/button";
import { toast } from "@/components/ui/toast";
import type { ActionResult } from "@/lib/action-result";
import type { PricingModel } from "@/lib/domain";
import { cn } from "@/lib/utils";
import { MODEL_LABELS } from "./labels";

const DESCRIPTIONS: Record<PricingModel, string> = {
  cbp: "Meta's model until 2025-06-30, and the seed's rules: a 24-hour conversation per category opened by a delivered template (or a free-form reply), with 1,000 free service conversations a month per business account.",
  pmp: "Meta's model since 2025-07-01: each delivered template is billed; free-form messages, utility templates inside the 24h customer service window and everything inside a free entry point are free.",
};

export function PricingModelForm(props: {
  current: PricingModel;
  savedAt: string | null;
  action: (model: unknown) => Promise<ActionResult<{ changed: boolean }>>;
}) {
  const router = useRouter();
  const [model, setModel] = useState<PricingModel>(props.current);
  const [pending, start] = useTransition();
  return (
    <form
      className="grid gap-4"
      onSubmit={(e) => {
        e.preventDefault();
        start(async () => {
          const r = await props.action(model);
          if (!r.ok) {
            toast.error(r.error.message);
            return;
          }
          toast.success(r.data.changed ? `Pricing model set to ${MODEL_LABELS[model]}.` : "Nothing changed.");
          router.refresh();
        });
      }}
    >
      <fieldset className="grid gap-3">
        <legend className="sr-only">Pricing model</legend>
        {(["cbp", "pmp"] as const).map((m) => (
          <label
            key={m}
            className={cn(
              "flex cursor-pointer gap-3 rounded-lg border p-4",
              model === m && "border-primary ring-1 ring-primary",
            )}
          >
            <input
              type="radio"
              name="pricingModel"
              value={m}
              checked={model === m}
              onChange={() => setModel(m)}
              className="mt-1"
            />
            <span className="grid gap-1">
              <span className="font-medium">
                {MODEL_LABELS[m]}{" "}
                {props.current === m && <span className="text-muted-foreground text-xs">(in force)</span>}
              </span>
              <span className="text-muted-foreground text-sm">{DESCRIPTIONS[m]}</span>
            </span>
          </label>
        ))}
      </fieldset>
      <div className="flex items-center gap-3">
        <Button type="submit" disabled={pending || model === props.current}>
          {pending ? "Saving…" : "Save"}
        </Button>
        {props.savedAt && (
          <span className="text-muted-foreground text-xs">
            Settings last saved {props.savedAt.slice(0, 16).replace("T", " ")} UTC
          </span>
        )}
      </div>
    </form>
  );
}
