import Link from "next/link";
import { Button } from "@/components/ui/button";

/** Shown instead of a page the signed-in user's role may not see (the 403 of a page). */
export function Refusal(props: { title: string; message: string }) {
  return (
    <main className="mx-auto grid max-w-xl gap-4 p-4 md:p-8">
      <div role="alert" className="grid gap-3 rounded-xl border p-6">
        <p className="text-sm font-medium text-muted-foreground">403 · Not allowed</p>
        <h1 className="text-xl font-semibold">{props.title}</h1>
        <p className="text-sm text-muted-foreground">{props.message}</p>
        <Button asChild className="w-fit">
          <Link href="/inbox">Back to the inbox</Link>
        </Button>
      </div>
    </main>
  );
}
