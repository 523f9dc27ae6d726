"use client";

import { useRouter } from "next/navigation";
import { useState, useTransition } from "react";
import { Button } from "@/components/ui/button";
import { Input } from "@/components/ui/input";
import { Label } from "@/components/ui/label";
import { Select, SelectContent, SelectItem, SelectTrigger, SelectValue } from "@/components/ui/select";
import { toast } from "@/components/ui/toast";
import type { ActionResult } from "@/lib/action-result";
import type { PricingModel } from "@/lib/domain";
import { categoryLabel, MODEL_LABELS } from "./labels";
import { formatMoney, parseMoneyToMicros } from "./money";

type AddPrice = (input: unknown) => Promise<ActionResult<{ id: string; recomputing: boolean }>>;

/** Adds one price row. The amount is typed in US$ and converted to integer micros exactly (no floats). */
export function PriceForm(props: {
  categories: string[];
  models: PricingModel[];
  defaultModel: PricingModel;
  minDate: string;
  today: string;
  action: AddPrice;
}) {
  const router = useRouter();
  const [pending, start] = useTransition();
  const [model, setModel] = useState<PricingModel>(props.defaultModel);
  const [category, setCategory] = useState("marketing");
  const [price, setPrice] = useState("");
  const [market, setMarket] = useState("");
  const [tier, setTier] = useState("");
  const [date, setDate] = useState(props.today);
  const [error, setError] = useState<{ field: string; message: string } | null>(null);
  const micros = parseMoneyToMicros(price);

  const submit = (e: React.FormEvent) => {
    e.preventDefault();
    setError(null);
    start(async () => {
      const r = await props.action({
        model,
        category,
        market,
        price,
        tierFromVolume: tier,
        effectiveFrom: date,
      });
      if (!r.ok) {
        setError({ field: String(r.error.details?.field ?? ""), message: r.error.message });
        toast.error(r.error.message);
        return;
      }
      toast.success(
        r.data.recomputing
          ? "Price added. Costs from its date are being recomputed."
          : "Price added. It applies from its date.",
      );
      setPrice("");
      setTier("");
      router.refresh();
    });
  };
  const invalid = (field: string) => (error?.field === field ? true : undefined);

  return (
    <form onSubmit={submit} className="grid gap-4 md:grid-cols-2 lg:grid-cols-3" noValidate>
      <div className="grid gap-1.5">
        <Label htmlFor="price-model">Model</Label>
        <Select value={model} onValueChange={(v) => setModel(v as PricingModel)}>
          <SelectTrigger id="price-model" className="w-full">
            <SelectValue />
          </SelectTrigger>
          <SelectContent>
            {props.models.map((m) => (
              <SelectItem key={m} value={m}>
                {MODEL_LABELS[m]}
              </SelectItem>
            ))}
          </SelectContent>
        </Select>
      </div>
      <div className="grid gap-1.5">
        <Label htmlFor="price-category">Category</Label>
        <Select value={category} onValueChange={setCategory}>
          <SelectTrigger id="price-category" className="w-full">
            <SelectValue />
          </SelectTrigger>
          <SelectContent>
            {props.categories.map((c) => (
              <SelectItem key={c} value={c}>
                {categoryLabel(c)}
              </SelectItem>
            ))}
          </SelectContent>
        </Select>
      </div>
      <div className="grid gap-1.5">
        <Label htmlFor="price-amount">Price (US$)</Label>
        <Input
          id="price-amount"
          inputMode="decimal"
          placeholder="0.0625"
          value={price}
          onChange={(e) => setPrice(e.target.value)}
          aria-invalid={
            invalid("price") ?? invalid("micros") ?? (price !== "" && micros === null ? true : undefined)
          }
          aria-describedby="price-amount-hint"
          required
        />
        <p id="price-amount-hint" className="text-muted-foreground text-xs">
          {price === ""
            ? "Per conversation or message."
            : micros === null
              ? "Use digits and a dot, up to 6 decimals."
              : `${formatMoney(micros)} = ${micros.toLocaleString("en-US")} micros`}
        </p>
      </div>
      <div className="grid gap-1.5">
        <Label htmlFor="price-market">Market (optional)</Label>
        <Input
          id="price-market"
          inputMode="numeric"
          placeholder="every country"
          value={market}
          onChange={(e) => setMarket(e.target.value)}
          aria-invalid={invalid("market")}
        />
      </div>
      <div className="grid gap-1.5">
        <Label htmlFor="price-tier">From monthly volume</Label>
        <Input
          id="price-tier"
          inputMode="numeric"
          placeholder="0"
          value={tier}
          disabled={model !== "pmp"}
          onChange={(e) => setTier(e.target.value)}
          aria-invalid={invalid("tierFromVolume")}
          title={model !== "pmp" ? "Volume tiers exist only under per-message pricing" : undefined}
        />
      </div>
      <div className="grid gap-1.5">
        <Label htmlFor="price-from">Effective from (UTC)</Label>
        <Input
          id="price-from"
          type="date"
          min={props.minDate}
          value={date}
          onChange={(e) => setDate(e.target.value)}
          aria-invalid={invalid("effectiveFrom")}
        />
      </div>
      <div className="flex items-center gap-3 md:col-span-2 lg:col-span-3">
        <Button type="submit" disabled={pending || micros === null}>
          {pending ? "Saving…" : "Add price"}
        </Button>
        {error && (
          <p role="alert" className="text-destructive text-sm">
            {error.message}
          </p>
        )}
      </div>
    </form>
  );
}
