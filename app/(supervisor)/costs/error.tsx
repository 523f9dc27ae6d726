"use client";

import Link from "next/link";
import { Button } from "@/components/ui/button";

/** The dashboard failed to load (the database is unreachable, or a bug): say so and offer a retry. */
export default function CostsError({
  error,
  reset,
}: {
  error: Error & { digest?: string };
  reset: () => void;
}) {
  return (
    <main className="mx-auto grid max-w-3xl gap-4 p-4 md:p-8">
      <h1 className="text-2xl font-semibold">Costs</h1>
      <div role="alert" className="grid gap-3 rounded-xl border border-destructive/40 p-5">
        <p className="font-medium">The costs could not be loaded.</p>
        <p className="text-sm text-muted-foreground">
          Try again in a moment. If it keeps failing, the server log has the details
          {error.digest ? ` (reference ${error.digest})` : ""}.
        </p>
        <div className="flex gap-2">
          <Button onClick={reset}>Try again</Button>
          <Button asChild variant="outline">
            <Link href="/costs">This month</Link>
          </Button>
        </div>
      </div>
    </main>
  );
}
